"""Published signing keys over HTTP: anyone reads them (API and well-known address), a member's editors
publish and revoke their own member's keys, never another member's, and the hub's own key is there."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_helpers import bearer

from tabadol.hub import Hub
from tabadol.types import MemberInfo
from tabadol.verify.keys import hub_private_key
from tabadol.verify.provenance import encode_public_key, generate_key_pair, public_key_of


def new_public_key() -> str:
    private_pem, _ = generate_key_pair()
    return encode_public_key(public_key_of(private_pem))


def test_keys_are_public_and_members_publish_only_their_own(
    client: TestClient,
    hub: Hub,
    editor_token: str,
    reader_token: str,
    tass: MemberInfo,
    tass_editor_token: str,
) -> None:
    _, hub_key = hub_private_key(hub)
    public = new_public_key()
    added = client.post(
        "/api/v1/members/irna/signing-keys",
        json={"public_key": public, "label": "desk"},
        headers=bearer(editor_token),
    )
    assert added.status_code == 201, added.text
    key_id = added.json()["key_id"]
    for path in ("/api/v1/signing-keys", "/.well-known/tabadol-keys.json"):
        listed = client.get(path)  # no API key
        assert listed.status_code == 200
        by_id = {key["key_id"]: key for key in listed.json()["keys"]}
        assert by_id[key_id]["public_key"] == public and by_id[key_id]["member"] == "irna"
        assert by_id[hub_key.key_id]["signer"] == "hub"
    # Another member's editor, a reader, a malformed key: refused.
    other = client.post(
        "/api/v1/members/irna/signing-keys",
        json={"public_key": new_public_key()},
        headers=bearer(tass_editor_token),
    )
    assert other.status_code == 403
    reader = client.post(
        "/api/v1/members/irna/signing-keys",
        json={"public_key": new_public_key()},
        headers=bearer(reader_token),
    )
    assert reader.status_code == 403
    bad = client.post(
        "/api/v1/members/irna/signing-keys", json={"public_key": "not-a-key"}, headers=bearer(editor_token)
    )
    assert bad.status_code in (400, 422)
    again = client.post(
        "/api/v1/members/irna/signing-keys", json={"public_key": public}, headers=bearer(editor_token)
    )
    assert again.status_code == 409
    # Revocation: not by another member (it looks absent), then by the owner; the key stays listed.
    refused = client.delete(f"/api/v1/signing-keys/{key_id}", headers=bearer(tass_editor_token))
    assert refused.status_code == 404, refused.text
    assert client.delete(f"/api/v1/signing-keys/{key_id}", headers=bearer(editor_token)).status_code == 204
    listed = {key["key_id"]: key for key in client.get("/api/v1/signing-keys").json()["keys"]}
    assert listed[key_id]["revoked_at"] is not None


def test_the_hub_key_is_made_once_and_kept(hub: Hub) -> None:
    first_pem, first = hub_private_key(hub)
    second_pem, second = hub_private_key(hub)
    assert first_pem == second_pem and first.key_id == second.key_id
    assert [key.key_id for key in hub.storage.list_signing_keys() if key.member_code is None] == [
        first.key_id
    ]
