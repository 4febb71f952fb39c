"""Administration pages: only administrators; a member added with its names, an account that can then
log in, keys issued (the token shown once) and revoked, accounts disabled and reset, all in the audit
log; and the keys page members' editors see (never a secret)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from settings_login import log_in_as, page, secret_values

from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role
from tabadol.web.portal import accounts
from tabadol.web.portal.session import SESSION_COOKIE

MEMBERS = "/en/newsroom/admin/members"
NEW_PASSWORD = "a long enough password"


def can_log_in(site: TestClient, username: str, password: str) -> bool:
    """Log in as a person does: the login form (with its CSRF token), then a session cookie."""
    site.cookies.clear()
    form_page = site.get("/en/newsroom/login")
    assert form_page.status_code == 200
    csrf = page(form_page).xpath("//input[@name='csrf_token']/@value")[0]
    answer = site.post(
        "/en/newsroom/login", data={"csrf_token": csrf, "username": username, "password": password}
    )
    if answer.status_code != 303:
        assert answer.status_code == 401, answer.text[:300]
        return False
    assert SESSION_COOKIE in answer.cookies
    return site.get("/en/newsroom/settings/subscriptions").status_code == 200


@pytest.mark.parametrize("role", [Role.EDITOR, Role.READER])
def test_only_administrators_reach_the_administration(
    site: TestClient, hub: Hub, member: MemberInfo, role: Role
) -> None:
    csrf = log_in_as(site, hub, "irna", f"user-{role.value}", role)
    for path in (MEMBERS, f"{MEMBERS}/irna", f"{MEMBERS}.json", f"{MEMBERS}/irna.json"):
        assert site.get(path).status_code == 403, path
    form = {
        "csrf_token": csrf,
        "code": "kazinform",
        "name_en": "Kazinform",
        "country": "KZ",
        "languages": ["kk"],
    }
    assert site.post(MEMBERS, data=form).status_code == 403
    assert site.post(f"{MEMBERS}/irna/keys", data={"csrf_token": csrf, "role": "admin"}).status_code == 403
    assert hub.storage.get_member("kazinform") is None
    assert [key.role for key in hub.storage.list_api_keys("irna")] == []
    site.cookies.clear()
    assert site.get(MEMBERS).status_code == 303  # to the login page


def test_an_administrator_adds_a_member_and_an_account_that_logs_in(
    site: TestClient, hub: Hub, member: MemberInfo
) -> None:
    csrf = log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    added = site.post(
        MEMBERS,
        data={
            "csrf_token": csrf,
            "code": "kazinform",
            "name_kk": "Қазақпарат",
            "name_ru": "Казинформ",
            "name_en": "Kazinform",
            "country": "kz",
            "languages": ["kk", "ru"],
            "other_languages": "en",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == f"{MEMBERS}/kazinform?done=member_added"
    made = hub.get_member("kazinform")
    assert dict(made.names) == {"kk": "Қазақпарат", "ru": "Казинформ", "en": "Kazinform"}
    assert made.country == "KZ" and made.languages == ("kk", "ru", "en")
    listing = page(site.get("/kk/newsroom/admin/members"))
    row = listing.xpath("//tr[@data-member='kazinform']")[0]
    assert "Қазақпарат" in row.text_content()

    created = site.post(
        f"{MEMBERS}/kazinform/accounts",
        data={
            "csrf_token": csrf,
            "username": "Arman",
            "display_name": "Arman",
            "role": "editor",
            "password": NEW_PASSWORD,
        },
    )
    assert created.status_code == 303
    detail = page(site.get(f"{MEMBERS}/kazinform"))
    assert detail.xpath("//tr[@data-username='arman']")
    actions = [entry.action for entry in hub.storage.list_audit(limit=10)]
    assert "member.add" in actions and "account.create" in actions
    assert can_log_in(site, "arman", NEW_PASSWORD)


def test_refused_members_and_accounts_keep_what_was_typed(
    site: TestClient, hub: Hub, member: MemberInfo
) -> None:
    csrf = log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    taken = site.post(
        "/ar/newsroom/admin/members",
        data={"csrf_token": csrf, "code": "irna", "name_ar": "إرنا", "country": "IR", "languages": ["fa"]},
    )
    assert taken.status_code == 409
    html = page(taken)
    assert html.get("dir") == "rtl" and html.xpath("//div[contains(@class,'form-errors')]")
    assert html.xpath("//input[@name='name_ar']/@value") == ["إرنا"]
    short = site.post(
        f"{MEMBERS}/irna/accounts",
        data={
            "csrf_token": csrf,
            "username": "leila",
            "display_name": "Leila",
            "role": "editor",
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert page(short).xpath("//input[@name='username']/@value") == ["leila"]
    assert hub.storage.get_web_user("leila") is None


def test_keys_are_shown_once_and_revoked_and_accounts_reset_and_disabled(
    site: TestClient, hub: Hub, member: MemberInfo
) -> None:
    csrf = log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    issued = site.post(f"{MEMBERS}/irna/keys", data={"csrf_token": csrf, "role": "editor", "label": "CMS"})
    assert issued.status_code == 200 and "no-store" in issued.headers["cache-control"]
    (token,) = secret_values(issued)
    principal = hub.authenticate(token)
    assert principal.member_code == "irna" and principal.role is Role.EDITOR
    again = site.get(f"{MEMBERS}/irna")
    assert token not in again.text and token not in site.get(f"{MEMBERS}/irna.json").text
    assert principal.key_id is not None
    revoked = site.post(f"{MEMBERS}/irna/keys/{principal.key_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert site.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    log_in_as(site, hub, "irna", "leila", Role.EDITOR)
    csrf = log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    reset = site.post(f"{MEMBERS}/irna/accounts/leila/password", data={"csrf_token": csrf})
    (password,) = secret_values(reset)
    assert "no-store" in reset.headers["cache-control"] and password not in site.get(f"{MEMBERS}/irna").text
    assert accounts.log_in(hub.storage, "leila", password, None).session.user.username == "leila"
    disabled = site.post(f"{MEMBERS}/irna/accounts/leila/disable", data={"csrf_token": csrf})
    assert disabled.status_code == 303
    assert not can_log_in(site, "leila", password)
    actions = [entry.action for entry in hub.storage.list_audit(limit=10)]
    for action in ("key.issue", "key.revoke", "account.reset_password", "account.disable"):
        assert action in actions


def test_editors_see_their_members_keys_without_secrets(
    site: TestClient, hub: Hub, member: MemberInfo, editor_token: str
) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    hub.issue_key("tass", Role.EDITOR, "TASS only")
    csrf = log_in_as(site, hub, "irna", "leila", Role.EDITOR)
    keys = site.get("/en/newsroom/settings/keys")
    assert keys.status_code == 200
    html = page(keys)
    labels = [row.xpath("./td")[0].text_content() for row in html.xpath("//tr[contains(@class,'api-key')]")]
    assert labels == ["test editor"] and editor_token not in keys.text
    assert html.xpath("//form[contains(@class,'key-issue-form')]") == []  # only administrators issue keys
    assert site.get("/en/newsroom/settings/keys?member=tass").status_code == 403
    assert (
        site.post("/en/newsroom/settings/keys/issue", data={"csrf_token": csrf, "role": "editor"}).status_code
        == 403
    )
    bad = site.post(
        "/en/newsroom/settings/signing-keys", data={"csrf_token": csrf, "public_key": "not-a-key"}
    )
    assert bad.status_code == 400 and page(bad).xpath("//input[@name='public_key']/@value") == ["not-a-key"]
    log_in_as(site, hub, "irna", "reza", Role.READER)
    assert site.get("/en/newsroom/settings/keys").status_code == 403
