"""The live stream (Server-Sent Events) through a real server: uvicorn on 127.0.0.1 in a thread,
read with httpx's streaming client. Every wait is bounded (a read timeout or a polling deadline)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from web_helpers import bearer, ninjs_bytes

from live_stream import DEADLINE_SECONDS, READ_TIMEOUT, SseClient, served
from tabadol.deliver.dispatcher import Dispatcher, start_dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo, utc_now
from tabadol.web.api import events as events_api
from tabadol.web.api.events import close_live_streams
from tabadol.web.app import create_app


@pytest.fixture(autouse=True)
def _heartbeats_after_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # A quiet stream re-reads the log at each heartbeat: with heartbeats beyond the read deadline, an
    # event reaches a test only through the broadcaster's wake-up, so a lost one fails the test.
    monkeypatch.setattr(events_api, "HEARTBEAT_SECONDS", DEADLINE_SECONDS * 6)


@dataclass
class Server:
    base: str
    app: FastAPI


@pytest.fixture
def server(hub: Hub) -> Iterator[Server]:
    """The API over `hub`, served by uvicorn on 127.0.0.1."""
    app = create_app(hub)
    with served(app) as base:
        yield Server(base, app)


@pytest.fixture
def subscription(hub: Hub, member: MemberInfo, tass: MemberInfo) -> str:
    """irna's subscription to everything tass sends."""
    return add_subscription(hub, member.code, "from TASS", build_filter(members=[tass.code]), OPERATOR).id


def push(hub: Hub, guid: str, headline: str, dispatch: bool = True, **fields: Any) -> str:
    data = ninjs_bytes(guid=guid, headline=headline, language="ru", **fields)
    report = hub.ingest_payload("tass", data, "application/ninjs+json", via="test")
    if dispatch:
        Dispatcher(hub.storage).drain()
    return report.outcomes[0].item_id


@dataclass
class Streams:
    base: str
    token: str

    @contextmanager
    def open(
        self,
        subscription_id: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[SseClient]:
        url = f"{self.base}/api/v1/subscriptions/{subscription_id}/stream"
        with (
            httpx.Client(timeout=READ_TIMEOUT) as client,
            client.stream(
                "GET", url, params=params, headers={**bearer(self.token), **(headers or {})}
            ) as response,
        ):
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = SseClient(response)
            # The first message is the reconnection hint, sent once the starting position is fixed.
            first = stream.next_message()
            assert first is not None and first.retry == events_api.RETRY_MILLISECONDS
            yield stream


@pytest.fixture
def streams(server: Server, reader_token: str) -> Streams:
    return Streams(server.base, reader_token)


def test_publish_update_and_kill_arrive_in_order(hub: Hub, streams: Streams, subscription: str) -> None:
    push(hub, "urn:tass:old", "Старая новость")  # before the stream opened: not sent
    with streams.open(subscription) as stream:
        item_id = push(hub, "urn:tass:1", "Новость")
        push(hub, "urn:tass:1", "Новость (исправлено)")
        hub.kill_item(item_id, OPERATOR, "wrong figures")
        Dispatcher(hub.storage).drain()
        got = [stream.next_event() for _ in range(3)]
    assert [message.event for message in got] == ["publish", "update", "kill"]
    log = [event.id for event in hub.storage.subscription_events(subscription, 0, 100)]
    assert [message.id for message in got] == log[1:]
    for message in got:
        assert message.data is not None
        assert message.data["id"] == message.id and message.data["type"] == message.event
        assert message.data["item_id"] == item_id


def test_events_from_a_running_dispatcher_reach_the_stream(
    hub: Hub, streams: Streams, subscription: str
) -> None:
    stop = start_dispatcher(hub.storage, poll_seconds=30.0)
    try:
        with streams.open(subscription) as stream:
            item_id = push(hub, "urn:tass:live", "Живая новость", dispatch=False)
            message = stream.next_event()
    finally:
        stop()
    assert message.event == "publish" and message.data is not None
    assert message.data["item_id"] == item_id
    assert message.data["item"]["headlines"][0]["value"] == "Живая новость"


def test_resume_with_last_event_id_has_no_gap_and_no_repeat(
    hub: Hub, streams: Streams, subscription: str
) -> None:
    received: list[int] = []
    with streams.open(subscription) as stream:
        for number in range(4):
            push(hub, f"urn:tass:{number}", f"Новость {number}")
        received += [stream.next_event().id for _ in range(2)]  # type: ignore[misc]
    # Disconnected: events keep coming.
    for number in range(4, 7):
        push(hub, f"urn:tass:{number}", f"Новость {number}")
    with streams.open(subscription, headers={"Last-Event-ID": str(received[-1])}) as stream:
        received += [stream.next_event().id for _ in range(5)]  # type: ignore[misc]
    everything = [event.id for event in hub.storage.subscription_events(subscription, 0, 100)]
    assert received == everything and len(everything) == 7


def test_resume_from_a_query_parameter(hub: Hub, streams: Streams, subscription: str) -> None:
    first = push(hub, "urn:tass:1", "Первая")
    second = push(hub, "urn:tass:2", "Вторая")
    # ?last_event_id=0: from the start of the log (browsers' EventSource cannot set the header).
    with streams.open(subscription, params={"last_event_id": "0"}) as stream:
        got = [stream.next_event() for _ in range(2)]
    assert [message.data["item_id"] for message in got if message.data] == [first, second]


def test_embargoed_item_is_absent_until_released(hub: Hub, streams: Streams, subscription: str) -> None:
    until = (utc_now() + timedelta(hours=1)).replace(microsecond=0)
    embargo = until.isoformat().replace("+00:00", "Z")
    with streams.open(subscription) as stream:
        embargoed = push(hub, "urn:tass:embargo", "Под эмбарго", embargoed=embargo)
        free = push(hub, "urn:tass:free", "Без эмбарго")
        first = stream.next_event()
        Dispatcher(hub.storage, clock=lambda: until + timedelta(seconds=1)).drain()
        second = stream.next_event()
    assert first.data is not None and first.data["item_id"] == free
    assert second.data is not None and second.data["item_id"] == embargoed


def test_a_quiet_stream_sends_heartbeats(
    streams: Streams, subscription: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_api, "HEARTBEAT_SECONDS", 0.1)
    with streams.open(subscription) as stream:
        message = stream.next_message()
    assert message is not None and message.id is None and message.comments == ["heartbeat"]


def test_stream_ends_when_the_client_goes_and_when_the_server_closes(
    server: Server, streams: Streams, subscription: str
) -> None:
    broadcaster = events_api.broadcaster_of(server.app)
    with streams.open(subscription):
        assert broadcaster.waiting == 1
    wait_until(lambda: broadcaster.waiting == 0, "the stream did not end when its client went")
    with streams.open(subscription) as stream:
        close_live_streams(server.app)  # what a server shutting down does
        assert stream.next_message() is None  # the server ended the response
    with streams.open(subscription) as stream:  # a stream opened after that ends at once
        assert stream.next_message() is None


def test_refusals_are_json_errors(
    server: Server, subscription: str, tass_editor_token: str, reader_token: str
) -> None:
    url = f"{server.base}/api/v1/subscriptions/{subscription}/stream"
    other = httpx.get(url, headers=bearer(tass_editor_token), timeout=READ_TIMEOUT)
    assert other.status_code == 404 and other.json()["error"]["number"] == "E314"
    invalid = httpx.get(url, headers={**bearer(reader_token), "Last-Event-ID": "abc"}, timeout=READ_TIMEOUT)
    assert invalid.status_code == 400 and invalid.json()["error"]["number"] == "E308"
    assert httpx.get(url, timeout=READ_TIMEOUT).status_code == 401


def wait_until(condition: Any, failure: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.02)
