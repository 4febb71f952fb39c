"""`tabadol report`: the exchange report as a table, JSON or CSV (to stdout or a file); bad
parameters are one E307 line naming the parameter."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from cli_support import RunCli
from fastapi.testclient import TestClient

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import Role
from tabadol.web.app import create_app

WINDOW = ("--since", "2000-01", "--until", "2100-01", "--period", "year")


def push(hub: Hub, member: str, guid: str, language: str, headline: str) -> str:
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": headline}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


@pytest.fixture
def exchange(hub: Hub) -> None:
    """irna supplies two items to tass (one taken, over HTTP) and one to azertac; tass one to azertac."""
    hub.add_member("irna", {"en": "IRNA, Islamic Republic News Agency"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    hub.add_member("azertac", {"en": "AzerTAc"}, "AZ", ["az"])
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    add_subscription(hub, "azertac", "Persian", build_filter(languages=["fa", "ru"]), OPERATOR)
    taken = push(hub, "irna", "urn:irna:c:1", "fa", "خبر یک")
    push(hub, "irna", "urn:irna:c:2", "en", "IRNA in English")
    push(hub, "tass", "urn:tass:c:1", "ru", "Новость")
    Dispatcher(hub.storage).drain()
    _, token = hub.issue_key("tass", Role.EDITOR, label="tass desk")
    with TestClient(create_app(hub)) as client:
        response = client.post(f"/api/v1/items/{taken}/take", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text


def test_json_report_counts_every_pair(run_cli: RunCli, exchange: None) -> None:
    result = run_cli("report", *WINDOW, "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["period"] == "year" and body["since"] == "2000-01-01T00:00:00Z"
    got = {
        (t["source"], t["recipient"]): (t["supplied"], t["taken"], t["translated"]) for t in body["totals"]
    }
    assert got == {
        ("irna", "tass"): (2, 1, 1),
        ("irna", "azertac"): (1, 0, 0),
        ("tass", "azertac"): (1, 0, 0),
    }


def test_member_option_keeps_only_that_members_rows(run_cli: RunCli, exchange: None) -> None:
    result = run_cli("report", *WINDOW, "--member", "azertac", "--format", "json", "--group", "language")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {(r["source"], r["recipient"], r["language"]) for r in rows} == {
        ("irna", "azertac", "fa"),
        ("tass", "azertac", "ru"),
    }


def test_csv_to_a_file_and_a_table_on_stdout(run_cli: RunCli, exchange: None, tmp_path: Path) -> None:
    target = tmp_path / "ledger.csv"
    written = run_cli("report", *WINDOW, "--format", "csv", "--output", str(target))
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert target.read_bytes().count(b"\r\n") == 4  # header and three rows, RFC 4180 line ends
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    irna = next(r for r in rows if r["recipient"] == "tass")
    assert irna["source_name"] == "IRNA, Islamic Republic News Agency" and irna["supplied"] == "2"
    table = run_cli("report", *WINDOW)
    assert table.exit_code == 0, table.output
    lines = [line.split("\t") for line in table.stdout.splitlines()]
    assert lines[0][:3] == ["period", "source", "source_name"]
    assert sorted((line[1], line[3]) for line in lines[1:]) == [
        ("irna", "azertac"),
        ("irna", "tass"),
        ("tass", "azertac"),
    ]


@pytest.mark.parametrize(
    ("args", "param"),
    [
        (("--period", "fortnight"), "period"),
        (("--since", "last week"), "since"),
        (("--group", "desk"), "group"),
        (("--format", "xml"), "format"),
    ],
)
def test_bad_options_are_one_line_naming_the_parameter(
    run_cli: RunCli, exchange: None, args: tuple[str, ...], param: str
) -> None:
    result = run_cli("report", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("E307 invalid_query") and f"'{param}'" in result.stderr
