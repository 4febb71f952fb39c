"""The public pages' batched reads (Storage.readable_items, readable_item_rows, item_rows_page,
stories_in_window, readable_stories, latest_story_activity, provenance_of_items, versions_of_items,
translations_of_heads, kills_in_story): a few set-based queries, so a page costs a handful of round
trips whatever it shows (a page of 50 items never runs 50 queries). Functions of an open connection,
in SQLAlchemy Core for both backends (storage/sql.py opens the connection).

The reads of items and stories apply the public reading rule (`readable`): nothing under embargo at
`now` (not even its existence), nothing killed. Reads keyed by items the caller already read
(provenance, versions, translations) leave the rule to the caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.storage import index
from tabadol.storage import schema as t
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.storage.provenance import recorded_provenance_from_row
from tabadol.storage.queries import item_select, not_embargoed
from tabadol.storage.records import item_from_row
from tabadol.types import Item, PubStatus, Story
from tabadol.verify.provenance import RecordedProvenance

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ItemRow:
    """What a list shows of an item: no body, so lists stay cheap."""

    id: str
    member: str
    language: str | None
    headline: str
    at: datetime  # the sender's version time
    version: int


@dataclass(frozen=True, slots=True)
class RowPage:
    rows: tuple[ItemRow, ...]
    next_cursor: str | None  # an opaque keyset cursor (storage/cursor.py); None on the last page


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One stored version of an item: when the hub received it and what was parsed from it."""

    item_id: str
    version: int
    received_at: datetime
    parsed: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DayStory:
    """A story active in a window, as counted from its readable items (no items loaded)."""

    id: str
    members: int  # distinct members among its readable items: the most corroboration it can have
    items: int
    last: datetime  # its latest readable item


def readable(now: datetime) -> ColumnElement[bool]:
    """The public reading rule: not under embargo at `now`, not killed."""
    return and_(not_embargoed(now), t.items.c.pub_status != PubStatus.CANCELED.value)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


# -- items ----------------------------------------------------------------------------------------


def items_by_id(connection: Connection, item_ids: Sequence[str], now: datetime) -> dict[str, Item]:
    """The readable items among `item_ids`, with their bodies."""
    found: dict[str, Item] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        rows = connection.execute(item_select().where(t.items.c.id.in_(chunk), readable(now)))
        found.update({row.id: item_from_row(row) for row in rows})
    return found


def item_rows_by_id(connection: Connection, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRow]:
    """The readable items among `item_ids`, as list rows."""
    found: dict[str, ItemRow] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        query = _row_select().where(t.items.c.id.in_(chunk), readable(now))
        found.update({row.id: _item_row(row) for row in connection.execute(query)})
    return found


def item_rows_page(
    connection: Connection, now: datetime, limit: int, cursor: str | None, member: str | None
) -> RowPage:
    """Readable items newest first (of `member` if given), one page after `cursor`."""
    i = t.items.c
    query = _row_select().where(readable(now))
    if member is not None:
        query = query.where(i.member_code == member)
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(i.version_created < after_time, and_(i.version_created == after_time, i.id < after_id))
        )
    query = query.order_by(i.version_created.desc(), i.id.desc()).limit(limit + 1)
    rows = [_item_row(row) for row in connection.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].at, rows[-1].id) if more and rows else None
    return RowPage(tuple(rows), next_cursor)


def _row_select() -> Any:
    i = t.items.c
    return select(i.id, i.member_code, i.language, i.headline, i.version_created, i.version)


def _item_row(row: Any) -> ItemRow:
    return ItemRow(row.id, row.member_code, row.language, row.headline, row.version_created, row.version)


# -- stories ------------------------------------------------------------------------------------------


def stories_in_window(
    connection: Connection, start: datetime, end: datetime, now: datetime
) -> list[DayStory]:
    """Live stories whose latest readable item falls in [start, end), counted in one query."""
    s, si, i = t.stories.c, t.story_items.c, t.items.c
    last = func.max(i.version_created)
    # The stored span covers every item of a story (embargoed ones too): a cheap bound on the
    # stories' last_seen index; the readable items decide below. The candidates are a subquery so
    # the database starts from them, not from every story's items.
    live = select(s.id).where(s.merged_into.is_(None), s.last_seen >= start, s.first_seen < end)
    query = (
        select(si.story_id, func.count(func.distinct(i.member_code)), func.count(), last)
        .select_from(t.story_items.join(t.items, i.id == si.item_id))
        .where(si.story_id.in_(live), readable(now))
        .group_by(si.story_id)
        .having(and_(last >= start, last < end))
    )
    return [DayStory(row[0], int(row[1]), int(row[2]), row[3]) for row in connection.execute(query)]


def stories_by_id(connection: Connection, story_ids: Sequence[str], now: datetime) -> dict[str, Story]:
    """The stories with their readable items (the store's own story reader)."""
    return {story.id: story for story in index.load_stories(connection, list(story_ids), readable(now))}


def latest_story_activity(connection: Connection, before: datetime, now: datetime) -> datetime | None:
    """The time of the newest readable item that belongs to a story, before `before`."""
    i, si = t.items.c, t.story_items.c
    in_story = select(si.item_id).where(si.item_id == i.id).exists()
    query = (
        select(i.version_created)
        .where(i.version_created < before, readable(now), in_story)
        .order_by(i.version_created.desc())
        .limit(1)
    )
    found: datetime | None = connection.execute(query).scalar()
    return found


def kills_in_story(connection: Connection, story_id: str, now: datetime) -> list[tuple[str, datetime]]:
    """(member, time) of the story's killed items still linked to it, not under embargo at `now`."""
    i, si = t.items.c, t.story_items.c
    query = (
        select(i.member_code, i.version_created)
        .select_from(t.story_items.join(t.items, i.id == si.item_id))
        .where(si.story_id == story_id, i.pub_status == PubStatus.CANCELED.value, not_embargoed(now))
    )
    return [(row.member_code, row.version_created) for row in connection.execute(query)]


# -- provenance, versions, translations -------------------------------------------------------------


def provenance_of(
    connection: Connection, item_ids: Sequence[str]
) -> dict[tuple[str, int], RecordedProvenance]:
    """(item id, version) -> the provenance recorded for it, for every version of the items."""
    p = t.item_provenance.c
    found: dict[tuple[str, int], RecordedProvenance] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        for row in connection.execute(select(t.item_provenance).where(p.item_id.in_(chunk))):
            record = recorded_provenance_from_row(row)
            found[(record.item_id, record.version)] = record
    return found


def versions_of(connection: Connection, item_ids: Sequence[str]) -> dict[str, list[VersionRow]]:
    """Every stored version of the items, oldest first (an empty list for an item with none)."""
    v = t.item_versions.c
    found: dict[str, list[VersionRow]] = {item_id: [] for item_id in item_ids}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        query = (
            select(v.item_id, v.version, v.received_at, v.parsed)
            .where(v.item_id.in_(chunk))
            .order_by(v.item_id, v.version)
        )
        for row in connection.execute(query):
            found[row.item_id].append(
                VersionRow(row.item_id, row.version, row.received_at, json.loads(row.parsed))
            )
    return found


def translations_of(
    connection: Connection, heads: Sequence[tuple[str, int]], target: str
) -> dict[str, dict[str, Any]]:
    """Stored machine translations of the given (item id, version) into `target`, by item id."""
    tr = t.translations.c
    wanted = dict(heads)
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(wanted)):
        query = select(t.translations).where(tr.item_id.in_(chunk), tr.target_language == target)
        for row in connection.execute(query):
            if wanted.get(row.item_id) == row.item_version:
                found[row.item_id] = dict(row._mapping)
    return found
