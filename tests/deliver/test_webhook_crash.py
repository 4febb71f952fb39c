"""A delivery process killed with SIGKILL in the middle of sending loses nothing: once restarted, the
receiver has every version, in order after dropping repeats by idempotency key (the receiver
contract), and the repeats are at most what was acknowledged since the last committed batch of
progress plus the request in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tabadol.config import Settings
from tabadol.deliver import webhooks as ops
from tabadol.deliver.events import render_contents
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.deliver.webhooks import PROGRESS_EVERY
from tabadol.hub import OPERATOR, Hub
from webhook_receiver import Received, WebhookReceiver

pytestmark = pytest.mark.slow

# A short lease, so the restarted process takes over the killed one's endpoint within seconds.
LEASE_SECONDS = 2


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, allow_private_feed_urls=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    slow = WebhookReceiver(delay=0.15)  # slow enough that a kill lands while a request is open
    yield slow
    slow.close()


def push(hub: Hub, guid: str, headline: str) -> None:
    body = {"uri": guid, "type": "text", "language": "ru", "headlines": [{"role": "main", "value": headline}]}
    body["bodies"] = [{"role": "main", "contentType": "text/plain", "value": headline + ". Текст."}]
    hub.ingest_payload(
        "tass", json.dumps(body, ensure_ascii=False).encode(), "application/ninjs+json", via="test"
    )


def start_delivery_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TABADOL_DATABASE_URL": settings.database_url,
        "TABADOL_DATA_DIR": str(settings.data_dir),
        "TABADOL_ALLOW_PRIVATE_FEED_URLS": "1",
        "TABADOL_WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(  # noqa: S603 - our own command line, no shell
        [sys.executable, "-m", "tabadol", "deliver", "--follow"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def first_of_each_key(received: list[Received]) -> list[Received]:
    seen: set[str] = set()
    unique = []
    for entry in received:
        if entry.key not in seen:
            seen.add(entry.key)
            unique.append(entry)
    return unique


def test_a_killed_delivery_process_loses_nothing(
    hub: Hub, settings: Settings, receiver: WebhookReceiver
) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    hub.add_member("kazinform", {"en": "Kazinform"}, "KZ", ["kk", "ru"])
    subscription = add_subscription(hub, "kazinform", "TASS wire", build_filter(members=["tass"]), OPERATOR)
    secret = ops.set_webhook(hub, subscription.id, receiver.url("/kazinform"), OPERATOR)
    assert secret is not None
    receiver.secrets.append(secret)
    for n in range(12):
        push(hub, f"urn:tass:{n}", f"Новость {n}")

    process = start_delivery_process(settings)
    try:
        assert receiver.wait_for(lambda: len(receiver.received) >= 4, timeout=30.0), "nothing was delivered"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        # One endpoint, one request at a time: what can come again is what was acknowledged since the
        # last committed batch of progress, and the request in flight.
        in_flight_at_kill = PROGRESS_EVERY + 1
        delivered_before_kill = len(receiver.received)
        assert delivered_before_kill < 13, "the kill came too late to test anything"
        push(hub, "urn:tass:3", "Новость 3 (исправлено)")  # an update while delivery is down
        push(hub, "urn:tass:12", "Новость 12")

        process = start_delivery_process(settings)
        events = lambda: hub.storage.subscription_events(subscription.id, 0, 1000)  # noqa: E731
        assert receiver.wait_for(lambda: len(events()) == 14, timeout=30.0)
        want = [
            entry.event.id
            for entry in render_contents(
                hub.storage.subscription_event_contents(subscription.id, 0, 1000), hub.storage.get_member
            )
            if not entry.withdrawn
        ]
        assert receiver.wait_for(
            lambda: len(first_of_each_key(receiver.received)) >= len(want), timeout=30.0
        ), [entry.event_id for entry in receiver.received]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read().decode() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    unique = first_of_each_key(receiver.received)
    assert [entry.event_id for entry in unique] == want
    assert [(entry.kind, entry.version) for entry in unique if entry.kind == "update"] == [("update", 2)]
    repeats = len(receiver.received) - len(unique)
    assert repeats <= in_flight_at_kill
    assert receiver.bad_signatures == []
    assert ops.webhook_state(hub, subscription.id).position == want[-1]
