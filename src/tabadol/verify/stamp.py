"""Provenance on receipt: check a member's own signature, or sign for a member that does not sign.

The storage calls `ItemStamper.provenance` inside the ingest transaction, once per version it writes:
only there is the version number an item becomes known, and the canonical form covers it. The
member's keys are read in that same transaction, so a key revoked a moment ago is already refused.

What a member's signature can turn out to be, checked in this order (the first that holds wins):
- VALID: made with one of the member's live keys over exactly this version;
- REVOKED_KEY: made with a key of the member that was revoked before the item arrived;
- WRONG_KEY: made with another member's key (or the hub's), or naming a key that is not the member's;
- REPLAYED: made with the member's key, but over an *earlier* version number of this item: a text
  signed once is being passed off as a later version;
- MALFORMED: not a signature at all; INVALID_SIGNATURE: none of the above (a forgery, or content
  changed after signing).
A signature naming a key the hub has never seen, or from a member with no published key at all, is
refused (SIGNER_KEY_UNKNOWN): the hub cannot record anything meaningful about it, and the sender
needs to hear that at once rather than find "invalid" on every item later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tabadol.deliver.render.ninjs import ninjs_uri
from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import DeclaredSignature, ParsedItem, SigningKey
from tabadol.verify.provenance import (
    CANONICAL_FORM_VERSION,
    SIGNATURE_BYTES,
    Provenance,
    SignerKind,
    VerifyStatus,
    _b64url_encode,
    canonical_form_for_parsed,
    decode_public_key,
    decode_signature,
    public_key_id,
    public_key_of,
    signed_version,
)

HUB_SIGNER = "hub"


@dataclass(frozen=True, slots=True)
class StampedProvenance:
    """A provenance record with the hub's explanation of its finding (shown to editors as is)."""

    provenance: Provenance
    reason: str


@dataclass(frozen=True, slots=True)
class ItemStamper:
    """Signs with the hub's key and checks members' signatures; one per hub process."""

    private_pem: bytes
    hub_name: str = HUB_SIGNER
    _private: Ed25519PrivateKey = field(init=False, repr=False, compare=False)
    _key_id: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        key = serialization.load_pem_private_key(self.private_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise TabadolError(ErrorCode.INVALID_SIGNED_DOCUMENT, reason="the hub key is not Ed25519")
        # Loaded once: parsing the PEM for every item would cost more than the signature itself.
        object.__setattr__(self, "_private", key)
        object.__setattr__(self, "_key_id", public_key_id(public_key_of(self.private_pem)))

    def __reduce__(self) -> tuple[type[ItemStamper], tuple[bytes, str]]:
        # File ingest parses in worker processes and sends the prepared requests back pickled; the
        # loaded key object cannot be pickled, so the stamper travels as its PEM (between the hub's
        # own processes, which can read the key file anyway) and is rebuilt on arrival.
        return (ItemStamper, (self.private_pem, self.hub_name))

    @property
    def key_id(self) -> str:
        return self._key_id

    def provenance(
        self,
        member_code: str,
        guid: str,
        version: int,
        item: ParsedItem,
        declared: DeclaredSignature | None,
        keys: Sequence[SigningKey],
        received_at: datetime,
    ) -> StampedProvenance | None:
        """The record for one written version; None when the item has no canonical form (nothing
        to sign: the item is still stored, unsigned, rather than lost)."""
        uri = ninjs_uri(guid, member_code)
        try:
            canonical = canonical_form_for_parsed(item, member_code, version, uri=uri)
        except TabadolError:
            if declared is not None:
                raise  # the member cannot have signed it either: tell the sender why
            return None
        if declared is None:
            return self._sign_for(member_code, canonical)

        @cache  # each member key tried for a replay asks for the same earlier versions
        def canonical_at(number: int) -> bytes:
            if number == version:
                return canonical
            return canonical_form_for_parsed(item, member_code, number, uri=uri)

        return check_member_signature(member_code, declared, keys, received_at, canonical_at, version)

    def _sign_for(self, member_code: str, canonical: bytes) -> StampedProvenance:
        # Ed25519 signing is deterministic and the hub's key is its own: the signature is recorded as
        # valid without checking it again (a second check would cost twice the signature itself on
        # every stored version); anyone can check it offline, and the tests do.
        record = Provenance(
            signer_kind=SignerKind.HUB,
            signer=self.hub_name,
            key_id=self._key_id,
            signature=_b64url_encode(self._private.sign(canonical)),
            canonical_version=CANONICAL_FORM_VERSION,
            verified=VerifyStatus.VALID,
            signed_by_hub_for=member_code,
        )
        return StampedProvenance(record, f"signed by the hub on receipt from member '{member_code}'")


def check_member_signature(
    member_code: str,
    declared: DeclaredSignature,
    keys: Sequence[SigningKey],
    received_at: datetime,
    canonical_at: Callable[[int], bytes],
    version: int,
) -> StampedProvenance:
    """What a member's signature over this item at `version` turns out to be.

    `canonical_at(n)` is the item's canonical form at version n (earlier ones are tried for replays)."""
    own = [key for key in keys if key.member_code == member_code]
    named = _named_key(member_code, declared, keys, own)
    candidates = [named] if named is not None and named.member_code == member_code else own
    live = [key for key in candidates if not _revoked(key, received_at)]
    revoked = [key for key in candidates if _revoked(key, received_at)]
    checked = (live or candidates or own)[0]  # the member's key the record names

    def record(status: VerifyStatus, key: SigningKey, reason: str) -> StampedProvenance:
        provenance = Provenance(
            signer_kind=SignerKind.MEMBER,
            signer=member_code,
            key_id=key.key_id,
            signature=declared.signature,
            canonical_version=CANONICAL_FORM_VERSION,
            verified=status,
        )
        return StampedProvenance(provenance, reason)

    raw = decode_signature(declared.signature)
    if raw is None:
        return record(VerifyStatus.MALFORMED, checked, f"not {SIGNATURE_BYTES} bytes of base64url")
    if named is not None and named.member_code != member_code:
        owner = named.member_code or "the hub"
        return record(
            VerifyStatus.WRONG_KEY, checked, f"the signature names {named.key_id}, a key of {owner}"
        )

    def signed_over(key: SigningKey, *, replays: bool = False) -> int | None:
        public = decode_public_key(key.public_key)
        return signed_version(public, raw, canonical_at, version, replays=replays)

    # Every key at this version first, then earlier versions: the order of the module docstring.
    for key in live:
        if signed_over(key) is not None:
            return record(VerifyStatus.VALID, key, f"signed by member '{member_code}' with {key.key_id}")
    for key in revoked:
        if signed_over(key) is not None:
            return record(VerifyStatus.REVOKED_KEY, key, f"signed with {key.key_id}, revoked before receipt")
    for key in keys:
        if key.member_code != member_code and signed_over(key) is not None:
            owner = f"member '{key.member_code}'" if key.member_code else "the hub"
            return record(VerifyStatus.WRONG_KEY, checked, f"signed with {key.key_id}, a key of {owner}")
    for key in candidates:
        earlier = signed_over(key, replays=True)  # not this version: every candidate failed it above
        if earlier is not None:
            return record(
                VerifyStatus.REPLAYED, key, f"a valid signature over version {earlier}, not version {version}"
            )
    return record(VerifyStatus.INVALID_SIGNATURE, checked, "the signature does not match this content")


def _named_key(
    member_code: str, declared: DeclaredSignature, keys: Sequence[SigningKey], own: Sequence[SigningKey]
) -> SigningKey | None:
    if declared.key_id is None:
        if not own:
            raise TabadolError(ErrorCode.SIGNER_KEY_UNKNOWN, member=member_code, key="a signature")
        return None
    for key in keys:
        if key.key_id == declared.key_id:
            if key.member_code != member_code and not own:
                # Nothing of the member's to record against: the push is refused, not recorded.
                raise TabadolError(ErrorCode.SIGNER_KEY_UNKNOWN, member=member_code, key=declared.key_id)
            return key
    raise TabadolError(ErrorCode.SIGNER_KEY_UNKNOWN, member=member_code, key=declared.key_id)


def _revoked(key: SigningKey, at: datetime) -> bool:
    return key.revoked_at is not None and key.revoked_at <= at
