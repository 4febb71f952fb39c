"""The wire's live updates: Server-Sent Events of what reaches a user's wire, as rendered rows.

Fed by the store's CHANGES signal (raised after every ingest commit in this process, and on
PostgreSQL by the listener for every other process's commits): one thread per application waits on
it and wakes every open wire stream (deliver/live.Broadcaster, watching CHANGES instead of EVENTS).
A wake-up carries no data; the stream reads the items whose change counter (`seq`) passed its last
position, so a merged or lost wake-up costs latency, never an item, and a browser that reconnects
with Last-Event-ID (EventSource does) resumes where it was.

Shutdown: a stream also holds a waiter of the application's own broadcaster (web/api/events.py),
which `close_live_streams` closes when the server begins to stop; the stream then ends, so the
server can drain its connections. Each heartbeat also re-checks the session: a stream of a browser
that logged out, or of an account disabled since, ends.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from tabadol.deliver.live import Broadcaster, Waiter
from tabadol.storage.signals import CHANGES
from tabadol.web.api.events import broadcaster_of

HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000
STREAM_MEDIA_TYPE = "text/event-stream"
_lock = threading.Lock()


class ChangeBroadcaster(Broadcaster):
    """Wakes the wire streams when items are stored (the CHANGES signal)."""

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            thread, waiters = self._thread, list(self._waiters)
        for waiter in waiters:
            waiter.close()
        if thread is not None:
            self._storage.signals.notify(CHANGES)  # the thread waits on CHANGES: wake it to see the stop
            thread.join(timeout=10.0)

    def _run(self) -> None:
        signals = self._storage.signals
        seen = signals.count(CHANGES)
        while not self.closed:
            now = signals.wait(CHANGES, seen, 30.0)
            if now != seen:
                seen = now
                self._wake_all()


def change_broadcaster(app: FastAPI) -> ChangeBroadcaster:
    """The application's one change broadcaster, started on first use."""
    with _lock:
        found: ChangeBroadcaster | None = getattr(app.state, "wire_broadcaster", None)
        if found is None:
            found = ChangeBroadcaster(app.state.hub.storage)
            app.state.wire_broadcaster = found
    found.start()
    return found


async def _either(first: Waiter, second: Waiter, timeout: float) -> None:
    """Wait until either waiter is woken, or `timeout` seconds pass."""
    tasks = [asyncio.ensure_future(first.wait(timeout)), asyncio.ensure_future(second.wait(timeout))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def sse(event: str, event_id: int, data: str) -> str:
    # `data` is JSON (json.dumps escapes line breaks inside strings), so it is always one line.
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


async def wire_stream(
    app: FastAPI,
    after: int,
    read: Callable[[int], list[tuple[str, int, str]]],
    still_logged_in: Callable[[], bool],
) -> AsyncIterator[str]:
    """SSE messages for what `read(after)` finds (event, seq, data), then for each change as it
    comes, until the client goes, the session ends, or the server shuts down."""
    loop = asyncio.get_running_loop()
    changes = change_broadcaster(app)
    with broadcaster_of(app).waiter() as shutdown, changes.waiter() as waiter:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        last_write = loop.time()
        while not (shutdown.closed or waiter.closed):
            waiter.arm()  # before the read: a change committed during it still wakes us
            shutdown.arm()
            found = await run_in_threadpool(read, after)
            for event, seq, data in found:
                yield sse(event, seq, data)
                after = max(after, seq)
            if found:
                last_write = loop.time()
                continue  # there may be more: read on before waiting
            quiet_for = loop.time() - last_write
            if quiet_for >= HEARTBEAT_SECONDS:
                if not await run_in_threadpool(still_logged_in):
                    return
                yield ": heartbeat\n\n"
                last_write = loop.time()
                continue
            await _either(waiter, shutdown, HEARTBEAT_SECONDS - quiet_for)
    if shutdown.closed:
        # The server is stopping: the change thread has nobody left to wake.
        await run_in_threadpool(changes.close)


def stream_position(value: str | None) -> int | None:
    """A Last-Event-ID or `after` parameter: a change counter value; anything else is ignored."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)
