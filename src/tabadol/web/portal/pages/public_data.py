"""The public pages' reads: a few set-based queries, so a page costs a handful of round trips
whatever it shows (a page of 50 items never runs 50 queries).

Every read here applies the public reading rule: nothing under embargo at `now` (not even its
existence), nothing killed. The queries use the SQL store directly (SQLAlchemy Core over the
schema, both backends) where the Storage protocol has no batched read for what a page needs:
items by id, topic or country; the topics and places enrichment found; provenance, versions and
machine translations of several items at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import index
from tabadol.storage import schema as t
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.storage.errors import driver_errors
from tabadol.storage.provenance import recorded_provenance_from_row
from tabadol.storage.queries import item_select, not_embargoed
from tabadol.storage.records import item_from_row
from tabadol.storage.sql import SqlStorage
from tabadol.types import Item, PubStatus, Story
from tabadol.verify.provenance import RecordedProvenance
from tabadol.web.portal.pages.public_places import country_of_place, places_of_country

_CHUNK = 500
_PLACE_ID = re.compile(r'"(place/[a-z0-9-]+)"')
COUNTRY_CACHE_SECONDS = 300.0


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
class ItemFacets:
    """What enrichment found about an item that the public pages group by."""

    topics: tuple[tuple[str, float], ...]  # IPTC codes with their scores, best first
    countries: tuple[str, ...]  # ISO codes, most mentioned first


@dataclass(frozen=True, slots=True)
class VersionRow:
    item_id: str
    version: int
    received_at: datetime
    parsed: dict[str, Any]


@contextmanager
def reading(storage: Any) -> Iterator[Connection]:
    """A read connection to the store (the public pages need the SQL store's batched reads)."""
    if not isinstance(storage, SqlStorage):
        raise TabadolError(ErrorCode.INTERNAL)
    with driver_errors(), storage.engine.connect() as connection:
        yield connection


def readable(now: datetime) -> ColumnElement[bool]:
    """The public reading rule: not under embargo at `now`, not killed."""
    return and_(not_embargoed(now), t.items.c.pub_status != PubStatus.CANCELED.value)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


# -- items ----------------------------------------------------------------------------------------


def items_by_id(storage: Any, item_ids: Sequence[str], now: datetime) -> dict[str, Item]:
    """The readable items among `item_ids`, with their bodies."""
    found: dict[str, Item] = {}
    with reading(storage) as connection:
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            rows = connection.execute(item_select().where(t.items.c.id.in_(chunk), readable(now)))
            found.update({row.id: item_from_row(row) for row in rows})
    return found


def item_rows_by_id(storage: Any, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRow]:
    """The readable items among `item_ids`, as list rows."""
    found: dict[str, ItemRow] = {}
    with reading(storage) as connection:
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            query = _row_select().where(t.items.c.id.in_(chunk), readable(now))
            found.update({row.id: _item_row(row) for row in connection.execute(query)})
    return found


@dataclass(frozen=True, slots=True)
class RowPage:
    rows: tuple[ItemRow, ...]
    next_cursor: str | None


def list_rows(
    storage: Any,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    *,
    member: str | None = None,
    topic_codes: Sequence[str] = (),
    place_ids: Sequence[str] = (),
) -> RowPage:
    """Readable items newest first, by member, topic (any of `topic_codes`) or country (any of
    `place_ids` named), one page after `cursor` (the API's opaque keyset cursors)."""
    i = t.items.c
    query = _row_select().where(readable(now))
    if member is not None:
        query = query.where(i.member_code == member)
    if topic_codes:
        query = _with_enrichment(query, "topics", [f'%"{code}"%' for code in topic_codes])
    if place_ids:
        query = _with_enrichment(query, "entities", [f'%"{place}"%' for place in place_ids])
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(i.version_created < after_time, and_(i.version_created == after_time, i.id < after_id))
        )
    query = query.order_by(i.version_created.desc(), i.id.desc()).limit(limit + 1)
    with reading(storage) as connection:
        rows = [_item_row(row) for row in connection.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].at, rows[-1].id) if more and rows else None
    return RowPage(tuple(rows), next_cursor)


def _with_enrichment(query: Any, component: str, patterns: Sequence[str]) -> Any:
    # The enrichment is stored as JSON text; codes and place ids are quoted JSON strings there, so a
    # LIKE on the quoted value matches exactly that value (no code or id is a prefix of another
    # once quoted). A correlated EXISTS, not a join: the database then walks the items newest first
    # on their listing index and stops at the page's end, instead of reading every item's
    # enrichment of that component and sorting them all.
    e = t.enrichments.c
    matches = or_(*(e.data.like(pattern) for pattern in patterns))
    found = (
        select(e.item_id)
        .where(e.item_id == t.items.c.id, e.component == component, e.error.is_(None), matches)
        .exists()
    )
    return query.where(found)


def _row_select() -> Any:
    i = t.items.c
    return select(i.id, i.member_code, i.language, i.headline, i.version_created, i.version)


def _item_row(row: Any) -> ItemRow:
    return ItemRow(row.id, row.member_code, row.language, row.headline, row.version_created, row.version)


# -- stories ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayStory:
    """A story active in a window, as counted from its readable items (no items loaded)."""

    id: str
    members: int  # distinct members among its readable items: the most corroboration it can have
    items: int
    last: datetime  # its latest readable item


def stories_in_window(storage: Any, start: datetime, end: datetime, now: datetime) -> list[DayStory]:
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
    with reading(storage) as connection:
        return [DayStory(row[0], int(row[1]), int(row[2]), row[3]) for row in connection.execute(query)]


def stories_by_id(storage: Any, story_ids: Sequence[str], now: datetime) -> dict[str, Story]:
    """The stories with their readable items (the store's own story reader, in one connection)."""
    with reading(storage) as connection:
        return {story.id: story for story in index.load_stories(connection, list(story_ids), readable(now))}


def latest_story_activity(storage: Any, before: datetime, now: datetime) -> datetime | None:
    """The time of the newest readable item that belongs to a story, before `before`."""
    i, si = t.items.c, t.story_items.c
    in_story = select(si.item_id).where(si.item_id == i.id).exists()
    query = (
        select(i.version_created)
        .where(i.version_created < before, readable(now), in_story)
        .order_by(i.version_created.desc())
        .limit(1)
    )
    with reading(storage) as connection:
        found: datetime | None = connection.execute(query).scalar()
    return found


# -- enrichment ------------------------------------------------------------------------------------


def facets_of(storage: Any, item_ids: Sequence[str]) -> dict[str, ItemFacets]:
    """Topics and countries of each item, from the two components that find them (one query)."""
    e = t.enrichments.c
    raw: dict[str, dict[str, str]] = {}
    with reading(storage) as connection:
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            query = select(e.item_id, e.component, e.data).where(
                e.item_id.in_(chunk), e.component.in_(["topics", "entities"]), e.error.is_(None)
            )
            for row in connection.execute(query):
                raw.setdefault(row.item_id, {})[row.component] = row.data
    return {item_id: _facets(found) for item_id, found in raw.items()}


def _facets(found: dict[str, str]) -> ItemFacets:
    topics: list[tuple[str, float]] = []
    if "topics" in found:
        for topic in json.loads(found["topics"]).get("topics") or ():
            if topic.get("scheme") == "iptc" and str(topic.get("code", "")).startswith("medtop:"):
                topics.append((str(topic["code"]), float(topic.get("score") or 0.0)))
    topics.sort(key=lambda pair: -pair[1])
    return ItemFacets(tuple(topics), _countries_in(found.get("entities", "")))


def _countries_in(entities_json: str) -> tuple[str, ...]:
    mapping = country_of_place()
    counts: dict[str, int] = {}
    for place in _PLACE_ID.findall(entities_json):
        code = mapping.get(place)
        if code:
            counts[code] = counts.get(code, 0) + 1
    return tuple(sorted(counts, key=lambda code: -counts[code]))


class _CountryCounts:
    """Items per country over the whole store. Counting reads every item's entities, too much for
    each view of the country index: a count is kept for COUNTRY_CACHE_SECONDS, then recounted in the
    background while readers get the previous one (only the very first view waits for it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[int, tuple[float, dict[str, int]]] = {}
        self._refreshing: set[int] = set()

    def get(self, storage: Any, now: datetime) -> dict[str, int]:
        key = id(storage)
        with self._lock:
            hit = self._cached.get(key)
            stale = hit is not None and time.monotonic() - hit[0] >= COUNTRY_CACHE_SECONDS
            if stale and key not in self._refreshing:
                self._refreshing.add(key)
                threading.Thread(target=self._refresh, args=(storage, now), daemon=True).start()
        if hit is not None:
            return hit[1]
        return self._refresh(storage, now)

    def _refresh(self, storage: Any, now: datetime) -> dict[str, int]:
        try:
            counts = _count_countries(storage, now)
            with self._lock:
                self._cached[id(storage)] = (time.monotonic(), counts)
            return counts
        finally:
            with self._lock:
                self._refreshing.discard(id(storage))

    def forget(self) -> None:
        with self._lock:
            self._cached.clear()


def _count_countries(storage: Any, now: datetime) -> dict[str, int]:
    e = t.enrichments.c
    query = (
        select(e.data)
        .select_from(t.enrichments.join(t.items, t.items.c.id == e.item_id))
        .where(e.component == "entities", e.error.is_(None), readable(now))
    )
    counts: dict[str, int] = {}
    with reading(storage) as connection:
        for data in connection.execute(query).scalars():
            for code in _countries_in(data):
                counts[code] = counts.get(code, 0) + 1
    return counts


country_counts = _CountryCounts()


def country_places(code: str) -> tuple[str, ...]:
    return places_of_country().get(code, ())


# -- provenance, versions, translations, kills ------------------------------------------------------


def provenance_of(storage: Any, item_ids: Sequence[str]) -> dict[tuple[str, int], RecordedProvenance]:
    """(item id, version) -> the provenance recorded for it, for every version of the items."""
    p = t.item_provenance.c
    found: dict[tuple[str, int], RecordedProvenance] = {}
    with reading(storage) as connection:
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            for row in connection.execute(select(t.item_provenance).where(p.item_id.in_(chunk))):
                record = recorded_provenance_from_row(row)
                found[(record.item_id, record.version)] = record
    return found


def versions_of(storage: Any, item_ids: Sequence[str]) -> dict[str, list[VersionRow]]:
    """Every stored version of the items, oldest first (callers withhold embargoed versions)."""
    v = t.item_versions.c
    found: dict[str, list[VersionRow]] = {item_id: [] for item_id in item_ids}
    with reading(storage) as connection:
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


def translations_of(storage: Any, heads: Sequence[tuple[str, int]], target: str) -> dict[str, dict[str, Any]]:
    """Stored machine translations of the items' head versions into `target`, by item id."""
    tr = t.translations.c
    wanted = dict(heads)
    found: dict[str, dict[str, Any]] = {}
    with reading(storage) as connection:
        for chunk in _chunks(list(wanted)):
            query = select(t.translations).where(tr.item_id.in_(chunk), tr.target_language == target)
            for row in connection.execute(query):
                if wanted.get(row.item_id) == row.item_version:
                    found[row.item_id] = dict(row._mapping)
    return found


def kills_in_story(storage: Any, story_id: str, now: datetime) -> list[tuple[str, datetime]]:
    """(member, time) of the story's items that were killed and are still linked to it (the index
    stage takes a killed item out of its story, so these are kills it has not processed yet)."""
    i, si = t.items.c, t.story_items.c
    query = (
        select(i.member_code, i.version_created)
        .select_from(t.story_items.join(t.items, i.id == si.item_id))
        .where(si.story_id == story_id, i.pub_status == PubStatus.CANCELED.value, not_embargoed(now))
    )
    with reading(storage) as connection:
        return [(row.member_code, row.version_created) for row in connection.execute(query)]
