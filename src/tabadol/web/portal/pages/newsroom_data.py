"""The newsroom wire's reads: other members' items with the wire's filters, what changed since a
given point (the live stream), and the viewer's member's takes. A fixed, small number of queries per
page, whatever its length: the listing, then one batch each for takes and topics.

The wire is the item listing of storage/queries.py (the same filters, embargo rule and keyset
cursor), narrowed in two ways the public item listing has no use for: a member never sees its own
items on its wire, and a topic filter that includes the topic's narrower topics.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.enrich.topics_taxonomy import IPTC_SCHEME, iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import schema as t
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.storage.queries import filters, item_select, not_embargoed
from tabadol.storage.records import item_from_row
from tabadol.storage.sql import SqlStorage
from tabadol.types import Item, ItemQuery, Page, PubStatus, Take

WIRE_PAGE = 50
STREAM_BATCH = 50
KILLED_TAKES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class WireFilter:
    """What one wire shows. `viewer` is the user's member: its own items never appear on its wire."""

    viewer: str
    member: str | None = None
    language: str | None = None
    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class TopicLabel:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class KilledTake:
    """An item the viewer's member took that its source has since killed."""

    item_id: str
    member_code: str
    headline: str
    language: str | None
    killed_at: datetime
    taken_version: int


@dataclass(frozen=True, slots=True)
class DiffPart:
    """One run of a word diff: `op` is "same", "removed" or "added"."""

    op: str
    text: str


# -- queries ----------------------------------------------------------------------------------------
def _sql(storage: Any) -> SqlStorage:
    # Both backends are SqlStorage; the wire's queries read its tables directly, like storage does.
    if not isinstance(storage, SqlStorage):
        raise TypeError("the newsroom wire needs an SQL storage")
    return storage


def _read(storage: Any) -> Any:
    return _sql(storage).engine.connect()


def topic_codes(code: str) -> tuple[str, ...]:
    """The topic and every narrower topic of the shipped IPTC tree (an "economy" filter finds trade)."""
    topics = iptc_taxonomy().topics
    chosen = {code}
    grew = True
    while grew:
        more = {topic.code for topic in topics if topic.parent in chosen} - chosen
        chosen |= more
        grew = bool(more)
    return tuple(sorted(chosen))


def _topic_condition(code: str) -> ColumnElement[bool]:
    """Items whose stored topics name the code (or a narrower one). Topics are JSON written with
    sorted keys and the default separators (storage/records.to_json), so `"code": "<code>"` is exact;
    IPTC codes (`medtop:` + digits) need no LIKE escaping."""
    enrichments = t.enrichments.c
    matches = or_(*(enrichments.data.like(f'%"code": {json.dumps(each)}%') for each in topic_codes(code)))
    return (
        select(enrichments.item_id)
        .where(enrichments.item_id == t.items.c.id, enrichments.component == "topics", matches)
        .exists()
    )


def _conditions(wire: WireFilter, statuses: Sequence[PubStatus], now: datetime) -> list[ColumnElement[bool]]:
    query = ItemQuery(
        member_codes=(wire.member,) if wire.member else (),
        languages=(wire.language,) if wire.language else (),
        since=wire.since,
        until=wire.until,
        pub_statuses=tuple(statuses),
        now=now,
    )
    conditions = [*filters(query), t.items.c.member_code != wire.viewer]
    if wire.topic:
        conditions.append(_topic_condition(wire.topic))
    return conditions


def wire_page(storage: Any, wire: WireFilter, now: datetime, limit: int, cursor: str | None) -> Page:
    """Usable items of the other members, newest first, one page after `cursor` (keyset paging).
    Killed and withheld items are not on the wire; embargoed ones do not exist yet."""
    statement = item_select().where(*_conditions(wire, (PubStatus.USABLE,), now))
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        statement = statement.where(
            or_(
                t.items.c.version_created < after_time,
                and_(t.items.c.version_created == after_time, t.items.c.id < after_id),
            )
        )
    statement = statement.order_by(t.items.c.version_created.desc(), t.items.c.id.desc()).limit(limit + 1)
    with _read(storage) as connection:
        rows = connection.execute(statement).all()
    found = [item_from_row(row) for row in rows[:limit]]
    following = encode_cursor(found[-1].version_created, found[-1].id) if len(rows) > limit else None
    return Page(items=tuple(found), next_cursor=following)


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
    also the items whose embargo ended since then (stored earlier, so their counter is older). The
    time filters do not apply: what is new is new."""
    live = WireFilter(wire.viewer, wire.member, wire.language, wire.topic)
    items = t.items.c
    fresh: ColumnElement[bool] = items.seq > after_seq
    if released_after is not None:
        fresh = or_(fresh, and_(items.embargoed_until > released_after, items.embargoed_until <= now))
    statement = (
        item_select()
        .where(*_conditions(live, (PubStatus.USABLE, PubStatus.CANCELED), now), fresh)
        .order_by(items.seq)
        .limit(limit)
    )
    with _read(storage) as connection:
        return [item_from_row(row) for row in connection.execute(statement)]


def last_seq(storage: Any) -> int:
    """The hub's change counter now: a live stream started from here misses nothing after the page."""
    with _read(storage) as connection:
        return int(connection.execute(select(func.max(t.items.c.seq))).scalar() or 0)


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
    items, takes = t.items.c, t.takes.c
    statement = (
        select(
            items.id,
            items.member_code,
            items.headline,
            items.language,
            items.version_created,
            func.max(takes.item_version).label("taken_version"),
        )
        .join_from(t.items, t.takes, takes.item_id == items.id)
        .where(
            takes.taker_member == viewer,
            items.pub_status == PubStatus.CANCELED.value,
            not_embargoed(now),
        )
        .group_by(items.id, items.member_code, items.headline, items.language, items.version_created)
        .order_by(items.version_created.desc(), items.id.desc())
        .limit(limit)
    )
    with _read(storage) as connection:
        rows = connection.execute(statement).all()
    return [
        KilledTake(
            row.id, row.member_code, row.headline, row.language, row.version_created, row.taken_version
        )
        for row in rows
    ]


def topics_of(
    storage: Any, item_ids: Sequence[str], language: str, shown: int = 2
) -> dict[str, tuple[TopicLabel, ...]]:
    """The first IPTC topics enrichment gave each item, labelled in `language` (one query)."""
    labels = {topic.code: topic.label_in(language) for topic in iptc_taxonomy().topics}
    found: dict[str, tuple[TopicLabel, ...]] = {}
    for item_id, results in storage.enrichment_of(list(item_ids)).items():
        result = results.get("topics")
        if result is None or result.error is not None:
            continue
        codes = [
            str(topic.get("code"))
            for topic in result.data.get("topics", [])
            if topic.get("scheme") == IPTC_SCHEME and str(topic.get("code")) in labels
        ]
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
