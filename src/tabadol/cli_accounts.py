"""`tabadol agency user ...` and `tabadol agency users`: the newsroom's accounts from the command line.

Passwords never travel on the command line (a shell history and `ps` would show them): they are read
from a file (`--password-file`, its first line) or typed twice at a hidden prompt. The operator acts
as the local administrator, and every change is in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.types import Role, WebUser, utc_now
from tabadol.web.portal import accounts

user_app = typer.Typer(help="Newsroom accounts (people who log in to the portal).", no_args_is_help=True)


def read_password(password_file: Path | None) -> str:
    """The first line of `password_file`, or a hidden prompt typed twice."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TabadolError(
                ErrorCode.INVALID_ACCOUNT, reason=f"cannot read the password file {password_file}: {exc}"
            ) from exc
        return lines[0] if lines else ""
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def user_row(user: WebUser) -> list[str]:
    return [
        user.username,
        user.member_code,
        user.role.value,
        user.display_name,
        format_datetime(user.created_at),
        format_datetime(user.disabled_at) if user.disabled_at else "",
    ]


def live_user(hub: Hub, username: str) -> WebUser:
    found = hub.storage.get_web_user(username.strip().lower())
    if found is None or found[0].disabled_at is not None:
        raise TabadolError(ErrorCode.ACCOUNT_NOT_FOUND, username=username)
    return found[0]


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The member the account belongs to.")],
    username: Annotated[str, typer.Argument(help="Login name: lowercase letters, digits, '.', '_', '-'.")],
    role: Annotated[Role, typer.Option(help="editor (takes items), reader (reads only) or admin.")],
    name: Annotated[str, typer.Option(help="The person's name as the newsroom shows it.")] = "",
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file's first line (else a prompt).")
    ] = None,
) -> None:
    """Create a newsroom account for a member (the password is asked for twice, or read from a file)."""
    from tabadol.cli import open_hub, out, reported_errors

    with reported_errors():
        password = read_password(password_file)
    with open_hub(ctx) as hub:
        user = accounts.create_account(hub.storage, code, username, password, role, name, OPERATOR)
        hub.audit(OPERATOR, "account.add", user.username, {"member": user.member_code, "role": role.value})
    out.print(f"Added {user.role.value} account {user.username} for {user.member_code}.", markup=False)


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account to disable.")],
) -> None:
    """Disable an account: it can no longer log in, and its open sessions end at once."""
    from tabadol.cli import open_hub, out

    with open_hub(ctx) as hub:
        user = live_user(hub, username)
        hub.storage.disable_web_user(user.username, utc_now())
        hub.audit(OPERATOR, "account.disable", user.username, {"member": user.member_code})
    out.print(f"Disabled {user.username}; its sessions have ended.", markup=False)


@user_app.command("password")
def user_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account whose password to set.")],
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file's first line (else a prompt).")
    ] = None,
) -> None:
    """Set a new password for an account (asked for twice, or read from a file)."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub:
        user = live_user(hub, username)
        with reported_errors():
            hashed = accounts.hash_password(read_password(password_file))
        hub.storage.set_web_user_password(user.username, hashed)
        hub.audit(OPERATOR, "account.password", user.username, {"member": user.member_code})
    out.print(f"Set a new password for {user.username}.", markup=False)


def users(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Argument(help="Only this member's accounts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List newsroom accounts (all members', or one member's); never their passwords."""
    from tabadol.cli import emit_json, open_hub, print_table

    with open_hub(ctx) as hub:
        if code is not None:
            hub.get_member(code)
        found = hub.storage.list_web_users(code)
    if as_json:
        emit_json(found)
        return
    print_table(["username", "member", "role", "name", "created", "disabled"], [user_row(u) for u in found])
