from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from feed_http import FeedServer, Reply

from tabadol.hub import Hub
from tabadol.ingest.transports import background
from tabadol.ingest.transports.background import (
    MAX_FEED_SLEEP_SECONDS,
    MIN_FEED_SLEEP_SECONDS,
    STOP_WAIT_SECONDS,
    seconds_until_next_feed,
    start_background_ingest,
)
from tabadol.types import utc_now

WAIT_SECONDS = 10.0


def wait_for(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def background_hub(hub: Hub, make_member, tmp_path: Path) -> Hub:
    make_member(hub, "irna", "IR", ("fa",))
    settings = replace(
        hub.settings, drop_dir=tmp_path / "drop", drop_poll_seconds=0.05, allow_private_feed_urls=True
    )
    return Hub(settings=settings, storage=hub.storage, formats=hub.formats)


@pytest.fixture
def started(background_hub: Hub) -> Iterator[Callable[[], None]]:
    stop = start_background_ingest(background_hub)
    yield stop
    stop()  # idempotent: tests may already have stopped it


def test_a_dropped_file_is_ingested_and_stop_returns_promptly(
    background_hub: Hub, started: Callable[[], None]
) -> None:
    drop_dir = background_hub.settings.drop_dir
    assert drop_dir is not None
    assert wait_for(drop_dir.is_dir)  # the watcher creates the configured folder
    story = drop_dir / "irna" / "story.json"
    story.parent.mkdir()
    story.write_bytes(
        json.dumps({"uri": "urn:irna:bg:1", "type": "text", "headline": "Live", "body_text": "Now."}).encode()
    )
    settled = time.time() - 5
    os.utime(story, (settled, settled))

    assert wait_for(lambda: background_hub.storage.get_item_by_guid("urn:irna:bg:1") is not None)
    assert wait_for(lambda: not story.exists())
    assert list((drop_dir / "irna" / ".done").rglob("story.json"))

    began = time.monotonic()
    started()
    # Not a speed check: the threads ended when told, well before stop()'s own give-up time.
    assert time.monotonic() - began < STOP_WAIT_SECONDS - 1


def test_due_feeds_are_polled_in_the_background(
    background_hub: Hub, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "MAX_FEED_SLEEP_SECONDS", 0.2)  # short naps keep the test quick
    stop = start_background_ingest(background_hub)
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://x.example/</link>'
        b"<description>d</description><item><guid>urn:irna:bg:feed</guid><title>From feed</title>"
        b"<description>Body</description></item></channel></rss>"
    )
    feed_server.serve("/rss", Reply(body=body, headers={"Content-Type": "application/rss+xml"}))
    # Added while the poller runs, as the API would: it must be noticed within a poller nap.
    background_hub.storage.add_feed("irna", feed_server.url("/rss"), 300, utc_now())

    try:
        assert wait_for(lambda: background_hub.storage.get_item_by_guid("urn:irna:bg:feed") is not None)
        time.sleep(0.5)  # a few more poller naps
    finally:
        stop()
    assert len(feed_server.requests_to("/rss")) == 1  # not again before its interval


def test_one_failing_pass_does_not_stop_the_loop(
    background_hub: Hub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def flaky(hub: Hub, drop_dir: Path) -> list[object]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk hiccup")
        return []

    monkeypatch.setattr(background, "scan_drop_folder", flaky)
    with caplog.at_level(logging.ERROR, logger="tabadol.ingest.transports.background"):
        stop = start_background_ingest(background_hub)
        try:
            assert wait_for(lambda: len(calls) >= 3)
        finally:
            stop()
    assert "disk hiccup" in caplog.text


def test_without_a_drop_folder_only_the_poller_runs(hub: Hub) -> None:
    assert hub.settings.drop_dir is None
    stop = start_background_ingest(hub)
    began = time.monotonic()
    stop()
    stop()
    assert time.monotonic() - began < STOP_WAIT_SECONDS - 1


def test_the_poller_sleeps_until_the_next_feed_within_bounds(background_hub: Hub) -> None:
    now = utc_now()
    assert seconds_until_next_feed(background_hub, now) == MAX_FEED_SLEEP_SECONDS  # no feeds
    feed = background_hub.storage.add_feed("irna", "http://127.0.0.1:9/rss", 300, now)
    assert seconds_until_next_feed(background_hub, now) == MIN_FEED_SLEEP_SECONDS  # due now: no spin
    background_hub.storage.update_feed_state(
        feed.id,
        etag=None,
        last_modified=None,
        next_poll_at=now + timedelta(seconds=2),
        consecutive_errors=0,
        last_error=None,
        last_polled_at=now,
    )
    assert seconds_until_next_feed(background_hub, now) == pytest.approx(2.0)
    background_hub.storage.update_feed_state(
        feed.id,
        etag=None,
        last_modified=None,
        next_poll_at=now + timedelta(hours=1),
        consecutive_errors=0,
        last_error=None,
        last_polled_at=now,
    )
    assert seconds_until_next_feed(background_hub, now) == MAX_FEED_SLEEP_SECONDS
