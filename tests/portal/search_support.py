"""Helpers for the search and digest page tests: members, FLORES dispatches pushed as ninjs with their
times, the full enrichment (language, entities, topics, vectors, stories), and HTML parsing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html

import tabadol.demo
from tabadol.enrich.registry import default_pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.hub import Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.serialize import format_datetime
from tabadol.types import utc_now

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
MEMBERS = {
    "irna": ("IR", ("fa", "en"), {"en": "IRNA", "fa": "ایرنا", "ru": "ИРНА"}),
    "tass": ("RU", ("ru", "en"), {"en": "TASS", "ru": "ТАСС", "fa": "تاس"}),
    "azertac": ("AZ", ("az", "ru"), {"en": "AzerTAc", "az": "AZƏRTAC"}),
}


class MovableClock:
    """Real time plus an offset the test sets (embargoes pass, days change, without sleeping)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset


def flores(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index == number:
                return dict(json.loads(line)["text"])
    raise AssertionError(number)


def split(text: str) -> tuple[str, str]:
    """A FLORES article as headline (its first sentence) and body (the rest)."""
    for mark in (". ", "。", "؟ ", "? "):
        head, found, rest = text.partition(mark)
        if found and rest:
            return head.strip(), rest.strip()
    return text, text


def add_members(hub: Hub) -> None:
    for code, (country, languages, names) in MEMBERS.items():
        hub.add_member(code, names, country, languages)


def push(hub: Hub, member: str, guid: str, text: str, language: str, at: datetime, **extra: Any) -> str:
    headline, body = split(text)
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versionCreated": format_datetime(at),
        **extra,
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


def enrich(hub: Hub) -> None:
    """Every queued item through the default pipeline and the index stage (vectors, stories)."""
    worker = QueueWorker(Enricher(hub.storage, default_pipeline(), StorageIndexStage(hub.storage)), name="t")
    worker.drain()


def cross_lingual_corpus(hub: Hub) -> dict[str, str]:
    """FLORES article 0 in Persian, Russian and Azerbaijani, article 1 in English, pushed by four
    members over twenty minutes and enriched; their ids by "fa", "ru", "az" and "en1"."""
    add_members(hub)
    now = utc_now() - timedelta(hours=1)
    first, second = flores(0), flores(1)
    ids = {
        "fa": push(hub, "irna", "urn:irna:0", first["fa"], "fa", now),
        "ru": push(hub, "tass", "urn:tass:0", first["ru"], "ru", now + timedelta(minutes=5)),
        "az": push(hub, "azertac", "urn:azertac:0", first["az"], "az", now + timedelta(minutes=9)),
        "en1": push(hub, "tass", "urn:tass:1", second["en"], "en", now + timedelta(minutes=20)),
    }
    enrich(hub)
    return ids


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def by_class(root: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    return list(root.xpath(f'.//*[contains(concat(" ", normalize-space(@class), " "), " {name} ")]'))


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())
