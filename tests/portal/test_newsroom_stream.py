"""The wire's live updates (Server-Sent Events) through a real server: uvicorn on 127.0.0.1 in a
thread, a browser-like httpx client with the session cookie. Every wait is bounded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import lxml.html
import pytest
from fastapi import FastAPI
from newsroom_support import PASSWORD, add_account, add_members, iso, push

from live_stream import DEADLINE_SECONDS, READ_TIMEOUT, SseClient, served
from tabadol.hub import OPERATOR, Hub
from tabadol.types import Take, utc_now
from tabadol.web.api.events import close_live_streams
from tabadol.web.app import create_app
from tabadol.web.portal.pages import newsroom_live


@pytest.fixture(autouse=True)
def _heartbeats_after_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # A quiet stream re-reads at each heartbeat: beyond the deadline, an item reaches the test only
    # through the change signal's wake-up, so a lost wake-up fails the test.
    monkeypatch.setattr(newsroom_live, "HEARTBEAT_SECONDS", DEADLINE_SECONDS * 6)


@dataclass
class Server:
    base: str
    app: FastAPI


@pytest.fixture
def server(hub: Hub) -> Iterator[Server]:
    add_members(hub)
    add_account(hub, "leila")
    app = create_app(hub)
    with served(app) as base:
        yield Server(base, app)


@pytest.fixture
def browser(server: Server) -> Iterator[httpx.Client]:
    """A logged-in browser (cookies kept), through the login form."""
    with httpx.Client(base_url=server.base, timeout=READ_TIMEOUT) as client:
        form = client.get("/en/newsroom/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = client.post(
            "/en/newsroom/login",
            data={"csrf_token": token.group(1), "username": "leila", "password": PASSWORD},
        )
        assert answer.status_code == 303
        yield client


@contextmanager
def wire_stream(browser: httpx.Client, lang: str = "en", query: str = "") -> Iterator[SseClient]:
    """Open the stream the wire page names (data-stream), as the page's script does."""
    page = lxml.html.fromstring(browser.get(f"/{lang}/newsroom/wire{query}").text)
    stream_href = page.xpath("//ol[@class='wire-list']/@data-stream")[0]
    with browser.stream("GET", stream_href) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = SseClient(response)
        first = stream.next_message()
        assert first is not None and first.retry == newsroom_live.RETRY_MILLISECONDS
        yield stream


def test_a_newly_pushed_item_arrives_as_a_rendered_row(hub: Hub, browser: httpx.Client) -> None:
    push(hub, "tass", "urn:tass:before", "До открытия", "ru")  # on the page already: not sent again
    with wire_stream(browser, "fa") as stream:
        push(hub, "irna", "urn:irna:own", "خبر خودی", "fa")  # Leila's own member: never on her wire
        item_id = push(hub, "tass", "urn:tass:live", "Паром вышел в рейс", "ru", urgency=1)
        message = stream.next_event()
    assert message.event == "item" and message.data is not None
    assert message.data["id"] == item_id
    row = lxml.html.fragment_fromstring(message.data["html"])
    assert row.tag == "li" and "wire-item" in row.get("class") and "is-urgent" in row.get("class")
    headline = row.xpath(".//*[contains(@class,'wire-headline')]")[0]
    assert headline.get("lang") == "ru" and headline.text_content().strip() == "Паром вышел в рейс"
    assert row.xpath(".//a/@href")[0] == f"/fa/newsroom/item/{item_id}"  # in the page's language
    assert message.id == hub.readable_item(item_id).seq


def test_corrections_replace_and_kills_remove_with_a_notice_when_taken(
    hub: Hub, browser: httpx.Client
) -> None:
    item_id = push(hub, "tass", "urn:tass:1", "Сообщение", "ru")
    item = hub.readable_item(item_id)
    hub.storage.record_take(Take(item.id, 1, "tass", "irna", None, "ru", "fa", True, utc_now()))
    with wire_stream(browser) as stream:
        push(hub, "tass", "urn:tass:1", "Сообщение (исправлено)", "ru", when="2026-11-20T11:00:00Z")
        update = stream.next_event()
        hub.kill_item(item_id, OPERATOR, "wrong figures")
        kill = stream.next_event()
    assert update.event == "item" and update.data is not None and update.data["version"] == 2
    assert "Changed since you took version 1" in update.data["html"]
    assert kill.event == "kill" and kill.data is not None
    assert kill.data["id"] == item_id and kill.data["taken"] is True
    assert "kill-notice" in kill.data["html"] and "Сообщение (исправлено)" in kill.data["html"]


def test_the_stream_keeps_the_pages_filters_and_resumes_after_the_last_event(
    hub: Hub, browser: httpx.Client
) -> None:
    with wire_stream(browser, query="?member=azertac") as stream:
        push(hub, "tass", "urn:tass:x", "Не тот участник", "ru")
        wanted = push(hub, "azertac", "urn:az:x", "Doğru üzv", "az")
        message = stream.next_event()
    assert message.data is not None and message.data["id"] == wanted
    # Reconnecting with Last-Event-ID (as EventSource does) picks up what came in between.
    later = push(hub, "azertac", "urn:az:y", "Sonrakı xəbər", "az")
    headers = {"Last-Event-ID": str(message.id)}
    with browser.stream("GET", "/en/newsroom/wire/stream?member=azertac", headers=headers) as response:
        stream = SseClient(response)
        resumed = stream.next_event()
    assert resumed.data is not None and resumed.data["id"] == later


def test_the_stream_needs_a_login_and_ends_when_the_server_closes(server: Server, hub: Hub) -> None:
    with httpx.Client(base_url=server.base, timeout=READ_TIMEOUT) as anonymous:
        assert anonymous.get("/en/newsroom/wire/stream").status_code == 303
    with httpx.Client(base_url=server.base, timeout=READ_TIMEOUT) as client:
        form = client.get("/en/newsroom/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        client.post(
            "/en/newsroom/login",
            data={"csrf_token": token.group(1), "username": "leila", "password": PASSWORD},
        )
        with wire_stream(client) as stream:
            close_live_streams(server.app)
            assert stream.next_message() is None  # the server ended it


def test_a_stream_ends_when_its_session_ends(
    hub: Hub, browser: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(newsroom_live, "HEARTBEAT_SECONDS", 0.2)  # the session is re-checked each beat
    page = lxml.html.fromstring(browser.get("/en/newsroom/wire").text)
    csrf = str(page.xpath("//form[@class='logout-form']/input[@name='csrf_token']/@value")[0])
    with wire_stream(browser) as stream:
        assert browser.post("/en/newsroom/logout", data={"csrf_token": csrf}).status_code == 303
        for _ in range(50):  # heartbeats until the next check finds the session gone
            message = stream.next_message()
            if message is None:
                break
            assert message.comments == ["heartbeat"]
        assert message is None, "the stream outlived its session"


def test_an_item_whose_embargo_ends_appears_live(
    hub: Hub, browser: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(newsroom_live, "HEARTBEAT_SECONDS", 0.3)  # no signal marks a release: reads do
    release = utc_now() + timedelta(seconds=2)
    held = push(hub, "tass", "urn:tass:held", "Под эмбарго", "ru", embargoed=iso(release))
    with wire_stream(browser) as stream:
        message = stream.next_event()  # bounded by the read timeout
    assert message.event == "item" and message.data is not None and message.data["id"] == held
    assert utc_now() >= release
