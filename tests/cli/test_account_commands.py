"""`tabadol agency user ...` / `tabadol agency users`: newsroom accounts from the command line, with
passwords from a prompt typed twice or a file (never an argument); and the demo's accounts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cli_support import RunCli
from typer.testing import CliRunner

from tabadol.cli import app
from tabadol.config import Settings
from tabadol.demo.accounts import ACCOUNTS_FILE, demo_accounts, ensure_demo_accounts, read_accounts_file
from tabadol.demo.members import DEMO_MEMBERS
from tabadol.hub import Hub
from tabadol.types import Role
from tabadol.web.portal import accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def irna(run_cli: RunCli) -> None:
    added = run_cli("agency", "add", "irna", "--country", "IR", "--language", "fa", "--name", "IRNA")
    assert added.exit_code == 0, added.stderr


def password_file(tmp_path: Path, text: str = PASSWORD) -> str:
    path = tmp_path / "password.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def test_add_with_a_password_file_then_log_in(run_cli: RunCli, hub: Hub, irna: None, tmp_path: Path) -> None:
    result = run_cli(
        "agency", "user", "add", "irna", "Leila", "--role", "editor", "--name", "Leila Ahmadi",
        "--password-file", password_file(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Added editor account leila for irna." in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    login = accounts.log_in(hub.storage, "leila", PASSWORD, None)
    assert login.session.user.display_name == "Leila Ahmadi" and login.session.user.role is Role.EDITOR
    assert any(
        entry.action == "account.add" and entry.target == "leila" for entry in hub.storage.list_audit()
    )


def test_add_prompts_twice_and_refuses_a_mismatch(settings: Settings, hub: Hub, irna: None) -> None:
    runner = CliRunner()
    env = {"TABADOL_DATABASE_URL": settings.database_url, "TABADOL_DATA_DIR": str(settings.data_dir)}
    args = ["agency", "user", "add", "irna", "reza", "--role", "reader"]
    typed = runner.invoke(app, args, input=f"{PASSWORD}\n{PASSWORD}\n", env=env)
    assert typed.exit_code == 0, typed.output
    assert PASSWORD not in typed.output  # hidden input is not echoed
    assert accounts.log_in(hub.storage, "reza", PASSWORD, None).session.user.role is Role.READER
    # Two different entries are asked again; with no more input the command stops, adding nothing.
    mismatch = runner.invoke(
        app,
        ["agency", "user", "add", "irna", "sara", "--role", "editor"],
        input="first one here\nsecond one!\n",
        env=env,
    )
    assert mismatch.exit_code != 0
    assert hub.storage.get_web_user("sara") is None


def test_errors_are_one_line_with_a_code(run_cli: RunCli, irna: None, tmp_path: Path) -> None:
    short = run_cli(
        "agency",
        "user",
        "add",
        "irna",
        "leila",
        "--role",
        "editor",
        "--password-file",
        password_file(tmp_path, "short"),
    )
    assert short.exit_code == 1 and short.stderr.startswith("E208 invalid_account")
    unknown = run_cli(
        "agency",
        "user",
        "add",
        "nope",
        "leila",
        "--role",
        "editor",
        "--password-file",
        password_file(tmp_path),
    )
    assert unknown.exit_code == 1 and "member_not_found" in unknown.stderr
    first = run_cli(
        "agency",
        "user",
        "add",
        "irna",
        "leila",
        "--role",
        "editor",
        "--password-file",
        password_file(tmp_path),
    )
    assert first.exit_code == 0
    again = run_cli(
        "agency",
        "user",
        "add",
        "irna",
        "leila",
        "--role",
        "reader",
        "--password-file",
        password_file(tmp_path),
    )
    assert again.exit_code == 1 and "account_exists" in again.stderr
    assert run_cli("agency", "user", "disable", "nobody").exit_code == 1


def test_list_disable_and_password(run_cli: RunCli, hub: Hub, irna: None, tmp_path: Path) -> None:
    for username, role in (("leila", "editor"), ("reza", "reader")):
        added = run_cli(
            "agency",
            "user",
            "add",
            "irna",
            username,
            "--role",
            role,
            "--password-file",
            password_file(tmp_path),
        )
        assert added.exit_code == 0, added.stderr
    listed = json.loads(run_cli("agency", "users", "irna", "--json").stdout)
    assert [(user["username"], user["role"]) for user in listed] == [("leila", "editor"), ("reza", "reader")]
    assert "password" not in json.dumps(listed) and "scrypt" not in json.dumps(listed)
    table = run_cli("agency", "users").stdout.splitlines()
    assert table[0].split("\t")[:3] == ["username", "member", "role"] and len(table) == 3

    new_password = "a brand new password"
    changed = run_cli(
        "agency", "user", "password", "leila", "--password-file", password_file(tmp_path, new_password)
    )
    assert changed.exit_code == 0, changed.stderr
    assert accounts.log_in(hub.storage, "leila", new_password, None).session.user.username == "leila"

    login = accounts.log_in(hub.storage, "reza", PASSWORD, None)
    disabled = run_cli("agency", "user", "disable", "reza")
    assert disabled.exit_code == 0, disabled.stderr
    assert accounts.session_for(hub.storage, login.token) is None  # its sessions ended
    assert json.loads(run_cli("agency", "users", "irna", "--json").stdout)[1]["disabled_at"]
    actions = {entry.action for entry in hub.storage.list_audit()}
    assert {"account.add", "account.password", "account.disable"} <= actions


def test_the_demo_accounts_are_made_once_with_a_private_file(hub: Hub, tmp_path: Path) -> None:
    for member in DEMO_MEMBERS:
        hub.add_member(member.code, member.names, member.country, member.languages)
    path = tmp_path / ACCOUNTS_FILE
    first = ensure_demo_accounts(hub, path)
    assert all(login.new for login in first)
    assert {login.account.username for login in first} == {f"{m.code}-editor" for m in DEMO_MEMBERS} | {
        "admin"
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = read_accounts_file(path)
    for login in first:
        assert saved[login.account.username] == login.password
        user = accounts.log_in(hub.storage, login.account.username, login.password, None).session.user
        assert user.role is login.account.role and user.member_code == login.account.member_code
    admin = next(account for account in demo_accounts() if account.role is Role.ADMIN)
    assert admin.username == "admin" and admin.member_code == "caspian-desk"

    again = ensure_demo_accounts(hub, path)  # a second run changes nothing and prints no password
    assert not any(login.new for login in again)
    assert [login.password for login in again] == [login.password for login in first]

    path.unlink()  # the passwords are lost: fresh ones are set and written again
    third = ensure_demo_accounts(hub, path)
    assert all(login.new for login in third) and path.is_file()
    assert accounts.log_in(hub.storage, "irna-editor", read_accounts_file(path)["irna-editor"], None)
