"""The demo's newsroom accounts: one editor per demo member and one alliance administrator.

Passwords are random, written to `<data dir>/demo-accounts.txt` (owner-only) and printed once by
`tabadol demo`. Idempotent like the rest of the demo: an account whose password in the file still
works is left alone; a missing account is created; an account whose password the file does not
know (the file was deleted, or belongs to another database) gets a fresh one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tabadol.demo.members import ADMIN_KEY_MEMBER, DEMO_MEMBERS
from tabadol.hub import OPERATOR, Hub
from tabadol.types import Role
from tabadol.web.portal import accounts

ACCOUNTS_FILE = "demo-accounts.txt"
ADMIN_USERNAME = "admin"
FILE_HEADER = "# tabadol demo newsroom accounts: username<TAB>password<TAB>member<TAB>role\n"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    member_code: str
    role: Role
    display_name: str


@dataclass(frozen=True, slots=True)
class DemoLogin:
    account: DemoAccount
    password: str
    new: bool  # the password was set by this run (printed); False: it was already in the file


def demo_accounts() -> tuple[DemoAccount, ...]:
    editors = tuple(
        DemoAccount(f"{member.code}-editor", member.code, Role.EDITOR, f"{member.names['en']} desk")
        for member in DEMO_MEMBERS
    )
    admin = DemoAccount(ADMIN_USERNAME, ADMIN_KEY_MEMBER.code, Role.ADMIN, "Alliance administrator")
    return (admin, *editors)


def ensure_demo_accounts(hub: Hub, path: Path) -> list[DemoLogin]:
    """Every demo account with a working password; the file is rewritten (mode 0600) when one changed."""
    from tabadol.demo.loader import write_secret_file

    known = read_accounts_file(path)
    logins = [_ensure(hub, account, known.get(account.username)) for account in demo_accounts()]
    if any(login.new for login in logins) or not path.is_file():
        lines = [
            f"{login.account.username}\t{login.password}\t{login.account.member_code}\t{login.account.role.value}\n"
            for login in logins
        ]
        write_secret_file(path, FILE_HEADER + "".join(lines))
    return logins


def _ensure(hub: Hub, account: DemoAccount, known_password: str | None) -> DemoLogin:
    found = hub.storage.get_web_user(account.username)
    if found is not None and known_password and accounts.password_matches(known_password, found[1]):
        return DemoLogin(account, known_password, new=False)
    password = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
    if found is None:
        accounts.create_account(
            hub.storage,
            account.member_code,
            account.username,
            password,
            account.role,
            account.display_name,
            OPERATOR,
        )
        hub.audit(OPERATOR, "account.add", account.username, {"member": account.member_code, "demo": True})
    else:
        hub.storage.set_web_user_password(account.username, accounts.hash_password(password))
        hub.audit(
            OPERATOR, "account.password", account.username, {"member": account.member_code, "demo": True}
        )
    return DemoLogin(account, password, new=True)


def read_accounts_file(path: Path) -> Mapping[str, str]:
    """username -> password from an earlier run's file (nothing if there is none)."""
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 2:
            found[parts[0]] = parts[1]
    return found
