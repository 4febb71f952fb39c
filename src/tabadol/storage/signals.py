"""Wake-ups between the stages of delivery: "items changed" (the fan-out has work) and "events
written" (the channels have work), so a stage waits on a condition instead of polling the database.

A signal carries no data: the database is the truth, and a waiter that wakes reads what is new
from it. So a lost or merged signal costs latency, never an item: waiters also wake on a timeout and
look anyway. Within a process the storage raises the signals after its commits; across processes on
PostgreSQL the same commits carry NOTIFY and a listener raises them in every other process
(storage/postgres.py). SQLite has no cross-process signal: other processes find the work on their
timeout.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, text

# Channel names, also PostgreSQL NOTIFY channels (prefixed there).
CHANGES = "changes"  # deliver jobs were queued (ingest, enrichment): the dispatcher has work
EVENTS = "events"  # subscription events were written: pull/SSE/webhook channels have work
CHANNELS = (CHANGES, EVENTS)


class Signals:
    """Per-channel counters that waiters watch; `notify` bumps one and wakes its waiters."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._counts = dict.fromkeys(CHANNELS, 0)

    def notify(self, channel: str) -> None:
        with self._condition:
            self._counts[channel] = self._counts.get(channel, 0) + 1
            self._condition.notify_all()

    def count(self, channel: str) -> int:
        with self._condition:
            return self._counts.get(channel, 0)

    def wait(self, channel: str, seen: int, timeout: float) -> int:
        """Wait until `channel`'s count differs from `seen` (or `timeout` seconds pass); return the
        count now. Pass the count returned last time so a signal raised between two waits is not lost."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._condition:
            while self._counts.get(channel, 0) == seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            return self._counts.get(channel, 0)


# PostgreSQL NOTIFY channel names (one namespace per database: prefixed so other software's
# channels never collide).
PG_CHANNEL_PREFIX = "tabadol_"


def notify_in_transaction(connection: Connection, channel: str) -> None:
    """On PostgreSQL, a NOTIFY that is sent when (and only if) the caller's transaction commits, to
    every process listening; nothing on SQLite (the caller signals its own process after commit)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": PG_CHANNEL_PREFIX + channel})
