"""Syndication feeds of a subscription at a URL with a revocable token: Atom, RSS and JSON Feed, with
the reading rules (embargo, kills) applied at every poll."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import feedparser
from fastapi.testclient import TestClient
from lxml import etree
from web_helpers import MovableClock, assert_error, bearer, ninjs_bytes

from tabadol.serialize import format_datetime
from tabadol.types import utc_now


def push(client: TestClient, token: str, guid: str, headline: str, **extra: Any) -> str:
    response = client.post(
        "/api/v1/items",
        content=ninjs_bytes(guid=guid, language="ru", headline=headline, **extra),
        headers={**bearer(token), "Content-Type": "application/ninjs+json"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["items"][0]["id"])


def feed_token(client: TestClient, editor_token: str) -> dict[str, Any]:
    sid = client.post(
        "/api/v1/subscriptions",
        json={"name": "Каспий", "filter": {"languages": ["ru"], "query": "каспий"}},
        headers=bearer(editor_token),
    ).json()["id"]
    issued = client.post(f"/api/v1/subscriptions/{sid}/feed-tokens", headers=bearer(editor_token))
    assert issued.status_code == 201, issued.text
    return {"sid": sid, **issued.json()}


def test_atom_rss_and_json_feed_of_a_subscription(
    client: TestClient, clock: MovableClock, editor_token: str, tass_editor_token: str
) -> None:
    push(client, tass_editor_token, "urn:t:1", "Паром через Каспий")
    push(client, tass_editor_token, "urn:t:2", "Футбол")
    later = format_datetime(utc_now() + timedelta(hours=1))
    push(client, tass_editor_token, "urn:t:3", "Каспийский саммит", embargoedUntil=later)
    issued = feed_token(client, editor_token)
    token = issued["token"]
    assert issued["urls"]["atom"].endswith(f"/api/v1/syndication/{token}/atom")

    atom = client.get(f"/api/v1/syndication/{token}/atom")  # no API key: the token is the credential
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    etree.fromstring(atom.content)  # well-formed
    assert [e.title for e in feedparser.parse(atom.content).entries] == ["Паром через Каспий"]
    rss = feedparser.parse(client.get(f"/api/v1/syndication/{token}/rss").content)
    assert [e.title for e in rss.entries] == ["Паром через Каспий"]
    as_json = json.loads(client.get(f"/api/v1/syndication/{token}/json").content)
    assert [item["title"] for item in as_json["items"]] == ["Паром через Каспий"]

    clock.offset = timedelta(hours=2)  # the embargo passes: the item simply appears
    titles = [
        e.title for e in feedparser.parse(client.get(f"/api/v1/syndication/{token}/atom").content).entries
    ]
    assert sorted(titles) == ["Каспийский саммит", "Паром через Каспий"]


def test_a_kill_reaches_the_feed_as_a_kill_notice(
    client: TestClient, editor_token: str, tass_editor_token: str
) -> None:
    item_id = push(client, tass_editor_token, "urn:t:1", "Паром через Каспий")
    token = feed_token(client, editor_token)["token"]
    assert client.post(f"/api/v1/items/{item_id}/kill", headers=bearer(tass_editor_token)).status_code == 201
    entries = feedparser.parse(client.get(f"/api/v1/syndication/{token}/atom").content).entries
    assert len(entries) == 1 and entries[0].title.startswith("KILL: ")


def test_a_revoked_or_forged_token_stops_at_once(
    client: TestClient, editor_token: str, tass_editor_token: str
) -> None:
    issued = feed_token(client, editor_token)
    token, sid = issued["token"], issued["sid"]
    assert client.get(f"/api/v1/syndication/{token}/rss").status_code == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_error(client.get(f"/api/v1/syndication/{forged}/rss"), 404, "feed_token_invalid")
    assert_error(client.get("/api/v1/syndication/nonsense/rss"), 404, "feed_token_invalid")
    # Another member can neither list nor revoke it.
    other = client.delete(
        f"/api/v1/subscriptions/{sid}/feed-tokens/{issued['id']}", headers=bearer(tass_editor_token)
    )
    assert_error(other, 404, "subscription_not_found")
    revoked = client.delete(
        f"/api/v1/subscriptions/{sid}/feed-tokens/{issued['id']}", headers=bearer(editor_token)
    )
    assert revoked.status_code == 204
    assert_error(client.get(f"/api/v1/syndication/{token}/rss"), 404, "feed_token_invalid")
    listed = client.get(f"/api/v1/subscriptions/{sid}/feed-tokens", headers=bearer(editor_token)).json()
    assert [t["revoked_at"] is not None for t in listed["feed_tokens"]] == [True]
    assert "token" not in listed["feed_tokens"][0]
