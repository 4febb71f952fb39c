"""Delivery rows: the fan-out from stored items to subscriptions' event logs, and webhook state.

    ingest ──(same transaction)──► job "deliver" (due at once, or when the embargo ends)
    enrichment done ─────────────► job "deliver" (for subscriptions that filter on enrichment)
                                         │
    dispatch (one transaction, writer lock): due jobs ─► decide per subscription ─► subscription_events
                                         │
    channels read subscription_events: pull feed (cursor = event id), SSE (Last-Event-ID = event id),
    webhooks (position = last event id delivered), syndication; the ledger counts them.

Why the event log is written under the writer lock with ids max + 1: every channel resumes "after
event N"; if a lower id could commit after a higher one (concurrent sequences on PostgreSQL), a
reader that had already passed it would miss it forever. One writer makes ids gap-free and in commit
order. Jobs are deleted in the same transaction that writes their events, so a crash before the
commit leaves the jobs for the next dispatch and a crash after it leaves nothing to redo: each event
is written once, whatever process runs the dispatch.

Webhook state lives beside the log (`webhooks.position`): a delivery worker leases an endpoint (so
one process at a time sends to it, in order), sends the events after its position and moves the
position only after the receiver acknowledged. Functions here run inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    String,
    Text,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from tabadol.storage import index
from tabadol.storage import jobs as job_queue
from tabadol.storage import schema as t
from tabadol.storage.queries import item_select
from tabadol.storage.records import item_from_row, version_from_row
from tabadol.storage.schema import UTCDateTime
from tabadol.storage.subscriptions import load_subscriptions
from tabadol.types import (
    ComponentResult,
    DeadLetter,
    EventKind,
    Item,
    ItemVersion,
    PubStatus,
    Subscription,
    SubscriptionEvent,
    Webhook,
)

# The job kind that fans an item's head version out to the subscriptions' event logs.
DELIVER_JOB = "deliver"
# Ids per IN (...) list: under the bound-parameter limits of SQLite and pg8000.
_CHUNK = 500


# -- fan-out ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DispatchBatch:
    """What the decider needs about the items of due deliver jobs, read in the dispatch transaction."""

    items: Mapping[str, Item]  # head versions; items that no longer exist are absent
    results: Mapping[str, Mapping[str, ComponentResult]]  # enrichment results by item and component
    stories: Mapping[str, str]  # story id by item
    subscriptions: Sequence[Subscription]  # every live subscription
    # The last event each subscription got for each item: (version, kind).
    delivered: Mapping[tuple[str, str], tuple[int, EventKind]]


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event the decider wants written (the store gives it its id and time)."""

    subscription_id: str
    item_id: str
    version: int
    kind: EventKind
    replaces: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    """The decider's answer for a batch: the events to write, and the items it could not decide
    (a bug or a malformed record: their jobs are kept, dead, with the error, for operators to see and
    requeue — one bad item must never stop the fan-out of the others)."""

    events: list[EventSpec]
    failed: Mapping[str, str]  # item id -> error


Decider = Callable[[DispatchBatch, datetime], Decision]


def enqueue_deliveries_after(connection: Connection, seq: int, now: datetime) -> int:
    """A deliver job for every item whose head moved past `seq` (what the caller's ingest just wrote),
    due now, or when the head's embargo ends. One INSERT ... SELECT, like the enrichment jobs.

    Not merged with waiting deliver jobs of the same item: an embargoed version's job waits for its
    time, while a newer unembargoed version must go out now. The dispatcher always reads the head and
    writes an event only once per subscription and version, so extra jobs cost a lookup, not a copy."""
    items = t.items.c
    due = case(
        (and_(items.embargoed_until.is_not(None), items.embargoed_until > now), items.embargoed_until),
        else_=now,
    )
    rows = select(
        literal(DELIVER_JOB, String(64)),
        items.id,
        literal("{}", Text),
        literal(0, Integer),
        due,
        literal(now, UTCDateTime),
    ).where(items.seq > seq)
    statement = insert(t.jobs).from_select(
        ["kind", "item_id", "payload", "attempts", "not_before", "created_at"], rows
    )
    return int(connection.execute(statement).rowcount or 0)


def enqueue_delivery(connection: Connection, item_id: str, not_before: datetime, now: datetime) -> None:
    """One deliver job for an item (after its enrichment, which topic and entity filters wait for)."""
    connection.execute(
        insert(t.jobs).values(
            kind=DELIVER_JOB,
            item_id=item_id,
            payload="{}",
            attempts=0,
            not_before=max(not_before, now),
            created_at=now,
        )
    )


def _due_jobs(now: datetime) -> ColumnElement[bool]:
    jobs = t.jobs.c
    return and_(
        jobs.kind == DELIVER_JOB,
        jobs.dead_at.is_(None),
        or_(jobs.lease_until.is_(None), jobs.lease_until <= now),
        jobs.not_before <= now,
    )


def dispatch(
    connection: Connection, decide: Decider, now: datetime, limit: int
) -> tuple[int, list[SubscriptionEvent]]:
    """Fan the due deliver jobs (at most `limit`, oldest first) out to the event logs; the caller holds
    the writer lock. Returns how many jobs were handled and the events written, in id order."""
    jobs = t.jobs.c
    rows = connection.execute(
        select(jobs.id, jobs.item_id).where(_due_jobs(now)).order_by(jobs.not_before, jobs.id).limit(limit)
    ).all()
    if not rows:
        return 0, []
    subscriptions = load_subscriptions(connection, None)
    events: list[SubscriptionEvent] = []
    failed: Mapping[str, str] = {}
    if subscriptions:  # with none, the jobs are simply done (nothing is read for them)
        item_ids = list(dict.fromkeys(row.item_id for row in rows if row.item_id))
        batch = _load_batch(connection, item_ids, subscriptions)
        decision = decide(batch, now)
        events = _write_events(connection, decision.events, batch.items, now)
        failed = decision.failed
    done = [row.id for row in rows if row.item_id not in failed]
    for start in range(0, len(done), _CHUNK):
        connection.execute(delete(t.jobs).where(t.jobs.c.id.in_(done[start : start + _CHUNK])))
    for row in rows:
        if row.item_id in failed:
            statement = update(t.jobs).where(t.jobs.c.id == row.id)
            connection.execute(statement.values(dead_at=now, last_error=failed[row.item_id][:2000]))
    return len(rows), events


def _load_batch(
    connection: Connection, item_ids: Sequence[str], subscriptions: Sequence[Subscription]
) -> DispatchBatch:
    items: dict[str, Item] = {}
    delivered: dict[tuple[str, str], tuple[int, EventKind]] = {}
    events = t.subscription_events.c
    for start in range(0, len(item_ids), _CHUNK):
        chunk = list(item_ids[start : start + _CHUNK])
        for row in connection.execute(item_select().where(t.items.c.id.in_(chunk))):
            items[row.id] = item_from_row(row)
        query = (
            select(events.subscription_id, events.item_id, events.version, events.kind)
            .where(events.item_id.in_(chunk))
            .order_by(events.id)
        )
        for row in connection.execute(query):
            delivered[(row.subscription_id, row.item_id)] = (int(row.version), EventKind(row.kind))
    return DispatchBatch(
        items=items,
        results=index.load_results(connection, list(items)),
        stories=index.story_ids_of(connection, list(items)),
        subscriptions=subscriptions,
        delivered=delivered,
    )


def _write_events(
    connection: Connection, specs: Sequence[EventSpec], items: Mapping[str, Item], now: datetime
) -> list[SubscriptionEvent]:
    if not specs:
        return []
    next_id = int(connection.execute(select(func.max(t.subscription_events.c.id))).scalar() or 0) + 1
    events = []
    for offset, spec in enumerate(specs):
        item = items[spec.item_id]
        events.append(
            SubscriptionEvent(
                id=next_id + offset,
                subscription_id=spec.subscription_id,
                item_id=spec.item_id,
                version=spec.version,
                kind=spec.kind,
                replaces=spec.replaces,
                source_member=item.member_code,
                language=item.language,
                created_at=now,
            )
        )
    connection.execute(insert(t.subscription_events), [_event_row(event) for event in events])
    return events


def _event_row(event: SubscriptionEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "subscription_id": event.subscription_id,
        "item_id": event.item_id,
        "version": event.version,
        "kind": event.kind.value,
        "replaces": event.replaces,
        "source_member": event.source_member,
        "language": event.language,
        "created_at": event.created_at,
    }


def next_delivery_due(connection: Connection) -> datetime | None:
    """When the earliest waiting deliver job becomes due (an embargo's end), or None."""
    jobs = t.jobs.c
    query = select(func.min(jobs.not_before)).where(jobs.kind == DELIVER_JOB, jobs.dead_at.is_(None))
    value: datetime | None = connection.execute(query).scalar()
    return value


def pending_deliveries(connection: Connection, now: datetime) -> int:
    """Deliver jobs due now and not yet dispatched (a lag gauge for operators and tests)."""
    return int(
        connection.execute(select(func.count()).select_from(t.jobs).where(_due_jobs(now))).scalar() or 0
    )


# -- reading the event log --------------------------------------------------------------------------
def event_from_row(row: Row[Any]) -> SubscriptionEvent:
    return SubscriptionEvent(
        id=int(row.id),
        subscription_id=row.subscription_id,
        item_id=row.item_id,
        version=int(row.version),
        kind=EventKind(row.kind),
        replaces=row.replaces,
        source_member=row.source_member,
        language=row.language,
        created_at=row.created_at,
    )


def events_after(
    connection: Connection, subscription_id: str, after: int, limit: int
) -> list[SubscriptionEvent]:
    events = t.subscription_events.c
    query = (
        select(t.subscription_events)
        .where(events.subscription_id == subscription_id, events.id > after)
        .order_by(events.id)
        .limit(limit)
    )
    return [event_from_row(row) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class EventItem:
    """The item an event names, as much of it as rendering the event needs."""

    id: str
    member_code: str
    guid: str
    first_created: datetime
    pub_status: PubStatus


@dataclass(frozen=True, slots=True)
class EventContent:
    """An event with its item and the stored version it names (read together, in one query)."""

    event: SubscriptionEvent
    item: EventItem
    version: ItemVersion | None  # None only if the version is missing (never, short of damage)


def events_with_content(
    connection: Connection, subscription_id: str, after: int, limit: int
) -> list[EventContent]:
    """The subscription's events after `after`, each with its item and its version, in ONE query:
    every channel reads pages of events, and a page must cost a round trip, not three per event."""
    events, items, versions = t.subscription_events.c, t.items.c, t.item_versions.c
    query = (
        select(
            t.subscription_events,
            items.guid.label("item_guid"),
            items.member_code.label("item_member"),
            items.first_created.label("item_first_created"),
            items.pub_status.label("item_pub_status"),
            versions.content_sha256,
            versions.original_sha256,
            versions.parsed,
            versions.received_at,
            versions.received_via,
            versions.received_by,
        )
        .join(t.items, items.id == events.item_id)
        .outerjoin(
            t.item_versions, and_(versions.item_id == events.item_id, versions.version == events.version)
        )
        .where(events.subscription_id == subscription_id, events.id > after)
        .order_by(events.id)
        .limit(limit)
    )
    return [_content_from_row(row) for row in connection.execute(query)]


def _content_from_row(row: Row[Any]) -> EventContent:
    event = event_from_row(row)
    item = EventItem(
        id=row.item_id,
        member_code=row.item_member,
        guid=row.item_guid,
        first_created=row.item_first_created,
        pub_status=PubStatus(row.item_pub_status),
    )
    # The joined row names the version's columns as item_versions does (the event's item_id and
    # version are the version's key), so the one row reader serves; no version row: None.
    version = version_from_row(row) if row.parsed is not None else None
    return EventContent(event, item, version)


def last_event_id(connection: Connection, subscription_id: str | None = None) -> int:
    """The newest event id of a subscription (of the whole hub when None); 0 when there is none."""
    events = t.subscription_events.c
    query = select(func.max(events.id))
    if subscription_id is not None:
        query = query.where(events.subscription_id == subscription_id)
    return int(connection.execute(query).scalar() or 0)


def first_event_since(connection: Connection, subscription_id: str, since: datetime) -> int | None:
    """The id of the subscription's first event written at or after `since` (replay from a time)."""
    events = t.subscription_events.c
    query = select(func.min(events.id)).where(
        events.subscription_id == subscription_id, events.created_at >= since
    )
    value = connection.execute(query).scalar()
    return None if value is None else int(value)


def events_between(
    connection: Connection, since: datetime | None, until: datetime | None, members: Sequence[str] | None
) -> list[Row[Any]]:
    """Event rows with the subscriber's member code, for the usage ledger (oldest first).

    `members` limits the rows to those where the member supplied or received (None: all)."""
    events = t.subscription_events.c
    subscriptions = t.subscriptions.c
    query = select(
        events.id,
        events.item_id,
        events.version,
        events.kind,
        events.source_member,
        events.language,
        events.created_at,
        subscriptions.member_code.label("recipient_member"),
    ).join(t.subscriptions, subscriptions.id == events.subscription_id)
    if since is not None:
        query = query.where(events.created_at >= since)
    if until is not None:
        query = query.where(events.created_at < until)
    if members is not None:
        query = query.where(or_(events.source_member.in_(members), subscriptions.member_code.in_(members)))
    return list(connection.execute(query.order_by(events.id)))


# -- webhooks ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WebhookSecrets:
    """What signs a webhook's requests: the current secret, and the previous one during a rotation."""

    current: str
    previous: str | None


def webhook_from_row(row: Row[Any], now: datetime | None = None) -> Webhook:
    rotating = row.previous_secret is not None and (
        row.previous_secret_until is None or now is None or row.previous_secret_until > now
    )
    return Webhook(
        subscription_id=row.subscription_id,
        url=row.url,
        created_at=row.created_at,
        updated_at=row.updated_at,
        position=int(row.position),
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        delivered=int(row.delivered),
        paused_at=row.paused_at,
        rotating=rotating,
    )


def secrets_from_row(row: Row[Any], now: datetime) -> WebhookSecrets:
    previous = row.previous_secret
    if previous is not None and row.previous_secret_until is not None and row.previous_secret_until <= now:
        previous = None
    return WebhookSecrets(row.secret, previous)


def put_webhook(
    connection: Connection, subscription_id: str, url: str, secret: str | None, now: datetime
) -> bool:
    """Create the subscription's webhook (starting after its newest event: history is replayed on
    request, not pushed unasked) or change its URL (and secret when given). True when created."""
    hooks = t.webhooks.c
    exists = connection.execute(
        select(hooks.subscription_id).where(hooks.subscription_id == subscription_id)
    ).first()
    if exists is not None:
        values: dict[str, Any] = {"url": url, "updated_at": now}
        if secret is not None:
            values.update(secret=secret, previous_secret=None, previous_secret_until=None)
        connection.execute(
            update(t.webhooks).where(hooks.subscription_id == subscription_id).values(**values)
        )
        return False
    if secret is None:
        raise ValueError("a new webhook needs a secret")
    connection.execute(
        insert(t.webhooks).values(
            subscription_id=subscription_id,
            url=url,
            secret=secret,
            created_at=now,
            updated_at=now,
            position=last_event_id(connection, subscription_id),
            attempts=0,
            next_attempt_at=now,
            delivered=0,
        )
    )
    return True


def load_webhook(
    connection: Connection, subscription_id: str, now: datetime
) -> tuple[Webhook, WebhookSecrets] | None:
    row = connection.execute(
        select(t.webhooks).where(t.webhooks.c.subscription_id == subscription_id)
    ).first()
    return None if row is None else (webhook_from_row(row, now), secrets_from_row(row, now))


def delete_webhook(connection: Connection, subscription_id: str) -> bool:
    connection.execute(
        delete(t.webhook_dead_letters).where(t.webhook_dead_letters.c.subscription_id == subscription_id)
    )
    return (
        connection.execute(delete(t.webhooks).where(t.webhooks.c.subscription_id == subscription_id)).rowcount
        > 0
    )


def rotate_webhook_secret(
    connection: Connection, subscription_id: str, secret: str, grace_until: datetime, now: datetime
) -> bool:
    """A new secret signs from now on; the old one also signs until `grace_until`, so a receiver can
    switch without losing a request."""
    hooks = t.webhooks.c
    statement = (
        update(t.webhooks)
        .where(hooks.subscription_id == subscription_id)
        .values(
            previous_secret=hooks.secret, previous_secret_until=grace_until, secret=secret, updated_at=now
        )
    )
    return connection.execute(statement).rowcount > 0


def set_webhook_paused(connection: Connection, subscription_id: str, paused: bool, now: datetime) -> bool:
    values: dict[str, Any] = {"paused_at": now if paused else None, "updated_at": now}
    if not paused:
        values.update(next_attempt_at=now, attempts=0)
    statement = update(t.webhooks).where(t.webhooks.c.subscription_id == subscription_id).values(**values)
    return connection.execute(statement).rowcount > 0


def rewind_webhook(connection: Connection, subscription_id: str, after_event: int, now: datetime) -> bool:
    """Deliver again every event after `after_event` (manual replay); dead letters from there on are
    marked replayed. Receivers see repeated idempotency keys for what they already had."""
    hooks = t.webhooks.c
    statement = (
        update(t.webhooks)
        .where(hooks.subscription_id == subscription_id)
        .values(position=max(after_event, 0), attempts=0, next_attempt_at=now, updated_at=now)
    )
    if connection.execute(statement).rowcount == 0:
        return False
    letters = t.webhook_dead_letters.c
    connection.execute(
        update(t.webhook_dead_letters)
        .where(
            letters.subscription_id == subscription_id,
            letters.event_id > after_event,
            letters.replayed_at.is_(None),
        )
        .values(replayed_at=now)
    )
    return True


def _has_work() -> ColumnElement[bool]:
    events = t.subscription_events.c
    return (
        select(events.id)
        .where(events.subscription_id == t.webhooks.c.subscription_id, events.id > t.webhooks.c.position)
        .exists()
    )


def claim_webhooks(
    connection: Connection, worker: str, limit: int, lease_seconds: float, now: datetime
) -> list[tuple[Webhook, WebhookSecrets]]:
    """Lease up to `limit` endpoints that have events to send and are due, most overdue first.

    A lease gives one worker the endpoint (so its events go out one at a time, in order); on
    PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers in other processes claim other endpoints
    without waiting. A crashed worker's endpoints come back when the lease ends."""
    job_queue.check_claim(None, worker, limit, lease_seconds)
    hooks = t.webhooks.c
    claimable = (
        select(hooks.subscription_id)
        .where(
            hooks.paused_at.is_(None),
            hooks.next_attempt_at <= now,
            or_(hooks.lease_until.is_(None), hooks.lease_until <= now),
            _has_work(),
        )
        .order_by(hooks.next_attempt_at, hooks.subscription_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("claimable")
    )
    statement = (
        update(t.webhooks)
        .where(hooks.subscription_id.in_(select(claimable.c.subscription_id)))
        .values(lease_until=now + timedelta(seconds=lease_seconds), worker=worker)
        .returning(*t.webhooks.c)
    )
    rows = list(connection.execute(statement))
    claimed = [(webhook_from_row(row, now), secrets_from_row(row, now)) for row in rows]
    return sorted(claimed, key=lambda pair: (pair[0].next_attempt_at, pair[0].subscription_id))


def _held(subscription_id: str, worker: str) -> ColumnElement[bool]:
    hooks = t.webhooks.c
    return and_(
        hooks.subscription_id == subscription_id, hooks.worker == worker, hooks.lease_until.is_not(None)
    )


def record_progress(
    connection: Connection,
    subscription_id: str,
    worker: str,
    position: int,
    delivered: int,
    status: int | None,
    lease_seconds: float,
    now: datetime,
) -> bool:
    """The receiver acknowledged every event up to `position` (`delivered` of them were sent; the
    others, withdrawn, were passed over): the position moves there and the lease is renewed. The
    sender records progress in batches, so one commit covers many deliveries; after a crash the
    events since the last batch are sent again (receivers de-duplicate by idempotency key). False
    when the worker lost its lease (another worker owns the endpoint and sends from the stored
    position)."""
    hooks = t.webhooks.c
    values: dict[str, Any] = {
        "position": position,
        "attempts": 0,
        "delivered": hooks.delivered + delivered,
        "lease_until": now + timedelta(seconds=lease_seconds),
    }
    if delivered:
        values.update(last_status=status, last_error=None, last_attempt_at=now, last_success_at=now)
    statement = (
        update(t.webhooks).where(_held(subscription_id, worker), hooks.position <= position).values(**values)
    )
    return connection.execute(statement).rowcount > 0


def record_failed(
    connection: Connection,
    subscription_id: str,
    worker: str,
    event_id: int,
    status: int | None,
    error: str,
    retry_at: datetime,
    give_up: bool,
    now: datetime,
) -> bool:
    """A failed attempt on `event_id`: retried at `retry_at`; with `give_up` the event becomes a dead
    letter and the position moves past it (the next event is tried at `retry_at`)."""
    hooks = t.webhooks.c
    row = connection.execute(select(hooks.attempts).where(_held(subscription_id, worker))).first()
    if row is None:
        return False
    attempts = int(row.attempts) + 1
    values: dict[str, Any] = {
        "attempts": 0 if give_up else attempts,
        "next_attempt_at": retry_at,
        "last_status": status,
        "last_error": error[:2000],
        "last_attempt_at": now,
    }
    if give_up:
        values["position"] = event_id
        connection.execute(
            insert(t.webhook_dead_letters).values(
                subscription_id=subscription_id,
                event_id=event_id,
                attempts=attempts,
                last_status=status,
                last_error=error[:2000],
                dead_at=now,
            )
        )
    connection.execute(update(t.webhooks).where(_held(subscription_id, worker)).values(**values))
    return True


def release_webhook(connection: Connection, subscription_id: str, worker: str) -> None:
    connection.execute(
        update(t.webhooks).where(_held(subscription_id, worker)).values(lease_until=None, worker=None)
    )


def load_dead_letters(connection: Connection, subscription_id: str, limit: int) -> list[DeadLetter]:
    letters = t.webhook_dead_letters.c
    query = (
        select(t.webhook_dead_letters)
        .where(letters.subscription_id == subscription_id)
        .order_by(letters.id.desc())
        .limit(limit)
    )
    return [
        DeadLetter(
            id=int(row.id),
            subscription_id=row.subscription_id,
            event_id=int(row.event_id),
            attempts=int(row.attempts),
            last_status=row.last_status,
            last_error=row.last_error,
            dead_at=row.dead_at,
            replayed_at=row.replayed_at,
        )
        for row in connection.execute(query)
    ]
