"""A subscription's events over HTTP: the pull feed (pages after a cursor, optional long poll) and the
live stream (Server-Sent Events, resumable with Last-Event-ID).

Both read the subscription's event log (storage/delivery.py), whose ids are gap-free and in commit
order across the hub: "the events after id N" is a complete position, so paging by it never repeats
or skips an event while new ones arrive, and a stream resumed from its last id loses nothing. Events
have one JSON shape on every channel (deliver/events.py).

Waiting (a long poll, a quiet stream) holds no thread: the request awaits the process's broadcaster
(deliver/live.py), and reads from the store run briefly in the thread pool.

Access is the subscription's: its member's keys (any role: reading is what subscribers do) and
administrators; another member's subscription answers 404 like a missing one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tabadol.deliver.events import RenderedEvent, event_json, render_contents
from tabadol.deliver.live import Broadcaster
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Subscription
from tabadol.web.api.common import MemberLookup, base_url
from tabadol.web.api.subscriptions import visible_subscription
from tabadol.web.auth import AnyKey, HubDep

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT_SECONDS = 30.0
# A comment line this often keeps proxies and clients from closing a quiet stream.
HEARTBEAT_SECONDS = 15.0
# How long a client waits before reconnecting after the stream broke (the SSE `retry:` field).
RETRY_MILLISECONDS = 3000
# Events read from the store per round trip while a stream catches up.
STREAM_BATCH = 100
STREAM_MEDIA_TYPE = "text/event-stream"
_broadcaster_lock = threading.Lock()


# -- the application's broadcaster ----------------------------------------------------------------
def broadcaster_of(app: FastAPI) -> Broadcaster:
    """The application's one broadcaster, made and started on first use (an API that never
    streams costs no thread)."""
    with _broadcaster_lock:
        broadcaster: Broadcaster | None = getattr(app.state, "broadcaster", None)
        if broadcaster is None:
            broadcaster = Broadcaster(app.state.hub.storage)
            app.state.broadcaster = broadcaster
    broadcaster.start()
    return broadcaster


def close_live_streams(app: FastAPI) -> None:
    """End every live stream and long poll of the application, and any started later (call it
    when the server begins to shut down, before it waits for connections to close)."""
    with _broadcaster_lock:
        broadcaster: Broadcaster | None = getattr(app.state, "broadcaster", None)
        if broadcaster is None:
            broadcaster = app.state.broadcaster = Broadcaster(app.state.hub.storage)
    broadcaster.close()


# -- cursors --------------------------------------------------------------------------------------
def encode_event_cursor(after_event: int) -> str:
    """The opaque position after an event id (base64url JSON, like the item listings' cursors)."""
    raw = json.dumps({"after": after_event}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_event_cursor(cursor: str) -> int:
    """Raises INVALID_CURSOR for anything `encode_event_cursor` did not make."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
        after = value["after"] if isinstance(value, dict) and set(value) == {"after"} else None
        if type(after) is not int or after < 0:
            raise ValueError("unexpected cursor content")
        return after
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise TabadolError(ErrorCode.INVALID_CURSOR) from exc


def parse_last_event_id(value: str) -> int:
    """An SSE Last-Event-ID is an event id as the stream sent it; anything else is INVALID_CURSOR."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise TabadolError(ErrorCode.INVALID_CURSOR)
    return int(text)


# -- reading --------------------------------------------------------------------------------------
def read_events(hub: Hub, subscription_id: str, after: int, limit: int, root: str) -> list[RenderedEvent]:
    contents = hub.storage.subscription_event_contents(subscription_id, after, limit)
    return render_contents(contents, MemberLookup(hub).get, root)


async def read_or_wait(
    hub: Hub, broadcaster: Broadcaster, subscription_id: str, after: int, limit: int, root: str, wait: float
) -> list[RenderedEvent]:
    """The events after `after`; if there are none, wait up to `wait` seconds for some to arrive."""
    if wait <= 0:
        return await run_in_threadpool(read_events, hub, subscription_id, after, limit, root)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    with broadcaster.waiter() as waiter:
        while True:
            waiter.arm()  # before the read: an event committed during it still wakes us
            found = await run_in_threadpool(read_events, hub, subscription_id, after, limit, root)
            # After the deadline the loop has made one last read: the log, not the wake-up, decides.
            if found or waiter.closed or loop.time() >= deadline:
                return found
            await waiter.wait(deadline - loop.time())


# -- the pull feed --------------------------------------------------------------------------------
@router.get("/{subscription_id}/feed", summary="The subscription's events after a cursor (pull)")
async def feed(
    subscription_id: str,
    request: Request,
    hub: HubDep,
    principal: AnyKey,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Long poll: seconds to wait for new events")
    ] = 0,
) -> dict[str, Any]:
    subscription = await run_in_threadpool(visible_subscription, hub, principal, subscription_id)
    after = decode_event_cursor(cursor) if cursor is not None else 0
    # One more than asked tells whether another page follows without a count query.
    found = await read_or_wait(
        hub, broadcaster_of(request.app), subscription.id, after, limit + 1, base_url(request), wait
    )
    page = found[:limit]
    last = page[-1].event.id if page else after
    return {
        "subscription": subscription.id,
        "events": [event_json(rendered) for rendered in page],
        "next_cursor": encode_event_cursor(last),
        "has_more": len(found) > limit,
    }


# -- the live stream ------------------------------------------------------------------------------
def sse_message(rendered: RenderedEvent) -> str:
    # json.dumps escapes line breaks inside strings, so the data is always one line.
    data = json.dumps(event_json(rendered), ensure_ascii=False, separators=(",", ":"))
    return f"id: {rendered.event.id}\nevent: {rendered.event.kind.value}\ndata: {data}\n\n"


async def event_stream(
    hub: Hub, subscription: Subscription, after: int, root: str, broadcaster: Broadcaster
) -> AsyncIterator[str]:
    """SSE messages for every event after `after`, then for each new one as it is written, until
    the client goes (the response task is cancelled) or the broadcaster closes (shutdown)."""
    loop = asyncio.get_running_loop()
    with broadcaster.waiter() as waiter:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        last_write = loop.time()
        while not waiter.closed:
            waiter.arm()  # before the read: an event committed during it still wakes us
            found = await run_in_threadpool(read_events, hub, subscription.id, after, STREAM_BATCH, root)
            for rendered in found:
                yield sse_message(rendered)
                after = rendered.event.id
            if found:
                last_write = loop.time()
            if len(found) == STREAM_BATCH:
                continue  # catching up: read on without waiting
            # Wake-ups for other subscriptions' events write nothing here: the heartbeat is due
            # after quiet on *this* stream, not after a quiet hub.
            quiet_for = loop.time() - last_write
            if quiet_for >= HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_write = loop.time()
                continue
            await waiter.wait(HEARTBEAT_SECONDS - quiet_for)


@router.get(
    "/{subscription_id}/stream",
    summary="The subscription's events as they happen (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {STREAM_MEDIA_TYPE: {}}}},
)
async def stream(
    subscription_id: str,
    request: Request,
    hub: HubDep,
    principal: AnyKey,
    last_event_id: Annotated[
        str | None, Query(description="Resume after this event id (browsers send the header instead)")
    ] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    subscription = await run_in_threadpool(visible_subscription, hub, principal, subscription_id)
    # An empty Last-Event-ID is the SSE spelling of "none received yet".
    resume_from = last_event_id_header or last_event_id
    resume_after = parse_last_event_id(resume_from) if resume_from else None
    if resume_after is None:
        # A new reader starts with what happens from now on; the feed serves the history.
        resume_after = await run_in_threadpool(hub.storage.last_event_id, subscription.id)
    messages = event_stream(hub, subscription, resume_after, base_url(request), broadcaster_of(request.app))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages, media_type=STREAM_MEDIA_TYPE, headers=headers)
