"""Helpers for the backup tests: a store populated with every kind of record a backup carries."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from click.testing import Result

from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import Role, utc_now

RunCli = Callable[..., Result]


@dataclass(frozen=True)
class Populated:
    tokens: dict[str, str]  # label -> token of a live key
    revoked_key_id: str


def ninjs(uri: str, headline: str, language: str = "en", **extra: object) -> bytes:
    doc = {
        "uri": uri,
        "type": "text",
        "language": language,
        "headline": headline,
        "body_text": f"{headline}.",
        **extra,
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def populate(hub: Hub) -> Populated:
    """Every kind of record a backup carries: members, live and revoked keys, a polled feed, items
    with versions, a kill, an embargo, a plain-text original, and the audit entries they leave."""
    hub.add_member("irna", {"en": "IRNA", "fa": "ایرنا"}, "IR", ["fa", "en"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru"])
    _, editor = hub.issue_key("irna", Role.EDITOR, "Tehran desk")
    _, reader = hub.issue_key("tass", Role.READER, "Moscow reader")
    revoked, _ = hub.issue_key("tass", Role.EDITOR, "old desk")
    hub.revoke_key(revoked.key_id)
    now = utc_now()
    feed = hub.storage.add_feed("tass", "https://tass.example/rss", 600, now)
    hub.storage.update_feed_state(
        feed.id,
        etag='"v1"',
        last_modified=None,
        next_poll_at=now + timedelta(minutes=10),
        consecutive_errors=1,
        last_error="E402 fetch_failed: timeout",
        last_polled_at=now,
    )
    desk = hub.authenticate(editor)
    hub.ingest_payload("irna", ninjs("urn:irna:1", "Caspian summit opens"), None, via="http", actor=desk)
    hub.ingest_payload(
        "irna", ninjs("urn:irna:1", "Caspian summit opens in Tehran"), None, via="http", actor=desk
    )
    embargo = format_datetime(now + timedelta(days=1))
    hub.ingest_payload("irna", ninjs("urn:irna:2", "Budget", embargoed=embargo), None, via="http", actor=desk)
    hub.ingest_payload("tass", ninjs("urn:tass:1", "Саммит", "ru"), None, via="cli")
    hub.ingest_payload("tass", ninjs("urn:tass:1", "Саммит", "ru", pubStatus="canceled"), None, via="cli")
    text = "نشست خبرگزاری‌ها\n\nدر تهران برگزار شد.".encode()
    hub.ingest_payload("irna", text, "text/plain; charset=utf-8", via="folder")
    return Populated(tokens={"editor": editor, "reader": reader}, revoked_key_id=revoked.key_id)
