"""Operations on subscriptions and their feed tokens, shared by the API and the command line, so both
create, audit, issue and check them the same way (deliver/subscriptions.py holds the pure rules).

Feed tokens read `tbdf_<token id>_<secret>`: the id names the token (lists, audit log, revocation); only
SHA-256 of the 256-bit secret is stored (access.py's reasoning holds: a random secret needs no slow
hash). Unknown, malformed and revoked tokens, and tokens of removed subscriptions, are one error.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from tabadol.access import hash_secret, secret_matches
from tabadol.deliver.render.enrichment import EnrichmentView, load_views
from tabadol.deliver.subscriptions import facts_from_enrichment, matches
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.storage.subscriptions import new_subscription_id
from tabadol.types import Item, ItemQuery, Principal, PubStatus, Subscription, SubscriptionFilter, utc_now

FEED_TOKEN_PREFIX = "tbdf"  # noqa: S105 - a public prefix, not a secret
FEED_KINDS = ("atom", "rss", "json")


def feed_urls(api_root: str, token: str) -> dict[str, str]:
    """The URLs of a token's feeds under the API root (e.g. "https://hub.example/api/v1")."""
    return {kind: f"{api_root}/syndication/{token}/{kind}" for kind in FEED_KINDS}


def add_subscription(
    hub: Hub, member: str, name: str, value: SubscriptionFilter, actor: Principal
) -> Subscription:
    hub.get_member(member)  # MEMBER_NOT_FOUND for an unknown code
    now = utc_now()
    subscription = Subscription(new_subscription_id(), member, name.strip(), value, now, now)
    hub.storage.add_subscription(subscription)
    hub.audit(actor, "subscription.add", subscription.id, {"member": member, "name": subscription.name})
    return subscription


def remove_subscription(hub: Hub, subscription_id: str, actor: Principal) -> None:
    if not hub.storage.remove_subscription(subscription_id, utc_now()):
        raise TabadolError(ErrorCode.SUBSCRIPTION_NOT_FOUND, subscription_id=subscription_id)
    hub.audit(actor, "subscription.remove", subscription_id, {})


def issue_feed_token(hub: Hub, subscription_id: str, actor: Principal) -> tuple[str, str]:
    """(token id, token): the token is shown once and never stored."""
    if hub.storage.get_subscription(subscription_id) is None:
        raise TabadolError(ErrorCode.SUBSCRIPTION_NOT_FOUND, subscription_id=subscription_id)
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    hub.storage.add_feed_token(token_id, subscription_id, hash_secret(secret), utc_now())
    hub.audit(actor, "feed_token.issue", token_id, {"subscription": subscription_id})
    return token_id, f"{FEED_TOKEN_PREFIX}_{token_id}_{secret}"


def revoke_feed_token(hub: Hub, subscription_id: str, token_id: str, actor: Principal) -> None:
    if not hub.storage.revoke_feed_token(token_id, subscription_id, utc_now()):
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    hub.audit(actor, "feed_token.revoke", token_id, {"subscription": subscription_id})


def subscription_for_feed_token(hub: Hub, token: str) -> Subscription:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != FEED_TOKEN_PREFIX:
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    found = hub.storage.get_feed_token(parts[1])
    if found is None or found[2] is not None or not secret_matches(parts[2], found[1]):
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    subscription = hub.storage.get_subscription(found[0])
    if subscription is None:  # the subscription was removed: its feeds go with it
        raise TabadolError(ErrorCode.FEED_TOKEN_INVALID)
    return subscription


def selected_items(
    hub: Hub,
    value: SubscriptionFilter,
    now: datetime,
    statuses: Sequence[PubStatus],
    scan: int,
    limit: int,
) -> tuple[list[Item], dict[str, EnrichmentView], int]:
    """The newest readable items (of `statuses`, among the newest `scan`) the filter selects, at most
    `limit`; with their enrichment views and how many items were scanned."""
    page = hub.list_items(ItemQuery(now=now, pub_statuses=tuple(statuses)), scan)
    views = load_views(hub.storage, [item.id for item in page.items])
    chosen = [item for item in page.items if matches(value, item, facts_from_enrichment(views[item.id]))]
    return chosen[:limit], views, len(page.items)
