"""Signed provenance: the canonical form an item's signature covers, Ed25519 keys, sign and verify.

A member signs each item it pushes with its own Ed25519 key; for members that do not sign, the hub
signs on receipt with its key and records which authenticated member delivered the item. Anyone
holding the public keys can then check offline that a text is what the agency sent. Signatures are
detached and cover the *canonical form*: a small JSON document built from the item's identity,
version, language, text and times (docs/provenance.md specifies it byte for byte, so a member can
produce it in any language). Because the version is inside the canonical form, a signature over
version 1 never verifies version 2: an old version cannot be replayed as the current one.

Everything here is pure (no storage, no network). `signed_version` is the one signature check: the
stamper on receipt (verify/stamp.py) and the offline check of a signed-item document (verify/signed.py)
both ask it, and each words its own findings. Checking never raises on a bad signature
(`decode_signature` answers None for what is not one, `signed_version` None for one that does not
hold), because those callers must report on forged or garbled input, not crash on it.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tabadol.deliver.render.ninjs import ninjs_uri
from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import Item, ParsedItem, normalise_language_tag

CANONICAL_FORM_VERSION = 1
KEY_ID_PREFIX = "ed25519:"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
# Earlier version numbers tried when a signature does not hold over its own version, to tell a
# replayed signature from a forgery. Items rarely have more versions; the bound keeps a hostile push
# (or document) cheap to check.
REPLAY_LOOKBACK = 64

# Only ASCII whitespace is stripped from the end of a text: every language's standard library
# can reproduce that exactly, whereas "Unicode whitespace" differs between them.
_TRAILING_WHITESPACE = " \t\n\v\f"
# A simplified BCP-47 shape (RFC 5646 syntax, without the registry): a 2-8 letter primary subtag
# and 1-8 alphanumeric subtags.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


def _invalid(subject: str, reason: str) -> TabadolError:
    # The error catalogue has no provenance codes yet; INVALID_QUERY carries the subject and the
    # reason until it does, and this is the one place to change when it gets them.
    return TabadolError(ErrorCode.INVALID_QUERY, param=subject, reason=reason)


# -- canonical form -------------------------------------------------------------------------------


def canonical_text(text: str) -> str:
    """NFC, every line ending as LF, trailing ASCII whitespace of the whole text removed.

    Nothing else changes: inner spaces, digits, punctuation and invisible characters stay as they
    are, so that any edit to the words changes the canonical bytes.
    """
    composed = unicodedata.normalize("NFC", text)
    return composed.replace("\r\n", "\n").replace("\r", "\n").rstrip(_TRAILING_WHITESPACE)


def canonical_time(value: datetime) -> str:
    """RFC 3339 in UTC with a Z and whole seconds (a fraction is truncated, never rounded)."""
    if value.tzinfo is None:  # the industry default for a wire time without an offset
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    # Explicit fields, because strftime('%Y') does not zero-pad years below 1000 everywhere.
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def canonical_language(tag: str | None) -> str | None:
    """A BCP-47 tag in canonical case ('KK-latn' -> 'kk-Latn'); None (JSON null) when unknown."""
    if tag is None or tag == "":
        return None
    candidate = tag.replace("_", "-")
    if not _LANGUAGE_TAG.fullmatch(candidate):
        raise _invalid("language", f"{tag!r} is not a BCP-47 language tag")
    return normalise_language_tag(candidate)


def canonical_form(
    *,
    uri: str,
    version: int,
    member: str,
    language: str | None,
    headline: str,
    body: str,
    first_created: datetime | None,
    version_created: datetime | None,
    embargoed_until: datetime | None = None,
) -> bytes:
    """The exact bytes a provenance signature covers (canonical form version 1).

    A JSON object with the keys `v`, `uri`, `version`, `member`, `language`, `headline`, `body`,
    `firstCreated`, `versionCreated` and `embargoedUntil` (null when absent), sorted, without
    insignificant whitespace, non-ASCII characters as UTF-8 (RFC 8785 style).
    """
    _require_text("uri", uri, allow_empty=False)
    _require_text("member", member, allow_empty=False)
    _require_text("headline", headline, allow_empty=True)
    _require_text("body", body, allow_empty=True)
    if type(version) is not int or version < 1:  # bool is an int subclass: refuse it explicitly
        raise _invalid("version", f"{version!r} is not a positive integer")
    document: dict[str, Any] = {
        "v": CANONICAL_FORM_VERSION,
        "uri": uri,
        "version": version,
        "member": member,
        "language": canonical_language(language),
        "headline": canonical_text(headline),
        "body": canonical_text(body),
        "firstCreated": _optional_time("firstCreated", first_created),
        "versionCreated": _optional_time("versionCreated", version_created),
        "embargoedUntil": _optional_time("embargoedUntil", embargoed_until),
    }
    return _serialise(document)


def canonical_form_for_parsed(
    parsed: ParsedItem, member_code: str, version: int, *, uri: str | None = None
) -> bytes:
    """The canonical form of what a member sent: its own identifier, language, text and times.

    `uri` defaults to the sender's guid as ninjs renders it (the guid itself when it is a URI).
    An item without a guid has no identity to sign, so the caller must then pass the hub's `uri`.
    """
    if uri is None:
        if parsed.guid is None:
            raise _invalid("uri", "the item carries no identifier; pass the uri the hub assigned")
        uri = ninjs_uri(parsed.guid, member_code)
    return canonical_form(
        uri=uri,
        version=version,
        member=member_code,
        language=parsed.language,
        headline=parsed.headline,
        body=parsed.body_text,
        first_created=parsed.first_created,
        version_created=parsed.version_created,
        embargoed_until=parsed.embargoed_until,
    )


def canonical_form_for_item(item: Item) -> bytes:
    """The canonical form of a stored item's current version (the times are the sender's own)."""
    return canonical_form_for_parsed(
        item.parsed, item.member_code, item.version, uri=ninjs_uri(item.guid, item.member_code)
    )


def _require_text(name: str, value: object, *, allow_empty: bool) -> None:
    if not isinstance(value, str):
        raise _invalid(name, f"expected text, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise _invalid(name, "must not be empty")


def _optional_time(name: str, value: datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise _invalid(name, f"expected a datetime, got {type(value).__name__}")
    return canonical_time(value)


def _serialise(document: Mapping[str, Any]) -> bytes:
    # Python's escaping with ensure_ascii=False is RFC 8785's: only '"', '\\' and U+0000..U+001F
    # are escaped. Keys are ASCII, so code-point order equals RFC 8785's UTF-16 order.
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate has no UTF-8 form (RFC 8785 refuses it)
        raise _invalid("text", f"contains an unpaired surrogate at position {exc.start}") from exc


# -- keys -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key: its 32 raw bytes (RFC 8032), checked on construction."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != PUBLIC_KEY_BYTES:
            raise _invalid("public_key", f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes")
        try:
            Ed25519PublicKey.from_public_bytes(self.raw)
        except ValueError as exc:
            raise _invalid("public_key", f"not an Ed25519 public key ({exc})") from exc

    @property
    def key_id(self) -> str:
        return public_key_id(self)


def generate_key_pair() -> tuple[bytes, PublicKey]:
    """A new key pair: the private key as unencrypted PKCS#8 PEM, and its public key.

    The PEM is unencrypted because the hub and members' push tools sign unattended; protect the
    file with its permissions (the writer's job, not this function's).
    """
    private = Ed25519PrivateKey.generate()
    return _private_pem(private), _public_of(private)


def private_key_pem(private: Ed25519PrivateKey) -> bytes:
    """An Ed25519 private key as unencrypted PKCS#8 PEM (what `read_private_key` loads)."""
    return _private_pem(private)


def public_key_of(private_pem: bytes) -> PublicKey:
    """The public key that belongs to a PEM private key."""
    return _public_of(_load_private(private_pem, source="private key"))


def public_key_id(public: PublicKey) -> str:
    """A short, stable name for a key: 'ed25519:' + the first 16 hex digits of SHA-256(raw key)."""
    return KEY_ID_PREFIX + hashlib.sha256(public.raw).hexdigest()[:16]


def encode_public_key(public: PublicKey) -> str:
    """The raw key as unpadded base64url (43 characters): the form the hub publishes in its API."""
    return _b64url_encode(public.raw)


def decode_public_key(text: str) -> PublicKey:
    """The inverse of `encode_public_key`; padding is tolerated, anything else is refused."""
    raw = _b64url_decode(text, PUBLIC_KEY_BYTES) if isinstance(text, str) else None
    if raw is None:
        raise _invalid("public_key", f"not {PUBLIC_KEY_BYTES} bytes of base64url")
    return PublicKey(raw)


def public_key_to_pem(public: PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM ('BEGIN PUBLIC KEY'), what `openssl pkeyutl -pubin` reads."""
    return Ed25519PublicKey.from_public_bytes(public.raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(pem: bytes) -> PublicKey:
    """An Ed25519 public key from SubjectPublicKeyInfo PEM; other key types are refused."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _invalid("public_key", f"not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise _invalid("public_key", f"a key of type {_key_kind(key)}, not Ed25519")
    return PublicKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def read_private_key(path: Path) -> bytes:
    """The PEM of an Ed25519 private key file, checked: readable, unencrypted and Ed25519."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise _invalid("private_key", f"cannot read {path}: {exc.strerror or exc}") from exc
    _load_private(pem, source=str(path))
    return pem


def _load_private(pem: bytes, *, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError as exc:  # what cryptography raises for an encrypted key without a password
        raise _invalid(
            "private_key", f"{source} is encrypted; the signer needs an unencrypted key file"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _invalid("private_key", f"{source} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise _invalid("private_key", f"{source} holds a key of type {_key_kind(key)}, not Ed25519")
    return key


def _private_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_of(private: Ed25519PrivateKey) -> PublicKey:
    public = private.public_key()
    return PublicKey(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _key_kind(key: object) -> str:
    # "RSAPrivateKey" -> "RSA", "EllipticCurvePublicKey" -> "EllipticCurve"
    return re.sub(r"(Private|Public)Key$", "", type(key).__name__.lstrip("_")) or "unknown"


# -- sign and verify ------------------------------------------------------------------------------


class VerifyStatus(enum.StrEnum):
    VALID = "valid"
    INVALID_SIGNATURE = "invalid_signature"  # the key is right, the signature does not match the text
    MALFORMED = "malformed"  # not a signature at all (bad base64, wrong length, not bytes)
    WRONG_KEY = "wrong_key"  # made (or declared made) with a key other than the signer's
    REVOKED_KEY = "revoked_key"  # made with the signer's key after the signer revoked it
    REPLAYED = "replayed"  # a valid signature over an earlier version of the item, not this one


def sign(private_pem: bytes, canonical: bytes) -> str:
    """A detached Ed25519 signature over the canonical bytes, as unpadded base64url (86 chars)."""
    private = _load_private(private_pem, source="private key")
    return _b64url_encode(private.sign(canonical))


def decode_signature(signature: object) -> bytes | None:
    """The 64 raw bytes of a base64url signature (padding tolerated), or None when it is not one."""
    return _b64url_decode(signature, SIGNATURE_BYTES) if isinstance(signature, str) else None


def signed_version(
    public: PublicKey,
    signature: bytes,
    canonical_at: Callable[[int], bytes],
    version: int,
    *,
    replays: bool = True,
) -> int | None:
    """The version whose canonical bytes a raw signature made with `public` holds over.

    That is `version` itself when the signature is good; with `replays`, otherwise the latest
    earlier version it holds over (version - 1 down to 1, at most REPLAY_LOOKBACK back): an old
    signature passed off as a later version. None when it holds over none of them (a forgery,
    changed content, or another key). `canonical_at(n)` is the item's canonical form at version n,
    asked only for the versions tried, newest first.
    """
    key = Ed25519PublicKey.from_public_bytes(public.raw)
    oldest = max(1, version - REPLAY_LOOKBACK) if replays else version
    for candidate in range(version, oldest - 1, -1):
        try:
            key.verify(signature, canonical_at(candidate))
        except InvalidSignature:
            continue
        return candidate
    return None


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, length: int) -> bytes | None:
    """Exactly `length` bytes from canonical base64url (padding optional), or None.

    The decoded bytes must re-encode to exactly the input: that refuses characters outside the
    base64url alphabet (which the decoder would skip or translate) and non-canonical spellings
    (stray bits in the last character), so one signature has one textual form and two records of
    it always compare equal.
    """
    body = text.rstrip("=")
    padding = len(text) - len(body)
    if padding > 2 or (padding and len(text) % 4):
        return None
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:  # an impossible length (4n+1 characters) or non-ASCII text
        return None
    if len(data) != length or _b64url_encode(data) != body:
        return None
    return data


# -- provenance record ----------------------------------------------------------------------------


class SignerKind(enum.StrEnum):
    MEMBER = "member"  # the agency signed the item itself
    HUB = "hub"  # the hub signed on receipt, vouching for the authenticated member that delivered it


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who signed an item version, with which key, and what the hub found when it received it."""

    signer_kind: SignerKind
    signer: str  # the member code, or the hub's name
    key_id: str
    signature: str  # unpadded base64url, over the canonical form below
    canonical_version: int
    verified: VerifyStatus  # the result at receipt
    signed_by_hub_for: str | None = None  # the authenticated member a hub signature vouches for

    def __post_init__(self) -> None:
        if self.canonical_version != CANONICAL_FORM_VERSION:
            raise _invalid("canonical_version", f"{self.canonical_version!r} is not supported")
        if not self.signer or not self.key_id.startswith(KEY_ID_PREFIX):
            raise _invalid("provenance", "a provenance needs a signer and an ed25519 key id")
        # A hub signature means nothing without the member it vouches for; a member's own
        # signature vouches for nobody else.
        if self.signer_kind is SignerKind.HUB and not self.signed_by_hub_for:
            raise _invalid("signed_by_hub_for", "a hub signature must name the member it vouches for")
        if self.signer_kind is SignerKind.MEMBER and self.signed_by_hub_for is not None:
            raise _invalid("signed_by_hub_for", "only a hub signature vouches for a member")


@dataclass(frozen=True, slots=True)
class RecordedProvenance:
    """A provenance as the hub keeps it for one item version, with its finding in words."""

    item_id: str
    version: int
    provenance: Provenance
    reason: str
    recorded_at: datetime


def recorded_provenance_json(recorded: RecordedProvenance | None) -> dict[str, Any] | None:
    """One version's provenance as the API and the verification answers show it (None: unsigned)."""
    if recorded is None:
        return None
    record = recorded.provenance
    return {
        "signer_kind": record.signer_kind.value,
        "signer": record.signer,
        "signed_by_hub_for": record.signed_by_hub_for,
        "key_id": record.key_id,
        "verified": record.verified.value,
        "reason": recorded.reason,
        "recorded_at": canonical_time(recorded.recorded_at),
    }


def provenance_to_json(provenance: Provenance) -> dict[str, Any]:
    return {
        "signerKind": provenance.signer_kind.value,
        "signer": provenance.signer,
        "keyId": provenance.key_id,
        "signature": provenance.signature,
        "canonicalVersion": provenance.canonical_version,
        "verified": provenance.verified.value,
        "signedByHubFor": provenance.signed_by_hub_for,
    }


def provenance_from_json(data: Mapping[str, Any]) -> Provenance:
    vouched_for = data.get("signedByHubFor")
    if vouched_for is not None and not isinstance(vouched_for, str):
        raise _invalid("provenance", "signedByHubFor must be a member code or null")
    try:
        return Provenance(
            signer_kind=SignerKind(data["signerKind"]),
            signer=str(data["signer"]),
            key_id=str(data["keyId"]),
            signature=str(data["signature"]),
            canonical_version=int(data["canonicalVersion"]),
            verified=VerifyStatus(data["verified"]),
            signed_by_hub_for=vouched_for,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise _invalid("provenance", f"not a provenance record ({exc!r})") from exc
