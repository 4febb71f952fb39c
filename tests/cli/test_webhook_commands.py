"""`tabadol webhook ...` and `tabadol deliver`: register (secret printed once), show, pause, resume,
rotate, replay, dead letters, remove, and one delivery pass to a real receiver."""

from __future__ import annotations

import json
import re

from cli_support import RunCli

from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo
from webhook_receiver import WebhookReceiver

PRIVATE = {"TABADOL_ALLOW_PRIVATE_FEED_URLS": "1"}


def subscription_for(hub: Hub, member: MemberInfo) -> str:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    return add_subscription(hub, "tass", "IRNA wire", build_filter(members=[member.code]), OPERATOR).id


def test_webhook_commands_and_one_delivery_pass(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    receiver = WebhookReceiver()
    try:
        sid = subscription_for(hub, member)
        created = run_cli("webhook", "set", sid, receiver.url("/tass"), env_extra=PRIVATE)
        assert created.exit_code == 0, created.output
        secret = re.search(r"(tbdwh_\S+)", created.stdout).group(1)  # type: ignore[union-attr]
        receiver.secrets.append(secret)
        shown = run_cli("webhook", "show", sid)
        assert (
            receiver.url("/tass") in shown.stdout and "active" in shown.stdout and secret not in shown.stdout
        )

        doc = {
            "uri": "urn:irna:cli:1",
            "type": "text",
            "language": "fa",
            "headlines": [{"value": "خبر"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "متن خبر"}],
        }
        hub.ingest_payload(member.code, json.dumps(doc).encode(), "application/ninjs+json", via="test")
        delivered = run_cli("deliver", env_extra=PRIVATE)
        assert delivered.exit_code == 0, delivered.output
        assert "served 1 webhook endpoints" in delivered.stdout
        [entry] = receiver.received
        assert entry.kind == "publish" and entry.verified_with == (secret,)

        assert "paused" in run_cli("webhook", "pause", sid).stdout
        assert "active" in run_cli("webhook", "resume", sid).stdout
        rotated = run_cli("webhook", "rotate-secret", sid, "--grace-hours", "1")
        assert rotated.exit_code == 0 and "tbdwh_" in rotated.stdout and secret not in rotated.stdout
        assert "rotation" in run_cli("webhook", "show", sid).stdout
        replayed = run_cli("webhook", "replay", sid, "--since", "2020-01-01T00:00:00Z")
        assert replayed.exit_code == 0 and "after 0" in replayed.stdout
        assert run_cli("deliver", env_extra=PRIVATE).exit_code == 0
        assert [e.event_id for e in receiver.received] == [entry.event_id] * 2  # the replay repeats it
        letters = run_cli("webhook", "dead-letters", sid)
        assert letters.exit_code == 0 and letters.stdout.splitlines()[0].startswith("event")
        assert run_cli("webhook", "remove", sid).exit_code == 0
    finally:
        receiver.close()
    gone = run_cli("webhook", "show", sid)
    assert gone.exit_code == 1 and "E316" in gone.stderr
    actions = {entry.action for entry in hub.storage.list_audit()}
    assert {"webhook.create", "webhook.pause", "webhook.rotate_secret", "webhook.remove"} <= actions


def test_refused_urls_and_bad_replays_are_one_clear_line(
    run_cli: RunCli, hub: Hub, member: MemberInfo
) -> None:
    sid = subscription_for(hub, member)
    refused = run_cli("webhook", "set", sid, "http://127.0.0.1:9/hook")  # private URLs not allowed
    assert refused.exit_code == 1 and "E317" in refused.stderr and "https" in refused.stderr
    assert run_cli("webhook", "set", sid, "https://127.0.0.1:9/hook", env_extra=PRIVATE).exit_code == 0
    both = run_cli("webhook", "replay", sid)
    assert both.exit_code == 1 and "E307" in both.stderr
    bad_time = run_cli("webhook", "replay", sid, "--since", "yesterday")
    assert bad_time.exit_code == 1 and "E307" in bad_time.stderr
    unknown = run_cli("webhook", "show", "sub_missing")
    assert unknown.exit_code == 1 and "E314" in unknown.stderr
