"""The newsroom wire's reads (Storage.wire_page, wire_changes, last_item_seq, killed_takes): other
members' items with the wire's filters, what changed since a given point of the hub's change counter
(the live stream), and the items a member took that were killed since. Functions of an open
connection, in SQLAlchemy Core for both backends (storage/sql.py opens the connection).

The wire is the item listing of storage/queries.py (the same filters, embargo rule and keyset
cursor), narrowed in two ways the public item listing has no use for: a member never sees its own
items on its wire, and a topic filter includes the topic's narrower topics (a probe of the item
facets' key per item read, storage/facets.py, so the wire still reads items newest first and stops
at the page's end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.enrich.facets import TOPIC
from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.storage import schema as t
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.storage.facets import has_facet
from tabadol.storage.queries import filters, item_select, not_embargoed
from tabadol.storage.records import item_from_row
from tabadol.types import Item, ItemQuery, Page, PubStatus


@dataclass(frozen=True, slots=True)
class WireFilter:
    """What one wire shows. `viewer` is the user's member: its own items never appear on its wire.
    `topic` is an IPTC `medtop:` code; its narrower topics are included."""

    viewer: str
    member: str | None = None
    language: str | None = None
    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class KilledTake:
    """An item the viewer's member took that its source has since killed."""

    item_id: str
    member_code: str
    headline: str
    language: str | None
    killed_at: datetime
    taken_version: int


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
    """Items with the topic (or a narrower one) among their facets: a probe of the facet table's key
    per item read, so the wire still reads items newest first and stops at the page's end."""
    return has_facet(TOPIC, topic_codes(code))


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


def wire_page(
    connection: Connection, wire: WireFilter, now: datetime, limit: int, cursor: str | None
) -> Page:
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
    rows = connection.execute(statement).all()
    found = [item_from_row(row) for row in rows[:limit]]
    following = encode_cursor(found[-1].version_created, found[-1].id) if len(rows) > limit else None
    return Page(items=tuple(found), next_cursor=following)


def wire_changes(
    connection: Connection,
    wire: WireFilter,
    now: datetime,
    after_seq: int,
    limit: int,
    released_after: datetime | None = None,
) -> list[Item]:
    """What reached the wire after the change counter stood at `after_seq`, oldest first (see
    Storage.wire_changes)."""
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
    return [item_from_row(row) for row in connection.execute(statement)]


def last_seq(connection: Connection) -> int:
    """The hub's change counter now (0 for an empty store)."""
    return int(connection.execute(select(func.max(t.items.c.seq))).scalar() or 0)


def killed_takes(connection: Connection, viewer: str, now: datetime, limit: int) -> list[KilledTake]:
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
    rows = connection.execute(statement).all()
    return [
        KilledTake(
            row.id, row.member_code, row.headline, row.language, row.version_created, row.taken_version
        )
        for row in rows
    ]
