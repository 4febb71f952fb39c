"""`tabadol webhook ...` (members' webhook endpoints; the operator acts as an administrator, audited
like the API) and `tabadol deliver` (the dispatcher and the webhook sender in the foreground)."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from types import FrameType
from typing import Annotated

import typer

from tabadol.deliver import webhooks as ops
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime, parse_datetime
from tabadol.types import Webhook

webhook_app = typer.Typer(
    help="Members' webhook endpoints: events POSTed and signed, in order.", no_args_is_help=True
)


def _time(value: datetime | None) -> str:
    return "-" if value is None else format_datetime(value)


def _print_state(webhook: Webhook) -> None:
    from tabadol.cli import out

    state = "paused" if webhook.paused_at is not None else "active"
    lines = [
        f"Webhook of {webhook.subscription_id}: {webhook.url} ({state})",
        f"  position (last event delivered): {webhook.position}; delivered: {webhook.delivered}",
        f"  attempts on the next event: {webhook.attempts}; next attempt: {_time(webhook.next_attempt_at)}",
        f"  last status: {webhook.last_status if webhook.last_status is not None else '-'}"
        f"; last error: {webhook.last_error or '-'}",
        f"  last success: {_time(webhook.last_success_at)}"
        + ("; the previous secret still signs (rotation)" if webhook.rotating else ""),
    ]
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)


@webhook_app.command("set")
def webhook_set(
    ctx: typer.Context,
    subscription_id: str,
    url: Annotated[str, typer.Argument(help="The https endpoint events are POSTed to.")],
) -> None:
    """Register a subscription's webhook (the signing secret is printed once) or change its URL."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        secret = ops.set_webhook(hub, subscription_id, url, OPERATOR)
    if secret is None:
        out.print(f"Changed the webhook URL of {subscription_id}", markup=False)
        return
    out.print(f"Webhook of {subscription_id} registered. Signing secret (shown once, keep it):", markup=False)
    out.print(f"  {secret}", markup=False, soft_wrap=True)


@webhook_app.command("show")
def webhook_show(ctx: typer.Context, subscription_id: str) -> None:
    """Where a webhook's delivery stands (never its secret)."""
    from tabadol.cli import open_hub, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        webhook = ops.webhook_state(hub, subscription_id)
    _print_state(webhook)


@webhook_app.command("remove")
def webhook_remove(ctx: typer.Context, subscription_id: str) -> None:
    """Remove a webhook (with its dead letters); the subscription stays."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        ops.remove_webhook(hub, subscription_id, OPERATOR)
    out.print(f"Removed the webhook of {subscription_id}", markup=False)


@webhook_app.command("rotate-secret")
def webhook_rotate_secret(
    ctx: typer.Context,
    subscription_id: str,
    grace_hours: Annotated[float, typer.Option(min=0, help="How long the old secret also signs.")] = 24.0,
) -> None:
    """A new signing secret (printed once); the old one keeps signing during the grace period."""
    from datetime import timedelta

    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        secret = ops.rotate_webhook_secret(hub, subscription_id, OPERATOR, timedelta(hours=grace_hours))
    out.print(f"New signing secret of {subscription_id} (shown once, keep it):", markup=False)
    out.print(f"  {secret}", markup=False, soft_wrap=True)


@webhook_app.command("pause")
def webhook_pause(ctx: typer.Context, subscription_id: str) -> None:
    """Stop sending; events wait in the log and go out on resume."""
    from tabadol.cli import open_hub, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        webhook = ops.pause_webhook(hub, subscription_id, True, OPERATOR)
    _print_state(webhook)


@webhook_app.command("resume")
def webhook_resume(ctx: typer.Context, subscription_id: str) -> None:
    """Send again from where delivery stopped."""
    from tabadol.cli import open_hub, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        webhook = ops.pause_webhook(hub, subscription_id, False, OPERATOR)
    _print_state(webhook)


@webhook_app.command("replay")
def webhook_replay(
    ctx: typer.Context,
    subscription_id: str,
    from_event: Annotated[int | None, typer.Option(min=1, help="Send again from this event id on.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Send again the events written since (ISO 8601; UTC if no zone).")
    ] = None,
) -> None:
    """Send events again, from an event id or from a time (receivers drop repeats by idempotency key)."""
    from tabadol.cli import open_hub, out, reported_errors
    from tabadol.errors import ErrorCode, TabadolError

    with open_hub(ctx) as hub, reported_errors():
        try:
            when = None if since is None else parse_datetime(since)
        except ValueError:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="since", reason="not an ISO 8601 time"
            ) from None
        after = ops.replay_webhook(hub, subscription_id, OPERATOR, from_event=from_event, since=when)
    out.print(f"The webhook of {subscription_id} sends again every event after {after}", markup=False)


@webhook_app.command("dead-letters")
def webhook_dead_letters(
    ctx: typer.Context,
    subscription_id: str,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 100,
) -> None:
    """Events a webhook gave up on after its attempts."""
    from tabadol.cli import open_hub, print_table, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        letters = ops.dead_letters(hub, subscription_id, limit)
    rows = [
        [
            str(letter.event_id),
            str(letter.attempts),
            "-" if letter.last_status is None else str(letter.last_status),
            letter.last_error or "-",
            _time(letter.dead_at),
            _time(letter.replayed_at),
        ]
        for letter in letters
    ]
    print_table(["event", "attempts", "status", "error", "dead at", "replayed at"], rows)


def deliver(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep delivering until SIGTERM or SIGINT (Ctrl-C).")
    ] = False,
) -> None:
    """Fan events out to subscriptions and send webhooks in the foreground: one pass over what is
    due now, or, with --follow, until stopped (for delivery run apart from `tabadol serve`)."""
    from tabadol.cli import open_hub, out
    from tabadol.deliver.dispatcher import Dispatcher

    with open_hub(ctx) as hub:
        if follow:
            _deliver_until_signalled(hub)
            return
        handled = Dispatcher(hub.storage).drain()
        worker = ops.worker_for(hub)
        try:
            served = worker.drain()
        finally:
            worker.close()
    out.print(f"Dispatched {handled} delivery jobs; served {served} webhook endpoints.", markup=False)


def _deliver_until_signalled(hub: Hub) -> None:
    from tabadol.deliver.service import start_delivery

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    stop = start_delivery(hub)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
