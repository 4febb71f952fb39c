"""Items and takes for the ledger page's tests: ninjs items pushed by a member, and takes recorded in
the ledger as the take endpoint records them."""

from __future__ import annotations

import json
from datetime import datetime

from tabadol.hub import Hub
from tabadol.types import Take

_ITEMS_LANGUAGE = object()  # record_take's default: the language the taken item has


def push(hub: Hub, member: str, guid: str, language: str) -> str:
    """Store a one-paragraph ninjs item of `member`; returns its id."""
    doc = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": f"Headline {guid}"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": f"Body of {guid}."}],
    }
    report = hub.ingest_payload(member, json.dumps(doc).encode(), "application/ninjs+json", via="test")
    return report.outcomes[0].item_id


def record_take(
    hub: Hub,
    taker: str,
    item_id: str,
    at: datetime,
    translated: bool,
    item_language: str | None | object = _ITEMS_LANGUAGE,
) -> None:
    """`taker` took the item's current version at `at`, into Russian when `translated`. The take
    records the item's language unless `item_language` says otherwise (None: not known)."""
    item = hub.readable_item(item_id)
    assert item is not None
    language = item.language if item_language is _ITEMS_LANGUAGE else item_language
    assert language is None or isinstance(language, str)
    hub.storage.record_take(
        Take(
            item_id=item.id,
            item_version=item.version,
            source_member=item.member_code,
            taker_member=taker,
            key_id=None,
            item_language=language,
            reader_language="ru" if translated else language or "en",
            translated=translated,
            taken_at=at,
        )
    )
