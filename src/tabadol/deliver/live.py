"""Wake-ups for live readers (SSE streams, long-polling feed pages) without a thread each.

One broadcaster per API application (so one per server process): a single thread waits on the
store's EVENTS signal (raised after this process's commits and, on PostgreSQL, by the listener for
every other process's) and wakes every registered asyncio waiter through its event loop's
`call_soon_threadsafe`. A waiter carries no data: the woken reader reads its own events after its
last id from the store (the database is the truth), so a merged or lost wake-up costs latency,
never an event.

A reader arms its waiter *before* it reads the store and waits only if that read found nothing: an
event committed between the read and the wait has already set the waiter, so it is never slept past.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tabadol.storage.signals import EVENTS

# The broadcaster thread also wakes this often with no signal, to notice it was closed even if the
# closing signal were lost; readers never depend on it (they time out on their own).
IDLE_SECONDS = 30.0


class Waiter:
    """One reader's wake-up, set from the broadcaster thread, awaited on the reader's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()
        self.closed = False  # the broadcaster shut down: the reader should finish

    def arm(self) -> None:
        """Forget earlier wake-ups; call before reading the store."""
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """Wait for a wake-up; True if one came, False after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def wake(self) -> None:
        # RuntimeError: the reader's loop already closed, so nobody is waiting.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._event.set)

    def close(self) -> None:
        self.closed = True
        self.wake()


class Broadcaster:
    """Wakes every registered waiter when subscription events are written."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self._waiters: set[Waiter] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    @property
    def waiting(self) -> int:
        """Readers registered now (live streams and long polls in progress)."""
        with self._lock:
            return len(self._waiters)

    def start(self) -> None:
        """Start the thread (and the store's cross-process listener); idempotent."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._storage.start_listening()
            self._thread = threading.Thread(target=self._run, name="tabadol-live", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the thread and tell every reader to finish, now and later (server shutdown: a live
        stream never ends on its own, so the server could not drain its connections)."""
        with self._lock:
            self._stop.set()
            thread, waiters = self._thread, list(self._waiters)
        for waiter in waiters:
            waiter.close()
        if thread is not None:
            # The thread waits on EVENTS: a signal wakes it now rather than at IDLE_SECONDS.
            self._storage.signals.notify(EVENTS)
            thread.join(timeout=10.0)

    @contextmanager
    def waiter(self) -> Iterator[Waiter]:
        """A waiter on the running event loop, registered while the context lasts."""
        waiter = Waiter(asyncio.get_running_loop())
        with self._lock:
            if self._stop.is_set():
                waiter.closed = True
            self._waiters.add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def _run(self) -> None:
        signals = self._storage.signals
        seen = signals.count(EVENTS)
        while not self._stop.is_set():
            now = signals.wait(EVENTS, seen, IDLE_SECONDS)
            if now != seen:
                seen = now
                self._wake_all()

    def _wake_all(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.wake()
