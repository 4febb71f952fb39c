"""Background ingest: the feed poller and the drop-folder watcher as daemon threads.

`tabadol serve` starts them next to the API; the returned function stops them. Each loop survives
anything one pass throws (logged with its traceback) and sleeps on a threading.Event, so stopping
wakes it at once instead of waiting out its sleep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tabadol.hub import Hub
from tabadol.ingest.transports.folder import DropResult, scan_drop_folder
from tabadol.ingest.transports.pull import poll_due_feeds
from tabadol.types import utc_now

log = logging.getLogger(__name__)

# The poller sleeps until the next feed is due, but never longer than this, so feeds added
# through the API or CLI (written straight to the store) are picked up within a few seconds.
MAX_FEED_SLEEP_SECONDS = 5.0
# A floor on the sleep: a feed whose due time is already past must not make the loop spin.
MIN_FEED_SLEEP_SECONDS = 0.5
# How long stop() waits for a loop in the middle of a pass (e.g. a slow feed) before giving up on
# it; the threads are daemons, so a straggler never keeps the process alive.
STOP_WAIT_SECONDS = 5.0


def start_background_ingest(hub: Hub) -> Callable[[], None]:
    """Start the feed poller and, if `settings.drop_dir` is set, the drop-folder watcher.

    Returns an idempotent function that stops both and returns once they have finished (or after
    STOP_WAIT_SECONDS).
    """
    stop_event = threading.Event()
    threads = [threading.Thread(target=_feed_loop, args=(hub, stop_event), name="tabadol-feeds", daemon=True)]
    drop_dir = hub.settings.drop_dir
    if drop_dir is not None:
        threads.append(
            threading.Thread(
                target=_folder_loop, args=(hub, drop_dir, stop_event), name="tabadol-drop-folder", daemon=True
            )
        )
    for thread in threads:
        thread.start()
    log.info("background ingest started: %s", ", ".join(t.name for t in threads))

    def stop() -> None:
        stop_event.set()
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s is still busy; leaving it to finish on its own", thread.name)

    return stop


# -- feed poller ----------------------------------------------------------------------------------


def _feed_loop(hub: Hub, stop_event: threading.Event) -> None:
    while not stop_event.is_set():
        try:
            for result in poll_due_feeds(hub):
                if result.error is not None:
                    log.debug("feed %s: %s", result.feed_id, result.error.message)
            delay = seconds_until_next_feed(hub, utc_now())
        except Exception:
            log.exception("feed polling pass failed; retrying in %.0f s", MAX_FEED_SLEEP_SECONDS)
            delay = MAX_FEED_SLEEP_SECONDS
        stop_event.wait(delay)


def seconds_until_next_feed(hub: Hub, now: datetime) -> float:
    """How long the poller may sleep: until the earliest enabled feed is due, within bounds."""
    upcoming = [feed.next_poll_at for feed in hub.storage.list_feeds() if feed.enabled]
    if not upcoming:
        return MAX_FEED_SLEEP_SECONDS
    wait = (min(upcoming) - now).total_seconds()
    return min(MAX_FEED_SLEEP_SECONDS, max(MIN_FEED_SLEEP_SECONDS, wait))


# -- drop-folder watcher --------------------------------------------------------------------------


def _folder_loop(hub: Hub, drop_dir: Path, stop_event: threading.Event) -> None:
    try:
        drop_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("cannot create the drop folder %s: %s", drop_dir, exc)
    reported: set[str] = set()
    interval = max(0.1, hub.settings.drop_poll_seconds)
    while not stop_event.is_set():
        try:
            _report(scan_drop_folder(hub, drop_dir), reported)
        except Exception:
            log.exception("drop folder scan of %s failed", drop_dir)
        stop_event.wait(interval)


# What the watcher leaves in place, and the warning it gives once per path (not every few seconds).
_LEFT_IN_PLACE = {
    "unknown_member": "drop folder %s is not named after a member; its files are left in place",
    "misplaced": "drop folder: %s is outside any member folder; left in place",
    "symlink": "drop folder: %s is a symbolic link, which is never followed; left in place",
}


def _report(results: list[DropResult], reported: set[str]) -> None:
    for result in results:
        message = _LEFT_IN_PLACE.get(result.status)
        if message is not None and result.path not in reported:
            log.warning(message, result.path)
            reported.add(result.path)
