"""Item facets (migration 16): topic and country rows written with the enrichment results they come
from, the items of a topic or country listed under the public reading rule with keyset paging (on
both of the listing's paths), counts per country, the facets of given items, the backfill of a store
migrated with enrichment in it, and a restore next to the table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text, true
from storage_helpers import T0, add_member, build_request

import tabadol.storage.sql as sql_module
from tabadol.backup import restore_backup, write_backup
from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub, create_hub
from tabadol.storage import facets, open_storage
from tabadol.storage import schema as t
from tabadol.storage.base import Storage
from tabadol.storage.migrations import MIGRATIONS, v016_item_facets
from tabadol.storage.records import to_json
from tabadol.storage.sql import SqlStorage
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import ComponentResult, ParsedItem, PubStatus

TRADE = "medtop:20000373"  # international trade, narrower than economy
ECONOMY = "medtop:04000000"
SPORT = "medtop:15000000"
NOW = T0 + timedelta(hours=1)  # the embargo of `wire` lasts until T0 + 2 h
AFTER_EMBARGO = T0 + timedelta(hours=3)


def topics(*scored: tuple[str, float], scheme: str = "iptc") -> ComponentResult:
    data = {"topics": [{"scheme": scheme, "code": code, "label": code, "score": s} for code, s in scored]}
    return ComponentResult("topics", "t1", 1, data, None, T0)


def entities(*place_ids: str) -> ComponentResult:
    found = [
        {"id": place, "kind": "place", "name": place, "surface": place, "start": 0, "end": 1, "source": "t"}
        for place in place_ids
    ]
    return ComponentResult("entities", "e1", 1, {"entities": found}, None, T0)


def failed(component: str) -> ComponentResult:
    return ComponentResult(component, "x", 1, {}, "RuntimeError: model missing", T0)


def push(storage: Storage, guid: str, minutes: int, **fields: Any) -> str:
    """An item (or a new version of it) sent `minutes` after T0."""
    at = T0 + timedelta(minutes=minutes)
    item = ParsedItem(
        guid=guid,
        headline=f"Headline {guid}",
        body_text="Body.",
        source_format="ninjs",
        language="fa",
        version_created=at,
        **fields,
    )
    return storage.ingest(build_request("irna", item, received_at=at)).outcomes[0].item_id


def rows_of(storage: Storage, item_id: str) -> set[tuple[str, str, float | None]]:
    assert isinstance(storage, SqlStorage)
    f = t.item_facets.c
    with storage.engine.connect() as connection:
        found = connection.execute(select(f.facet, f.value, f.score).where(f.item_id == item_id))
        return {(row.facet, row.value, row.score) for row in found}


@pytest.fixture
def irna(storage: Storage) -> Storage:
    add_member(storage, "irna")
    return storage


# -- written with the results ---------------------------------------------------------------------


def test_rows_follow_every_save_of_the_results(irna: Storage) -> None:
    item = push(irna, "urn:f:1", 0)
    scored = topics((TRADE, 0.8), (SPORT, 0.3)).data["topics"]
    own = {"scheme": "ports", "code": "ports:ferries", "label": "Ferries", "score": 0.9}
    irna.save_enrichment(
        item,
        [
            ComponentResult("topics", "t1", 1, {"topics": [*scored, own]}, None, T0),
            entities("place/baku", "place/iran", "person/~someone"),
        ],
        None,
    )
    assert rows_of(irna, item) == {
        ("topic", TRADE, 0.8),
        ("topic", SPORT, 0.3),  # a member's own scheme is no facet
        ("country", "AZ", 1.0),
        ("country", "IR", 1.0),
    }
    # Enriched again: the topics are replaced, the countries (not in this save) stay.
    irna.save_enrichment(item, [topics((ECONOMY, 0.7))], None)
    assert rows_of(irna, item) == {("topic", ECONOMY, 0.7), ("country", "AZ", 1.0), ("country", "IR", 1.0)}
    # Other components leave the facets alone; a failed result clears its facet.
    irna.save_enrichment(item, [ComponentResult("language", "l1", 1, {"language": "fa"}, None, T0)], None)
    irna.save_enrichment(item, [failed("entities")], None)
    assert rows_of(irna, item) == {("topic", ECONOMY, 0.7)}
    irna.save_enrichment(
        item, [failed("topics"), entities("place/tehran", "place/iran", "place/caspian-sea")], None
    )
    assert rows_of(irna, item) == {("country", "IR", 2.0)}  # two mentions of Iran; a sea is no country
    # A killed item's enrichment is kept (the reading rule hides it), and its facets with it.
    irna.save_enrichment(item, [], None, remove_entry=True)
    assert rows_of(irna, item) == {("country", "IR", 2.0)}


def test_facets_of_items_best_first(irna: Storage) -> None:
    one, two, bare = push(irna, "urn:f:1", 0), push(irna, "urn:f:2", 1), push(irna, "urn:f:3", 2)
    irna.save_enrichment(
        one, [topics((SPORT, 0.2), (TRADE, 0.9)), entities("place/tehran", "place/baku")], None
    )
    irna.save_enrichment(
        two, [entities("place/moscow", "place/astrakhan", "place/iran"), topics((ECONOMY, 0.5))], None
    )
    found = irna.item_facets([one, two, bare, "it_unknown"])
    assert set(found) == {one, two}
    assert found[one] == {"topic": ((TRADE, 0.9), (SPORT, 0.2)), "country": (("AZ", 1.0), ("IR", 1.0))}
    assert found[two] == {"topic": ((ECONOMY, 0.5),), "country": (("RU", 2.0), ("IR", 1.0))}
    assert irna.item_facets([]) == {}


# -- listing and counting ---------------------------------------------------------------------------


@pytest.fixture(params=["walk", "lookup"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways of finding a value's items: every value common (the walk) or rare (the lookup)."""
    monkeypatch.setattr(facets, "SELECTIVE", 1 if request.param == "walk" else 10**6)
    yield request.param


def wire(irna: Storage) -> dict[str, str]:
    """Items a minute apart: trade news in Azerbaijan (one under embargo until T0 + 2 h, one killed),
    sport news in Kazakhstan, and news without facets."""
    ids = {}
    for n, name in enumerate(["trade1", "sport1", "trade2", "plain", "trade3", "sport2", "trade4"]):
        ids[name] = push(irna, f"urn:f:{name}", n)
    ids["embargoed"] = push(irna, "urn:f:embargoed", 7, embargoed_until=T0 + timedelta(hours=2))
    ids["killed"] = push(irna, "urn:f:killed", 8)
    for name in ("trade1", "trade2", "trade3", "trade4", "embargoed", "killed"):
        irna.save_enrichment(ids[name], [topics((TRADE, 0.9)), entities("place/baku")], None)
    for name in ("sport1", "sport2"):
        irna.save_enrichment(ids[name], [topics((SPORT, 0.9)), entities("place/almaty", "place/aktau")], None)
    push(irna, "urn:f:killed", 9, pub_status=PubStatus.CANCELED)
    return ids


def listed(
    storage: Storage, facet: str, values: list[str], limit: int, now: datetime = NOW
) -> list[list[str]]:
    """Every page's item ids, following the cursors to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = storage.items_by_facet(facet, values, now, limit, cursor)
        pages.append([line.id for line in page.lines])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_items_of_a_topic_or_country_newest_first_readable_only(irna: Storage, path: str) -> None:
    ids = wire(irna)
    trade = [ids[name] for name in ("trade4", "trade3", "trade2", "trade1")]
    sport = [ids["sport2"], ids["sport1"]]
    assert listed(irna, "topic", [TRADE], 10) == [trade]
    assert listed(irna, "topic", [TRADE], 3) == [trade[:3], trade[3:]]
    assert listed(irna, "topic", [TRADE], 2) == [trade[:2], trade[2:]]
    assert listed(irna, "topic", [SPORT, TRADE, ECONOMY], 4) == [
        [ids["trade4"], ids["sport2"], ids["trade3"], ids["trade2"]],
        [ids["sport1"], ids["trade1"]],
    ]
    assert listed(irna, "country", ["KZ"], 1) == [[sport[0]], [sport[1]]]
    assert listed(irna, "country", ["AZ"], 10) == [trade]
    assert listed(irna, "country", ["TM"], 10) == [[]]
    assert listed(irna, "topic", [], 10) == [[]]
    # Once the embargo has passed, the item is listed; the killed one never is.
    assert listed(irna, "topic", [TRADE], 10, AFTER_EMBARGO) == [[ids["embargoed"], *trade]]
    line = irna.items_by_facet("country", ["KZ"], NOW, 1).lines[0]
    assert (line.id, line.member_code, line.language, line.version) == (sport[0], "irna", "fa", 1)
    assert line.headline == "Headline urn:f:sport2" and line.version_created == T0 + timedelta(minutes=5)


def test_a_bad_cursor_or_limit_is_refused(irna: Storage) -> None:
    with pytest.raises(TabadolError) as caught:
        irna.items_by_facet("topic", [TRADE], NOW, 10, "not-a-cursor")
    assert caught.value.code is ErrorCode.INVALID_CURSOR
    with pytest.raises(TabadolError) as caught:
        irna.items_by_facet("topic", [TRADE], NOW, 0)
    assert caught.value.code is ErrorCode.INVALID_QUERY


def test_counts_of_readable_items_per_value(irna: Storage) -> None:
    ids = wire(irna)
    assert irna.facet_counts("country", NOW) == {"AZ": 4, "KZ": 2}
    assert irna.facet_counts("country", AFTER_EMBARGO) == {"AZ": 5, "KZ": 2}
    assert irna.facet_counts("topic", NOW) == {TRADE: 4, SPORT: 2}
    irna.save_enrichment(ids["plain"], [entities("place/tehran", "place/mashhad", "place/baku")], None)
    assert irna.facet_counts("country", NOW) == {"AZ": 5, "KZ": 2, "IR": 1}  # items, not mentions


def test_the_two_paths_read_the_indexes_they_are_chosen_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's plans: a common value walks the listing index newest first and stops at the page's
    end (no sort), a rare one starts from the facet index. PostgreSQL's planner weighs its own
    statistics; docs/portal.md has its plans at 100,000 items."""
    store = open_storage(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    try:
        store.migrate()
        add_member(store, "irna")
        wire(store)
        plans = {}
        with store.engine.connect() as connection:
            for name, selective in (("walk", 1), ("lookup", 10**6)):
                monkeypatch.setattr(facets, "SELECTIVE", selective)
                query = facets.listing_query(connection, "topic", [TRADE], true(), 2)
                assert query is not None
                compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
                found = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                plans[name] = " | ".join(row[3] for row in found)
    finally:
        store.close()
    assert "SCAN items USING INDEX ix_items_listing" in plans["walk"], plans["walk"]
    assert "TEMP B-TREE" not in plans["walk"], plans["walk"]
    assert "USING COVERING INDEX ix_item_facets_value" in plans["lookup"], plans["lookup"]
    assert "ix_items_listing" not in plans["lookup"], plans["lookup"]


# -- migration and restore ----------------------------------------------------------------------------


def test_a_store_with_enrichment_gets_its_facets_when_migrated(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        cluster = request.getfixturevalue("pg_server")
        url = cluster.url(cluster.create_database(migrated=False))
    monkeypatch.setattr(sql_module, "MIGRATIONS", MIGRATIONS[:15])
    store = open_storage(url)
    try:
        store.migrate()
        add_member(store, "irna")
        ids = [push(store, f"urn:m:{n}", n) for n in range(4)]
        results = {
            ids[0]: [topics((TRADE, 0.8)), entities("place/baku", "place/ganja")],
            ids[1]: [failed("topics"), ComponentResult("entities", "e1", 1, {}, "boom", T0)],
            ids[2]: [ComponentResult("language", "l1", 1, {"language": "fa"}, None, T0)],
            ids[3]: [entities("place/almaty"), topics((SPORT, 0.4), (ECONOMY, 0.6))],
        }
        rows = [
            {
                "item_id": item_id,
                "component": r.component,
                "component_version": r.component_version,
                "item_version": 1,
                "data": to_json(dict(r.data))
                if r.error is None
                else to_json({"entities": [{"id": "place/iran"}]}),
                "error": r.error,
                "updated_at": T0,
            }
            for item_id, found in results.items()
            for r in found
        ]
        assert isinstance(store, SqlStorage)
        with store.engine.begin() as connection:
            connection.execute(insert(t.enrichments), rows)
        monkeypatch.setattr(sql_module, "MIGRATIONS", MIGRATIONS)
        monkeypatch.setattr(v016_item_facets, "CHUNK", 3)  # the items in two chunks
        assert store.migrate() == [m.version for m in MIGRATIONS[15:]]
        assert rows_of(store, ids[0]) == {("topic", TRADE, 0.8), ("country", "AZ", 2.0)}
        assert rows_of(store, ids[1]) == set() and rows_of(store, ids[2]) == set()  # failed, no facet
        assert rows_of(store, ids[3]) == {
            ("topic", ECONOMY, 0.6),
            ("topic", SPORT, 0.4),
            ("country", "KZ", 1.0),
        }
        assert [line.id for line in store.items_by_facet("topic", [SPORT, TRADE], NOW, 10).lines] == [
            ids[3],
            ids[0],
        ]
        assert store.facet_counts("country", NOW) == {"AZ": 1, "KZ": 1}
    finally:
        store.close()


def open_sqlite_hub(folder: Path) -> Hub:
    return create_hub(Settings(database_url=f"sqlite:///{folder / 'tabadol.sqlite3'}", data_dir=folder))


def test_a_restore_leaves_the_facets_to_the_enrichment_it_queues(hub: Hub, tmp_path: Path) -> None:
    """Facets are derived data, never backed up: a restored store has none until its items are
    enriched again (the restore queues them), and restoring does not trip over the table."""
    add_member(hub.storage, "irna")
    ids = wire(hub.storage)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    restored = open_sqlite_hub(tmp_path / "restored")
    try:
        restore_backup(restored, path)
        assert restored.storage.facet_counts("country", AFTER_EMBARGO) == {}
        assert restored.storage.queue_depth([ENRICH_JOB]) == len(ids)
        restored.storage.save_enrichment(ids["sport1"], [entities("place/aktau")], None)
        assert restored.storage.facet_counts("country", NOW) == {"KZ": 1}
        restore_backup(restored, path, force=True)  # again, over the rows now there
        assert restored.storage.facet_counts("country", NOW) == {"KZ": 1}
    finally:
        restored.close()
