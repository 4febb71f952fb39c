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

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tabadol.access import hash_secret, secret_matches
from tabadol.deliver.render.enrichment import load_views
from tabadol.deliver.render.feeds import (
    ATOM_MEDIA_TYPE,
    JSON_FEED_MEDIA_TYPE,
    RSS_MEDIA_TYPE,
    render_atom,
    render_json_feed,
    render_rss,
)
from tabadol.deliver.subscriptions import facts_from_enrichment, matches
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import ItemQuery, PubStatus, Subscription, utc_now
from tabadol.web.api.common import API_PREFIX, base_url
from tabadol.web.api.subscriptions import visible_subscription
from tabadol.web.auth import AnyKey, ClockDep, HubDep, require_writer_for

router = APIRouter(tags=["syndication"])

TOKEN_PREFIX = "tbdf"  # noqa: S105 - a public prefix, not a secret
FEED_ENTRIES = 50
FEED_SCAN = 1000  # newest items examined per poll
_FORMATS = {"atom": ATOM_MEDIA_TYPE, "rss": RSS_MEDIA_TYPE, "json": JSON_FEED_MEDIA_TYPE}


def _feed_urls(request: Request, token: str) -> dict[str, str]:
    root = base_url(request)
    return {name: f"{root}{API_PREFIX}/syndication/{token}/{name}" for name in _FORMATS}


@router.post(
    "/subscriptions/{subscription_id}/feed-tokens", status_code=201, summary="Issue a feed URL token"
)
def issue_feed_token(
    subscription_id: str, request: Request, hub: HubDep, principal: AnyKey
) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, "issue feed tokens")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    hub.storage.add_feed_token(token_id, subscription.id, hash_secret(secret), utc_now())
    hub.audit(principal, "feed_token.issue", token_id, {"subscription": subscription.id})
    token = f"{TOKEN_PREFIX}_{token_id}_{secret}"
    return {
        "id": token_id,
        "subscription": subscription.id,
        "token": token,
        "urls": _feed_urls(request, token),
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
    if not hub.storage.revoke_feed_token(token_id, subscription.id, utc_now()):
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    hub.audit(principal, "feed_token.revoke", token_id, {"subscription": subscription.id})
    return Response(status_code=204)


def _subscription_for_token(hub: Hub, token: str) -> Subscription:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    found = hub.storage.get_feed_token(parts[1])
    if found is None or found[2] is not None or not secret_matches(parts[2], found[1]):
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    subscription = hub.storage.get_subscription(found[0])
    if subscription is None:  # the subscription was removed: its feeds go with it
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    return subscription


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
    subscription = _subscription_for_token(hub, token)
    now = clock()
    statuses = (PubStatus.USABLE, PubStatus.CANCELED)  # kills reach subscribers as kill notices
    page = hub.list_items(ItemQuery(now=now, pub_statuses=statuses), FEED_SCAN)
    views = load_views(hub.storage, [item.id for item in page.items])
    selected = [
        item
        for item in page.items
        if matches(subscription.filter, item, facts_from_enrichment(views[item.id]))
    ][:limit]
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
