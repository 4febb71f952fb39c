from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tabadol.ingest.transports.schedule import backoff_seconds, next_poll_at, parse_retry_after

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = 3600


def _backoff(
    errors: int, jitter: float = 0.0, interval: int = 300, cap: int = 6 * HOUR, **kw: float
) -> float:
    return backoff_seconds(
        interval_seconds=interval, consecutive_errors=errors, max_backoff_seconds=cap, jitter=jitter, **kw
    )


def test_success_waits_exactly_the_feed_interval() -> None:
    assert _backoff(0, jitter=0.9) == 300
    assert next_poll_at(
        now=NOW, interval_seconds=300, consecutive_errors=0, max_backoff_seconds=HOUR, jitter=0.5
    ) == NOW + timedelta(seconds=300)


def test_each_consecutive_error_doubles_the_wait() -> None:
    assert [_backoff(n) for n in (1, 2, 3, 4)] == [600, 1200, 2400, 4800]


@pytest.mark.parametrize("errors", [1, 2, 3, 4, 5])
def test_jitter_shortens_by_at_most_a_quarter_and_never_overlaps_the_next_step(errors: int) -> None:
    longest_here = _backoff(errors, jitter=0.0)
    shortest_here = _backoff(errors, jitter=0.999999)
    assert 0.75 * longest_here <= shortest_here < longest_here
    assert _backoff(errors + 1, jitter=0.999999) > longest_here


def test_backoff_is_capped() -> None:
    cap = 2 * HOUR
    for errors in (6, 7, 20, 1000):  # 1000 errors must not overflow anything
        wait = _backoff(errors, jitter=0.5, cap=cap)
        assert 0.75 * cap <= wait <= cap


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    assert _backoff(1, retry_after_seconds=5000) == 5000
    assert _backoff(1, retry_after_seconds=10) == 600  # our own backoff is longer: it wins


def test_retry_after_cannot_silence_a_feed_beyond_the_cap() -> None:
    assert _backoff(1, cap=HOUR, retry_after_seconds=30 * 24 * HOUR) == HOUR


def test_out_of_range_jitter_is_clamped() -> None:
    assert _backoff(1, jitter=-3) == 600
    assert _backoff(1, jitter=7) == 450


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 30 ", 30.0),
        ("Sun, 01 Mar 2026 12:10:00 GMT", 600.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # already past: retry as soon as backoff allows
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected
