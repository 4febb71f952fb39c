"""The pull feed: GET /api/v1/subscriptions/{id}/feed pages a subscription's event log by cursor."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.storage.cursor import encode_cursor
from tabadol.types import MemberInfo, Role, utc_now
from tabadol.web.api.events import (
    broadcaster_of,
    close_live_streams,
    decode_event_cursor,
    encode_event_cursor,
)

FEED = "/api/v1/subscriptions/{}/feed"
DEADLINE_SECONDS = 20.0


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    """The shared API client; its live readers are ended after the test (their thread with them)."""
    yield client
    close_live_streams(client.app)  # type: ignore[arg-type]


@pytest.fixture
def subscription(hub: Hub, member: MemberInfo, tass: MemberInfo) -> str:
    """irna's subscription to everything tass sends."""
    return add_subscription(hub, member.code, "from TASS", build_filter(members=[tass.code]), OPERATOR).id


def push(hub: Hub, guid: str, headline: str, **fields: Any) -> str:
    """A tass item stored and fanned out to the subscriptions' event logs."""
    data = ninjs_bytes(guid=guid, headline=headline, language="ru", **fields)
    report = hub.ingest_payload("tass", data, "application/ninjs+json", via="test")
    Dispatcher(hub.storage).drain()
    return report.outcomes[0].item_id


def log_ids(hub: Hub, subscription_id: str) -> list[int]:
    return [event.id for event in hub.storage.subscription_events(subscription_id, 0, 10_000)]


def get_feed(client: TestClient, token: str, subscription_id: str, **params: Any) -> Any:
    return client.get(FEED.format(subscription_id), params=params, headers=bearer(token))


def test_paging_while_items_arrive_neither_skips_nor_repeats(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    for number in range(7):
        push(hub, f"urn:tass:{number}", f"Новость {number}")
    seen: list[int] = []
    cursor: str | None = None
    arrivals = 0
    while True:
        params: dict[str, Any] = {"limit": 3} if cursor is None else {"limit": 3, "cursor": cursor}
        page = get_feed(client, reader_token, subscription, **params).json()
        seen += [event["id"] for event in page["events"]]
        cursor = page["next_cursor"]
        if arrivals < 4:  # new items (and a correction of an old one) between page reads
            push(hub, f"urn:tass:new{arrivals}", f"Свежая новость {arrivals}")
            push(hub, "urn:tass:0", f"Новость 0, исправлено {arrivals}")
            arrivals += 1
        elif not page["has_more"]:
            break
    assert seen == log_ids(hub, subscription)
    assert len(seen) == 7 + 4 * 2


def test_page_shape_and_events_in_one_json_shape(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    item_id = push(hub, "urn:tass:1", "Первая новость")
    push(hub, "urn:tass:1", "Первая новость (исправлено)")
    page = get_feed(client, reader_token, subscription).json()
    assert set(page) == {"subscription", "events", "next_cursor", "has_more"}
    assert page["subscription"] == subscription and page["has_more"] is False
    publish, update = page["events"]
    assert (publish["type"], publish["version"], publish["replaces"]) == ("publish", 1, None)
    assert (update["type"], update["version"], update["replaces"]) == ("update", 2, 1)
    assert publish["item_id"] == update["item_id"] == item_id
    assert publish["member"] == "tass" and publish["language"] == "ru"
    assert publish["item"]["headlines"][0]["value"] == "Первая новость"
    assert update["item"]["headlines"][0]["value"] == "Первая новость (исправлено)"
    assert decode_event_cursor(page["next_cursor"]) == update["id"]


def test_killed_content_is_withdrawn_and_the_kill_is_an_event(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    item_id = push(hub, "urn:tass:k", "Ошибочная новость")
    hub.kill_item(item_id, OPERATOR, "wrong figures")
    Dispatcher(hub.storage).drain()
    publish, kill = get_feed(client, reader_token, subscription).json()["events"]
    assert publish["withdrawn"] is True and "item" not in publish
    assert kill["type"] == "kill" and kill["item_id"] == item_id


def test_limit_and_has_more(client: TestClient, hub: Hub, subscription: str, reader_token: str) -> None:
    for number in range(3):
        push(hub, f"urn:tass:{number}", f"Новость {number}")
    first = get_feed(client, reader_token, subscription, limit=2).json()
    assert len(first["events"]) == 2 and first["has_more"] is True
    second = get_feed(client, reader_token, subscription, limit=2, cursor=first["next_cursor"]).json()
    assert len(second["events"]) == 1 and second["has_more"] is False
    # At the end the cursor stays where it is, so the client polls with it again.
    third = get_feed(client, reader_token, subscription, cursor=second["next_cursor"]).json()
    assert third["events"] == [] and third["has_more"] is False
    assert third["next_cursor"] == second["next_cursor"]
    for limit in (0, 1001):
        assert_error(get_feed(client, reader_token, subscription, limit=limit), 400, "invalid_query")


def test_a_subscription_without_events_has_an_empty_first_page(
    client: TestClient, subscription: str, reader_token: str
) -> None:
    page = get_feed(client, reader_token, subscription).json()
    assert page["events"] == [] and page["has_more"] is False
    assert decode_event_cursor(page["next_cursor"]) == 0


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "",
        base64.urlsafe_b64encode(b'{"after":-1}').decode().rstrip("="),
        base64.urlsafe_b64encode(b'{"after":"7"}').decode().rstrip("="),
        base64.urlsafe_b64encode(b'{"after":1,"x":2}').decode().rstrip("="),
        encode_cursor(utc_now(), "item1"),  # an item listing's cursor is not an event position
    ],
)
def test_invalid_cursor_is_e308(
    client: TestClient, subscription: str, reader_token: str, cursor: str
) -> None:
    error = assert_error(get_feed(client, reader_token, subscription, cursor=cursor), 400, "invalid_cursor")
    assert error["number"] == "E308"


def test_cursor_round_trip() -> None:
    for after in (0, 1, 2**40):
        assert decode_event_cursor(encode_event_cursor(after)) == after


def test_access_follows_the_subscription(
    client: TestClient,
    hub: Hub,
    subscription: str,
    reader_token: str,
    editor_token: str,
    tass_editor_token: str,
    issue_token: Callable[..., str],
) -> None:
    push(hub, "urn:tass:1", "Новость")
    assert get_feed(client, editor_token, subscription).status_code == 200
    # An administrator of another member reads it too.
    hub.add_member("kazinform", {"en": "Kazinform"}, "KZ", ["kk"])
    assert get_feed(client, issue_token(hub, "kazinform", Role.ADMIN), subscription).status_code == 200
    # Another member cannot tell it from a subscription that does not exist.
    other = assert_error(get_feed(client, tass_editor_token, subscription), 404, "subscription_not_found")
    missing = assert_error(get_feed(client, reader_token, "sub_missing"), 404, "subscription_not_found")
    assert other["number"] == missing["number"] == "E314"
    assert_error(client.get(FEED.format(subscription)), 401, "unauthenticated")


def test_a_revoked_key_is_refused(
    client: TestClient, hub: Hub, subscription: str, member: MemberInfo
) -> None:
    key, token = hub.issue_key(member.code, Role.READER, label="revoked reader")
    assert get_feed(client, token, subscription).status_code == 200
    hub.revoke_key(key.key_id)
    assert_error(get_feed(client, token, subscription), 401, "invalid_key")


def test_long_poll_answers_when_an_event_arrives(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    cursor = get_feed(client, reader_token, subscription).json()["next_cursor"]
    answers: list[Any] = []
    poll = threading.Thread(
        target=lambda: answers.append(get_feed(client, reader_token, subscription, cursor=cursor, wait=30))
    )
    poll.start()
    broadcaster = broadcaster_of(client.app)  # type: ignore[arg-type]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while broadcaster.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert broadcaster.waiting == 1, "the long poll never started waiting"
    item_id = push(hub, "urn:tass:late", "Поздняя новость")
    # Well inside the 30 s wait: an answer only at its end would mean the wake-up was lost.
    poll.join(timeout=DEADLINE_SECONDS)
    assert not poll.is_alive(), "the long poll did not wake when the event arrived"
    [event] = answers[0].json()["events"]
    assert event["item_id"] == item_id


def test_long_poll_with_nothing_new_answers_an_empty_page_after_the_wait(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    push(hub, "urn:tass:1", "Новость")
    cursor = get_feed(client, reader_token, subscription).json()["next_cursor"]
    page = get_feed(client, reader_token, subscription, cursor=cursor, wait=0.3).json()
    assert page["events"] == [] and page["next_cursor"] == cursor
    assert_error(get_feed(client, reader_token, subscription, wait=31), 400, "invalid_query")


def test_embargoed_item_is_not_in_the_feed_until_released(
    client: TestClient, hub: Hub, subscription: str, reader_token: str
) -> None:
    until = (utc_now() + timedelta(hours=1)).replace(microsecond=0)
    embargoed = push(hub, "urn:tass:e", "Под эмбарго", embargoed=until.isoformat().replace("+00:00", "Z"))
    assert get_feed(client, reader_token, subscription).json()["events"] == []
    Dispatcher(hub.storage, clock=lambda: until + timedelta(seconds=1)).drain()
    [event] = get_feed(client, reader_token, subscription).json()["events"]
    assert event["item_id"] == embargoed and event["type"] == "publish"
