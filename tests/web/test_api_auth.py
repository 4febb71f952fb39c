"""Authentication and roles: who may read, push, version and kill."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.hub import Hub


def test_missing_key_is_unauthenticated(client: TestClient, member: Any) -> None:
    response = client.get("/api/v1/items")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tabadol"'
    assert_error(client.post("/api/v1/items", content=ninjs_bytes()), 401, "unauthenticated")


def test_unknown_or_malformed_key_is_invalid(client: TestClient, member: Any) -> None:
    assert_error(client.get("/api/v1/items", headers=bearer("tbd_nope_secret")), 401, "invalid_key")
    assert_error(client.get("/api/v1/items", headers=bearer("not-a-key")), 401, "invalid_key")


def test_tampered_secret_is_invalid(client: TestClient, reader_token: str) -> None:
    assert_error(client.get("/api/v1/items", headers=bearer(reader_token + "x")), 401, "invalid_key")


def test_key_works_in_either_header(client: TestClient, reader_token: str) -> None:
    assert client.get("/api/v1/items", headers=bearer(reader_token)).status_code == 200
    assert client.get("/api/v1/items", headers={"X-API-Key": reader_token}).status_code == 200


def test_revoked_key_is_refused(client: TestClient, hub: Hub, reader_token: str, admin_token: str) -> None:
    key_id = reader_token.split("_")[1]
    assert client.delete(f"/api/v1/keys/{key_id}", headers=bearer(admin_token)).status_code == 204
    assert_error(client.get("/api/v1/items", headers=bearer(reader_token)), 401, "invalid_key")
    # Revoking twice: there is no live key any more.
    assert_error(client.delete(f"/api/v1/keys/{key_id}", headers=bearer(admin_token)), 404, "key_not_found")


def test_reader_cannot_write(client: TestClient, reader_token: str, push: Callable[..., Any]) -> None:
    assert_error(push(token=reader_token), 403, "forbidden")
    item_id = push().json()["items"][0]["id"]
    kill = client.post(f"/api/v1/items/{item_id}/kill", headers=bearer(reader_token))
    assert_error(kill, 403, "forbidden")
    assert_error(client.post("/api/v1/members", json={}, headers=bearer(reader_token)), 403, "forbidden")


def test_editor_cannot_push_for_another_member(
    client: TestClient, editor_token: str, tass: Any, push: Callable[..., Any]
) -> None:
    response = client.post(
        "/api/v1/items?member=tass",
        content=ninjs_bytes(),
        headers={**bearer(editor_token), "Content-Type": "application/json"},
    )
    assert_error(response, 403, "forbidden")


def test_editor_cannot_version_or_kill_another_members_item(
    client: TestClient, hub: Hub, tass_editor_token: str, push: Callable[..., Any]
) -> None:
    created = push(guid="urn:irna:owned:1").json()["items"][0]
    # tass re-sends irna's guid with new content: that would be a new version of irna's item.
    error = assert_error(
        push(token=tass_editor_token, guid="urn:irna:owned:1", headline="hijack"),
        403,
        "item_owned_by_other_member",
    )
    assert error["detail"]["owner"] == "irna"
    kill = client.post(f"/api/v1/items/{created['id']}/kill", headers=bearer(tass_editor_token))
    assert_error(kill, 403, "item_owned_by_other_member")
    assert hub.readable_item(created["id"]).version == 1


def test_admin_pushes_for_any_member(
    client: TestClient, admin_token: str, tass: Any, tass_editor_token: str
) -> None:
    response = client.post(
        "/api/v1/items?member=tass",
        content=ninjs_bytes(guid="urn:tass:by-admin"),
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["member"] == "tass"
    item_id = response.json()["items"][0]["id"]
    # ... and the item belongs to tass: its editor may kill it.
    assert client.post(f"/api/v1/items/{item_id}/kill", headers=bearer(tass_editor_token)).status_code == 201


def test_admin_only_endpoints_refuse_editors(client: TestClient, editor_token: str) -> None:
    assert_error(client.get("/api/v1/audit", headers=bearer(editor_token)), 403, "forbidden")
    response = client.post("/api/v1/members/irna/keys", json={"role": "reader"}, headers=bearer(editor_token))
    assert_error(response, 403, "forbidden")
    assert_error(client.delete("/api/v1/keys/abc", headers=bearer(editor_token)), 403, "forbidden")
