"""Take and republish: the verbatim original, an attribution line in the taker's language, the ledger."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.hub import Hub
from tabadol.types import MemberInfo


def test_an_editor_takes_another_members_item_with_attribution(
    client: TestClient,
    hub: Hub,
    editor_token: str,
    tass: MemberInfo,
    tass_editor_token: str,
    admin_token: str,
) -> None:
    pushed = client.post(
        "/api/v1/items",
        content=ninjs_bytes(guid="urn:irna:take:1", language="fa", headline="خبر"),
        headers={**bearer(editor_token), "Content-Type": "application/ninjs+json"},
    )
    item_id = pushed.json()["items"][0]["id"]
    taken = client.post(f"/api/v1/items/{item_id}/take", headers=bearer(tass_editor_token))
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["taker_member"] == "tass" and body["source_member"] == "irna"
    assert body["language"] == "ru" and body["translated"] is True
    assert body["attribution"].startswith("— ") and "перевод с персидского" in body["attribution"]
    original = client.get(
        body["original"]["href"].split("testserver", 1)[1], headers=bearer(tass_editor_token)
    )
    assert hashlib.sha256(original.content).hexdigest() == body["original"]["sha256"]
    in_persian = client.post(
        f"/api/v1/items/{item_id}/take", json={"language": "fa"}, headers=bearer(tass_editor_token)
    )
    assert in_persian.json()["translated"] is False
    ledger = client.get("/api/v1/takes", headers=bearer(tass_editor_token)).json()["takes"]
    assert [t["language"] for t in ledger] == ["fa", "ru"]  # newest first
    assert (
        len(client.get("/api/v1/takes", headers=bearer(editor_token)).json()["takes"]) == 2
    )  # the source sees them
    assert_error(client.get("/api/v1/takes?member=tass", headers=bearer(editor_token)), 403, "forbidden")
    assert len(client.get("/api/v1/takes", headers=bearer(admin_token)).json()["takes"]) == 2
    assert "item.take" in {entry.action for entry in hub.storage.list_audit()}


def test_a_reader_cannot_take_and_a_killed_item_cannot_be_taken(
    client: TestClient, editor_token: str, reader_token: str, tass: MemberInfo, tass_editor_token: str
) -> None:
    pushed = client.post(
        "/api/v1/items",
        content=ninjs_bytes(guid="urn:irna:take:2"),
        headers={**bearer(editor_token), "Content-Type": "application/ninjs+json"},
    )
    item_id = pushed.json()["items"][0]["id"]
    assert_error(client.post(f"/api/v1/items/{item_id}/take", headers=bearer(reader_token)), 403, "forbidden")
    assert client.post(f"/api/v1/items/{item_id}/kill", headers=bearer(editor_token)).status_code == 201
    assert_error(
        client.post(f"/api/v1/items/{item_id}/take", headers=bearer(tass_editor_token)), 403, "forbidden"
    )
