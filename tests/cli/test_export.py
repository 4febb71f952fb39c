"""`tabadol export`: one JSON line per item, every field, the original's SHA-256, stable order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta
from typing import Any

from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import Item, MemberInfo, utc_now


def push(hub: Hub, member: str, uri: str, headline: str, **extra: object) -> None:
    doc = {
        "uri": uri,
        "type": "text",
        "language": "en",
        "headline": headline,
        "body_text": f"{headline}.",
        **extra,
    }
    hub.ingest_payload(member, json.dumps(doc).encode(), "application/ninjs+json", via="http")


def export_lines(run_cli: RunCli, *args: str) -> list[dict[str, Any]]:
    result = run_cli("export", *args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_export_has_every_field_the_original_hash_and_version_count(
    run_cli: RunCli, hub: Hub, member: MemberInfo
) -> None:
    embargo = format_datetime(utc_now() + timedelta(days=1))
    push(hub, "irna", "urn:irna:1", "Caspian summit opens")
    push(hub, "irna", "urn:irna:2", "Budget to be announced", embargoed=embargo)
    push(hub, "irna", "urn:irna:1", "Caspian summit opens in Tehran")

    lines = export_lines(run_cli)

    assert [line["guid"] for line in lines] == ["urn:irna:2", "urn:irna:1"]  # seq order: last change last
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    item_fields = {f.name for f in dataclasses.fields(Item)}
    for line in lines:
        assert item_fields <= set(line)
        stored = hub.storage.get_item(line["id"])
        assert stored is not None
        original = hub.storage.get_original(line["original_sha256"])
        assert original is not None
        assert hashlib.sha256(original.data).hexdigest() == line["original_sha256"] == stored.original_sha256
        assert line["parsed"]["headline"] == stored.headline == line["headline"]
    summit, budget = lines[1], lines[0]
    assert summit["version_count"] == 2 and summit["version"] == 2
    assert summit["headline"] == "Caspian summit opens in Tehran"
    assert budget["version_count"] == 1
    assert budget["embargoed_until"] == embargo  # embargoed items are exported (operator command)


def test_export_filters_by_member_and_since(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    push(hub, "irna", "urn:irna:1", "Old news")
    cut = utc_now()
    push(hub, "tass", "urn:tass:1", "Moscow news")
    push(hub, "irna", "urn:irna:2", "New news")

    assert [line["guid"] for line in export_lines(run_cli, "--member", "tass")] == ["urn:tass:1"]
    since = export_lines(run_cli, "--since", format_datetime(cut))
    assert [line["guid"] for line in since] == ["urn:tass:1", "urn:irna:2"]
    both = export_lines(run_cli, "--member", "irna", "--since", format_datetime(cut))
    assert [line["guid"] for line in both] == ["urn:irna:2"]


def test_export_refuses_an_unknown_member_and_a_bad_time(run_cli: RunCli, hub: Hub) -> None:
    unknown = run_cli("export", "--member", "nobody")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("E303 member_not_found")
    bad_time = run_cli("export", "--since", "yesterday")
    assert bad_time.exit_code == 1 and bad_time.stderr.startswith("E307 invalid_query")


def test_export_of_an_empty_store_is_empty(run_cli: RunCli, hub: Hub) -> None:
    assert export_lines(run_cli) == []
