"""Feed sources a member asks the hub to poll (pull transport).

URLs are checked by the transports' network guard before they are stored, so the hub can never be
pointed at loopback or private addresses (SSRF) unless the operator allows private feeds.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.types import FeedSource, Principal, utc_now
from tabadol.web.auth import AnyKey, HubDep, WriterKey, require_writer_for

router = APIRouter(tags=["feeds"])

MIN_INTERVAL_SECONDS = 30
MAX_INTERVAL_SECONDS = 7 * 24 * 3600


class NewFeed(BaseModel):
    url: str = Field(max_length=2000)
    interval_seconds: int | None = Field(
        default=None,
        ge=MIN_INTERVAL_SECONDS,
        le=MAX_INTERVAL_SECONDS,
        description="Polling interval; the hub's default when absent",
    )


def feed_json(feed: FeedSource) -> dict[str, Any]:
    return {
        "id": feed.id,
        "member": feed.member_code,
        "url": feed.url,
        "interval_seconds": feed.interval_seconds,
        "enabled": feed.enabled,
        "next_poll_at": format_datetime(feed.next_poll_at),
        "last_polled_at": format_datetime(feed.last_polled_at) if feed.last_polled_at else None,
        "consecutive_errors": feed.consecutive_errors,
        "last_error": feed.last_error,
    }


@router.post(
    "/members/{code}/feeds", status_code=201, summary="Add a feed to poll (admin or the member's editor)"
)
def add_feed(code: str, body: NewFeed, hub: HubDep, principal: WriterKey) -> dict[str, Any]:
    require_writer_for(principal, code, f"add feeds for member '{code}'")
    hub.get_member(code)
    url = body.url.strip()
    _check_url(url, hub.settings.allow_private_feed_urls)
    interval = body.interval_seconds or hub.settings.feed_poll_default_seconds
    feed = hub.storage.add_feed(code, url, interval, utc_now())
    hub.audit(principal, "feed.add", str(feed.id), {"member": code, "url": url, "interval_seconds": interval})
    return feed_json(feed)


@router.get("/members/{code}/feeds", summary="A member's feeds (admin or the member's own keys)")
def list_feeds(code: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    _require_member_or_admin(principal, code)
    hub.get_member(code)
    return {"feeds": [feed_json(f) for f in hub.storage.list_feeds(code)]}


@router.delete(
    "/feeds/{feed_id}", status_code=204, summary="Stop polling a feed (admin or the member's editor)"
)
def remove_feed(feed_id: int, hub: HubDep, principal: WriterKey) -> Response:
    feed = hub.storage.get_feed(feed_id)
    if feed is None:
        raise TabadolError(ErrorCode.FEED_NOT_FOUND, feed_id=feed_id)
    require_writer_for(principal, feed.member_code, f"remove feeds of member '{feed.member_code}'")
    if not hub.storage.remove_feed(feed_id):
        raise TabadolError(ErrorCode.FEED_NOT_FOUND, feed_id=feed_id)
    hub.audit(principal, "feed.remove", str(feed_id), {"member": feed.member_code, "url": feed.url})
    return Response(status_code=204)


def _check_url(url: str, allow_private: bool) -> None:
    from tabadol.ingest.transports.netguard import check_public_url

    check_public_url(url, allow_private=allow_private)


def _require_member_or_admin(principal: Principal, code: str) -> None:
    if not (principal.is_admin or principal.member_code == code):
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"see the feeds of member '{code}'")
