"""Published signing keys: who can verify a signed item needs nothing but these (no API key to read).

`GET /api/v1/signing-keys` and `GET /.well-known/tabadol-keys.json` list every key ever registered, revoked
ones too (items signed before a revocation stay verifiable; the revocation time is shown). A member's
editors register their member's public keys and revoke them; administrators any member's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tabadol.verify.keys import key_json, register_public_key, revoke_signing_key
from tabadol.web.auth import HubDep, WriterKey

router = APIRouter(tags=["verification"])
# Served at the site root, outside the API prefix, where verifiers look for it.
well_known = APIRouter(tags=["verification"])
WELL_KNOWN_PATH = "/.well-known/tabadol-keys.json"


class NewSigningKey(BaseModel):
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64url (no padding)")
    label: str = Field(default="", max_length=200, description="Who holds the private key")


def published_keys(hub: HubDep) -> dict[str, Any]:
    return {"keys": [key_json(key) for key in hub.storage.list_signing_keys()]}


@router.get("/signing-keys", summary="Every published signing key (no key needed)")
def list_keys(hub: HubDep) -> dict[str, Any]:
    return published_keys(hub)


@well_known.get(WELL_KNOWN_PATH, summary="Every published signing key, at the well-known address")
def well_known_keys(hub: HubDep) -> dict[str, Any]:
    return published_keys(hub)


@router.post("/members/{code}/signing-keys", status_code=201, summary="Publish a member's public key")
def add_signing_key(code: str, body: NewSigningKey, hub: HubDep, principal: WriterKey) -> dict[str, Any]:
    return key_json(register_public_key(hub, code, body.public_key, body.label, principal))


@router.delete("/signing-keys/{key_id}", status_code=204, summary="Revoke a signing key")
def delete_signing_key(key_id: str, hub: HubDep, principal: WriterKey) -> None:
    revoke_signing_key(hub, key_id, principal)
