"""Helpers for the newsroom settings and administration tests: accounts, logins, parsed pages."""

from __future__ import annotations

from typing import Any

import lxml.html
from fastapi.testclient import TestClient

from tabadol.hub import OPERATOR, Hub
from tabadol.types import Role
from tabadol.web.portal import accounts
from tabadol.web.portal.session import SESSION_COOKIE

PASSWORD = "correct horse battery staple"


def log_in_as(site: TestClient, hub: Hub, member_code: str, username: str, role: Role) -> str:
    """Make the account (if new), open a session in `site`'s cookie jar; returns its CSRF token."""
    if hub.storage.get_web_user(username) is None:
        accounts.create_account(
            hub.storage, member_code, username, PASSWORD, role, username.title(), OPERATOR
        )
    login = accounts.log_in(hub.storage, username, PASSWORD, None)
    site.cookies.set(SESSION_COOKIE, login.token)
    return login.session.csrf_token


def page(response: Any) -> Any:
    """The response's HTML, parsed."""
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    return lxml.html.fromstring(response.text)


def secret_values(response: Any) -> list[str]:
    """The values of the one-time secret fields on a confirmation page."""
    return [str(value) for value in page(response).xpath("//input[contains(@class, 'secret-value')]/@value")]
