"""The fan-out loop: turns due deliver jobs into subscription events, as soon as they are due.

It wakes when items change (a signal from ingest or enrichment, in this process or, on PostgreSQL,
any process), when the next embargo ends, and at the latest every `poll_seconds` (signals are a
shortcut, the database is the truth). Several dispatchers may run (threads, processes, machines):
each dispatch is one transaction under the writer lock that deletes the jobs it handled, so every
job is handled once (storage/delivery.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tabadol.deliver.dispatch import decide
from tabadol.storage.signals import CHANGES
from tabadol.types import utc_now

log = logging.getLogger(__name__)


@dataclass
class Dispatcher:
    storage: Any
    batch_size: int = 200
    poll_seconds: float = 2.0
    clock: Callable[[], datetime] = utc_now

    def run_once(self) -> int:
        """Dispatch one batch of due jobs; return how many jobs it handled."""
        handled, _ = self.storage.dispatch_deliveries(decide, self.clock(), self.batch_size)
        return int(handled)

    def drain(self) -> int:
        """Dispatch until no job is due now; return how many jobs were handled."""
        total = 0
        while handled := self.run_once():
            total += handled
        return total

    def run_forever(self, stop: threading.Event) -> None:
        signals = self.storage.signals
        seen = signals.count(CHANGES)
        while not stop.is_set():
            try:
                self.drain()
                timeout = self._until_next_due()
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again shortly
                log.exception("delivery dispatch failed")
                timeout = self.poll_seconds
            seen = signals.wait(CHANGES, seen, timeout)

    def _until_next_due(self) -> float:
        due = self.storage.next_delivery_due()
        if due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max((due - self.clock()).total_seconds(), 0.0) + 0.005)


def start_dispatcher(storage: Any, poll_seconds: float = 2.0) -> Callable[[], None]:
    """A dispatcher thread; returns a function that stops it."""
    storage.start_listening()  # wake for items other processes store, not only at the poll
    stop_event = threading.Event()
    dispatcher = Dispatcher(storage, poll_seconds=poll_seconds)
    thread = threading.Thread(
        target=dispatcher.run_forever, args=(stop_event,), name="tabadol-dispatch", daemon=True
    )
    thread.start()

    def stop() -> None:
        stop_event.set()
        storage.signals.notify(CHANGES)  # wake it now rather than at its timeout
        thread.join(timeout=10.0)

    return stop
