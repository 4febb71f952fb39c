"""Subscriptions: what each member wants from the exchange (deliver/subscriptions.py has the rules).

A member's editors manage its subscriptions; an administrator manages anyone's. A member never sees
another member's subscriptions: they answer 404, exactly like a subscription that does not exist, so
their existence is not revealed either. Every change is in the audit log.

`GET /subscriptions/{id}/preview` shows the newest readable items the filter selects, so an editor can
check a filter before its channels deliver anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from tabadol.deliver.render.enrichment import add_to_ninjs
from tabadol.deliver.render.ninjs import item_to_ninjs
from tabadol.deliver.subscription_ops import add_subscription as add_subscription_for
from tabadol.deliver.subscription_ops import remove_subscription as remove_subscription_of
from tabadol.deliver.subscription_ops import selected_items
from tabadol.deliver.subscriptions import filter_from_json, filter_json
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import Principal, PubStatus, Subscription, utc_now
from tabadol.web.api.common import MemberLookup, base_url
from tabadol.web.auth import AnyKey, ClockDep, HubDep, require_writer_for

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

# How far back a preview looks: the newest items, scanned newest first.
PREVIEW_SCAN = 500


class SubscriptionBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    filter: dict[str, Any] = Field(
        default_factory=dict,
        description="members, languages, topics, entities, stories, max_urgency, query; all optional",
    )
    member: str | None = Field(default=None, description="Admins: the member it is for (default: the key's)")


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "member": subscription.member_code,
        "name": subscription.name,
        "filter": filter_json(subscription.filter),
        "created_at": format_datetime(subscription.created_at),
        "updated_at": format_datetime(subscription.updated_at),
    }


def visible_subscription(hub: Hub, principal: Principal, subscription_id: str) -> Subscription:
    subscription = hub.storage.get_subscription(subscription_id)
    if subscription is None or not (principal.is_admin or principal.member_code == subscription.member_code):
        raise TabadolError(ErrorCode.SUBSCRIPTION_NOT_FOUND, subscription_id=subscription_id)
    return subscription


@router.post("", status_code=201, summary="Add a subscription (the member's editor, or an admin)")
def add_subscription(body: SubscriptionBody, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    member = body.member or principal.member_code
    if member is None:
        raise TabadolError(ErrorCode.INVALID_REQUEST_BODY, reason="name the member the subscription is for")
    require_writer_for(principal, member, f"add subscriptions for {member}")
    return subscription_json(
        add_subscription_for(hub, member, body.name, filter_from_json(body.filter), principal)
    )


@router.get("", summary="Subscriptions: the key's member's (admins: every member's, or ?member=)")
def list_subscriptions(
    hub: HubDep,
    principal: AnyKey,
    member: Annotated[str | None, Query(description="Admins: only this member's")] = None,
) -> dict[str, Any]:
    if principal.is_admin:
        found = hub.storage.list_subscriptions(member)
    elif member is not None and member != principal.member_code:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"read {member}'s subscriptions")
    else:
        found = hub.storage.list_subscriptions(principal.member_code)
    return {"subscriptions": [subscription_json(s) for s in found]}


@router.get("/{subscription_id}", summary="One subscription")
def get_subscription(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    return subscription_json(visible_subscription(hub, principal, subscription_id))


@router.put("/{subscription_id}", summary="Replace a subscription's name and filter")
def update_subscription(
    subscription_id: str, body: SubscriptionBody, hub: HubDep, principal: AnyKey
) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, "change subscriptions")
    value = filter_from_json(body.filter)
    now = utc_now()
    if not hub.storage.update_subscription(subscription.id, body.name.strip(), value, now):
        raise TabadolError(ErrorCode.SUBSCRIPTION_NOT_FOUND, subscription_id=subscription_id)
    hub.audit(principal, "subscription.change", subscription.id, {"name": body.name.strip()})
    return subscription_json(
        Subscription(
            subscription.id, subscription.member_code, body.name.strip(), value, subscription.created_at, now
        )
    )


@router.delete("/{subscription_id}", status_code=204, summary="Remove a subscription")
def remove_subscription(subscription_id: str, hub: HubDep, principal: AnyKey) -> Response:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, "remove subscriptions")
    remove_subscription_of(hub, subscription.id, principal)
    return Response(status_code=204)


@router.get("/{subscription_id}/preview", summary="The newest readable items the subscription selects")
def preview(
    subscription_id: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    items, views, scanned = selected_items(
        hub, subscription.filter, clock(), (PubStatus.USABLE,), PREVIEW_SCAN, limit
    )
    lookup = MemberLookup(hub)
    root = base_url(request)
    documents = [
        add_to_ninjs(item_to_ninjs(item, lookup.get(item.member_code), root), views[item.id])
        for item in items
    ]
    return {"subscription": subscription_json(subscription), "scanned": scanned, "items": documents}
