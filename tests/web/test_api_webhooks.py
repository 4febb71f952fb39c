"""Webhooks over HTTP: the secret shown once, the state without it, who may change and see them,
rotation, pause, replay, dead letters, URL policy and the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer

from tabadol.config import Settings
from tabadol.hub import Hub

HOOK_URL = "http://127.0.0.1:9/hooks/irna"  # never contacted: no sender runs in these tests


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, allow_private_feed_urls=True)


def new_subscription(client: TestClient, token: str) -> str:
    created = client.post("/api/v1/subscriptions", json={"name": "all", "filter": {}}, headers=bearer(token))
    assert created.status_code == 201, created.text
    sid: str = created.json()["id"]
    return sid


def webhook(sid: str, suffix: str = "") -> str:
    return f"/api/v1/subscriptions/{sid}/webhook{suffix}"


def put(client: TestClient, sid: str, token: str, url: str = HOOK_URL) -> Any:
    return client.put(webhook(sid), json={"url": url}, headers=bearer(token))


def test_the_secret_is_shown_when_created_and_never_again(
    client: TestClient, hub: Hub, editor_token: str, reader_token: str
) -> None:
    sid = new_subscription(client, editor_token)
    created = put(client, sid, editor_token)
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("tbdwh_") and body["url"] == HOOK_URL and body["paused"] is False
    changed = put(client, sid, editor_token, HOOK_URL + "/v2")
    assert changed.status_code == 200 and "secret" not in changed.json()
    state = client.get(webhook(sid), headers=bearer(reader_token))
    assert state.status_code == 200
    assert state.json()["url"] == HOOK_URL + "/v2" and secret not in state.text
    assert {"position", "delivered", "attempts", "next_attempt_at", "last_status", "rotating"} <= set(
        state.json()
    )
    # The URL changed, the secret did not: the hub still signs with the one shown.
    stored = hub.storage.get_webhook(sid)
    assert stored is not None and stored[1].current == secret


def test_rotation_pause_resume_replay_and_removal(client: TestClient, hub: Hub, editor_token: str) -> None:
    sid = new_subscription(client, editor_token)
    first = put(client, sid, editor_token).json()["secret"]
    rotated = client.post(webhook(sid, "/rotate-secret"), headers=bearer(editor_token))
    assert rotated.status_code == 200 and rotated.json()["rotating"] is True
    assert rotated.json()["secret"] not in (first, None)
    assert client.post(webhook(sid, "/pause"), headers=bearer(editor_token)).json()["paused"] is True
    assert client.post(webhook(sid, "/resume"), headers=bearer(editor_token)).json()["paused"] is False
    replayed = client.post(webhook(sid, "/replay"), json={"from_event": 5}, headers=bearer(editor_token))
    assert replayed.status_code == 200 and replayed.json()["position"] == 4
    since = client.post(
        webhook(sid, "/replay"), json={"since": "2020-01-01T00:00:00Z"}, headers=bearer(editor_token)
    )
    assert since.status_code == 200 and since.json()["position"] == 0  # no events yet: nothing skipped
    assert_error(
        client.post(webhook(sid, "/replay"), json={}, headers=bearer(editor_token)), 400, "invalid_query"
    )
    letters = client.get(webhook(sid, "/dead-letters"), headers=bearer(editor_token))
    assert letters.status_code == 200 and letters.json() == {"dead_letters": []}
    assert client.delete(webhook(sid), headers=bearer(editor_token)).status_code == 204
    assert_error(client.get(webhook(sid), headers=bearer(editor_token)), 404, "webhook_not_found")
    actions = [entry.action for entry in hub.storage.list_audit()]
    for action in ("webhook.create", "webhook.rotate_secret", "webhook.pause", "webhook.resume"):
        assert action in actions
    assert "webhook.replay" in actions and "webhook.remove" in actions


def test_readers_cannot_change_and_other_members_see_nothing(
    client: TestClient, editor_token: str, reader_token: str, tass_editor_token: str, admin_token: str
) -> None:
    sid = new_subscription(client, editor_token)
    assert_error(put(client, sid, reader_token), 403, "forbidden")
    assert put(client, sid, editor_token).status_code == 201
    for method, suffix in (
        ("get", ""),
        ("put", ""),
        ("delete", ""),
        ("post", "/rotate-secret"),
        ("post", "/pause"),
        ("get", "/dead-letters"),
    ):
        kwargs: dict[str, Any] = {"json": {"url": HOOK_URL}} if method == "put" else {}
        answer = client.request(
            method.upper(), webhook(sid, suffix), headers=bearer(tass_editor_token), **kwargs
        )
        assert_error(answer, 404, "subscription_not_found")
    assert_error(client.post(webhook(sid, "/pause"), headers=bearer(reader_token)), 403, "forbidden")
    assert client.get(webhook(sid), headers=bearer(admin_token)).status_code == 200


def test_bad_urls_and_missing_webhooks_are_clear_errors(client: TestClient, editor_token: str) -> None:
    sid = new_subscription(client, editor_token)
    for url in ("ftp://127.0.0.1/x", "https://169.254.169.254/meta", "not a url"):
        assert_error(put(client, sid, editor_token, url), 400, "webhook_url_invalid")
    assert_error(client.get(webhook(sid), headers=bearer(editor_token)), 404, "webhook_not_found")
    assert_error(
        client.post(webhook(sid, "/rotate-secret"), headers=bearer(editor_token)), 404, "webhook_not_found"
    )
    assert_error(
        client.get(webhook("sub_0000", ""), headers=bearer(editor_token)), 404, "subscription_not_found"
    )
