"""Nearest neighbours as ids, members and cosines (`Storage.neighbours`, both backends): the same
neighbours as `nearest`, in its order and with its cosines, under the same conditions, without reading
the entries' vectors and features; an entry deleted meanwhile is never answered."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import numpy as np
import pytest

from sql_statements import statements_run
from tabadol.hub import Hub
from tabadol.storage import index
from tabadol.types import IndexEntry, utc_now

COUNT = 40


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def store(hub: Hub) -> tuple[Hub, np.ndarray, list[str]]:
    """Entries of two members in two languages, an hour apart, at various distances from the query."""
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    rng = np.random.default_rng(11)
    query = unit(rng.normal(size=384))
    ids: list[str] = []
    for n in range(COUNT):
        member, language = ("tass", "ru") if n % 3 else ("irna", "fa")
        document = {
            "uri": f"urn:light:{n}",
            "type": "text",
            "language": language,
            "headlines": [{"role": "main", "value": f"item {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "text"}],
        }
        report = hub.ingest_payload(
            member, json.dumps(document).encode(), "application/ninjs+json", via="cli"
        )
        ids.append(report.outcomes[0].item_id)
    start = utc_now() - timedelta(hours=COUNT)
    with hub.storage.index_transaction() as connection:
        for n, item_id in enumerate(ids):
            member, language = ("tass", "ru") if n % 3 else ("irna", "fa")
            closeness = 0.2 + 0.7 * rng.random()
            vector = unit(closeness * query + (1 - closeness) * unit(rng.normal(size=384)))
            at = start + timedelta(hours=n)
            index.save_entry(
                connection, IndexEntry(item_id, 1, "test", member, language, at, vector, {"n": n})
            )
    return hub, query, ids


def light(found: list[tuple[IndexEntry, float]]) -> list[tuple[str, str]]:
    return [(entry.item_id, entry.member_code) for entry, _ in found]


def test_the_neighbours_nearest_finds(store: tuple[Hub, np.ndarray, list[str]]) -> None:
    hub, query, ids = store
    since = utc_now() - timedelta(hours=COUNT - 5)
    until = utc_now() - timedelta(hours=10)
    for conditions in (
        {},
        {"languages": ["fa"]},
        {"since": since, "until": until},
        {"exclude": ids[:10], "languages": ["ru", "fa"]},
    ):
        for limit in (1, 7, COUNT + 5):
            full = hub.storage.nearest(query, limit, **conditions)
            found = hub.storage.neighbours(query, limit, **conditions)
            assert [(n.item_id, n.member_code) for n in found] == light(full)
            assert [n.similarity for n in found] == pytest.approx([score for _, score in full], abs=1e-6)
            assert found, conditions
    fa = hub.storage.neighbours(query, COUNT, languages=["fa"])
    assert {n.member_code for n in fa} == {"irna"} and len(fa) == len(range(0, COUNT, 3))
    scores = [n.similarity for n in hub.storage.neighbours(query, COUNT)]
    assert all(later <= earlier + 1e-6 for earlier, later in zip(scores, scores[1:], strict=False))


def test_an_entry_deleted_meanwhile_is_not_a_neighbour(store: tuple[Hub, np.ndarray, list[str]]) -> None:
    hub, query, _ = store
    before = hub.storage.neighbours(query, 5)
    nearest = before[0].item_id
    with hub.storage.index_transaction() as connection:  # as a kill in another process deletes it
        index.remove_entry(connection, nearest)
    after = hub.storage.neighbours(query, 5)
    assert nearest not in {n.item_id for n in after} and len(after) == 5
    assert [n.item_id for n in after[:4]] == [n.item_id for n in before[1:]]
    assert light(hub.storage.nearest(query, 5)) == [(n.item_id, n.member_code) for n in after]


def test_no_vector_or_features_is_read(store: tuple[Hub, np.ndarray, list[str]]) -> None:
    hub, query, _ = store
    hub.storage.neighbours(query, 3)  # on SQLite the in-process index loads (every vector, once)
    with statements_run(hub.storage) as seen:
        found = hub.storage.neighbours(query, 3, languages=["ru"])
    # The columns each SELECT reads, but the in-process index's catch-up (SQLite: entries written
    # since it last looked, none here).
    columns = [
        s.lower().split(" from ")[0]
        for s in seen
        if s.lstrip().lower().startswith("select") and "item_vectors.seq >" not in s
    ]
    assert len(found) == 3 and columns
    # The vector appears only in PostgreSQL's distance (`vector <=> ...`), never as a column read.
    read = [re.sub(r"item_vectors\.vector\s*<=>", "", c) for c in columns]
    assert not any(re.search(r"item_vectors\.(vector|features|fingerprint)\b", c) for c in read)
    # What `nearest` reads, seen by the same test: whole entries.
    with statements_run(hub.storage) as seen:
        hub.storage.nearest(query, 3, languages=["ru"])
    assert any(re.search(r"item_vectors\.features\b", s.lower()) for s in seen)
