"""The text filter (`ItemQuery.text`) through SQLite's full-text index (migration 15): the index stays
in step with every write of the search text (ingest, new versions, kills, restores, a store migrated
with items in it), and the answers are exactly the LIKE scan's, with or without the index; PostgreSQL
keeps its own path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

import tabadol.storage.sql as sql_module
from tabadol.backup import restore_backup, write_backup
from tabadol.config import Settings
from tabadol.hub import OPERATOR, Hub, create_hub
from tabadol.serialize import format_datetime
from tabadol.storage import fulltext
from tabadol.storage import schema as t
from tabadol.storage.migrations import MIGRATIONS
from tabadol.storage.sql import SqlStorage
from tabadol.types import ItemQuery, utc_now

TEXTS = {
    "urn:t:fa": ("نشست خبرگزاری‌ها در تهران", "خبرگزاري ايرنا گزارش داد كه ۱۴۰۳ سال خوبي بود."),
    "urn:t:ar": ("القمة في طهران", "قالت وكالة الأنباء إن الاجتماع سيعقد غدا."),
    "urn:t:ru": ("Встреча в Москве", "Паромная линия свяжет Актау и Баку."),
    "urn:t:kk": ("Astana: 100% ready_now", "Price 50%_off, tag a-t and a%t."),
    "urn:t:en": ("Ferry across the Caspian", "A new ferry line will link Aktau and Baku."),
}
# Each with the guids it must find, newest first (the order the store lists in).
PATTERNS: dict[str, list[str]] = {
    "встреча": ["urn:t:ru"],  # case folded in the search form
    "ВСТРЕЧА В МОСКВЕ": ["urn:t:ru"],
    "خبرگزاری": ["urn:t:fa"],  # the Arabic kaf/yeh and ZWNJ spellings meet in the search form
    "خبرگزاري ايرنا": ["urn:t:fa"],
    "1403": ["urn:t:fa"],  # Persian digits
    "طهران": ["urn:t:ar"],
    "aktau": ["urn:t:en"],  # the Russian item spells it in Cyrillic
    "баку": ["urn:t:ru"],
    "100%": ["urn:t:kk"],  # wildcards are literal
    "0% r": ["urn:t:kk"],
    "y_n": ["urn:t:kk"],
    "a_t": [],
    "a%t": ["urn:t:kk"],
    "%_o": ["urn:t:kk"],
    "\\%_": [],
    '"ferry"': [],  # a double quote is a character, not FTS5 syntax
    "%": ["urn:t:kk"],  # under three characters: the scan
    "_": ["urn:t:kk"],
    "sp": ["urn:t:en"],
    "в": ["urn:t:ru"],
    "در": ["urn:t:fa"],
    "xyzzy": [],
}


def push(hub: Hub, guid: str, headline: str, body: str, minutes: int) -> str:
    document = {
        "uri": guid,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versionCreated": format_datetime(utc_now() - timedelta(minutes=minutes)),
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id


def open_hub(folder: Path) -> Hub:
    return create_hub(Settings(database_url=f"sqlite:///{folder / 'tabadol.sqlite3'}", data_dir=folder))


def fill(hub: Hub) -> dict[str, str]:
    """The TEXTS, oldest first; guid -> item id."""
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa", "ar", "ru", "kk", "en"])
    return {guid: push(hub, guid, head, body, 60 - n) for n, (guid, (head, body)) in enumerate(TEXTS.items())}


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Hub]:
    created = open_hub(tmp_path / "hub")
    yield created
    created.close()


def guids(hub: Hub, pattern: str) -> list[str]:
    return [item.guid for item in hub.list_items(ItemQuery(text=pattern, now=utc_now()), 10).items]


def engine_of(hub: Hub) -> SqlStorage:
    assert isinstance(hub.storage, SqlStorage)
    return hub.storage


def assert_index_agrees(hub: Hub) -> None:
    """FTS5's own check of the index against its content table (items): fails when a row is
    missing, stale or extra."""
    with engine_of(hub).engine.begin() as connection:
        assert fulltext.has_index(connection)
        connection.execute(text("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)"))


def index_finds(hub: Hub, word: str) -> int:
    """How many rows the index alone matches for `word`."""
    with engine_of(hub).engine.connect() as connection:
        rows = connection.execute(
            text("SELECT count(*) FROM items_fts WHERE items_fts MATCH :phrase"),
            {"phrase": fulltext.fts_query(word)},
        )
        return int(rows.scalar_one())


# -- the same answers -------------------------------------------------------------------------------


def test_text_filter_answers_as_the_scan_does(sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(sqlite_hub)
    assert {pattern: guids(sqlite_hub, pattern) for pattern in PATTERNS} == PATTERNS
    monkeypatch.setattr(fulltext, "has_index", lambda connection: False)
    assert {pattern: guids(sqlite_hub, pattern) for pattern in PATTERNS} == PATTERNS


def test_the_index_serves_patterns_of_three_characters_or_more(sqlite_hub: Hub) -> None:
    fill(sqlite_hub)
    with engine_of(sqlite_hub).engine.connect() as connection:
        for pattern in PATTERNS:
            indexed = fulltext.narrowing(connection, pattern) is not None
            assert indexed == (len(pattern.strip()) >= fulltext.TRIGRAM), pattern
        lookup = text("EXPLAIN QUERY PLAN SELECT rowid FROM items_fts WHERE items_fts MATCH :q")
        plan = " | ".join(row[3] for row in connection.execute(lookup, {"q": '"линия"'}))
        assert "items_fts VIRTUAL TABLE INDEX 0:M" in plan, plan  # MATCH answered by the index
        condition = fulltext.narrowing(connection, "Паромная линия")
        assert condition is not None
        query = select(t.items.c.id).where(condition)
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "SEARCH items USING INDEX" in plan, plan  # the matches' items by seq: no scan of items
        assert len(connection.execute(query).all()) == 1


def test_long_patterns_are_looked_up_by_pieces_and_decided_by_like(sqlite_hub: Hub) -> None:
    fill(sqlite_hub)
    body = (
        "Паромная линия свяжет Актау и Баку, а затем Туркменбаши, Баку и Махачкалу; "
        "рейсы будут дважды в неделю, сообщил перевозчик."
    )
    push(sqlite_hub, "urn:t:long", "Новая линия", body, 1)
    assert len(body) > fulltext.LONGEST + 2  # room between the pieces
    match = fulltext.fts_query(body)
    assert match is not None and match.count(" AND ") == 2
    assert guids(sqlite_hub, body) == ["urn:t:long"]
    assert guids(sqlite_hub, f"новая линия {body}") == ["urn:t:long"]  # headline and body, as stored
    # A letter changed between the pieces: the index still offers the item, LIKE refuses it.
    changed = body[: fulltext.PIECE] + "Ж" + body[fulltext.PIECE + 1 :]
    with engine_of(sqlite_hub).engine.connect() as connection:
        offered = connection.execute(
            text("SELECT count(*) FROM items_fts WHERE items_fts MATCH :q"),
            {"q": fulltext.fts_query(changed)},
        )
        assert offered.scalar_one() == 1
    assert guids(sqlite_hub, changed) == []


def test_common_patterns_are_left_to_the_scan(sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(sqlite_hub)
    monkeypatch.setattr(fulltext, "SELECTIVE", 2)
    with engine_of(sqlite_hub).engine.connect() as connection:
        assert fulltext.narrowing(connection, "ferry") is not None  # in one item
    push(sqlite_hub, "urn:t:en2", "Another ferry", "Ferry lines again.", 1)
    with engine_of(sqlite_hub).engine.connect() as connection:
        assert fulltext.narrowing(connection, "ferry") is None  # in SELECTIVE items: scanned
    assert guids(sqlite_hub, "ferry") == ["urn:t:en2", "urn:t:en"]


# -- the index in step with every write ----------------------------------------------------------------


def test_the_index_follows_new_versions_and_kills(sqlite_hub: Hub) -> None:
    ids = fill(sqlite_hub)
    assert_index_agrees(sqlite_hub)
    push(sqlite_hub, "urn:t:en", "Ferry line postponed", "The Aktau line to Baku starts next year.", 1)
    assert_index_agrees(sqlite_hub)
    assert guids(sqlite_hub, "postponed") == ["urn:t:en"] and guids(sqlite_hub, "caspian") == []
    assert index_finds(sqlite_hub, "caspian") == 0  # the old version's text left the index
    sqlite_hub.kill_item(ids["urn:t:ru"], OPERATOR)
    assert_index_agrees(sqlite_hub)
    assert guids(sqlite_hub, "паромная") == [] and index_finds(sqlite_hub, "паромная") == 0


def test_a_restored_backup_has_the_index(sqlite_hub: Hub, tmp_path: Path) -> None:
    fill(sqlite_hub)
    push(sqlite_hub, "urn:t:en", "Ferry line postponed", "The Aktau line to Baku starts next year.", 1)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(sqlite_hub, path)
    restored = open_hub(tmp_path / "restored")
    try:
        restore_backup(restored, path)
        assert_index_agrees(restored)
        for pattern in ("postponed", "caspian", "خبرگزاری", "встреча", "100%"):
            assert guids(restored, pattern) == guids(sqlite_hub, pattern), pattern
        assert index_finds(restored, "postponed") == 1 and index_finds(restored, "caspian") == 0
    finally:
        restored.close()


def test_a_store_with_items_gets_the_index_when_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_module, "MIGRATIONS", MIGRATIONS[:14])
    hub = open_hub(tmp_path / "old")
    try:
        fill(hub)
        with engine_of(hub).engine.connect() as connection:
            assert not fulltext.has_index(connection)
            assert fulltext.narrowing(connection, "встреча") is None
        before = {pattern: guids(hub, pattern) for pattern in PATTERNS}
        monkeypatch.setattr(sql_module, "MIGRATIONS", MIGRATIONS)
        assert hub.storage.migrate() == [m.version for m in MIGRATIONS[14:]]
        assert_index_agrees(hub)
        with engine_of(hub).engine.connect() as connection:
            assert fulltext.narrowing(connection, "встреча") is not None
        assert {pattern: guids(hub, pattern) for pattern in PATTERNS} == before == PATTERNS
    finally:
        hub.close()


# -- PostgreSQL: its own index ----------------------------------------------------------------------


def test_every_backend_answers_the_same(hub: Hub, backend: str) -> None:
    fill(hub)
    assert {pattern: guids(hub, pattern) for pattern in PATTERNS} == PATTERNS
    with engine_of(hub).engine.connect() as connection:
        # PostgreSQL without pg_trgm (the bundled server): migration 17's trigram index narrows.
        assert fulltext.has_index(connection) == (backend == "sqlite")
        assert fulltext.has_trigram_index(connection) == (backend != "sqlite")
        assert fulltext.narrowing(connection, "встреча") is not None
