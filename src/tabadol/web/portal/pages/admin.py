"""Administration of the alliance (administrators only): members, their API keys and their newsroom
accounts.

Every write goes through the function the API and the command line use, with the administrator's
rights: Hub.add_member, Hub.issue_key and Hub.revoke_key (which write the audit log themselves), and
for accounts web/portal/accounts.py and the storage methods, each followed by an audit entry so the
log shows who made, disabled or reset which account. A new API key and a reset password are shown
once, on the page answering the POST (no-store), never again.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role, WebUser, utc_now
from tabadol.web.auth import HubDep
from tabadol.web.portal import accounts
from tabadol.web.portal.languages import LANGUAGES
from tabadol.web.portal.pages.settings_common import (
    NO_STORE,
    Problem,
    actor,
    choices,
    labelled,
    list_field,
    notice,
    problem_of,
    see_other,
    split_words,
    text_field,
)
from tabadol.web.portal.render import render, t_for
from tabadol.web.portal.routing import PortalLanguage, PortalRouter
from tabadol.web.portal.session import AdminUser, checked_form

portal = PortalRouter()

MEMBERS = "/newsroom/admin/members"
MEMBER_NOTICES = ("key_revoked", "account_created", "account_disabled")
RESET_PASSWORD_BYTES = 12  # 16 URL-safe characters: over accounts.MIN_PASSWORD_CHARS, easy to pass on


@dataclass(frozen=True, slots=True)
class MemberForm:
    """A new member as typed: a name per interface language, a country, working languages."""

    code: str = ""
    names: tuple[tuple[str, str], ...] = ()
    country: str = ""
    languages: tuple[str, ...] = ()
    other_languages: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> MemberForm:
        return cls(
            code=text_field(form, "code").lower(),
            names=tuple((code, text_field(form, f"name_{code}")) for code in LANGUAGES),
            country=text_field(form, "country").upper(),
            languages=list_field(form, "languages"),
            other_languages=text_field(form, "other_languages"),
        )

    def name_of(self, code: str) -> str:
        return dict(self.names).get(code, "")

    def all_languages(self) -> list[str]:
        return list(dict.fromkeys([*self.languages, *split_words(self.other_languages)]))


@dataclass(frozen=True, slots=True)
class MemberRow:
    code: str
    name: str
    country: str
    languages: tuple[str, ...]
    active: bool
    live_keys: int
    accounts: int


def _member_rows(hub: Hub, language: str) -> list[MemberRow]:
    # Two reads for the whole list, not two per member.
    keys = Counter(key.member_code for key in hub.storage.list_api_keys() if key.revoked_at is None)
    users = Counter(user.member_code for user in hub.storage.list_web_users() if user.disabled_at is None)
    return [
        MemberRow(m.code, m.name(language), m.country, m.languages, m.active, keys[m.code], users[m.code])
        for m in sorted(hub.storage.list_members(), key=lambda member: member.code)
    ]


def _members_page(
    request: Request, hub: Hub, user: WebUser, form: MemberForm, problem: Problem | None = None
) -> Response:
    t = t_for(request)
    language_labels = {code: info.name for code, info in LANGUAGES.items()}
    data = {
        "user": user,
        "members": _member_rows(hub, request.state.lang),
        "form": form,
        "name_fields": [(code, info.name, info.direction) for code, info in LANGUAGES.items()],
        "language_options": labelled(choices(LANGUAGES, form.languages), language_labels),
        "problem": problem,
        "notice": None,
    }
    status = 200 if problem is None else problem.status
    return render(request, "admin/members", data, title=t("admin.members.title"), status_code=status)


@portal.page(MEMBERS)
def members(request: Request, language: PortalLanguage, user: AdminUser, hub: HubDep) -> Response:
    return _members_page(request, hub, user, MemberForm())


@portal.form(MEMBERS)
async def add_member(request: Request, language: PortalLanguage, user: AdminUser, hub: HubDep) -> Response:
    form = await checked_form(request)
    typed = MemberForm.from_form(form)
    try:
        member = hub.add_member(
            typed.code,
            dict(typed.names),
            typed.country,
            typed.all_languages(),
            actor=actor(request, user),
        )
    except TabadolError as error:
        return _members_page(request, hub, user, typed, problem_of(error))
    return see_other(request, f"{MEMBERS}/{member.code}", "member_added")


# -- one member -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AccountForm:
    username: str = ""
    display_name: str = ""
    role: str = Role.EDITOR.value


def _member_page(
    request: Request,
    hub: Hub,
    user: WebUser,
    member: MemberInfo,
    form: AccountForm | None = None,
    problem: Problem | None = None,
) -> Response:
    t = t_for(request)
    data: dict[str, Any] = {
        "user": user,
        "member": member,
        "member_name": member.name(request.state.lang),
        "api_keys": hub.storage.list_api_keys(member.code),
        "accounts": hub.storage.list_web_users(member.code),
        "roles": [role.value for role in Role],
        "account_form": form or AccountForm(),
        "problem": problem,
        "notice": notice(request.query_params.get("done"), (*MEMBER_NOTICES, "member_added")),
    }
    status = 200 if problem is None else problem.status
    title = t("admin.member.title", name=member.name(request.state.lang))
    return render(request, "admin/member", data, title=title, status_code=status)


def _secret_page(request: Request, kind: str, back: str, values: dict[str, Any]) -> Response:
    t = t_for(request)
    data = {"kind": kind, "back": back, **values}
    return render(
        request, "settings/secret", data, title=t(f"settings.secret.{kind}.title"), headers=NO_STORE
    )


def _role(raw: str) -> Role:
    if raw not in {role.value for role in Role}:
        raise TabadolError(
            ErrorCode.INVALID_REQUEST_BODY, reason=f"role {raw!r} is not one of admin, editor, reader"
        )
    return Role(raw)


@portal.page(MEMBERS + "/{code}")
def member(request: Request, code: str, language: PortalLanguage, user: AdminUser, hub: HubDep) -> Response:
    return _member_page(request, hub, user, hub.get_member(code))


@portal.form(MEMBERS + "/{code}/keys")
async def issue_key(
    request: Request, code: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    form = await checked_form(request)
    role = _role(text_field(form, "role"))
    key, token = hub.issue_key(code, role, text_field(form, "label"), actor=actor(request, user))
    values = {"token": token, "key_id": key.key_id, "role": key.role.value, "member": key.member_code}
    return _secret_page(request, "api_key", f"{MEMBERS}/{key.member_code}", values)


@portal.form(MEMBERS + "/{code}/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, code: str, key_id: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    await checked_form(request)
    found = hub.storage.get_api_key(key_id)
    if found is None or found[0].member_code != code:
        raise TabadolError(ErrorCode.KEY_NOT_FOUND, key_id=key_id)
    hub.revoke_key(key_id, actor=actor(request, user))
    return see_other(request, f"{MEMBERS}/{code}", "key_revoked")


@portal.form(MEMBERS + "/{code}/accounts")
async def create_account(
    request: Request, code: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    form = await checked_form(request)
    member = hub.get_member(code)
    typed = AccountForm(
        text_field(form, "username"), text_field(form, "display_name"), text_field(form, "role")
    )
    password = form.get("password")
    principal = actor(request, user)
    try:
        made = accounts.create_account(
            hub.storage,
            member.code,
            typed.username,
            password if isinstance(password, str) else "",
            _role(typed.role),
            typed.display_name,
            principal,
        )
    except TabadolError as error:
        return _member_page(request, hub, user, member, typed, problem_of(error))
    hub.audit(principal, "account.create", made.username, {"member": member.code, "role": made.role.value})
    return see_other(request, f"{MEMBERS}/{member.code}", "account_created")


def _account_of(hub: Hub, code: str, username: str) -> WebUser:
    found = hub.storage.get_web_user(username)
    if found is None or found[0].member_code != code:
        raise TabadolError(ErrorCode.ACCOUNT_NOT_FOUND, username=username)
    return found[0]


@portal.form(MEMBERS + "/{code}/accounts/{username}/disable")
async def disable_account(
    request: Request, code: str, username: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    await checked_form(request)
    account = _account_of(hub, code, username)
    if not hub.storage.disable_web_user(account.username, utc_now()):
        raise TabadolError(ErrorCode.ACCOUNT_NOT_FOUND, username=username)
    hub.audit(actor(request, user), "account.disable", account.username, {"member": code})
    return see_other(request, f"{MEMBERS}/{code}", "account_disabled")


@portal.form(MEMBERS + "/{code}/accounts/{username}/password")
async def reset_password(
    request: Request, code: str, username: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    """A new random password, shown once to the administrator to pass on."""
    await checked_form(request)
    account = _account_of(hub, code, username)
    if account.disabled_at is not None:
        raise TabadolError(ErrorCode.ACCOUNT_NOT_FOUND, username=username)
    password = secrets.token_urlsafe(RESET_PASSWORD_BYTES)
    hub.storage.set_web_user_password(account.username, accounts.hash_password(password))
    hub.audit(actor(request, user), "account.reset_password", account.username, {"member": code})
    values = {"password": password, "username": account.username, "member": code}
    return _secret_page(request, "password", f"{MEMBERS}/{code}", values)
