"""The search page's word match (`Storage.match_heads` without ids) reads rare words through the
full-text index's matches and common ones by the newest items first: both give exactly the scan's
answer, whichever is taken."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.storage import fulltext
from tabadol.storage import search as search_rows
from tabadol.types import ItemQuery, PubStatus, utc_now

# Ten items: "ferry" in seven, "caspian ferry" in four, "баку" in one, "the" and "re" in all.
TEXTS = tuple(
    (
        f"Report {n}: the {'ferry' if n % 2 else 'train'} timetable",
        f"The {'Caspian ferry' if n % 3 == 0 else 'line'} runs daily{' до Баку' if n == 7 else ''}.",
    )
    for n in range(10)
)
TERMS = (
    ("ferry",),
    ("caspian", "ferry"),
    ("caspian ferry",),
    ("баку",),
    ("the",),
    ("ferry", "timetable"),
    ("xyzzy",),
    ("re",),  # under three characters: the scan
)


def push(hub: Hub, number: int, headline: str, body: str) -> str:
    document = {
        "uri": f"urn:paths:{number}",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versionCreated": format_datetime(utc_now() - timedelta(minutes=60 - number)),
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id


@pytest.fixture
def items(hub: Hub) -> list[str]:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["en", "ru"])
    return [push(hub, n, head, body) for n, (head, body) in enumerate(TEXTS)]


def answers(hub: Hub, limit: int) -> dict[tuple[str, ...], list[str]]:
    query = ItemQuery(pub_statuses=(PubStatus.USABLE,), now=utc_now())
    return {terms: [head.id for head in hub.storage.match_heads(query, terms, limit)] for terms in TERMS}


def test_every_path_answers_as_the_scan_does(
    hub: Hub, items: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    newest_first = items[::-1]
    ferry = [items[n] for n in (9, 7, 6, 5, 3, 1, 0)]  # in the odd headlines and every third body
    caspian = [items[n] for n in (9, 6, 3, 0)]
    expected = {
        ("ferry",): ferry,
        ("caspian", "ferry"): caspian,
        ("caspian ferry",): caspian,
        ("баку",): [items[7]],
        ("the",): newest_first,
        ("ferry", "timetable"): ferry,
        ("xyzzy",): [],
        ("re",): newest_first,
    }
    for limit in (1, 3, 20):
        cut = {terms: found[:limit] for terms, found in expected.items()}
        assert answers(hub, limit) == cut, limit  # rare words through the index's matches (SQLite)
        with monkeypatch.context() as patched:
            patched.setattr(fulltext, "SELECTIVE", 1)  # every pattern "common": the recent window first
            assert answers(hub, limit) == cut, limit
            patched.setattr(search_rows, "RECENT_WINDOW", 2)  # ... and past it through the index
            assert answers(hub, limit) == cut, limit
        with monkeypatch.context() as patched:
            patched.setattr(fulltext, "has_index", lambda connection: False)  # the plain scan
            assert answers(hub, limit) == cut, limit


def test_rare_words_are_read_through_the_index_matches_alone(
    hub: Hub, items: list[str], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        pytest.skip("the full-text index is SQLite's (PostgreSQL: pg_trgm where the server has it)")
    windows: list[object] = []
    real_window = search_rows._window_start
    monkeypatch.setattr(search_rows, "_window_start", lambda c: windows.append(c) or real_window(c))
    assert answers(hub, 20)[("баку",)] == [items[7]]
    assert windows == []  # one match: no pass over the newest items first
    monkeypatch.setattr(fulltext, "SELECTIVE", 1)
    assert answers(hub, 20)[("баку",)] == [items[7]]
    assert windows  # "common" now: the newest items are tried first
