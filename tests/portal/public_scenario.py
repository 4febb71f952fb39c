"""A small exchange for the public pages' tests: three members writing one story in Persian, Russian
and Azerbaijani, with topics and places as the enrichment records them, a kill, an embargo, and a
second story reported by one member only. Stories are placed directly in the index (what the
enrichment's index stage would do), so the tests need no model."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import lxml.html
import numpy as np
from fastapi.testclient import TestClient

from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.storage import index
from tabadol.types import ComponentResult, IndexEntry, utc_now
from tabadol.web.app import create_app

TRANSPORT = "medtop:20000337"
ECONOMY_BUSINESS = "medtop:04000000"
CULTURE = "medtop:20000038"
ARTS = "medtop:01000000"


@dataclass
class Clock:
    """The instant the app judges embargoes against; tests move it."""

    now: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Exchange:
    hub: Hub
    clock: Clock
    story: str  # the three-member story
    fa: str
    ru: str
    az: str
    killed: str  # TASS's item, killed after it joined the story
    embargoed: str  # AzerTAc's item under embargo for an hour, in the story
    solo_story: str  # a story only IRNA reported
    solo: str
    at: datetime


def push(
    hub: Hub, member: str, guid: str, language: str, headline: str, body: str, at: datetime, **extra: Any
) -> str:
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versionCreated": format_datetime(at),
        **extra,
    }
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    report = hub.ingest_payload(member, data, "application/ninjs+json", via="cli")
    return report.outcomes[0].item_id


def enrich(hub: Hub, item_id: str, topics: list[tuple[str, float]], places: list[str]) -> None:
    """Store what the topics and entities components would have found."""
    now = utc_now()
    topic_data = {"topics": [{"scheme": "iptc", "code": c, "label": c, "score": s} for c, s in topics]}
    entities = {
        "entities": [
            {
                "id": place,
                "kind": "place",
                "name": place,
                "surface": place,
                "start": 0,
                "end": 1,
                "source": "t",
            }
            for place in places
        ]
    }
    results = [
        ComponentResult("topics", "t", 1, topic_data, None, now),
        ComponentResult("entities", "t", 1, entities, None, now),
    ]
    hub.storage.save_enrichment(item_id, results, None)


def place(hub: Hub, item_id: str, member: str, language: str, at: datetime, story_id: str | None) -> str:
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    entry = IndexEntry(item_id, 1, "test", member, language, at, vector)
    with hub.storage.index_transaction() as connection:
        index.save_entry(connection, entry)
        return index.put_in_story(connection, item_id, story_id, (), 5.0, at, utc_now())


def build(hub: Hub) -> Exchange:
    hub.add_member("irna", {"en": "IRNA", "fa": "ایرنا", "ru": "ИРНА"}, "IR", ["fa", "en"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС", "fa": "تاس"}, "RU", ["ru", "en"])
    hub.add_member("azertac", {"en": "AzerTAc", "az": "AzərTAc"}, "AZ", ["az", "en"])
    at = utc_now() - timedelta(minutes=30)
    fa = push(
        hub,
        "irna",
        "urn:irna:1",
        "fa",
        "خط کشتیرانی تازه در دریای خزر",
        "کشتی از بندر انزلی\n\nراه افتاد",
        at,
    )
    ru = push(
        hub,
        "tass",
        "urn:tass:1",
        "ru",
        "Новая паромная линия на Каспии",
        "Паром вышел из Астрахани.",
        at + timedelta(minutes=5),
    )
    az = push(
        hub,
        "azertac",
        "urn:az:1",
        "az",
        "Xəzərdə yeni bərə xətti",
        "Bərə Bakıdan yola düşdü.",
        at + timedelta(minutes=9),
    )
    killed = push(
        hub, "tass", "urn:tass:2", "ru", "Ошибочное сообщение о пароме", "Текст.", at + timedelta(minutes=11)
    )
    later = format_datetime(utc_now() + timedelta(hours=1))
    embargoed = push(
        hub,
        "azertac",
        "urn:az:2",
        "az",
        "Embarqolu bərə xəbəri",
        "Gizli mətn.",
        at + timedelta(minutes=12),
        embargoed=later,
    )
    story = place(hub, fa, "irna", "fa", at, None)
    for item_id, member, language, minutes in (
        (ru, "tass", "ru", 5),
        (az, "azertac", "az", 9),
        (killed, "tass", "ru", 11),
        (embargoed, "azertac", "az", 12),
    ):
        place(hub, item_id, member, language, at + timedelta(minutes=minutes), story)
    transport = [(ECONOMY_BUSINESS, 0.8), (TRANSPORT, 0.7)]
    enrich(hub, fa, transport, ["place/bandar-anzali", "place/caspian-sea"])
    enrich(hub, ru, transport, ["place/astrakhan"])
    enrich(hub, az, transport, ["place/baku"])
    enrich(hub, killed, transport, ["place/astrakhan"])
    enrich(hub, embargoed, transport, ["place/baku", "place/kazakhstan"])
    hub.kill_item(killed, OPERATOR)
    solo = push(hub, "irna", "urn:irna:2", "fa", "جشنواره فیلم در تهران", "فیلم‌ها", at + timedelta(minutes=2))
    enrich(hub, solo, [(ARTS, 0.9), (CULTURE, 0.8)], ["place/tehran"])
    solo_story = place(hub, solo, "irna", "fa", at + timedelta(minutes=2), None)
    return Exchange(hub, Clock(), story, fa, ru, az, killed, embargoed, solo_story, solo, at)


def client(exchange: Exchange, **options: Any) -> Iterator[TestClient]:
    app = create_app(exchange.hub, clock=exchange.clock, **options)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def page(test_client: TestClient, path: str) -> Any:
    response = test_client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[-800:])
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def classes(tree: Any, name: str) -> list[Any]:
    return list(tree.find_class(name))


Fetch = Callable[[str], Any]
