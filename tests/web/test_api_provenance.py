"""Signed provenance over HTTP: members' signatures checked on receipt (valid, forged, another member's
key, revoked key, a replayed older version, a changed digit), the hub signing what arrives unsigned,
and every recorded signature verifiable offline from its signed-item document and the published keys."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_doc

from tabadol.hub import Hub
from tabadol.types import MemberInfo
from tabadol.verify.provenance import (
    VerifyStatus,
    canonical_form,
    encode_public_key,
    generate_key_pair,
    public_key_id,
    public_key_of,
    sign,
)
from tabadol.verify.signed import check_signed_document

GUID = "urn:irna:provenance:1"
WHEN = "2026-11-20T10:00:00Z"


def publish_key(client: TestClient, member: str, token: str) -> bytes:
    private_pem, public = generate_key_pair()
    response = client.post(
        f"/api/v1/members/{member}/signing-keys",
        json={"public_key": encode_public_key(public), "label": "desk"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return private_pem


def signature_for(private_pem: bytes, body: str, version: int, member: str = "irna", guid: str = GUID) -> str:
    """What a member's own tools compute: the canonical form of docs/provenance.md, signed."""
    from tabadol.ingest.decode import parse_wire_datetime

    when = parse_wire_datetime(WHEN, field="versionCreated", position=1)
    canonical = canonical_form(
        uri=guid,
        version=version,
        member=member,
        language="fa",
        headline="خبر امضاشده",
        body=body,
        first_created=None,
        version_created=when,
    )
    return sign(private_pem, canonical)


def push_signed(
    client: TestClient, token: str, body: str, signature: str | None, key_id: str | None = None
) -> Any:
    document = ninjs_doc(guid=GUID, headline="خبر امضاشده", versionCreated=WHEN)
    document["bodies"] = [{"role": "main", "contentType": "text/plain", "value": body}]
    headers = {**bearer(token), "Content-Type": "application/ninjs+json"}
    if signature is not None:
        headers["Tabadol-Signature"] = signature
    if key_id is not None:
        headers["Tabadol-Signature-Key"] = key_id
    return client.post("/api/v1/items", content=json.dumps(document).encode("utf-8"), headers=headers)


def pushed(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    [entry] = response.json()["items"]
    return dict(entry)


@pytest.fixture
def irna_key(client: TestClient, editor_token: str, member: MemberInfo) -> bytes:
    return publish_key(client, "irna", editor_token)


@pytest.fixture
def offline_check(client: TestClient, editor_token: str) -> Callable[[str, int], Any]:
    """Fetch a version's signed document and check it with nothing but the published keys."""

    def check(item_id: str, version: int) -> Any:
        signed = client.get(
            f"/api/v1/items/{item_id}/versions/{version}/signed", headers=bearer(editor_token)
        )
        assert signed.status_code == 200, signed.text
        keys = client.get("/.well-known/tabadol-keys.json").json()
        return check_signed_document(signed.json(), keys)

    return check


def test_a_valid_member_signature_is_recorded_and_verifies_offline(
    client: TestClient, editor_token: str, irna_key: bytes, offline_check: Callable[[str, int], Any]
) -> None:
    body = "قیمت نفت به ۸۴ دلار رسید."
    entry = pushed(push_signed(client, editor_token, body, signature_for(irna_key, body, 1)))
    assert entry["provenance"]["verified"] == "valid"
    assert entry["provenance"]["signer_kind"] == "member"
    assert entry["provenance"]["key_id"] == public_key_id(public_key_of(irna_key))
    listed = client.get(f"/api/v1/items/{entry['id']}/provenance", headers=bearer(editor_token)).json()
    assert [v["provenance"]["verified"] for v in listed["versions"]] == ["valid"]
    result = offline_check(entry["id"], 1)
    assert result.status is VerifyStatus.VALID and result.body == body


def test_forged_signatures_and_a_changed_digit_are_invalid(
    client: TestClient, editor_token: str, irna_key: bytes
) -> None:
    forged = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode("ascii")
    entry = pushed(push_signed(client, editor_token, "متن اول", forged))
    assert entry["provenance"]["verified"] == "invalid_signature"
    # Signed "84", pushed "85": one digit changed after signing.
    signature = signature_for(irna_key, "قیمت نفت به 84 دلار رسید.", 2)
    entry = pushed(push_signed(client, editor_token, "قیمت نفت به 85 دلار رسید.", signature))
    assert entry["version"] == 2
    assert entry["provenance"]["verified"] == "invalid_signature"


def test_a_signature_by_another_members_key_is_wrong_key(
    client: TestClient, editor_token: str, irna_key: bytes, tass: MemberInfo, tass_editor_token: str
) -> None:
    tass_key = publish_key(client, "tass", tass_editor_token)
    body = "متن خبر"
    entry = pushed(push_signed(client, editor_token, body, signature_for(tass_key, body, 1)))
    assert entry["provenance"]["verified"] == "wrong_key"
    assert "tass" in entry["provenance"]["reason"]
    # Naming the other member's key outright is the same finding.
    tass_key_id = public_key_id(public_key_of(tass_key))
    entry = pushed(
        push_signed(client, editor_token, "متن دوم", signature_for(tass_key, "متن دوم", 2), tass_key_id)
    )
    assert entry["provenance"]["verified"] == "wrong_key"


def test_a_replayed_older_version_is_reported_as_a_replay(
    client: TestClient, editor_token: str, irna_key: bytes, offline_check: Callable[[str, int], Any]
) -> None:
    first, second = "نسخه نخست خبر", "نسخه دوم خبر با اصلاح"
    one = signature_for(irna_key, first, 1)
    assert pushed(push_signed(client, editor_token, first, one))["provenance"]["verified"] == "valid"
    two = pushed(push_signed(client, editor_token, second, signature_for(irna_key, second, 2)))
    assert two["version"] == 2 and two["provenance"]["verified"] == "valid"
    # Version 1's text and signature pushed again: stored as version 3, and the signature is seen
    # for what it is, a valid signature over version 1.
    replay = pushed(push_signed(client, editor_token, first, one))
    assert replay["version"] == 3
    assert replay["provenance"]["verified"] == "replayed"
    assert "version 1" in replay["provenance"]["reason"]
    # Offline: version 1's document still verifies; a copy claiming to be version 3 is a replay.
    assert offline_check(replay["id"], 1).status is VerifyStatus.VALID


def test_a_revoked_key_no_longer_signs(client: TestClient, editor_token: str, irna_key: bytes) -> None:
    key_id = public_key_id(public_key_of(irna_key))
    assert client.delete(f"/api/v1/signing-keys/{key_id}", headers=bearer(editor_token)).status_code == 204
    publish_key(client, "irna", editor_token)  # the member's new, live key
    entry = pushed(push_signed(client, editor_token, "متن", signature_for(irna_key, "متن", 1)))
    assert entry["provenance"]["verified"] == "revoked_key"


def test_unsigned_items_are_signed_by_the_hub_for_the_member_that_delivered_them(
    client: TestClient, hub: Hub, editor_token: str, offline_check: Callable[[str, int], Any]
) -> None:
    entry = pushed(push_signed(client, editor_token, "متن بی‌امضا", None))
    assert "provenance" not in entry  # nothing declared, nothing to report back
    listed = client.get(f"/api/v1/items/{entry['id']}/provenance", headers=bearer(editor_token)).json()
    [version] = listed["versions"]
    assert version["provenance"]["signer_kind"] == "hub"
    assert version["provenance"]["signed_by_hub_for"] == "irna"
    assert version["provenance"]["key_id"] == hub.stamper.key_id
    result = offline_check(entry["id"], 1)
    assert result.status is VerifyStatus.VALID and "irna" in result.reason


def test_offline_checks_catch_edited_documents(
    client: TestClient, editor_token: str, irna_key: bytes, tass: MemberInfo, tass_editor_token: str
) -> None:
    body = "قیمت نفت به 84 دلار رسید."
    entry = pushed(push_signed(client, editor_token, body, signature_for(irna_key, body, 1)))
    document = client.get(
        f"/api/v1/items/{entry['id']}/versions/1/signed", headers=bearer(editor_token)
    ).json()
    keys = client.get("/.well-known/tabadol-keys.json").json()
    digit = {**document, "canonical": {**document["canonical"], "body": body.replace("84", "85")}}
    assert check_signed_document(digit, keys).status is VerifyStatus.INVALID_SIGNATURE
    later = {**document, "canonical": {**document["canonical"], "version": 2}}
    assert check_signed_document(later, keys).status is VerifyStatus.REPLAYED
    # Passed off as another member's item: the key is not that member's.
    stolen = {**document, "canonical": {**document["canonical"], "member": "tass"}}
    assert check_signed_document(stolen, keys).status is VerifyStatus.WRONG_KEY


def test_signatures_the_hub_cannot_use_are_refused_and_nothing_is_stored(
    client: TestClient, hub: Hub, editor_token: str, member: MemberInfo
) -> None:
    private_pem, _ = generate_key_pair()  # never published
    refused = push_signed(client, editor_token, "متن", signature_for(private_pem, "متن", 1))
    assert_error(refused, 422, "signer_key_unknown")
    assert hub.storage.count_items() == 0
    garbled = push_signed(client, editor_token, "متن", "not a signature!")
    assert_error(garbled, 400, "invalid_signature_header")
    two = push_signed(client, editor_token, "متن", "-, -, " + "A" * 86)
    assert_error(two, 400, "invalid_signature_header")


def test_the_sign_recipe_matches_the_hub(
    tmp_path: Path, client: TestClient, editor_token: str, irna_key: bytes
) -> None:
    """`tabadol sign`'s computation (the canonical form of a parsed payload) is what the hub checks."""
    from tabadol.ingest.formats import default_registry
    from tabadol.verify.provenance import canonical_form_for_parsed

    document = ninjs_doc(guid=GUID, headline="خبر امضاشده", versionCreated=WHEN)
    data = json.dumps(document).encode("utf-8")
    _, [item] = default_registry().parse(data, "application/ninjs+json")
    signature = sign(irna_key, canonical_form_for_parsed(item, "irna", 1))
    headers = {
        **bearer(editor_token),
        "Content-Type": "application/ninjs+json",
        "Tabadol-Signature": signature,
    }
    entry = pushed(client.post("/api/v1/items", content=data, headers=headers))
    assert entry["provenance"]["verified"] == "valid"


def test_the_tamper_check_shows_the_signature_of_the_authentic_item(
    client: TestClient, editor_token: str, irna_key: bytes
) -> None:
    body = "Leaders of the five Caspian states signed the ferry agreement in Aktau on Tuesday."
    document = ninjs_doc(guid=GUID, headline="Ferry agreement signed", language="en", versionCreated=WHEN)
    document["bodies"] = [{"role": "main", "contentType": "text/plain", "value": body}]
    headers = {**bearer(editor_token), "Content-Type": "application/ninjs+json"}
    assert client.post("/api/v1/items", content=json.dumps(document), headers=headers).status_code == 201
    altered = body.replace("five", "six")
    answer = client.post("/api/v1/verify", json={"text": altered}, headers=bearer(editor_token)).json()
    assert answer["verdict"] == "altered"
    assert answer["item"]["provenance"]["signer_kind"] == "hub"
    assert answer["item"]["provenance"]["verified"] == "valid"
