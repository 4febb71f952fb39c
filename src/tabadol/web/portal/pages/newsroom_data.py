"""The newsroom wire's reads: other members' items with the wire's filters, what changed since a
given point (the live stream), and the viewer's member's takes. A fixed, small number of queries per
page, whatever its length: the listing, then one batch each for takes and topics (the store's item
facets, storage/facets.py).

The wire's queries are the store's (Storage.wire_page, wire_changes, last_item_seq, killed_takes in
storage/wire.py, with WireFilter and KilledTake): the item listing's filters, embargo rule and keyset
cursor, narrowed in two ways the public item listing has no use for: a member never sees its own
items on its wire, and a topic filter includes the topic's narrower topics.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tabadol.enrich.facets import TOPIC
from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.cursor import decode_cursor
from tabadol.storage.wire import KilledTake as KilledTake
from tabadol.storage.wire import WireFilter as WireFilter
from tabadol.types import Item, Page, Take

WIRE_PAGE = 50
STREAM_BATCH = 50
KILLED_TAKES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class TopicLabel:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class DiffPart:
    """One run of a word diff: `op` is "same", "removed" or "added"."""

    op: str
    text: str


# -- queries (the store's wire reads, Storage.wire_page and the rest; storage/wire.py) -------------
def wire_page(storage: Any, wire: WireFilter, now: datetime, limit: int, cursor: str | None) -> Page:
    """Usable items of the other members, newest first, one page after `cursor` (keyset paging).
    Killed and withheld items are not on the wire; embargoed ones do not exist yet."""
    page: Page = storage.wire_page(wire, now, limit, cursor)
    return page


def wire_changes(
    storage: Any,
    wire: WireFilter,
    now: datetime,
    after_seq: int,
    limit: int,
    released_after: datetime | None = None,
) -> list[Item]:
    """What reached the wire after the hub's change counter stood at `after_seq`, oldest first: new
    items, new versions (corrections) and kills (the live stream's events); with `released_after`,
    also the items whose embargo ended since then. The time filters do not apply: what is new is new."""
    changes: list[Item] = storage.wire_changes(wire, now, after_seq, limit, released_after)
    return changes


def last_seq(storage: Any) -> int:
    """The hub's change counter now: a live stream started from here misses nothing after the page."""
    return int(storage.last_item_seq())


def taken_versions(storage: Any, viewer: str, item_ids: Sequence[str]) -> dict[str, Take]:
    """The viewer's member's latest take of each of the items (one query for the whole page)."""
    latest: dict[str, Take] = {}
    for take in storage.takes_of_items(list(item_ids)):  # oldest first: later takes overwrite
        if take.taker_member == viewer:
            latest[take.item_id] = take
    return latest


def killed_takes(
    storage: Any, viewer: str, now: datetime, limit: int = KILLED_TAKES_SHOWN
) -> list[KilledTake]:
    """Items the viewer's member took that were killed since, most recent kill first."""
    killed: list[KilledTake] = storage.killed_takes(viewer, now, limit)
    return killed


def topics_of(
    storage: Any, item_ids: Sequence[str], language: str, shown: int = 2
) -> dict[str, tuple[TopicLabel, ...]]:
    """The best IPTC topics of each item (its topic facets), labelled in `language` (one query)."""
    labels = {topic.code: topic.label_in(language) for topic in iptc_taxonomy().topics}
    found: dict[str, tuple[TopicLabel, ...]] = {}
    for item_id, facets in storage.item_facets(list(item_ids)).items():
        codes = [code for code, _ in facets.get(TOPIC, ()) if code in labels]
        found[item_id] = tuple(TopicLabel(code, labels[code]) for code in codes[:shown])
    return found


# -- what changed since a take ----------------------------------------------------------------------
_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[DiffPart]:
    """The changes from `before` to `after`, word by word (spaces kept), as same/removed/added runs."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    parts: list[DiffPart] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(DiffPart("same", "".join(old[a1:a2])))
            continue
        if a2 > a1:
            parts.append(DiffPart("removed", "".join(old[a1:a2])))
        if b2 > b1:
            parts.append(DiffPart("added", "".join(new[b1:b2])))
    return parts


def changed(parts: Iterable[DiffPart]) -> bool:
    return any(part.op != "same" for part in parts)


def parse_cursor(cursor: str | None) -> str | None:
    """A cursor from the URL, checked early so a bad one is a clear 400 rather than a broken page."""
    if not cursor:
        return None
    try:
        decode_cursor(cursor)
    except TabadolError:
        raise TabadolError(ErrorCode.INVALID_CURSOR) from None
    return cursor
