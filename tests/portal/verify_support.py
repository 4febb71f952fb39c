"""Helpers for the verification page and desk tests: dispatches in the store (enriched, so the tamper
check finds them by words and by meaning), newsroom sessions, and the CSRF token of a page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
from fastapi.testclient import TestClient

import tabadol.demo
from tabadol.enrich.components import EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.hub import OPERATOR, Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.types import Role
from tabadol.web.portal import accounts
from tabadol.web.portal.session import SESSION_COOKIE

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
PASSWORD = "correct horse battery"


def flores(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index == number:
                return dict(json.loads(line)["text"])
    raise AssertionError(number)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?؟])\s+", text.strip())[0]


def push(hub: Hub, member: str, guid: str, headline: str, body: str, language: str) -> str:
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


def enrich(hub: Hub) -> None:
    pipeline = Pipeline((LanguageComponent(), NormalizeComponent(), EmbedComponent(default_embedder())))
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()


def log_in(site: TestClient, hub: Hub, member: str, username: str, role: Role = Role.EDITOR) -> str:
    """A newsroom session for a new account on `site`; returns the session's CSRF token."""
    accounts.create_account(hub.storage, member, username, PASSWORD, role, username.title(), OPERATOR)
    login = accounts.log_in(hub.storage, username, PASSWORD, None)
    site.cookies.set(SESSION_COOKIE, login.token)
    return login.session.csrf_token


def csrf_of(html: str) -> str:
    """The CSRF token of the page's first form."""
    [token, *_] = lxml.html.fromstring(html).xpath('//input[@name="csrf_token"]/@value')
    return str(token)


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def by_class(root: lxml.html.HtmlElement, name: str, tag: str = "*") -> list[lxml.html.HtmlElement]:
    """Descendants of `root` (itself included) with the class `name`."""
    found: list[lxml.html.HtmlElement] = root.xpath(
        f"descendant-or-self::{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    )
    return found
