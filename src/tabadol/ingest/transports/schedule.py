"""When to poll a feed next: the pure scheduling rule of the pull transport.

Kept free of I/O and of randomness (jitter is passed in) so every branch is unit-tested.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tabadol.types import ensure_utc

# After n consecutive errors the delay is interval * 2**n, then shortened by up to this fraction at
# random. Jitter spreads feeds that failed together (one upstream outage) so they do not all retry in
# the same second; 25% keeps every backoff step strictly longer than the one before.
JITTER_FRACTION = 0.25


def backoff_seconds(
    *,
    interval_seconds: int,
    consecutive_errors: int,
    max_backoff_seconds: int,
    jitter: float,
    retry_after_seconds: float | None = None,
) -> float:
    """Seconds to wait before the next poll.

    `consecutive_errors` counts the error just seen (0 = the poll succeeded); `jitter` is a number
    in [0, 1) supplied by the caller. A server's Retry-After is honoured when it asks for longer than
    our own backoff, but never beyond `max_backoff_seconds`: a feed is not silenced for a week.
    """
    interval = max(1, interval_seconds)
    if consecutive_errors <= 0:
        return float(interval)
    # min() before the power keeps the arithmetic small however long a feed stays broken.
    exponent = min(consecutive_errors, 62)
    delay = float(min(max_backoff_seconds, interval * 2**exponent))
    delay *= 1.0 - JITTER_FRACTION * min(max(jitter, 0.0), 1.0)
    if retry_after_seconds is not None:
        delay = max(delay, retry_after_seconds)
    return max(1.0, min(delay, float(max_backoff_seconds)))


def next_poll_at(
    *,
    now: datetime,
    interval_seconds: int,
    consecutive_errors: int,
    max_backoff_seconds: int,
    jitter: float,
    retry_after_seconds: float | None = None,
) -> datetime:
    delay = backoff_seconds(
        interval_seconds=interval_seconds,
        consecutive_errors=consecutive_errors,
        max_backoff_seconds=max_backoff_seconds,
        jitter=jitter,
        retry_after_seconds=retry_after_seconds,
    )
    return now + timedelta(seconds=delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: either delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    moment = ensure_utc(when)
    if moment is None:
        return None
    return max(0.0, (moment - now).total_seconds())
