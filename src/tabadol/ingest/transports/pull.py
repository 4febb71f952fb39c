"""Pull transport: poll members' feeds over HTTP(S) and hand what changed to the hub.

One poll is a conditional GET (If-None-Match / If-Modified-Since from the last good fetch). A 304
costs nothing; a 200 body is ingested as received, with the response's Content-Type, and the hub's
format registry decides what it is. Items already seen are DUPLICATEs in the store, so re-fetching
a whole feed only ever adds what is new.

Failures are values, not exceptions: a feed that times out, answers 500 or serves broken XML gets
an error result, the error is recorded on the feed, and the next feed is polled. Each consecutive
error doubles the wait before the next try (see schedule.py).

Safety: every URL, including each redirect hop, is checked by netguard before it is requested, and
the default client connects only to addresses netguard has vetted. Bodies are read in chunks and
abandoned as soon as they exceed `max_payload_bytes`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx

from tabadol import __version__
from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.ingest.transports import netguard
from tabadol.ingest.transports.schedule import next_poll_at, parse_retry_after
from tabadol.types import FeedSource, IngestReport, utc_now

log = logging.getLogger(__name__)

USER_AGENT = f"tabadol/{__version__}"
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)

PollStatus = Literal["updated", "not_modified", "error"]


@dataclass(frozen=True, slots=True)
class PollError:
    code: str  # the ErrorCode slug, e.g. "fetch_failed", "malformed_xml"
    message: str

    @classmethod
    def from_exception(cls, exc: TabadolError) -> PollError:
        return cls(code=exc.code.slug, message=str(exc))


@dataclass(frozen=True, slots=True)
class PollResult:
    feed_id: int
    status: PollStatus
    http_status: int | None
    report: IngestReport | None
    error: PollError | None
    next_poll_at: datetime


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """The last response of a fetch (after redirects), body read only for a 200."""

    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None


class _HttpFailure(TabadolError):
    """A non-success HTTP status; carries what the scheduler needs (status, Retry-After)."""

    def __init__(self, url: str, status: int, retry_after: str | None) -> None:
        super().__init__(ErrorCode.FETCH_FAILED, url=url, reason=f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


# -- polling --------------------------------------------------------------------------------------


def poll_feed(
    hub: Hub, feed: FeedSource, *, client: httpx.Client | None = None, now: datetime | None = None
) -> PollResult:
    """Poll one feed, ingest what it serves, record the outcome on the feed. Never raises for a
    feed's own failure (network, HTTP status, parse, size); only storage failures propagate."""
    now = now or utc_now()
    with _client_for(hub.settings, client) as http:
        try:
            fetched = fetch(http, feed, hub.settings)
        except _HttpFailure as exc:
            return _record_error(hub, feed, now, exc, http_status=exc.status, retry_after=exc.retry_after)
        except TabadolError as exc:
            return _record_error(hub, feed, now, exc, http_status=None, retry_after=None)
    if fetched.status == 304:
        return _record_success(hub, feed, now, fetched, report=None)
    try:
        report = hub.ingest_payload(
            feed.member_code, fetched.body, fetched.content_type, via="pull", actor=OPERATOR
        )
    except TabadolError as exc:
        return _record_error(hub, feed, now, exc, http_status=fetched.status, retry_after=None)
    except Exception:
        # A parser bug must cost one feed one poll, not stop the poller: record it and move on.
        log.exception("feed %s (%s): unexpected failure while ingesting", feed.id, feed.member_code)
        internal = TabadolError(ErrorCode.INTERNAL)
        return _record_error(hub, feed, now, internal, http_status=fetched.status, retry_after=None)
    return _record_success(hub, feed, now, fetched, report=report)


def poll_due_feeds(
    hub: Hub, now: datetime | None = None, *, client: httpx.Client | None = None
) -> list[PollResult]:
    """Poll every enabled feed whose time has come, one after the other, sharing one client."""
    due = hub.storage.due_feeds(now or utc_now())
    results: list[PollResult] = []
    if not due:
        return results
    with _client_for(hub.settings, client) as http:
        for feed in due:
            try:
                results.append(poll_feed(hub, feed, client=http, now=now))
            except TabadolError as exc:  # the store refused the feed's new state: report, go on
                log.error("feed %s (%s): cannot record the poll: %s", feed.id, feed.member_code, exc)
                results.append(_unrecorded(feed, exc))
    return results


def _unrecorded(feed: FeedSource, exc: TabadolError) -> PollResult:
    return PollResult(
        feed_id=feed.id,
        status="error",
        http_status=None,
        report=None,
        error=PollError.from_exception(exc),
        next_poll_at=feed.next_poll_at,
    )


@contextmanager
def _client_for(settings: Settings, client: httpx.Client | None) -> Iterator[httpx.Client]:
    """The caller's client (left open), or a guarded one made for this call (closed after)."""
    if client is not None:
        yield client
        return
    with netguard.guarded_client(
        allow_private=settings.allow_private_feed_urls,
        timeout_seconds=settings.feed_timeout_seconds,
        user_agent=USER_AGENT,
    ) as made:
        yield made


# -- fetching -------------------------------------------------------------------------------------


def fetch(client: httpx.Client, feed: FeedSource, settings: Settings) -> FetchedFeed:
    """Conditional GET of the feed, following up to MAX_REDIRECTS redirects, each one vetted.

    Raises TabadolError: UNSAFE_URL, FETCH_FAILED (network, timeout, HTTP status, too many
    redirects) or PAYLOAD_TOO_LARGE.
    """
    headers = _request_headers(feed)
    url = feed.url
    deadline = time.monotonic() + settings.feed_timeout_seconds
    for _hop in range(MAX_REDIRECTS + 1):
        netguard.check_public_url(url, allow_private=settings.allow_private_feed_urls)
        try:
            with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
                location = _redirect_target(response)
                if location is None:
                    return _read_final(response, url, settings, deadline)
        except httpx.TimeoutException:
            raise TabadolError(
                ErrorCode.FETCH_FAILED,
                url=url,
                reason=f"no answer within {settings.feed_timeout_seconds:g} s",
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a garbled Location header
            raise TabadolError(ErrorCode.FETCH_FAILED, url=url, reason=_describe(exc)) from None
        url = location
    raise TabadolError(ErrorCode.FETCH_FAILED, url=feed.url, reason=f"more than {MAX_REDIRECTS} redirects")


def _request_headers(feed: FeedSource) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    return headers


def _redirect_target(response: httpx.Response) -> str | None:
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("Location")
    if not location:
        raise TabadolError(
            ErrorCode.FETCH_FAILED,
            url=str(response.url),
            reason=f"HTTP {response.status_code} without Location",
        )
    return str(response.url.join(location))


def _read_final(response: httpx.Response, url: str, settings: Settings, deadline: float) -> FetchedFeed:
    status = response.status_code
    if status == 304:
        body = b""
    elif status == 200:
        body = _read_capped(response, url, settings.max_payload_bytes, deadline)
    else:
        raise _HttpFailure(url, status, response.headers.get("Retry-After"))
    return FetchedFeed(
        status=status,
        body=body,
        content_type=response.headers.get("Content-Type"),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _read_capped(response: httpx.Response, url: str, limit: int, deadline: float) -> bytes:
    """The decoded body, refused as soon as it passes `limit` bytes or the fetch deadline.

    The limit applies to decoded bytes, so a small gzip bomb cannot expand past it either.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=int(declared), limit=limit)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=f"more than {limit}", limit=limit)
        # Per-read timeouts alone let a server trickle a byte every few seconds for ever.
        if time.monotonic() > deadline:
            raise TabadolError(ErrorCode.FETCH_FAILED, url=url, reason="the body took too long to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- recording outcomes ---------------------------------------------------------------------------


def _record_success(
    hub: Hub, feed: FeedSource, now: datetime, fetched: FetchedFeed, report: IngestReport | None
) -> PollResult:
    not_modified = fetched.status == 304
    # A 304 may omit validators; keep the stored ones then. A 200 replaces them (even with none).
    etag = (fetched.etag or feed.etag) if not_modified else fetched.etag
    last_modified = (fetched.last_modified or feed.last_modified) if not_modified else fetched.last_modified
    when = next_poll_at(
        now=now,
        interval_seconds=feed.interval_seconds,
        consecutive_errors=0,
        max_backoff_seconds=hub.settings.feed_max_backoff_seconds,
        jitter=0.0,
    )
    hub.storage.update_feed_state(
        feed.id,
        etag=etag,
        last_modified=last_modified,
        next_poll_at=when,
        consecutive_errors=0,
        last_error=None,
        last_polled_at=now,
    )
    status: PollStatus = "not_modified" if not_modified else "updated"
    log.info("feed %s (%s): %s", feed.id, feed.member_code, status)
    return PollResult(
        feed_id=feed.id,
        status=status,
        http_status=fetched.status,
        report=report,
        error=None,
        next_poll_at=when,
    )


def _record_error(
    hub: Hub,
    feed: FeedSource,
    now: datetime,
    exc: TabadolError,
    *,
    http_status: int | None,
    retry_after: str | None,
) -> PollResult:
    errors = feed.consecutive_errors + 1
    retry_seconds = parse_retry_after(retry_after, now) if http_status in RETRY_AFTER_STATUSES else None
    when = next_poll_at(
        now=now,
        interval_seconds=feed.interval_seconds,
        consecutive_errors=errors,
        max_backoff_seconds=hub.settings.feed_max_backoff_seconds,
        jitter=random.random(),
        retry_after_seconds=retry_seconds,
    )
    # Validators are kept: the content they describe is still the last content ingested.
    hub.storage.update_feed_state(
        feed.id,
        etag=feed.etag,
        last_modified=feed.last_modified,
        next_poll_at=when,
        consecutive_errors=errors,
        last_error=str(exc),
        last_polled_at=now,
    )
    log.warning("feed %s (%s) failed (%d in a row): %s", feed.id, feed.member_code, errors, exc)
    return PollResult(
        feed_id=feed.id,
        status="error",
        http_status=http_status,
        report=None,
        error=PollError.from_exception(exc),
        next_poll_at=when,
    )
