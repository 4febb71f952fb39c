"""Cross-process wake-ups on PostgreSQL: commits made through one store raise the signals of another
store on the same database (LISTEN/NOTIFY), as two hub processes would see each other.

Two PostgresStorage objects in one test process stand for two processes: each has its own pool,
its own signals and its own listener connection. Waits are bounded by generous deadlines, and every
assertion checks that a signal's counter moved, never how fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tabadol.config import Settings
from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub, create_hub
from tabadol.storage.postgres import LISTENER_APPLICATION_NAME, PostgresStorage
from tabadol.storage.signals import CHANGES, EVENTS
from tabadol.storage.sqlite import SQLiteStorage

DEADLINE_SECONDS = 20.0


@pytest.fixture
def pg_url(backend: str, database_url: str) -> str:
    if backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's (SQLite's no-op is tested below)")
    return database_url


@pytest.fixture
def writer_hub(pg_url: str, tmp_path: Path) -> Iterator[Hub]:
    """The process that stores items and dispatches them."""
    hub = create_hub(Settings(database_url=pg_url, data_dir=tmp_path))
    yield hub
    hub.close()


@pytest.fixture
def other_process(pg_url: str) -> Iterator[PostgresStorage]:
    """Another process's store on the same database, listening."""
    storage = PostgresStorage(pg_url)
    storage.start_listening()
    storage.start_listening()  # idempotent: still one listener
    yield storage
    storage.close()


def wait_until(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.02)


def push(hub: Hub, guid: str) -> None:
    body = {
        "uri": guid,
        "type": "text",
        "language": "fa",
        "headlines": [{"role": "main", "value": "خبر"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "متن خبر."}],
    }
    data = json.dumps(body, ensure_ascii=False).encode()
    hub.ingest_payload("irna", data, "application/ninjs+json", via="test")


def listening(storage: PostgresStorage) -> int:
    """Wait until the listener is connected; return how many connections it has made."""
    wait_until(lambda: storage.listener.listening, "the listener never connected")
    return storage.listener.connections


def test_a_dispatch_in_one_process_wakes_waiters_in_another(
    writer_hub: Hub, other_process: PostgresStorage
) -> None:
    writer_hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    add_subscription(writer_hub, "irna", "all", build_filter(), OPERATOR)
    listening(other_process)
    changes_seen = other_process.signals.count(CHANGES)
    events_seen = other_process.signals.count(EVENTS)

    push(writer_hub, "urn:irna:1")
    # The ingest's commit carries NOTIFY tabadol_changes: the other process's dispatcher would wake.
    assert other_process.signals.wait(CHANGES, changes_seen, DEADLINE_SECONDS) != changes_seen
    assert other_process.signals.count(EVENTS) == events_seen  # nothing dispatched yet

    assert Dispatcher(writer_hub.storage).drain() == 1
    assert other_process.signals.wait(EVENTS, events_seen, DEADLINE_SECONDS) != events_seen
    assert len(other_process.subscription_events(_only_subscription(other_process), 0, 10)) == 1


def test_the_listener_reconnects_after_its_connection_is_dropped(
    writer_hub: Hub, other_process: PostgresStorage
) -> None:
    writer_hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    first = listening(other_process)
    with other_process.engine.begin() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        ).scalar()
    assert dropped == 1
    wait_until(
        lambda: other_process.listener.connections > first and other_process.listener.listening,
        "the listener did not reconnect",
    )
    seen = other_process.signals.count(CHANGES)
    push(writer_hub, "urn:irna:after-reconnect")
    assert other_process.signals.wait(CHANGES, seen, DEADLINE_SECONDS) != seen


def test_close_stops_the_listener(pg_url: str) -> None:
    storage = PostgresStorage(pg_url)
    storage.start_listening()
    listening(storage)
    storage.close()
    assert not storage.listener.running
    storage.start_listening()  # after close: stays stopped
    assert not storage.listener.running


def test_sqlite_has_nothing_to_listen_to(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'tabadol.sqlite3'}")
    storage.start_listening()
    assert storage.signals.count(EVENTS) == 0
    storage.close()


def _only_subscription(storage: PostgresStorage) -> str:
    [subscription] = storage.list_subscriptions()
    return subscription.id
