"""The signed-item document: everything needed to verify one item version offline.

`GET /api/v1/items/{id}/versions/{n}/signed` serves it; `tabadol verify --signed FILE --keys KEYS`
checks it with nothing but the published keys (`/.well-known/tabadol-keys.json`). It holds the
canonical form as a JSON object (the fields the signature covers, readable as they are), the
signature, and who made it:

    {"type": "tabadol-signed-item", "canonical": {...}, "signature": "...", "keyId": "ed25519:...",
     "signerKind": "member" | "hub", "signer": "irna" | "hub", "signedByHubFor": null | "irna"}

The checker never trusts the document about anything it can check itself: the canonical bytes are
rebuilt from the fields (so a document whose fields were edited no longer verifies), the key comes
from the keys document by id, and the key must belong to the member the canonical form names (or
be a hub key vouching for that member). A signature over an earlier version number of the same
item is told apart from a forgery and reported as a replay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.decode import parse_wire_datetime
from tabadol.verify.provenance import (
    CANONICAL_FORM_VERSION,
    SIGNATURE_BYTES,
    PublicKey,
    RecordedProvenance,
    VerifyStatus,
    canonical_form,
    decode_public_key,
    decode_signature,
    signed_version,
)

DOCUMENT_TYPE = "tabadol-signed-item"
_CANONICAL_KEYS = frozenset(
    {"v", "uri", "version", "member", "language", "headline", "body", "firstCreated", "versionCreated"}
    | {"embargoedUntil"}
)


@dataclass(frozen=True, slots=True)
class OfflineCheck:
    """What an offline check of a signed-item document found."""

    status: VerifyStatus
    reason: str
    key_id: str | None
    member: str | None
    uri: str | None
    version: int | None
    headline: str | None
    body: str | None

    @property
    def valid(self) -> bool:
        return self.status is VerifyStatus.VALID


def signed_document(recorded: RecordedProvenance, canonical: bytes) -> dict[str, Any]:
    """The document for one recorded provenance and the canonical form it covers."""
    record = recorded.provenance
    return {
        "type": DOCUMENT_TYPE,
        "canonical": json.loads(canonical.decode("utf-8")),
        "signature": record.signature,
        "keyId": record.key_id,
        "signerKind": record.signer_kind.value,
        "signer": record.signer,
        "signedByHubFor": record.signed_by_hub_for,
        "verifiedAtReceipt": record.verified.value,
        "reasonAtReceipt": recorded.reason,
        "recordedAt": recorded.recorded_at.isoformat().replace("+00:00", "Z"),
    }


def check_signed_document(document: Any, keys_document: Any) -> OfflineCheck:
    """Verify a signed-item document with the published keys alone. Raises INVALID_SIGNED_DOCUMENT
    when either document is not what it claims to be; otherwise answers what the signature is."""
    if not isinstance(document, Mapping) or document.get("type") != DOCUMENT_TYPE:
        raise _invalid(f"not a {DOCUMENT_TYPE} document")
    canonical = document.get("canonical")
    if not isinstance(canonical, Mapping):
        raise _invalid("'canonical' must be an object")
    fields = _canonical_fields(canonical)
    key_id = document.get("keyId")
    signature = document.get("signature")
    if not isinstance(key_id, str) or not isinstance(signature, str):
        raise _invalid("'keyId' and 'signature' must be text")
    keys = _keys_by_id(keys_document)
    member = str(fields["member"])

    def answer(status: VerifyStatus, reason: str) -> OfflineCheck:
        return OfflineCheck(
            status,
            reason,
            key_id,
            member,
            str(fields["uri"]),
            int(fields["version"]),
            str(fields["headline"]),
            str(fields["body"]),
        )

    key = keys.get(key_id)
    if key is None:
        return answer(VerifyStatus.WRONG_KEY, f"{key_id} is not among the published keys")
    owner = key.get("member")
    if owner is None:
        vouched = document.get("signedByHubFor")
        if vouched != member:
            return answer(
                VerifyStatus.WRONG_KEY, f"a hub key, but the document vouches for {vouched!r}, not {member!r}"
            )
    elif owner != member:
        return answer(VerifyStatus.WRONG_KEY, f"{key_id} is a key of member '{owner}', not of '{member}'")
    public = decode_public_key(str(key.get("public_key", "")))
    finding = _signature_finding(public, key_id, signature, fields)
    if finding is None:
        return answer(VerifyStatus.VALID, _valid_reason(owner, member, key))
    return answer(*finding)


def _signature_finding(
    public: PublicKey, key_id: str, signature: str, fields: Mapping[str, Any]
) -> tuple[VerifyStatus, str] | None:
    """What is wrong with the signature under the key the document names; None when it is valid."""
    version = int(fields["version"])
    # Built before the signature is looked at: fields without a canonical form are refused outright.
    claimed = canonical_form(**fields)

    def canonical_at(number: int) -> bytes:
        return claimed if number == version else canonical_form(**{**fields, "version": number})

    raw = decode_signature(signature)
    if raw is None:
        return VerifyStatus.MALFORMED, f"the signature is not {SIGNATURE_BYTES} bytes of base64url"
    if key_id != public.key_id:  # the keys document files another key under this id
        reason = f"the signature names key {key_id}, but the signer's key is {public.key_id}"
        return VerifyStatus.WRONG_KEY, reason
    found = signed_version(public, raw, canonical_at, version)
    if found == version:
        return None
    if found is not None:
        reason = f"the signature is over version {found}; this document claims version {version}"
        return VerifyStatus.REPLAYED, reason
    return VerifyStatus.INVALID_SIGNATURE, "the signature does not match this content under the signer's key"


def _valid_reason(owner: Any, member: str, key: Mapping[str, Any]) -> str:
    signer = f"member '{member}'" if owner else f"the hub, vouching that member '{member}' delivered it"
    revoked = key.get("revoked_at")
    note = f" (the key was revoked at {revoked}; check the item arrived before that)" if revoked else ""
    return f"signed by {signer}{note}"


def _canonical_fields(canonical: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(canonical) - _CANONICAL_KEYS
    if unknown or canonical.get("v") != CANONICAL_FORM_VERSION:
        raise _invalid(
            f"canonical form version {canonical.get('v')!r} with fields {sorted(unknown)} is not known"
        )
    version = canonical.get("version")
    if type(version) is not int:
        raise _invalid("canonical 'version' must be an integer")
    try:
        return {
            "uri": canonical["uri"],
            "version": version,
            "member": canonical["member"],
            "language": canonical.get("language"),
            "headline": canonical["headline"],
            "body": canonical["body"],
            "first_created": _time(canonical.get("firstCreated")),
            "version_created": _time(canonical.get("versionCreated")),
            "embargoed_until": _time(canonical.get("embargoedUntil")),
        }
    except KeyError as missing:
        raise _invalid(f"canonical form lacks {missing}") from None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_wire_datetime(value, field="canonical", position=1)
    except TabadolError:
        raise _invalid(f"{value!r} is not an RFC 3339 time") from None


def _keys_by_id(keys_document: Any) -> dict[str, Mapping[str, Any]]:
    keys = keys_document.get("keys") if isinstance(keys_document, Mapping) else None
    if not isinstance(keys, list):
        raise _invalid("the keys document has no 'keys' list (use /.well-known/tabadol-keys.json)")
    return {str(key["key_id"]): key for key in keys if isinstance(key, Mapping) and "key_id" in key}


def _invalid(reason: str) -> TabadolError:
    return TabadolError(ErrorCode.INVALID_SIGNED_DOCUMENT, reason=reason)
