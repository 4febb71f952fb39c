"""Operator commands: migrate, audit, feeds, the drop-folder watcher, and the real entry points."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cli_support import RunCli

from tabadol.config import Settings
from tabadol.hub import Hub
from tabadol.types import MemberInfo

ALLOW_PRIVATE = {"TABADOL_ALLOW_PRIVATE_FEED_URLS": "1"}


def closed_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_migrate_reports_what_it_applied(run_cli: RunCli, hub: Hub, tmp_path: Path) -> None:
    current = run_cli("migrate")
    assert current.exit_code == 0
    assert current.stdout.strip() == f"Schema is up to date (version {hub.storage.schema_version()})."

    fresh = run_cli("--database", f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "migrate")
    assert fresh.exit_code == 0
    assert fresh.stdout.startswith("Applied migrations 1")


def test_audit_lists_operator_actions_newest_first(run_cli: RunCli, hub: Hub) -> None:
    run_cli("agency", "add", "tass", "--name", "TASS", "--country", "RU", "--language", "ru")
    run_cli("agency", "key", "tass", "--label", "Moscow desk")

    entries = json.loads(run_cli("audit", "--json", "--limit", "5").stdout)
    assert [e["action"] for e in entries] == ["key.issue", "member.add"]
    assert entries[0]["detail"]["label"] == "Moscow desk"
    assert entries[1]["target"] == "tass"

    table = run_cli("audit", "--limit", "1").stdout.splitlines()
    assert table[0].split("\t") == ["id", "at", "actor", "action", "target", "detail"]
    assert len(table) == 2 and "key.issue" in table[1]


def test_feed_add_checks_the_url_and_poll_reports_each_feed(
    run_cli: RunCli, hub: Hub, member: MemberInfo
) -> None:
    url = f"http://127.0.0.1:{closed_local_port()}/rss"

    refused = run_cli("feed", "add", "irna", url)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("E401 unsafe_url")
    assert hub.storage.list_feeds() == []

    added = run_cli("feed", "add", "irna", url, "--every", "120", env_extra=ALLOW_PRIVATE)
    assert added.exit_code == 0, added.stderr
    (feed,) = json.loads(run_cli("feed", "list", "--json").stdout)
    assert (feed["member_code"], feed["url"], feed["interval_seconds"]) == ("irna", url, 120)
    assert hub.storage.list_audit(limit=1)[0].action == "feed.add"

    polled = run_cli("feed", "poll", env_extra=ALLOW_PRIVATE)
    assert polled.exit_code == 0, polled.stderr
    (result,) = [json.loads(line) for line in polled.stdout.splitlines()]
    assert result["feed_id"] == feed["id"]
    assert result["error"]["code"] == "fetch_failed"  # nothing listens on that port

    again = run_cli("feed", "poll", env_extra=ALLOW_PRIVATE)
    assert again.stdout == "" and "No feed is due." in again.stderr  # backed off until its next poll


def test_feed_for_an_unknown_member_is_refused(run_cli: RunCli, hub: Hub) -> None:
    result = run_cli("feed", "add", "nobody", "https://example.org/rss", env_extra=ALLOW_PRIVATE)
    assert result.exit_code == 1 and result.stderr.startswith("E303 member_not_found")


def test_watch_once_ingests_the_drop_folder(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    (drop / "irna").mkdir(parents=True)
    wire = drop / "irna" / "ferry.json"
    doc = {
        "uri": "urn:irna:ferry",
        "type": "text",
        "headline": "Ferry line opens",
        "body_text": "Aktau to Baku.",
    }
    wire.write_text(json.dumps(doc))
    settled = time.time() - 60
    os.utime(wire, (settled, settled))  # the watcher takes only files nobody is still writing

    result = run_cli("watch", "--drop-dir", str(drop), "--once")

    assert result.exit_code == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["status"] == "ingested" and line["member_code"] == "irna"
    assert hub.storage.get_item_by_guid("urn:irna:ferry") is not None


def test_watch_without_a_drop_folder_is_a_configuration_error(run_cli: RunCli, hub: Hub) -> None:
    result = run_cli("watch", "--once")
    assert result.exit_code == 1
    assert result.stderr.startswith("E504 config_invalid: Invalid configuration TABADOL_DROP_DIR")


def test_python_dash_m_runs_the_same_command_line(
    settings: Settings, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "TABADOL_DATABASE_URL": settings.database_url,
        "TABADOL_DATA_DIR": str(settings.data_dir),
    }
    listed = subprocess.run(
        [sys.executable, "-m", "tabadol", "agency", "list", "--json"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [m["code"] for m in json.loads(listed.stdout)] == ["irna"]

    failed = subprocess.run(
        [sys.executable, "-m", "tabadol", "agency", "keys", "nobody"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert failed.returncode == 1
    assert failed.stderr.decode().strip() == "E303 member_not_found: No member 'nobody'."
    assert b"Traceback" not in failed.stderr


@pytest.mark.slow
def test_serve_answers_http(tmp_path: Path) -> None:
    port = closed_local_port()
    env = {**os.environ, "TABADOL_DATA_DIR": str(tmp_path), "TABADOL_BACKGROUND_INGEST": "0"}
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    command = [sys.executable, "-m", "tabadol", "--database", database, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else b""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
