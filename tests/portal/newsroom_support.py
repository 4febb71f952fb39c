"""Helpers for the newsroom tests: members, accounts, logging in through the form, pushed items."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import lxml.html
from fastapi.testclient import TestClient

from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo, Role
from tabadol.web.portal import accounts

PASSWORD = "correct horse battery"
CSRF_XPATH = "//input[@name='csrf_token']/@value"


def add_members(hub: Hub) -> dict[str, MemberInfo]:
    """IRNA (the user's member), TASS and AzerTAc (the others)."""
    return {
        "irna": hub.add_member("irna", {"en": "IRNA", "fa": "ایرنا"}, "IR", ["fa", "en"]),
        "tass": hub.add_member("tass", {"en": "TASS", "ru": "ТАСС", "fa": "تاس"}, "RU", ["ru", "en"]),
        "azertac": hub.add_member("azertac", {"en": "AzerTAc", "az": "AzərTAc"}, "AZ", ["az", "en"]),
    }


def add_account(hub: Hub, username: str, role: Role = Role.EDITOR, member: str = "irna") -> None:
    accounts.create_account(hub.storage, member, username, PASSWORD, role, username.title(), OPERATOR)


def page(response: Any) -> Any:
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    return lxml.html.fromstring(response.text)


def form_csrf(site: TestClient, path: str) -> str:
    """The CSRF token of the first form on the page at `path`."""
    response = site.get(path)
    assert response.status_code == 200, response.text[:300]
    return str(page(response).xpath(CSRF_XPATH)[0])


def log_in(site: TestClient, username: str, password: str = PASSWORD, lang: str = "en") -> Any:
    """Log in through the login form, as a browser does; returns the POST's response."""
    token = form_csrf(site, f"/{lang}/newsroom/login")
    return site.post(
        f"/{lang}/newsroom/login",
        data={"csrf_token": token, "username": username, "password": password, "next": ""},
    )


def push(
    hub: Hub,
    member: str,
    guid: str,
    headline: str,
    language: str,
    when: str = "2026-11-20T10:00:00Z",
    body: str | None = None,
    **fields: Any,
) -> str:
    """Store a ninjs item for `member`; returns its item id."""
    doc: dict[str, Any] = {
        "uri": guid,
        "type": "text",
        "language": language,
        "versionCreated": when,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body or f"{headline}. {guid}"}],
        **fields,
    }
    data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    report = hub.ingest_payload(member, data, "application/ninjs+json", via="test")
    return report.outcomes[0].item_id


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def wire_ids(response: Any) -> list[str]:
    return [str(value) for value in page(response).xpath("//ol[@class='wire-list']/li/@data-item-id")]
