"""`tabadol subscription`: add, list, feed tokens, revoke, remove; bad filters are one clear line."""

from __future__ import annotations

import re

from cli_support import RunCli
from fastapi.testclient import TestClient

from tabadol.hub import Hub
from tabadol.types import MemberInfo
from tabadol.web.app import create_app


def test_subscription_commands(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    added = run_cli(
        "subscription",
        "add",
        member.code,
        "--name",
        "Caspian",
        "--language",
        "ru",
        "--topic",
        "20000337",
        "--query",
        "Каспий",
    )
    assert added.exit_code == 0, added.output
    sid = re.search(r"(sub_[0-9a-f]+)", added.output).group(1)  # type: ignore[union-attr]
    listed = run_cli("subscription", "list").stdout
    assert sid in listed and "medtop:20000337" in listed and "query=Каспий" in listed
    issued = run_cli("subscription", "feed-token", sid)
    assert issued.exit_code == 0, issued.output
    url = next(line.strip() for line in issued.stdout.splitlines() if line.strip().endswith("/atom"))
    token_id = re.search(r"Feed token ([0-9a-f]+)", issued.stdout).group(1)  # type: ignore[union-attr]
    path = url.split("127.0.0.1:8000", 1)[1]
    with TestClient(create_app(hub)) as client:
        assert client.get(path).status_code == 200
        assert run_cli("subscription", "revoke-feed-token", sid, token_id).exit_code == 0
        assert client.get(path).status_code == 404
    assert run_cli("subscription", "remove", sid).exit_code == 0
    assert sid not in run_cli("subscription", "list").stdout
    actions = {entry.action for entry in hub.storage.list_audit()}
    assert {"subscription.add", "feed_token.issue", "feed_token.revoke", "subscription.remove"} <= actions


def test_a_bad_filter_is_one_clear_line(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    refused = run_cli("subscription", "add", member.code, "--name", "x", "--topic", "economy")
    assert refused.exit_code == 1 and "E307" in refused.stderr and "topics" in refused.stderr
    missing = run_cli("subscription", "remove", "sub_nope")
    assert missing.exit_code == 1 and "E314" in missing.stderr
