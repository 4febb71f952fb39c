"""Nearest neighbours with conditions (both backends): asked for more neighbours than PostgreSQL's
HNSW scan keeps by default (40), or for a language few neighbours are in, the store still answers
with every entry that qualifies, nearest first, as SQLite's exact search does.

A store this small would be read by a sequential scan (exact); on PostgreSQL the tests make the
planner take the HNSW index, as it does on a store of real size, and check that it did."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import event, text

from tabadol.hub import Hub
from tabadol.storage import index
from tabadol.types import IndexEntry, utc_now

RUSSIAN = 300
PERSIAN = 8


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def store(hub: Hub) -> tuple[Hub, np.ndarray, list[str]]:
    """Many Russian entries close to the query, a few Persian ones farther away."""
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    rng = np.random.default_rng(5)
    query = unit(rng.normal(size=384))
    documents = [
        {
            "uri": f"urn:nn:{n}",
            "type": "text",
            "language": "ru" if n < RUSSIAN else "fa",
            "headlines": [{"role": "main", "value": f"item {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "text"}],
        }
        for n in range(RUSSIAN + PERSIAN)
    ]
    ids = [
        hub.ingest_payload("tass", json.dumps(d).encode(), "application/ninjs+json", via="cli")
        .outcomes[0]
        .item_id
        for d in documents
    ]
    now = utc_now()
    persian: list[str] = []
    with hub.storage.index_transaction() as connection:
        for n, item_id in enumerate(ids):
            closeness = 0.9 if n < RUSSIAN else 0.3
            vector = unit(closeness * query + (1 - closeness) * unit(rng.normal(size=384)))
            language = "ru" if n < RUSSIAN else "fa"
            index.save_entry(connection, IndexEntry(item_id, 1, "test", "tass", language, now, vector))
            if language == "fa":
                persian.append(item_id)
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE item_vectors"))
    engine = getattr(hub.storage, "engine", None)
    if engine is not None and engine.dialect.name == "postgresql":
        engine.dispose()  # connections opened from now on prefer any index to a scan
        event.listen(engine, "connect", _prefer_indexes)
        with engine.connect() as connection:
            plan = connection.execute(
                text(
                    "EXPLAIN SELECT item_id FROM item_vectors ORDER BY vector <=> CAST(:v AS vector) LIMIT 5"
                ),
                {"v": str(query.tolist())},
            )
            assert "ix_item_vectors_hnsw" in " ".join(row[0] for row in plan)
    return hub, query, persian


def _prefer_indexes(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("SET enable_seqscan = off")
    cursor.close()
    dbapi_connection.commit()  # type: ignore[attr-defined]  # a SET in a rolled-back transaction is undone


def test_more_neighbours_than_the_default_scan_keeps(store: tuple[Hub, np.ndarray, list[str]]) -> None:
    hub, query, _ = store
    found = hub.storage.nearest(query, 60)
    assert len(found) == 60
    scores = [score for _, score in found]
    # Nearest first (pgvector computes in float32: equal distances may differ in the last digit).
    assert all(later <= earlier + 1e-6 for earlier, later in zip(scores, scores[1:], strict=False))


def test_a_language_few_neighbours_are_in(store: tuple[Hub, np.ndarray, list[str]]) -> None:
    hub, query, persian = store
    found = hub.storage.nearest(query, 20, languages=["fa"])
    assert sorted(entry.item_id for entry, _ in found) == sorted(persian)
