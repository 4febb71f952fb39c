"""The store's search reads: the SQLite full-text index (migration 15) kept in step with items, new
versions and kills, and answers that never differ from the plain scan's."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.storage import fulltext
from tabadol.storage import search as search_rows
from tabadol.types import ItemQuery, PubStatus, utc_now

TEXTS = (
    ("Паром через Каспийское море", "Новая паромная линия свяжет Актау и Баку."),
    ("Ferry across the Caspian", "A new ferry line will link Aktau and Baku."),
    ("خط کشتیرانی جدید در دریای خزر", "یک خط کشتی‌رانی تازه آکتائو و باکو را به هم وصل می‌کند."),
    ("Xəzər dənizində yeni bərə xətti", "Yeni bərə xətti Aktau və Bakını birləşdirəcək."),
    ("Wheat harvest ends", "The harvest of wheat ended in the north of the country."),
)
TERMS = (("ferry",), ("каспийск",), ("كشتي",), ("bərə",), ("aktau", "baku"), ("the",), ("xyzzy",), ("ba",))


def push(hub: Hub, guid: str, headline: str, body: str, minutes: int) -> str:
    document = {
        "uri": guid,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versionCreated": format_datetime(utc_now() - timedelta(minutes=minutes)),
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id


@pytest.fixture
def items(hub: Hub) -> list[str]:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa", "en"])
    return [push(hub, f"urn:t:{n}", head, body, 60 - n) for n, (head, body) in enumerate(TEXTS)]


def found(hub: Hub, terms: tuple[str, ...], limit: int = 10) -> list[str]:
    query = ItemQuery(pub_statuses=(PubStatus.USABLE,), now=utc_now())
    return [head.id for head in hub.storage.match_heads(query, terms, limit)]


def test_the_index_answers_as_the_scan_does(
    hub: Hub, items: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_rows, "RECENT_WINDOW", 2)  # past the newest two: through the index
    indexed = {terms: found(hub, terms) for terms in TERMS}
    for limit in (1, 2, 3):
        assert [found(hub, terms, limit) for terms in TERMS] == [indexed[t][:limit] for t in TERMS]
    monkeypatch.setattr(fulltext, "has_index", lambda connection: False)
    assert {terms: found(hub, terms) for terms in TERMS} == indexed
    assert indexed[("ferry",)] == [items[1]] and indexed[("aktau", "baku")] == [items[1]]
    assert indexed[("كشتي",)] == [items[2]]  # Arabic kaf and yeh find the Persian spelling
    assert indexed[("the",)] == [items[4], items[1]] and indexed[("xyzzy",)] == []


def test_the_index_follows_new_versions_and_kills(
    hub: Hub, items: list[str], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_rows, "RECENT_WINDOW", 1)
    push(hub, "urn:t:1", "Ferry line postponed", "The Aktau line to Baku starts next year.", 1)
    assert found(hub, ("postponed",)) == [items[1]] and found(hub, ("across",)) == []
    hub.kill_item(items[1], OPERATOR)
    assert found(hub, ("postponed",)) == [] and found(hub, ("ferry",)) == []
    if backend == "sqlite":
        with hub.storage.engine.connect() as connection:  # type: ignore[attr-defined]
            rows = connection.execute(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH '\"ferry\"'")
            )
            assert rows.scalar() == 1  # the kill notice still names the ferry; the old versions are gone
            assert fulltext.has_index(connection)
