"""PostgreSQL without pg_trgm (the bundled server): migration 17's index over the search text's
trigrams narrows the substring search, and the answers stay exactly the LIKE scan's, wildcards, short
patterns, phrases and every script included."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.storage import fulltext
from tabadol.storage import schema as t
from tabadol.storage.migrations.v017_search_trigrams import TRIGRAMS_INDEX
from tabadol.types import ItemQuery, PubStatus, utc_now

TEXTS = {
    "urn:g:fa": ("نشست خبرگزاری‌ها در تهران", "خبرگزاري ايرنا گزارش داد كه ۱۴۰۳ سال خوبي بود."),
    "urn:g:ru": ("Встреча в Москве", "Паромная линия свяжет Актау и Баку."),
    "urn:g:kk": ("Astana: 100% ready_now", "Price 50%_off, tag a-t and a%t."),
    "urn:g:en": ("Ferry across the Caspian", "A new ferry line will link Aktaudan and Baku."),
    "urn:g:tk": ("Aşgabatda duşuşyk", "Türkmenistanyň wekilleri ýygnandy."),
}
# Each pattern with the guids whose text holds it, newest first.
PATTERNS: dict[str, list[str]] = {
    "встреча в москве": ["urn:g:ru"],
    "خبرگزاری": ["urn:g:fa"],  # Arabic kaf and yeh meet the Persian ones in the search form
    "1403": ["urn:g:fa"],
    "aktau": ["urn:g:en"],  # inside a longer word: a whole-word index would miss it
    "ferry line": ["urn:g:en"],
    "y line w": ["urn:g:en"],  # across word boundaries
    "100%": ["urn:g:kk"],
    "a%t": ["urn:g:kk"],
    "a_t": [],
    "y_n": ["urn:g:kk"],
    "ýygn": ["urn:g:tk"],
    "ba": ["urn:g:tk", "urn:g:en"],  # under three characters: no trigram, the scan alone
    "baku": ["urn:g:en"],  # the Russian item writes Баку
    "баку": ["urn:g:ru"],
    "xyzzy": [],
}


@pytest.fixture
def pg_hub(hub: Hub, backend: str) -> Hub:
    if backend != "postgres":
        pytest.skip("PostgreSQL's index (SQLite has FTS5: test_text_index.py)")
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa", "ru", "kk", "en", "tk"])
    for n, (guid, (headline, body)) in enumerate(TEXTS.items()):
        document = {
            "uri": guid,
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
            "versionCreated": format_datetime(utc_now() - timedelta(minutes=60 - n)),
        }
        hub.ingest_payload(
            "irna", json.dumps(document, ensure_ascii=False).encode(), "application/ninjs+json", via="t"
        )
    return hub


def listed(hub: Hub, pattern: str) -> list[str]:
    return [item.guid for item in hub.list_items(ItemQuery(text=pattern, now=utc_now()), 10).items]


def matched(hub: Hub, terms: tuple[str, ...]) -> list[str]:
    heads = hub.storage.match_heads(ItemQuery(pub_statuses=(PubStatus.USABLE,), now=utc_now()), terms, 10)
    guids = {item.id: item.guid for item in hub.storage.get_items([head.id for head in heads]).values()}
    return [guids[head.id] for head in heads]


def test_answers_are_the_scans_with_or_without_the_index(
    pg_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_hub.storage.engine.connect() as connection:  # type: ignore[attr-defined]
        assert fulltext.has_trigram_index(connection)  # the bundled server has no pg_trgm
    assert {pattern: listed(pg_hub, pattern) for pattern in PATTERNS} == PATTERNS
    assert {pattern: matched(pg_hub, (pattern,)) for pattern in PATTERNS} == PATTERNS
    assert matched(pg_hub, ("aktau", "baku")) == ["urn:g:en"]
    assert matched(pg_hub, ("aktau", "ba")) == ["urn:g:en"]
    with monkeypatch.context() as patched:
        patched.setattr(fulltext, "SELECTIVE", 1)  # every pattern found "common": read by the scan
        with pg_hub.storage.engine.connect() as connection:  # type: ignore[attr-defined]
            assert fulltext.trigram_prefilter(connection, ("aktau",)) is None
            assert fulltext.trigram_prefilter(connection, ("xyzzy",)) is not None  # in no item
        assert {pattern: listed(pg_hub, pattern) for pattern in PATTERNS} == PATTERNS
        assert {pattern: matched(pg_hub, (pattern,)) for pattern in PATTERNS} == PATTERNS
    monkeypatch.setattr(fulltext, "has_trigram_index", lambda connection: False)
    assert {pattern: listed(pg_hub, pattern) for pattern in PATTERNS} == PATTERNS


def test_the_index_follows_new_versions(pg_hub: Hub) -> None:
    document = {
        "uri": "urn:g:en",
        "headlines": [{"role": "main", "value": "Ferry line postponed"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "The line starts next year."}],
        "versionCreated": format_datetime(utc_now()),
    }
    pg_hub.ingest_payload("irna", json.dumps(document).encode(), "application/ninjs+json", via="t")
    assert listed(pg_hub, "postponed") == ["urn:g:en"] and listed(pg_hub, "aktau") == []


def test_the_planner_reads_the_index(pg_hub: Hub) -> None:
    with pg_hub.storage.engine.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text("SET enable_seqscan = off"))  # a table this small is scanned otherwise
        condition = fulltext.trigram_prefilter(connection, ("Aktau", "baku"))
        assert condition is not None
        assert fulltext.trigram_prefilter(connection, ("ba", " x ")) is None  # nothing to look up
        query = select(t.items.c.id).where(condition)
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))
        assert TRIGRAMS_INDEX in plan, plan
        assert len(connection.execute(query).all()) == 1


def test_migrations_run_without_the_drivers_socket_timeout(pg_hub: Hub) -> None:
    # Building migration 17's index sends nothing back for a minute or more on a large store: the
    # request connections' socket timeout (there to notice a dead server) must not apply to it.
    storage = pg_hub.storage
    with storage.engine.connect() as connection:  # type: ignore[attr-defined]
        assert connection.connection.dbapi_connection._usock.gettimeout() is not None  # type: ignore[union-attr]
    with storage._migrating() as connection:  # type: ignore[attr-defined]
        assert connection.connection.dbapi_connection._usock.gettimeout() is None  # type: ignore[union-attr]
        assert connection.execute(text("SELECT pg_try_advisory_xact_lock(1)")).scalar() is True
