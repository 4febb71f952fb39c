"""Subscription rows: functions of an open connection, inside the caller's transaction."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from tabadol.storage import schema as t
from tabadol.storage.records import to_json
from tabadol.types import Subscription, SubscriptionFilter, Take

_LISTS = ("members", "languages", "topics", "entities", "stories")


def new_subscription_id() -> str:
    return "sub_" + secrets.token_hex(8)


def filter_json(value: SubscriptionFilter) -> dict[str, Any]:
    """The filter as JSON (sorted lists): as stored, as the API shows it, as backups carry it."""
    data: dict[str, Any] = {name: sorted(getattr(value, name)) for name in _LISTS}
    data.update(max_urgency=value.max_urgency, query=value.query)
    return data


def filter_from_row(raw: str) -> SubscriptionFilter:
    data = json.loads(raw)
    lists = {name: frozenset(data.get(name) or ()) for name in _LISTS}
    return SubscriptionFilter(max_urgency=data.get("max_urgency"), query=data.get("query"), **lists)


def subscription_from_row(row: Row[Any]) -> Subscription:
    return Subscription(
        id=row.id,
        member_code=row.member_code,
        name=row.name,
        filter=filter_from_row(row.filter),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def insert_subscription(connection: Connection, subscription: Subscription) -> None:
    connection.execute(
        insert(t.subscriptions).values(
            id=subscription.id,
            member_code=subscription.member_code,
            name=subscription.name,
            filter=to_json(filter_json(subscription.filter)),
            created_at=subscription.created_at,
            updated_at=subscription.updated_at,
            deleted_at=None,
        )
    )


def load_subscription(connection: Connection, subscription_id: str) -> Subscription | None:
    s = t.subscriptions
    row = connection.execute(select(s).where(s.c.id == subscription_id, s.c.deleted_at.is_(None))).first()
    return None if row is None else subscription_from_row(row)


def load_subscriptions(connection: Connection, member_code: str | None) -> list[Subscription]:
    s = t.subscriptions
    query = select(s).where(s.c.deleted_at.is_(None)).order_by(s.c.member_code, s.c.created_at, s.c.id)
    if member_code is not None:
        query = query.where(s.c.member_code == member_code)
    return [subscription_from_row(row) for row in connection.execute(query)]


def change_subscription(
    connection: Connection, subscription_id: str, name: str, value: SubscriptionFilter, now: datetime
) -> bool:
    s = t.subscriptions
    statement = (
        update(s)
        .where(s.c.id == subscription_id, s.c.deleted_at.is_(None))
        .values(name=name, filter=to_json(filter_json(value)), updated_at=now)
    )
    return connection.execute(statement).rowcount > 0


def remove_subscription(connection: Connection, subscription_id: str, now: datetime) -> bool:
    s = t.subscriptions
    statement = update(s).where(s.c.id == subscription_id, s.c.deleted_at.is_(None)).values(deleted_at=now)
    return connection.execute(statement).rowcount > 0


# -- syndication feed tokens ------------------------------------------------------------------------


def insert_feed_token(
    connection: Connection, token_id: str, subscription_id: str, secret_hash: str, now: datetime
) -> None:
    connection.execute(
        insert(t.feed_tokens).values(
            id=token_id,
            subscription_id=subscription_id,
            secret_hash=secret_hash,
            created_at=now,
            revoked_at=None,
        )
    )


def load_feed_token(connection: Connection, token_id: str) -> tuple[str, str, datetime | None] | None:
    """(subscription id, secret hash, revoked at) of a token, or None."""
    f = t.feed_tokens
    row = connection.execute(select(f).where(f.c.id == token_id)).first()
    return None if row is None else (row.subscription_id, row.secret_hash, row.revoked_at)


def load_feed_tokens(
    connection: Connection, subscription_id: str
) -> list[tuple[str, datetime, datetime | None]]:
    """(token id, created at, revoked at) of a subscription's tokens, oldest first."""
    f = t.feed_tokens
    rows = connection.execute(
        select(f.c.id, f.c.created_at, f.c.revoked_at)
        .where(f.c.subscription_id == subscription_id)
        .order_by(f.c.created_at, f.c.id)
    )
    return [(row.id, row.created_at, row.revoked_at) for row in rows]


def revoke_feed_token(connection: Connection, token_id: str, subscription_id: str, now: datetime) -> bool:
    f = t.feed_tokens
    statement = (
        update(f)
        .where(f.c.id == token_id, f.c.subscription_id == subscription_id, f.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return connection.execute(statement).rowcount > 0


# -- takes (the usage ledger) -------------------------------------------------------------------------


def insert_take(connection: Connection, take: Take) -> None:
    connection.execute(
        insert(t.takes).values(
            item_id=take.item_id,
            item_version=take.item_version,
            source_member=take.source_member,
            taker_member=take.taker_member,
            key_id=take.key_id,
            item_language=take.item_language,
            reader_language=take.reader_language,
            translated=take.translated,
            taken_at=take.taken_at,
        )
    )


def load_takes(connection: Connection, member_code: str | None, limit: int) -> list[Take]:
    """Takes by or from the member (None: all), newest first."""
    k = t.takes
    query = select(k).order_by(k.c.taken_at.desc(), k.c.id.desc()).limit(limit)
    if member_code is not None:
        query = query.where((k.c.taker_member == member_code) | (k.c.source_member == member_code))
    return [_take_from_row(row) for row in connection.execute(query)]


def load_takes_between(
    connection: Connection, since: datetime | None, until: datetime | None, members: Sequence[str] | None
) -> list[Take]:
    """Takes in [since, until) (open ends: unbounded), oldest first; with `members`, only takes a
    listed member supplied or made (the usage ledger's view of one member)."""
    k = t.takes
    query = select(k).order_by(k.c.taken_at, k.c.id)
    if since is not None:
        query = query.where(k.c.taken_at >= since)
    if until is not None:
        query = query.where(k.c.taken_at < until)
    if members is not None:
        query = query.where(k.c.taker_member.in_(members) | k.c.source_member.in_(members))
    return [_take_from_row(row) for row in connection.execute(query)]


def _take_from_row(row: Row[Any]) -> Take:
    return Take(
        row.item_id,
        row.item_version,
        row.source_member,
        row.taker_member,
        row.key_id,
        row.item_language,
        row.reader_language,
        bool(row.translated),
        row.taken_at,
    )


def load_takes_of_items(connection: Connection, item_ids: Sequence[str]) -> list[Take]:
    """Every take of the given items, oldest first."""
    k = t.takes
    found: list[Take] = []
    unique = list(dict.fromkeys(item_ids))
    for start in range(0, len(unique), 500):
        query = select(k).where(k.c.item_id.in_(unique[start : start + 500])).order_by(k.c.taken_at, k.c.id)
        found.extend(_take_from_row(row) for row in connection.execute(query))
    return found
