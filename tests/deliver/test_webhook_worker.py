"""The webhook sender against a real HTTP receiver, on both backends: order, retries, dead letters,
replay, pause, secret rotation, withdrawn content, and two senders never sending one event twice."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tabadol.config import Settings
from tabadol.deliver import webhooks as ops
from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.events import render_contents
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.deliver.webhook_http import check_webhook_url
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.types import utc_now
from webhook_receiver import Received, WebhookReceiver

# Tiny backoff so retries take milliseconds; the production numbers are tested in their own module.
FAST = {"backoff_base": 0.01, "backoff_cap": 0.05, "poll_seconds": 0.05}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The receiver listens on 127.0.0.1: private addresses must be allowed, as on an internal network.
    return Settings(database_url=database_url, data_dir=tmp_path, allow_private_feed_urls=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.close()


def push(hub: Hub, guid: str, headline: str) -> str:
    body = {"uri": guid, "type": "text", "language": "fa", "headlines": [{"role": "main", "value": headline}]}
    body["bodies"] = [{"role": "main", "contentType": "text/plain", "value": headline + " متن خبر."}]
    report = hub.ingest_payload(
        "irna", json.dumps(body, ensure_ascii=False).encode(), "application/ninjs+json", via="test"
    )
    return report.outcomes[0].item_id


def subscribe(hub: Hub, receiver: WebhookReceiver, member: str, path: str) -> str:
    if hub.storage.get_member(member) is None:
        hub.add_member(member, {"en": member.upper()}, "AZ", ["az"])
    subscription = add_subscription(hub, member, f"{member} wire", build_filter(members=["irna"]), OPERATOR)
    secret = ops.set_webhook(hub, subscription.id, receiver.url(path), OPERATOR)
    assert secret is not None and secret.startswith("tbdwh_")
    receiver.secrets.append(secret)
    return subscription.id


def expected_ids(hub: Hub, subscription_id: str) -> list[int]:
    """The events a receiver must get: every event of the log but content withdrawn since."""
    contents = hub.storage.subscription_event_contents(subscription_id, 0, 10_000)
    rendered = render_contents(contents, hub.storage.get_member)
    return [entry.event.id for entry in rendered if not entry.withdrawn]


def reaches(receiver: WebhookReceiver, path: str, count: int) -> Callable[[], bool]:
    return lambda: len(receiver.on(path)) >= count


def ids(entries: list[Received]) -> list[int]:
    return [entry.event_id for entry in entries]


@pytest.fixture
def irna(hub: Hub) -> None:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])


def run_sender(hub: Hub, **overrides: object) -> Callable[[], None]:
    return ops.start_webhook_sender(hub, **{**FAST, **overrides})


@pytest.mark.usefixtures("irna")
def test_a_receiver_that_refuses_for_a_while_gets_everything_once_in_order(
    hub: Hub, receiver: WebhookReceiver
) -> None:
    first = subscribe(hub, receiver, "azertac", "/azertac")
    second = subscribe(hub, receiver, "tass", "/tass")
    items = [push(hub, f"urn:irna:{n}", f"خبر شماره {n}") for n in range(20)]
    Dispatcher(hub.storage).drain()
    push(hub, "urn:irna:3", "خبر شماره 3 (اصلاح)")  # an update: version 2
    hub.kill_item(items[7], OPERATOR, "wrong figures")  # killed before its delivery: withdrawn
    Dispatcher(hub.storage).drain()
    receiver.refuse_first(15)
    stop = run_sender(hub)
    try:
        for sid, path in ((first, "/azertac"), (second, "/tass")):
            want = expected_ids(hub, sid)
            assert len(want) == 21  # 20 publishes - the withdrawn one + the update + the kill
            assert receiver.wait_for(reaches(receiver, path, len(want))), ids(receiver.on(path))
            got = receiver.on(path)
            assert ids(got) == want  # in order, each once
            assert len({entry.key for entry in got}) == len(got)
            kinds = [entry.kind for entry in got]
            assert kinds.count("update") == 1 and kinds.count("kill") == 1
    finally:
        stop()
    assert receiver.refused == 15 and receiver.bad_signatures == []
    state = ops.webhook_state(hub, first)
    assert state.position == hub.storage.last_event_id(first) and state.attempts == 0
    assert ops.dead_letters(hub, first) == []


@pytest.mark.usefixtures("irna")
def test_content_killed_after_dispatch_is_passed_over_and_the_kill_is_sent(
    hub: Hub, receiver: WebhookReceiver
) -> None:
    sid = subscribe(hub, receiver, "azertac", "/a")
    killed = push(hub, "urn:irna:k", "خبر نادرست")
    push(hub, "urn:irna:ok", "خبر درست")
    Dispatcher(hub.storage).drain()
    hub.kill_item(killed, OPERATOR, "wrong")
    Dispatcher(hub.storage).drain()
    worker = ops.worker_for(hub, **FAST)
    try:
        worker.drain()
    finally:
        worker.close()
    got = receiver.on("/a")
    assert [(entry.kind, entry.version) for entry in got] == [("publish", 1), ("kill", 2)]
    assert got[1].body["pubStatus"] == "canceled"
    assert ops.webhook_state(hub, sid).position == hub.storage.last_event_id(sid)


@pytest.mark.usefixtures("irna")
def test_dead_letters_after_max_attempts_then_replay_from_an_event_and_from_a_time(
    hub: Hub, receiver: WebhookReceiver
) -> None:
    sid = subscribe(hub, receiver, "azertac", "/a")
    before = utc_now()
    push(hub, "urn:irna:1", "یک")
    push(hub, "urn:irna:2", "دو")
    Dispatcher(hub.storage).drain()
    events = hub.storage.subscription_events(sid, 0, 100)
    receiver.refuse()
    stop = run_sender(hub, max_attempts=3)
    try:
        assert receiver.wait_for(lambda: len(ops.dead_letters(hub, sid)) == 2)
    finally:
        stop()
    assert receiver.requests == 6 and receiver.received == []  # 3 attempts per event
    letters = ops.dead_letters(hub, sid)
    assert sorted(letter.event_id for letter in letters) == [e.id for e in events]
    assert all(letter.attempts == 3 and letter.last_status == 503 for letter in letters)
    assert ops.webhook_state(hub, sid).position == events[-1].id

    receiver.recover()
    ops.replay_webhook(hub, sid, OPERATOR, from_event=events[1].id)
    drain(hub)
    assert ids(receiver.on("/a")) == [events[1].id]
    replayed = {letter.event_id: letter.replayed_at for letter in ops.dead_letters(hub, sid)}
    assert replayed[events[1].id] is not None and replayed[events[0].id] is None

    ops.replay_webhook(hub, sid, OPERATOR, since=before)
    drain(hub)
    assert ids(receiver.on("/a")) == [events[1].id, events[0].id, events[1].id]
    # Nothing written after a time: a replay from it sends nothing and skips nothing.
    ops.replay_webhook(hub, sid, OPERATOR, since=utc_now() + timedelta(hours=1))
    assert ops.webhook_state(hub, sid).position == events[-1].id
    actions = [entry.action for entry in hub.storage.list_audit()]
    assert actions.count("webhook.replay") == 3 and "webhook.create" in actions


def drain(hub: Hub, **overrides: object) -> int:
    worker = ops.worker_for(hub, **{**FAST, **overrides})
    try:
        return worker.drain()
    finally:
        worker.close()


@pytest.mark.usefixtures("irna")
def test_a_paused_webhook_sends_nothing_until_resumed(hub: Hub, receiver: WebhookReceiver) -> None:
    sid = subscribe(hub, receiver, "azertac", "/a")
    ops.pause_webhook(hub, sid, True, OPERATOR)
    push(hub, "urn:irna:1", "یک")
    Dispatcher(hub.storage).drain()
    assert drain(hub) == 0 and receiver.requests == 0
    assert ops.webhook_state(hub, sid).paused_at is not None
    ops.pause_webhook(hub, sid, False, OPERATOR)
    assert drain(hub) == 1
    assert [entry.kind for entry in receiver.on("/a")] == ["publish"]


@pytest.mark.usefixtures("irna")
def test_rotation_signs_with_both_secrets_during_the_grace_period(
    hub: Hub, receiver: WebhookReceiver
) -> None:
    sid = subscribe(hub, receiver, "azertac", "/a")
    old = receiver.secrets[0]
    push(hub, "urn:irna:1", "یک")
    Dispatcher(hub.storage).drain()
    drain(hub)
    new = ops.rotate_webhook_secret(hub, sid, OPERATOR)
    assert new != old and ops.webhook_state(hub, sid).rotating
    receiver.secrets.append(new)
    push(hub, "urn:irna:2", "دو")
    Dispatcher(hub.storage).drain()
    drain(hub)
    newest = ops.rotate_webhook_secret(hub, sid, OPERATOR, grace=timedelta(0))  # no grace: old stops now
    receiver.secrets.append(newest)
    push(hub, "urn:irna:3", "سه")
    Dispatcher(hub.storage).drain()
    drain(hub)
    assert [entry.verified_with for entry in receiver.on("/a")] == [(old,), (old, new), (newest,)]
    assert not ops.webhook_state(hub, sid).rotating


@pytest.mark.usefixtures("irna")
def test_two_senders_never_deliver_one_event_twice(hub: Hub, receiver: WebhookReceiver) -> None:
    paths = [f"/m{n}" for n in range(4)]
    sids = [subscribe(hub, receiver, f"mem{n}", path) for n, path in enumerate(paths)]
    for n in range(12):
        push(hub, f"urn:irna:{n}", f"خبر {n}")
    Dispatcher(hub.storage).drain()
    receiver.delay = 0.005  # long enough for the two senders to contend for endpoints
    stops = [run_sender(hub, concurrency=2, lease_seconds=30.0) for _ in range(2)]
    try:
        for sid, path in zip(sids, paths, strict=True):
            want = expected_ids(hub, sid)
            assert receiver.wait_for(reaches(receiver, path, len(want)))
    finally:
        for stop in stops:
            stop()
    for sid, path in zip(sids, paths, strict=True):
        assert ids(receiver.on(path)) == expected_ids(hub, sid)
    assert receiver.requests == len(receiver.received) == 48


@pytest.mark.usefixtures("irna")
def test_two_drains_racing_on_one_endpoint_send_each_event_once(hub: Hub, receiver: WebhookReceiver) -> None:
    subscribe(hub, receiver, "azertac", "/a")
    for n in range(10):
        push(hub, f"urn:irna:{n}", f"خبر {n}")
    Dispatcher(hub.storage).drain()
    threads = [threading.Thread(target=drain, args=(hub,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    got = ids(receiver.on("/a"))
    assert got == sorted(set(got)) and len(got) == 10


def test_endpoint_urls_are_https_unless_private_networks_are_allowed() -> None:
    for url, allow in (
        ("http://8.8.8.8/hook", False),
        ("ftp://8.8.8.8/hook", True),
        ("https://10.0.0.8/hook", False),
        ("https://127.0.0.1:8443/hook", False),
        ("https://169.254.169.254/latest", True),  # link-local stays refused even when allowed
        ("https://user:pw@8.8.8.8/hook", False),
    ):
        with pytest.raises(TabadolError) as refused:
            check_webhook_url(url, allow_private=allow)
        assert refused.value.code is ErrorCode.WEBHOOK_URL_INVALID, url
    check_webhook_url("https://8.8.8.8/hook", allow_private=False)  # a literal: no DNS query
    check_webhook_url("http://127.0.0.1:9/hook", allow_private=True)


@pytest.mark.usefixtures("irna")
def test_a_failed_request_is_recorded_with_its_status_and_retried_later(
    hub: Hub, receiver: WebhookReceiver
) -> None:
    sid = subscribe(hub, receiver, "azertac", "/a")
    push(hub, "urn:irna:1", "یک")
    Dispatcher(hub.storage).drain()
    receiver.refuse()
    before = utc_now()
    drain(hub, backoff_base=60.0, backoff_cap=600.0)
    state = ops.webhook_state(hub, sid)
    assert state.attempts == 1 and state.last_status == 503 and state.last_error
    # First retry after 60 s, up to half of it off at random (jitter).
    assert before + timedelta(seconds=29) <= state.next_attempt_at <= utc_now() + timedelta(seconds=61)
    assert drain(hub) == 0  # not due yet: nothing is claimed
    assert receiver.requests == 1
    assert state.position == 0


def test_the_sender_reports_outcomes_as_values_never_exceptions(receiver: WebhookReceiver) -> None:
    from tabadol.deliver.webhook_http import SignedRequest, WebhookHttp

    http = WebhookHttp(allow_private=True, connect_timeout=2.0, request_timeout=2.0)
    guarded = WebhookHttp(allow_private=False)
    request = SignedRequest(b"{}", {"Content-Type": "application/ninjs+json"})
    try:
        receiver.refuse()
        refused = http.post(receiver.url("/a"), request)
        assert (refused.delivered, refused.status) == (False, 503) and refused.error == "HTTP 503"
        receiver.recover()
        unsigned = http.post(receiver.url("/a"), request)  # the receiver holds no secret: 401
        assert (unsigned.delivered, unsigned.status) == (False, 401)
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        unreachable = http.post(f"http://127.0.0.1:{closed_port}/a", request)
        assert not unreachable.delivered and unreachable.status is None and unreachable.error
        # Without private networks allowed, the guard refuses the address when connecting.
        blocked = guarded.post(receiver.url("/a"), request)
        assert not blocked.delivered and "loopback" in (blocked.error or "")
    finally:
        http.close()
        guarded.close()
    assert receiver.received == [] and receiver.requests == 2
