"""The signing keys the hub publishes: members' public keys and the hub's own key pair.

A member keeps its private key; the hub only ever stores public keys, so anyone can verify a signed
item offline with what the hub publishes (`GET /.well-known/tabadol-keys.json`, `GET /api/v1/signing-keys`,
`tabadol agency signing-keys`). A member either registers a public key it made itself (the private
key never leaves its newsroom: the recommended way) or lets `tabadol agency key CODE --signing` make a
pair, write the private key to a file only the operator can read, and register the public half.

The hub's own key signs what members deliver unsigned, vouching for which authenticated member
delivered it. Its private key is a file in the data directory (`hub-signing-key.pem`, mode 0600),
made on first use; hub processes on several machines either share the file or each make one: every
hub key is published, and a signature names its key.

Revoking a key stops new signatures being accepted with it; items signed before keep their
signatures, which stay verifiable with the published (revoked) key.
"""

from __future__ import annotations

from pathlib import Path

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import Principal, SigningKey, utc_now
from tabadol.verify.hub_key import load_or_create_hub_key, write_private_key
from tabadol.verify.provenance import (
    PublicKey,
    decode_public_key,
    encode_public_key,
    generate_key_pair,
    public_key_id,
)


def register_public_key(
    hub: Hub, member_code: str, public_key: str, label: str, actor: Principal
) -> SigningKey:
    """Publish a member's public key (base64url of the raw 32 bytes); the same key again is refused."""
    hub.get_member(member_code)  # MEMBER_NOT_FOUND for an unknown code
    if not actor.can_write_for(member_code):
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"register a signing key for member '{member_code}'")
    public = decode_public_key(public_key)
    return _publish(hub, public, member_code, label, actor)


def create_member_key_pair(
    hub: Hub, member_code: str, private_key_path: Path, label: str, actor: Principal
) -> SigningKey:
    """Make a key pair for a member: the private key goes to `private_key_path` (mode 0600, never
    overwritten), the public key is published."""
    hub.get_member(member_code)
    private_pem, public = generate_key_pair()
    write_private_key(private_key_path, private_pem)
    return _publish(hub, public, member_code, label, actor)


def revoke_signing_key(hub: Hub, key_id: str, actor: Principal) -> None:
    key = hub.storage.get_signing_key(key_id)
    allowed = key is not None and (actor.is_admin or actor.member_code == key.member_code)
    if key is None or not allowed or not hub.storage.revoke_signing_key(key_id, utc_now()):
        raise TabadolError(ErrorCode.SIGNING_KEY_NOT_FOUND, key_id=key_id)
    hub.audit(actor, "signing_key.revoke", key_id, {"member": key.member_code})


def hub_private_key(hub: Hub) -> tuple[bytes, SigningKey]:
    """The hub's signing key: read from the data directory, or made and published on first use."""
    return load_or_create_hub_key(hub.settings.data_dir, hub.storage)


def _publish(hub: Hub, public: PublicKey, member_code: str, label: str, actor: Principal) -> SigningKey:
    key = SigningKey(public_key_id(public), member_code, encode_public_key(public), label.strip(), utc_now())
    if not hub.storage.add_signing_key(key):
        raise TabadolError(ErrorCode.SIGNING_KEY_EXISTS, key_id=key.key_id)
    hub.audit(actor, "signing_key.add", key.key_id, {"member": member_code})
    return key


def key_json(key: SigningKey) -> dict[str, object]:
    """A published key as the API and the well-known document show it."""
    return {
        "key_id": key.key_id,
        "algorithm": "Ed25519",
        "member": key.member_code,
        "signer": "hub" if key.member_code is None else "member",
        "public_key": key.public_key,
        "label": key.label,
        "created_at": format_datetime(key.created_at),
        "revoked_at": format_datetime(key.revoked_at) if key.revoked_at else None,
    }
