"""`tabadol subscription ...`: members' subscriptions and their feed URLs from the command line
(the operator acts as an administrator; every change is audited like the API's)."""

from __future__ import annotations

from typing import Annotated

import typer

from tabadol.deliver.subscription_ops import (
    add_subscription,
    feed_urls,
    issue_feed_token,
    remove_subscription,
    revoke_feed_token,
)
from tabadol.deliver.subscriptions import build_filter, filter_json
from tabadol.hub import OPERATOR

subscription_app = typer.Typer(
    help="Members' subscriptions and their syndication feed URLs.", no_args_is_help=True
)


@subscription_app.command("add")
def subscription_add(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(help="The member the subscription is for.")],
    name: Annotated[str, typer.Option(help="A name the member's editors recognise.")],
    source: Annotated[list[str] | None, typer.Option(help="Only items of this member (repeatable).")] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Only items in this language (repeatable).")
    ] = None,
    topic: Annotated[
        list[str] | None, typer.Option(help="IPTC code (medtop:NNNNNNNN) or scheme:label (repeatable).")
    ] = None,
    entity: Annotated[list[str] | None, typer.Option(help="Entity id, e.g. place/baku (repeatable).")] = None,
    story: Annotated[list[str] | None, typer.Option(help="Story id (repeatable).")] = None,
    max_urgency: Annotated[int | None, typer.Option(help="Only items at least this urgent (1-9).")] = None,
    query: Annotated[str | None, typer.Option(help="Words every item must contain.")] = None,
) -> None:
    """Add a subscription for a member."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        value = build_filter(
            members=source or [],
            languages=language or [],
            topics=topic or [],
            entities=entity or [],
            stories=story or [],
            max_urgency=max_urgency,
            query=query,
        )
        subscription = add_subscription(hub, member, name, value, OPERATOR)
    out.print(f"Added subscription {subscription.id} for {member}: {subscription.name}")


@subscription_app.command("list")
def subscription_list(
    ctx: typer.Context,
    member: Annotated[str | None, typer.Option(help="Only this member's.")] = None,
) -> None:
    """List subscriptions with their filters."""
    from tabadol.cli import open_hub, print_table

    with open_hub(ctx) as hub:
        found = hub.storage.list_subscriptions(member)
    rows = []
    for subscription in found:
        described = {k: v for k, v in filter_json(subscription.filter).items() if v not in ([], None)}
        summary = "; ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in described.items())
        rows.append([subscription.id, subscription.member_code, subscription.name, summary or "(everything)"])
    print_table(["id", "member", "name", "filter"], rows)


@subscription_app.command("remove")
def subscription_remove(ctx: typer.Context, subscription_id: str) -> None:
    """Remove a subscription (its feed URLs stop working)."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        remove_subscription(hub, subscription_id, OPERATOR)
    out.print(f"Removed subscription {subscription_id}")


@subscription_app.command("feed-token")
def subscription_feed_token(
    ctx: typer.Context,
    subscription_id: str,
    base: Annotated[
        str, typer.Option(help="The hub's public address, for the printed URLs.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Issue a revocable token for the subscription's Atom, RSS and JSON Feed URLs (shown once)."""
    from tabadol.cli import open_hub, out, reported_errors
    from tabadol.web.api.common import API_PREFIX

    with open_hub(ctx) as hub, reported_errors():
        token_id, token = issue_feed_token(hub, subscription_id, OPERATOR)
    out.print(f"Feed token {token_id} (shown once):")
    for url in feed_urls(base.rstrip("/") + API_PREFIX, token).values():
        out.print(f"  {url}", soft_wrap=True)


@subscription_app.command("revoke-feed-token")
def subscription_revoke_feed_token(ctx: typer.Context, subscription_id: str, token_id: str) -> None:
    """Revoke a feed token: its URLs stop at once."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        revoke_feed_token(hub, subscription_id, token_id, OPERATOR)
    out.print(f"Revoked feed token {token_id}")
