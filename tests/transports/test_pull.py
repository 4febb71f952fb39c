from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from feed_http import FeedServer, Reply

from tabadol import __version__
from tabadol.hub import Hub
from tabadol.ingest.transports import netguard
from tabadol.ingest.transports.netguard import IPAddress
from tabadol.ingest.transports.pull import MAX_REDIRECTS, poll_due_feeds, poll_feed
from tabadol.serialize import to_jsonable
from tabadol.types import Decision, FeedSource

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INTERVAL = 60
RSS = "application/rss+xml; charset=utf-8"


def rss(*entries: tuple[str, str]) -> bytes:
    items = "".join(
        f"<item><guid>urn:irna:{guid}</guid><title>{title}</title>"
        f"<description>{title} body</description></item>"
        for guid, title in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>IRNA</title>'
        f"<link>https://irna.example/</link><description>wire</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def pull_hub(hub: Hub, make_member) -> Hub:
    """The shared hub, allowed to fetch from the test server on 127.0.0.1, with small limits."""
    make_member(hub, "irna", "IR", ("fa",))
    settings = replace(
        hub.settings, allow_private_feed_urls=True, feed_timeout_seconds=2.0, max_payload_bytes=64 * 1024
    )
    return Hub(settings=settings, storage=hub.storage, formats=hub.formats)


def add_feed(hub: Hub, url: str) -> FeedSource:
    return hub.storage.add_feed("irna", url, INTERVAL, NOW)


def reload(hub: Hub, feed: FeedSource) -> FeedSource:
    fresh = hub.storage.get_feed(feed.id)
    assert fresh is not None
    return fresh


def conditional(body: bytes, etag: str, last_modified: str) -> object:
    """A route that answers 304 when the client proves it has this version."""

    def route(headers: Mapping[str, str]) -> Reply:
        if headers.get("if-none-match") == etag:
            return Reply(status=304, headers={"ETag": etag})
        return Reply(body=body, headers={"Content-Type": RSS, "ETag": etag, "Last-Modified": last_modified})

    return route


# -- success path ---------------------------------------------------------------------------------


def test_first_poll_ingests_the_feed_and_stores_its_validators(
    pull_hub: Hub, feed_server: FeedServer
) -> None:
    lm = "Sun, 01 Mar 2026 11:00:00 GMT"
    feed_server.serve("/rss", conditional(rss(("1", "One"), ("2", "Two")), '"v1"', lm))
    feed = add_feed(pull_hub, feed_server.url("/rss"))

    result = poll_feed(pull_hub, feed, now=NOW)

    assert result.status == "updated" and result.http_status == 200 and result.error is None
    assert result.report is not None and result.report.count(Decision.NEW_ITEM) == 2
    item = pull_hub.storage.get_item_by_guid("urn:irna:2")
    assert item is not None and item.member_code == "irna" and item.headline == "Two"
    original = pull_hub.storage.get_original(item.original_sha256)
    assert original is not None and original.data == rss(("1", "One"), ("2", "Two"))
    assert original.content_type == RSS  # kept as the server declared it
    stored = reload(pull_hub, feed)
    assert (stored.etag, stored.last_modified) == ('"v1"', lm)
    assert stored.consecutive_errors == 0 and stored.last_error is None
    assert stored.next_poll_at == NOW + timedelta(seconds=INTERVAL) == result.next_poll_at
    assert stored.last_polled_at == NOW
    assert feed_server.seen[0].headers["user-agent"] == f"tabadol/{__version__}"
    encoded = json.loads(json.dumps(to_jsonable(result)))  # the CLI prints results as JSON
    assert encoded["status"] == "updated" and encoded["next_poll_at"] == "2026-03-01T12:01:00Z"


def test_second_poll_is_conditional_and_gets_304(pull_hub: Hub, feed_server: FeedServer) -> None:
    lm = "Sun, 01 Mar 2026 11:00:00 GMT"
    feed_server.serve("/rss", conditional(rss(("1", "One")), '"v1"', lm))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    poll_feed(pull_hub, feed, now=NOW)

    later = NOW + timedelta(seconds=INTERVAL)
    result = poll_feed(pull_hub, reload(pull_hub, feed), now=later)

    assert result.status == "not_modified" and result.http_status == 304 and result.report is None
    second = feed_server.seen[1].headers
    assert second["if-none-match"] == '"v1"'
    assert second["if-modified-since"] == lm
    assert "if-none-match" not in feed_server.seen[0].headers  # the first poll had nothing to offer
    stored = reload(pull_hub, feed)
    assert stored.etag == '"v1"' and stored.last_modified == lm  # a bare 304 keeps the validators
    assert stored.next_poll_at == later + timedelta(seconds=INTERVAL)
    assert pull_hub.storage.count_items() == 1


def test_a_changed_feed_with_one_new_entry_creates_exactly_one_item(
    pull_hub: Hub, feed_server: FeedServer
) -> None:
    feed_server.serve("/rss", Reply(body=rss(("1", "One"), ("2", "Two")), headers={"Content-Type": RSS}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    poll_feed(pull_hub, feed, now=NOW)

    feed_server.serve(
        "/rss", Reply(body=rss(("3", "Three"), ("1", "One"), ("2", "Two")), headers={"Content-Type": RSS})
    )
    result = poll_feed(pull_hub, reload(pull_hub, feed), now=NOW + timedelta(minutes=1))

    assert result.report is not None
    assert result.report.count(Decision.NEW_ITEM) == 1
    assert result.report.count(Decision.DUPLICATE) == 2
    assert pull_hub.storage.count_items() == 3


def test_redirects_are_followed(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/old", Reply(status=301, headers={"Location": "/middle"}))
    feed_server.serve("/middle", Reply(status=307, headers={"Location": feed_server.url("/rss")}))
    feed_server.serve("/rss", Reply(body=rss(("1", "One")), headers={"Content-Type": RSS}))
    feed = add_feed(pull_hub, feed_server.url("/old"))

    result = poll_feed(pull_hub, feed, now=NOW)

    assert result.status == "updated"
    assert [seen.path for seen in feed_server.seen] == ["/old", "/middle", "/rss"]


# -- errors are values, with backoff --------------------------------------------------------------


def test_server_errors_back_off_longer_each_time_and_success_resets(
    pull_hub: Hub, feed_server: FeedServer
) -> None:
    feed_server.serve("/rss", Reply(status=500, body=b"oops"))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    waits = []
    now = NOW
    for attempt in (1, 2, 3, 4):
        result = poll_feed(pull_hub, reload(pull_hub, feed), now=now)
        assert result.status == "error" and result.http_status == 500
        assert result.error is not None and result.error.code == "fetch_failed"
        stored = reload(pull_hub, feed)
        assert stored.consecutive_errors == attempt
        assert stored.last_error is not None and "HTTP 500" in stored.last_error
        waits.append((stored.next_poll_at - now).total_seconds())
        now = stored.next_poll_at
    assert waits == sorted(waits) and len(set(waits)) == 4  # strictly growing
    assert waits[0] >= INTERVAL  # never sooner than the normal interval

    feed_server.serve("/rss", Reply(body=rss(("1", "One")), headers={"Content-Type": RSS}))
    result = poll_feed(pull_hub, reload(pull_hub, feed), now=now)
    stored = reload(pull_hub, feed)
    assert result.status == "updated"
    assert stored.consecutive_errors == 0 and stored.last_error is None
    assert stored.next_poll_at == now + timedelta(seconds=INTERVAL)


def test_backoff_is_capped_by_settings(pull_hub: Hub, feed_server: FeedServer) -> None:
    capped = replace(pull_hub, settings=replace(pull_hub.settings, feed_max_backoff_seconds=150))
    feed_server.serve("/rss", Reply(status=502))
    feed = add_feed(capped, feed_server.url("/rss"))
    for _ in range(5):
        result = poll_feed(capped, reload(capped, feed), now=NOW)
    assert (result.next_poll_at - NOW).total_seconds() <= 150


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(pull_hub: Hub, feed_server: FeedServer, status: int) -> None:
    feed_server.serve("/rss", Reply(status=status, headers={"Retry-After": "1800"}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.http_status == status
    assert result.next_poll_at == NOW + timedelta(seconds=1800)


def test_retry_after_as_http_date(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/rss", Reply(status=503, headers={"Retry-After": "Sun, 01 Mar 2026 13:00:00 GMT"}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    assert poll_feed(pull_hub, feed, now=NOW).next_poll_at == NOW + timedelta(hours=1)


def test_retry_after_is_ignored_on_other_statuses(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/rss", Reply(status=500, headers={"Retry-After": "1800"}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    assert poll_feed(pull_hub, feed, now=NOW).next_poll_at <= NOW + timedelta(seconds=2 * INTERVAL)


def test_oversize_body_with_declared_length_is_refused(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/big", Reply(body=b"x" * (64 * 1024 + 1), headers={"Content-Type": RSS}))
    feed = add_feed(pull_hub, feed_server.url("/big"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.status == "error" and result.error is not None
    assert result.error.code == "payload_too_large"
    assert pull_hub.storage.count_items() == 0


def test_oversize_body_without_length_is_cut_off_while_streaming(
    pull_hub: Hub, feed_server: FeedServer
) -> None:
    # No Content-Length: the body runs until the server closes, so only the running count can stop it.
    body = rss(*((str(n), "x" * 200) for n in range(1000)))
    feed_server.serve("/stream", Reply(body=body, headers={"Content-Type": RSS}, declare_length=False))
    feed = add_feed(pull_hub, feed_server.url("/stream"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.error is not None and result.error.code == "payload_too_large"
    assert "more than 65536" in result.error.message


def test_timeout_is_an_error_result(pull_hub: Hub, feed_server: FeedServer) -> None:
    quick = replace(pull_hub, settings=replace(pull_hub.settings, feed_timeout_seconds=0.3))

    def slow(_headers: Mapping[str, str]) -> Reply:
        time.sleep(3.0)
        return Reply(body=rss(("1", "One")))

    feed_server.serve("/slow", slow)
    feed = add_feed(quick, feed_server.url("/slow"))
    started = time.monotonic()
    result = poll_feed(quick, feed, now=NOW)
    # Not a speed check: the poll gave up on its deadline instead of waiting for the 3 s answer.
    assert time.monotonic() - started < 2.5
    assert result.error is not None and result.error.code == "fetch_failed"
    assert "no answer within 0.3 s" in result.error.message


def test_unreachable_server_is_an_error_result(pull_hub: Hub) -> None:
    feed = add_feed(pull_hub, "http://127.0.0.1:9/rss")
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.status == "error" and result.http_status is None
    assert result.error is not None and result.error.code == "fetch_failed"
    assert reload(pull_hub, feed).consecutive_errors == 1


def test_a_malformed_feed_records_a_parse_error_and_the_next_feed_is_still_polled(
    pull_hub: Hub, feed_server: FeedServer
) -> None:
    feed_server.serve("/broken", Reply(body=b"<rss><channel><item><title>cut", headers={"Content-Type": RSS}))
    feed_server.serve("/good", Reply(body=rss(("1", "One")), headers={"Content-Type": RSS, "ETag": '"g"'}))
    broken = add_feed(pull_hub, feed_server.url("/broken"))
    good = add_feed(pull_hub, feed_server.url("/good"))

    results = poll_due_feeds(pull_hub, NOW)

    by_feed = {result.feed_id: result for result in results}
    assert by_feed[broken.id].status == "error"
    assert by_feed[broken.id].error is not None and by_feed[broken.id].error.code == "malformed_xml"
    assert by_feed[good.id].status == "updated"
    stored_broken = reload(pull_hub, broken)
    assert stored_broken.consecutive_errors == 1
    assert stored_broken.last_error is not None and "malformed_xml" in stored_broken.last_error
    assert stored_broken.etag is None  # a body that was not ingested must be fetched again
    assert pull_hub.storage.get_item_by_guid("urn:irna:1") is not None


def test_only_due_feeds_are_polled(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/rss", Reply(body=rss(("1", "One")), headers={"Content-Type": RSS}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    assert len(poll_due_feeds(pull_hub, NOW)) == 1
    assert poll_due_feeds(pull_hub, NOW + timedelta(seconds=INTERVAL - 1)) == []
    assert [r.feed_id for r in poll_due_feeds(pull_hub, NOW + timedelta(seconds=INTERVAL))] == [feed.id]


# -- every hop is vetted --------------------------------------------------------------------------


def test_private_feed_urls_are_refused_unless_allowed(hub: Hub, make_member, feed_server: FeedServer) -> None:
    make_member(hub, "irna", "IR", ("fa",))
    feed_server.serve("/rss", Reply(body=rss(("1", "One")), headers={"Content-Type": RSS}))
    feed = hub.storage.add_feed("irna", feed_server.url("/rss"), INTERVAL, NOW)
    assert not hub.settings.allow_private_feed_urls
    result = poll_feed(hub, feed, now=NOW)
    assert result.error is not None and result.error.code == "unsafe_url"
    assert feed_server.seen == []  # refused before any request


def test_a_redirect_to_cloud_metadata_is_refused(pull_hub: Hub, feed_server: FeedServer) -> None:
    # Even with private addresses allowed, link-local stays off limits.
    feed_server.serve(
        "/rss", Reply(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.error is not None and result.error.code == "unsafe_url"
    assert "169.254.169.254" in result.error.message


def test_a_redirect_to_another_scheme_is_refused(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/rss", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.error is not None and result.error.code == "unsafe_url"


def test_a_redirect_from_a_public_host_to_a_private_one_is_refused(
    hub: Hub, make_member, monkeypatch
) -> None:
    make_member(hub, "irna", "IR", ("fa",))
    public = {"wires.example": "93.184.216.34", "10.0.0.5": "10.0.0.5"}

    def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(public[host])]

    monkeypatch.setattr(netguard, "resolve_addresses", resolve)
    asked: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://10.0.0.5/admin"})

    feed = hub.storage.add_feed("irna", "http://wires.example/rss", INTERVAL, NOW)
    with httpx.Client(transport=httpx.MockTransport(upstream)) as client:
        result = poll_feed(hub, feed, client=client, now=NOW)
    assert asked == ["http://wires.example/rss"]  # the private hop was never requested
    assert result.error is not None and result.error.code == "unsafe_url"
    assert "10.0.0.5" in result.error.message


def test_redirect_loops_stop_after_the_limit(pull_hub: Hub, feed_server: FeedServer) -> None:
    feed_server.serve("/loop", Reply(status=302, headers={"Location": "/loop"}))
    feed = add_feed(pull_hub, feed_server.url("/loop"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.error is not None and result.error.code == "fetch_failed"
    assert "redirects" in result.error.message
    assert len(feed_server.seen) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("location", ["http://[::1", "http://a:b:c/"])
def test_a_garbled_redirect_is_an_error_result(pull_hub: Hub, feed_server: FeedServer, location: str) -> None:
    feed_server.serve("/rss", Reply(status=302, headers={"Location": location}))
    feed = add_feed(pull_hub, feed_server.url("/rss"))
    result = poll_feed(pull_hub, feed, now=NOW)
    assert result.status == "error" and result.error is not None
    assert result.error.code == "fetch_failed"
