"""Syndication: a subscription's items as Atom, RSS 2.0 or JSON Feed, at a URL with a revocable token.

Feed readers and newsroom systems poll a URL; they cannot send an API key. So a member's editor issues
a feed token for a subscription (`POST /api/v1/subscriptions/{id}/feed-tokens`, shown once); the token
is the credential, in the path: `/api/v1/syndication/{token}/atom` (or `/rss`, `/json`). Only SHA-256 of
its secret is stored; revoking it stops the URL at once (the next poll is 404). A token never reveals
whether a subscription exists: unknown, malformed and revoked tokens all answer the same 404.

The feed is computed when it is polled: the newest items the subscription selects, under the same
reading rules as every other endpoint. An embargoed item is absent until its time and then simply
appears; a killed item appears as a kill notice entry; a new version is a new entry naming the version
it replaces (deliver/render/feeds.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tabadol.deliver.render.feeds import (
    ATOM_MEDIA_TYPE,
    JSON_FEED_MEDIA_TYPE,
    RSS_MEDIA_TYPE,
    render_atom,
    render_json_feed,
    render_rss,
)
from tabadol.deliver.subscription_ops import feed_urls, selected_items, subscription_for_feed_token
from tabadol.deliver.subscription_ops import issue_feed_token as issue_token
from tabadol.deliver.subscription_ops import revoke_feed_token as revoke_token
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.types import PubStatus
from tabadol.web.api.common import API_PREFIX, base_url
from tabadol.web.api.subscriptions import visible_subscription
from tabadol.web.auth import AnyKey, ClockDep, HubDep, require_writer_for

router = APIRouter(tags=["syndication"])

FEED_ENTRIES = 50
FEED_SCAN = 1000  # newest items examined per poll
_FORMATS = {"atom": ATOM_MEDIA_TYPE, "rss": RSS_MEDIA_TYPE, "json": JSON_FEED_MEDIA_TYPE}


@router.post(
    "/subscriptions/{subscription_id}/feed-tokens", status_code=201, summary="Issue a feed URL token"
)
def issue_feed_token(
    subscription_id: str, request: Request, hub: HubDep, principal: AnyKey
) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, "issue feed tokens")
    token_id, token = issue_token(hub, subscription.id, principal)
    return {
        "id": token_id,
        "subscription": subscription.id,
        "token": token,
        "urls": feed_urls(base_url(request) + API_PREFIX, token),
    }


@router.get(
    "/subscriptions/{subscription_id}/feed-tokens", summary="A subscription's feed tokens (no secrets)"
)
def list_feed_tokens(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    return {
        "feed_tokens": [
            {
                "id": token_id,
                "created_at": format_datetime(created),
                "revoked_at": format_datetime(revoked) if revoked else None,
            }
            for token_id, created, revoked in hub.storage.list_feed_tokens(subscription.id)
        ]
    }


@router.delete(
    "/subscriptions/{subscription_id}/feed-tokens/{token_id}", status_code=204, summary="Revoke a feed token"
)
def revoke_feed_token(subscription_id: str, token_id: str, hub: HubDep, principal: AnyKey) -> Response:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, "revoke feed tokens")
    revoke_token(hub, subscription.id, token_id, principal)
    return Response(status_code=204)


@router.get(
    "/syndication/{token}/{kind}", summary="A subscription's feed: atom, rss or json (token in the URL)"
)
def syndication_feed(
    token: str,
    kind: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=200)] = FEED_ENTRIES,
) -> Response:
    if kind not in _FORMATS:
        raise TabadolError(ErrorCode.NOT_FOUND, path=request.url.path)
    subscription = subscription_for_feed_token(hub, token)
    now = clock()
    statuses = (PubStatus.USABLE, PubStatus.CANCELED)  # kills reach subscribers as kill notices
    selected, _, _ = selected_items(hub, subscription.filter, now, statuses, FEED_SCAN, limit)
    members = {member.code: member for member in hub.storage.list_members()}
    title = f"{subscription.name} — tabadol"
    self_url = str(request.url.remove_query_params("limit"))
    root = base_url(request)
    headers = {"Cache-Control": "private, max-age=60", "X-Robots-Tag": "noindex"}
    if kind == "atom":
        feed_id = f"urn:tabadol:subscription:{subscription.id}"  # not the URL: the token may change
        body = render_atom(title, self_url, root, selected, members, now=now, feed_id=feed_id)
    elif kind == "rss":
        body = render_rss(title, self_url, root, selected, members, now=now)
    else:
        body = render_json_feed(title, self_url, root, selected, members)
    return Response(body, media_type=_FORMATS[kind], headers=headers)
