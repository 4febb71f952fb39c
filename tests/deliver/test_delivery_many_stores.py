"""Several hub processes on one database: each opens its own store (own connections, own in-process
signals, own listener on PostgreSQL), as processes on several machines would. Dispatchers and webhook
senders running on all of them at once still write each event once and send each event once, in order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tabadol.config import Settings
from tabadol.deliver import webhooks as ops
from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub, create_hub
from webhook_receiver import WebhookReceiver

ITEMS = 30
STORES = 3


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, allow_private_feed_urls=True)


@pytest.fixture
def other_hubs(hub: Hub, settings: Settings) -> Iterator[list[Hub]]:
    """More hubs on the same database, each with a store of its own."""
    hubs = [create_hub(replace(settings), migrate=False) for _ in range(STORES - 1)]
    yield hubs
    for other in hubs:
        other.close()


def push(hub: Hub, number: int) -> None:
    body = {
        "uri": f"urn:irna:{number}",
        "type": "text",
        "language": "fa",
        "headlines": [{"role": "main", "value": f"خبر {number}"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": f"متن خبر {number}."}],
    }
    hub.ingest_payload(
        "irna", json.dumps(body, ensure_ascii=False).encode(), "application/ninjs+json", via="t"
    )


def test_dispatchers_and_senders_on_several_stores_deliver_each_event_once(
    hub: Hub, other_hubs: list[Hub]
) -> None:
    hubs = [hub, *other_hubs]
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    receiver = WebhookReceiver()
    paths = []
    try:
        for number in range(4):
            member = f"m{number}"
            hub.add_member(member, {"en": member}, "AZ", ["az"])
            subscription = add_subscription(hub, member, "IRNA", build_filter(members=["irna"]), OPERATOR)
            secret = ops.set_webhook(hub, subscription.id, receiver.url(f"/{member}"), OPERATOR)
            assert secret is not None
            receiver.secrets.append(secret)
            paths.append((subscription.id, f"/{member}"))
        errors: list[BaseException] = []

        def work(each: Hub, offset: int) -> None:
            try:
                for number in range(offset, ITEMS, STORES):  # every store ingests a share
                    push(each, number)
                    Dispatcher(each.storage).drain()
                    ops.worker_for(each, concurrency=2).drain()
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(each, n)) for n, each in enumerate(hubs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        for each in hubs:  # whatever is left, by whichever store
            Dispatcher(each.storage).drain()
            ops.worker_for(each).drain()
        for subscription_id, path in paths:
            events = hub.storage.subscription_events(subscription_id, 0, 1000)
            assert len(events) == ITEMS  # each item once for each subscription
            got = [entry.event_id for entry in receiver.on(path)]
            assert got == [event.id for event in events]  # each sent once, in the log's order
        assert receiver.bad_signatures == []
    finally:
        receiver.close()
