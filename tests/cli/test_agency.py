"""`tabadol agency ...`: members and keys from the command line, checked against the hub itself."""

from __future__ import annotations

import json

import pytest
from cli_support import RunCli

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Role

EIGHT_NAMES = [
    "--name", "Kazinform International News Agency",
    "--name-kk", "«Казинформ» халықаралық ақпарат агенттігі",
    "--name-ru", "Международное информационное агентство «Казинформ»",
    "--names", "fa=خبرگزاری بین‌المللی کازینفرم,ar=وكالة كازإنفورم الدولية للأنباء",
    "--names", "az=Kazinform Beynəlxalq İnformasiya Agentliyi,tk=Kazinform halkara habarlar gullugy",
    "--name-tr", "Kazinform Uluslararası Haber Ajansı",
]  # fmt: skip


def add_kazinform(run_cli: RunCli) -> None:
    result = run_cli(
        "agency", "add", "kazinform", *EIGHT_NAMES, "--country", "kz", "--language", "kk", "--language", "ru"
    )
    assert result.exit_code == 0, result.stderr
    assert "Added member kazinform" in result.stdout


def test_agency_add_and_list_round_trip(run_cli: RunCli, hub: Hub) -> None:
    add_kazinform(run_cli)

    listed = json.loads(run_cli("agency", "list", "--json").stdout)
    assert [m["code"] for m in listed] == ["kazinform"]
    member = listed[0]
    assert member["country"] == "KZ"
    assert member["languages"] == ["kk", "ru"]
    assert set(member["names"]) == {"en", "fa", "ar", "ru", "az", "kk", "tk", "tr"}
    assert member["names"]["fa"] == "خبرگزاری بین‌المللی کازینفرم"
    assert hub.get_member("kazinform").names["kk"] == "«Казинформ» халықаралық ақпарат агенттігі"

    table = run_cli("agency", "list").stdout
    assert table.splitlines()[1].split("\t") == [
        "kazinform",
        "Kazinform International News Agency",
        "KZ",
        "kk,ru",
        "8",
        "yes",
    ]


def test_adding_a_member_twice_is_an_error_with_its_code(run_cli: RunCli) -> None:
    add_kazinform(run_cli)
    again = run_cli("agency", "add", "kazinform", "--name", "Again", "--country", "KZ", "--language", "kk")
    assert again.exit_code == 1
    assert again.stderr.startswith("E304 member_exists: Member 'kazinform' already exists.")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--names", "fa"], "E305 invalid_member"),
        (["--name", "X", "--country", "KAZ"], "E305 invalid_member"),
    ],
)
def test_invalid_member_input_is_refused(run_cli: RunCli, hub: Hub, args: list[str], expected: str) -> None:
    base = {"--country": "KZ"}
    if "--country" not in args:
        args = [*args, *[x for pair in base.items() for x in pair]]
    result = run_cli("agency", "add", "kazinform", *args, "--language", "kk")
    assert result.exit_code == 1
    assert result.stderr.startswith(expected)
    assert hub.storage.list_members() == []


def test_issued_key_authenticates_and_is_listed_without_its_secret(run_cli: RunCli, hub: Hub) -> None:
    add_kazinform(run_cli)
    issued = run_cli("agency", "key", "kazinform", "--role", "reader", "--label", "Almaty desk")
    assert issued.exit_code == 0, issued.stderr
    token = issued.stdout.strip()
    assert "cannot be shown again" in issued.stderr

    principal = hub.authenticate(token)
    assert principal.member_code == "kazinform"
    assert principal.role is Role.READER

    listed = run_cli("agency", "keys", "kazinform", "--json")
    keys = json.loads(listed.stdout)
    assert [k["key_id"] for k in keys] == [principal.key_id]
    assert keys[0]["label"] == "Almaty desk"
    secret = token.split("_", 2)[2]
    assert secret not in listed.stdout
    assert secret not in run_cli("agency", "keys", "kazinform").stdout


def test_revoked_key_no_longer_authenticates(run_cli: RunCli, hub: Hub) -> None:
    add_kazinform(run_cli)
    token = run_cli("agency", "key", "kazinform").stdout.strip()
    key_id = hub.authenticate(token).key_id
    assert key_id is not None

    revoked = run_cli("agency", "revoke", key_id)
    assert revoked.exit_code == 0
    with pytest.raises(TabadolError) as refused:
        hub.authenticate(token)
    assert refused.value.code is ErrorCode.INVALID_KEY

    again = run_cli("agency", "revoke", key_id)
    assert again.exit_code == 1
    assert "E312 key_not_found" in again.stderr


def test_key_for_an_unknown_member_is_member_not_found(run_cli: RunCli) -> None:
    result = run_cli("agency", "key", "nobody")
    assert result.exit_code == 1
    assert result.stderr.startswith("E303 member_not_found: No member 'nobody'.")
