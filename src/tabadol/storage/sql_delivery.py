"""The delivery part of the Storage protocol (storage/delivery.py holds the SQL), mixed into SqlStorage.

Which transaction each operation takes is the point of this module: the fan-out writes the event log
under the writer lock (ids gap-free and in commit order); webhook state changes touch only the rows
they lock, so on PostgreSQL they skip the writer lock (like job claims) and delivery never queues
behind ingest.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from tabadol.storage import delivery
from tabadol.storage.delivery import Decider, EventContent, WebhookSecrets
from tabadol.storage.signals import CHANGES, EVENTS, Signals, notify_in_transaction
from tabadol.types import DeadLetter, SubscriptionEvent, Webhook, utc_now


class DeliveryMethods(abc.ABC):
    signals: Signals

    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[Connection]: ...

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[Connection]: ...

    @abc.abstractmethod
    def _queue_transaction(self) -> AbstractContextManager[Connection]: ...

    # -- fan-out ----------------------------------------------------------------------------------
    def dispatch_deliveries(
        self, decide: Decider, now: datetime | None = None, limit: int = 200
    ) -> tuple[int, list[SubscriptionEvent]]:
        with self._write() as connection:
            handled, events = delivery.dispatch(connection, decide, now or utc_now(), limit)
            if events:
                notify_in_transaction(connection, EVENTS)
        if events:
            self.signals.notify(EVENTS)
        return handled, events

    def enqueue_delivery(self, item_id: str, not_before: datetime, now: datetime | None = None) -> None:
        with self._write() as connection:
            delivery.enqueue_delivery(connection, item_id, not_before, now or utc_now())
            notify_in_transaction(connection, CHANGES)
        self.signals.notify(CHANGES)

    def next_delivery_due(self) -> datetime | None:
        with self._read() as connection:
            return delivery.next_delivery_due(connection)

    def pending_deliveries(self, now: datetime | None = None) -> int:
        with self._read() as connection:
            return delivery.pending_deliveries(connection, now or utc_now())

    # -- the event log ----------------------------------------------------------------------------
    def subscription_events(self, subscription_id: str, after: int, limit: int) -> list[SubscriptionEvent]:
        with self._read() as connection:
            return delivery.events_after(connection, subscription_id, after, limit)

    def subscription_event_contents(self, subscription_id: str, after: int, limit: int) -> list[EventContent]:
        with self._read() as connection:
            return delivery.events_with_content(connection, subscription_id, after, limit)

    def last_event_id(self, subscription_id: str | None = None) -> int:
        with self._read() as connection:
            return delivery.last_event_id(connection, subscription_id)

    def first_event_since(self, subscription_id: str, since: datetime) -> int | None:
        with self._read() as connection:
            return delivery.first_event_since(connection, subscription_id, since)

    def exchange_events(
        self, since: datetime | None, until: datetime | None, members: Sequence[str] | None = None
    ) -> list[Row[Any]]:
        with self._read() as connection:
            return delivery.events_between(connection, since, until, members)

    # -- webhooks ---------------------------------------------------------------------------------
    def put_webhook(
        self, subscription_id: str, url: str, secret: str | None, now: datetime | None = None
    ) -> bool:
        with self._write() as connection:
            return delivery.put_webhook(connection, subscription_id, url, secret, now or utc_now())

    def get_webhook(
        self, subscription_id: str, now: datetime | None = None
    ) -> tuple[Webhook, WebhookSecrets] | None:
        with self._read() as connection:
            return delivery.load_webhook(connection, subscription_id, now or utc_now())

    def remove_webhook(self, subscription_id: str) -> bool:
        with self._write() as connection:
            return delivery.delete_webhook(connection, subscription_id)

    def rotate_webhook_secret(
        self, subscription_id: str, secret: str, grace_until: datetime, now: datetime | None = None
    ) -> bool:
        with self._queue_transaction() as connection:
            return delivery.rotate_webhook_secret(
                connection, subscription_id, secret, grace_until, now or utc_now()
            )

    def pause_webhook(self, subscription_id: str, paused: bool, now: datetime | None = None) -> bool:
        with self._queue_transaction() as connection:
            return delivery.set_webhook_paused(connection, subscription_id, paused, now or utc_now())

    def rewind_webhook(self, subscription_id: str, after_event: int, now: datetime | None = None) -> bool:
        with self._queue_transaction() as connection:
            return delivery.rewind_webhook(connection, subscription_id, after_event, now or utc_now())

    def claim_webhooks(
        self, worker: str, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[tuple[Webhook, WebhookSecrets]]:
        with self._queue_transaction() as connection:
            return delivery.claim_webhooks(connection, worker, limit, lease_seconds, now or utc_now())

    def record_webhook_progress(
        self,
        subscription_id: str,
        worker: str,
        position: int,
        delivered: int,
        status: int | None,
        lease_seconds: float,
        now: datetime | None = None,
    ) -> bool:
        with self._queue_transaction() as connection:
            return delivery.record_progress(
                connection,
                subscription_id,
                worker,
                position,
                delivered,
                status,
                lease_seconds,
                now or utc_now(),
            )

    def record_webhook_failed(
        self,
        subscription_id: str,
        worker: str,
        event_id: int,
        status: int | None,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime | None = None,
    ) -> bool:
        with self._queue_transaction() as connection:
            return delivery.record_failed(
                connection,
                subscription_id,
                worker,
                event_id,
                status,
                error,
                retry_at,
                give_up,
                now or utc_now(),
            )

    def release_webhook(self, subscription_id: str, worker: str) -> None:
        with self._queue_transaction() as connection:
            delivery.release_webhook(connection, subscription_id, worker)

    def webhook_dead_letters(self, subscription_id: str, limit: int = 100) -> list[DeadLetter]:
        with self._read() as connection:
            return delivery.load_dead_letters(connection, subscription_id, limit)
