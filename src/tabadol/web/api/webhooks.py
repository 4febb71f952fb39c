"""A subscription's webhook: register the endpoint, see where delivery stands, rotate the signing
secret, pause, replay, and read the dead letters (deliver/webhooks.py does the work).

Access is that of subscriptions: the member's editors (and administrators) change a webhook, its
readers see its state, and another member's subscription answers 404 like a missing one. The signing
secret is in the answer that creates the webhook or rotates the secret, and nowhere else, ever.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from tabadol.deliver import webhooks as ops
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import DeadLetter, Principal, Webhook
from tabadol.web.api.subscriptions import visible_subscription
from tabadol.web.auth import AnyKey, HubDep, require_writer_for

router = APIRouter(prefix="/subscriptions", tags=["webhooks"])


class WebhookBody(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="The https endpoint events are POSTed to")


class ReplayBody(BaseModel):
    from_event: int | None = Field(default=None, ge=1, description="Send again from this event id on")
    since: datetime | None = Field(default=None, description="Send again the events written since then")


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    return {
        "subscription": webhook.subscription_id,
        "url": webhook.url,
        "position": webhook.position,
        "delivered": webhook.delivered,
        "attempts": webhook.attempts,
        "next_attempt_at": _time(webhook.next_attempt_at),
        "last_status": webhook.last_status,
        "last_error": webhook.last_error,
        "last_attempt_at": _time(webhook.last_attempt_at),
        "last_success_at": _time(webhook.last_success_at),
        "paused": webhook.paused_at is not None,
        "paused_at": _time(webhook.paused_at),
        "rotating": webhook.rotating,
        "created_at": _time(webhook.created_at),
        "updated_at": _time(webhook.updated_at),
    }


def dead_letter_json(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "event_id": letter.event_id,
        "attempts": letter.attempts,
        "last_status": letter.last_status,
        "last_error": letter.last_error,
        "dead_at": _time(letter.dead_at),
        "replayed_at": _time(letter.replayed_at),
    }


def _writable(hub: Hub, principal: Principal, subscription_id: str, action: str) -> str:
    subscription = visible_subscription(hub, principal, subscription_id)
    require_writer_for(principal, subscription.member_code, action)
    return subscription.id


@router.put("/{subscription_id}/webhook", summary="Register the webhook endpoint or change its URL")
def put_webhook(
    subscription_id: str, body: WebhookBody, response: Response, hub: HubDep, principal: AnyKey
) -> dict[str, Any]:
    sid = _writable(hub, principal, subscription_id, "change webhooks")
    secret = ops.set_webhook(hub, sid, body.url, principal)
    out = webhook_json(ops.webhook_state(hub, sid))
    if secret is not None:
        response.status_code = 201
        out["secret"] = secret  # shown this once; sign-checking receivers must keep it
    return out


@router.get("/{subscription_id}/webhook", summary="Where the webhook's delivery stands")
def get_webhook(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    return webhook_json(ops.webhook_state(hub, subscription.id))


@router.delete("/{subscription_id}/webhook", status_code=204, summary="Remove the webhook")
def delete_webhook(subscription_id: str, hub: HubDep, principal: AnyKey) -> Response:
    sid = _writable(hub, principal, subscription_id, "remove webhooks")
    ops.remove_webhook(hub, sid, principal)
    return Response(status_code=204)


@router.post(
    "/{subscription_id}/webhook/rotate-secret",
    summary="A new signing secret (shown once); the old one also signs for 24 hours",
)
def rotate_secret(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    sid = _writable(hub, principal, subscription_id, "rotate webhook secrets")
    secret = ops.rotate_webhook_secret(hub, sid, principal)
    return {**webhook_json(ops.webhook_state(hub, sid)), "secret": secret}


@router.post("/{subscription_id}/webhook/pause", summary="Stop sending (events wait in the log)")
def pause(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    sid = _writable(hub, principal, subscription_id, "pause webhooks")
    return webhook_json(ops.pause_webhook(hub, sid, True, principal))


@router.post("/{subscription_id}/webhook/resume", summary="Send again, from where delivery stopped")
def resume(subscription_id: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    sid = _writable(hub, principal, subscription_id, "resume webhooks")
    return webhook_json(ops.pause_webhook(hub, sid, False, principal))


@router.post("/{subscription_id}/webhook/replay", summary="Send again from an event id or from a time")
def replay(subscription_id: str, body: ReplayBody, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    sid = _writable(hub, principal, subscription_id, "replay webhooks")
    ops.replay_webhook(hub, sid, principal, from_event=body.from_event, since=body.since)
    return webhook_json(ops.webhook_state(hub, sid))


@router.get("/{subscription_id}/webhook/dead-letters", summary="Events given up on, newest first")
def get_dead_letters(
    subscription_id: str,
    hub: HubDep,
    principal: AnyKey,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    subscription = visible_subscription(hub, principal, subscription_id)
    letters = ops.dead_letters(hub, subscription.id, limit)
    return {"dead_letters": [dead_letter_json(letter) for letter in letters]}
