"""Newsroom login and logout over HTTP: the form, its errors in the page's language, throttling,
CSRF, the session cookie's flags, `next`, and logout ending the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from newsroom_support import PASSWORD, add_account, add_members, form_csrf, log_in, page

from tabadol.hub import Hub
from tabadol.web.app import create_app
from tabadol.web.portal import accounts
from tabadol.web.portal.catalog import catalog
from tabadol.web.portal.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE


@pytest.fixture
def leila(hub: Hub) -> str:
    add_members(hub)
    add_account(hub, "leila")
    return "leila"


def set_cookie_headers(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined]


def test_the_wire_sends_a_visitor_to_the_login_page_and_back(site: TestClient, leila: str) -> None:
    first = site.get("/fa/newsroom/wire?language=ru")
    assert first.status_code == 303
    assert first.headers["location"] == "/fa/newsroom/login?next=%2Ffa%2Fnewsroom%2Fwire%3Flanguage%3Dru"
    assert site.get("/fa/newsroom/").headers["location"] == "/fa/newsroom/wire"

    form = site.get(first.headers["location"])
    html = page(form)
    assert html.get("lang") == "fa" and html.get("dir") == "rtl"
    assert html.xpath("//input[@name='next']/@value") == ["/fa/newsroom/wire?language=ru"]
    assert html.xpath("//label[@for='login-username']") and html.xpath("//label[@for='login-password']")
    token = str(html.xpath("//input[@name='csrf_token']/@value")[0])
    answer = site.post(
        "/fa/newsroom/login",
        data={
            "csrf_token": token,
            "username": "Leila",
            "password": PASSWORD,
            "next": "/fa/newsroom/wire?language=ru",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/fa/newsroom/wire?language=ru"
    assert site.get("/fa/newsroom/wire?language=ru").status_code == 200


def test_next_never_leads_off_the_site(site: TestClient, leila: str) -> None:
    token = form_csrf(site, "/en/newsroom/login")
    answer = site.post(
        "/en/newsroom/login",
        data={"csrf_token": token, "username": "leila", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/en/newsroom/wire"


@pytest.mark.parametrize("lang", ["fa", "ru", "en"])
def test_a_wrong_password_is_refused_in_the_pages_language(site: TestClient, leila: str, lang: str) -> None:
    answer = log_in(site, "leila", "not the password", lang=lang)
    assert answer.status_code == 401
    html = page(answer)
    assert html.xpath("string(//p[@class='login-error'])") == catalog(lang)["newsroom.login.failed"]
    assert html.xpath("//input[@name='username']/@value") == ["leila"]  # what was typed stays
    assert not html.xpath("//input[@name='password']/@value")  # never the password
    assert SESSION_COOKIE not in site.cookies


def test_logins_are_throttled_after_repeated_failures(site: TestClient, leila: str) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        assert log_in(site, "leila", "wrong password!").status_code == 401
    throttled = log_in(site, "leila", PASSWORD, lang="ru")  # even the right password
    assert throttled.status_code == 429
    minutes = int(accounts.FAILURE_WINDOW.total_seconds() // 60)
    expected = catalog("ru")["newsroom.login.throttled"].format(minutes=minutes)
    assert page(throttled).xpath("string(//p[@class='login-error'])") == expected
    assert SESSION_COOKIE not in site.cookies


def test_a_login_without_the_csrf_token_is_refused(site: TestClient, leila: str) -> None:
    site.get("/en/newsroom/login")  # the double-submit cookie is set, but the form field is missing
    refused = site.post("/en/newsroom/login", data={"username": "leila", "password": PASSWORD})
    assert refused.status_code == 403
    forged = site.post(
        "/en/newsroom/login", data={"csrf_token": "forged", "username": "leila", "password": PASSWORD}
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in site.cookies


def test_the_session_cookie_is_httponly_and_samesite(site: TestClient, leila: str) -> None:
    answer = log_in(site, "leila")
    assert answer.status_code == 303
    cookie = next(value for value in set_cookie_headers(answer) if value.startswith(f"{SESSION_COOKIE}="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain http and no https public URL


@pytest.fixture
def https_site(hub: Hub, leila: str) -> Iterator[TestClient]:
    """The app when the operator says it is served over TLS (TABADOL_PUBLIC_URL=https://...)."""
    public = hub.settings.with_(public_url="https://news.example.org")
    hub.settings = public  # type: ignore[misc]
    with TestClient(create_app(hub), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def test_the_session_cookie_is_secure_behind_https(https_site: TestClient) -> None:
    # The hub sees plain http behind the TLS proxy; the browser, on https, sends Secure cookies back.
    form = https_site.get("/en/newsroom/login")
    login_cookie = next(v for v in set_cookie_headers(form) if v.startswith(f"{LOGIN_CSRF_COOKIE}="))
    assert "secure" in {part.strip().lower() for part in login_cookie.split(";")}
    https_site.cookies.set(LOGIN_CSRF_COOKIE, login_cookie.split(";")[0].split("=", 1)[1])
    token = str(page(form).xpath("//input[@name='csrf_token']/@value")[0])
    answer = https_site.post(
        "/en/newsroom/login", data={"csrf_token": token, "username": "leila", "password": PASSWORD}
    )
    assert answer.status_code == 303
    cookie = next(value for value in set_cookie_headers(answer) if value.startswith(f"{SESSION_COOKIE}="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_logout_ends_the_session_and_needs_the_csrf_token(site: TestClient, leila: str) -> None:
    assert log_in(site, "leila").status_code == 303
    token = site.cookies[SESSION_COOKIE]
    assert accounts.session_for(site.app.state.hub.storage, token) is not None  # type: ignore[attr-defined]

    wire = site.get("/en/newsroom/wire")
    csrf = str(page(wire).xpath("//form[@class='logout-form']/input[@name='csrf_token']/@value")[0])
    assert site.post("/en/newsroom/logout", data={}).status_code == 403  # no token: refused
    assert site.get("/en/newsroom/wire").status_code == 200  # still logged in

    out = site.post("/en/newsroom/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/en/newsroom/login?logged_out=1"
    assert accounts.session_for(site.app.state.hub.storage, token) is None  # type: ignore[attr-defined]
    site.cookies.set(SESSION_COOKIE, token)  # a copied cookie opens nothing any more
    assert site.get("/en/newsroom/wire").status_code == 303
    assert site.post("/en/newsroom/logout", data={}).status_code == 303  # a stale tab: nothing to end
    notice = page(site.get("/en/newsroom/login?logged_out=1"))
    assert notice.xpath("string(//p[@class='login-notice'])") == catalog("en")["newsroom.login.logged_out"]


def test_a_disabled_account_cannot_log_in(site: TestClient, hub: Hub, leila: str) -> None:
    from tabadol.types import utc_now

    hub.storage.disable_web_user("leila", utc_now())
    assert log_in(site, "leila").status_code == 401
