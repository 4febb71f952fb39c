"""The stamper on its own: the hub's signature verifies with its published key, and every finding
about a member's signature (valid, malformed, revoked, another's key, replayed, forged) is told apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import DeclaredSignature, ParsedItem, SigningKey
from tabadol.verify.provenance import (
    SignerKind,
    VerifyStatus,
    canonical_form_for_parsed,
    decode_signature,
    encode_public_key,
    generate_key_pair,
    public_key_id,
    sign,
    signed_version,
)
from tabadol.verify.stamp import ItemStamper, StampedProvenance

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ITEM = ParsedItem(
    guid="urn:irna:1",
    headline="Caspian summit opens",
    body_text="Leaders of five states met on Tuesday.",
    source_format="ninjs",
    language="en",
    version_created=NOW - timedelta(hours=1),
)


def key_pair(member: str | None, revoked_at: datetime | None = None) -> tuple[bytes, SigningKey]:
    private_pem, public = generate_key_pair()
    record = SigningKey(public_key_id(public), member, encode_public_key(public), "desk", NOW, revoked_at)
    return private_pem, record


def signed(private_pem: bytes, version: int, item: ParsedItem = ITEM) -> DeclaredSignature:
    return DeclaredSignature(sign(private_pem, canonical_form_for_parsed(item, "irna", version)))


@pytest.fixture
def stamper() -> ItemStamper:
    private_pem, _ = generate_key_pair()
    return ItemStamper(private_pem)


def stamp(
    stamper: ItemStamper, declared: DeclaredSignature | None, keys: list[SigningKey], version: int = 1
) -> StampedProvenance:
    stamped = stamper.provenance("irna", "urn:irna:1", version, ITEM, declared, keys, NOW)
    assert stamped is not None
    return stamped


def finding(
    stamper: ItemStamper, declared: DeclaredSignature | None, keys: list[SigningKey], version: int = 1
) -> VerifyStatus:
    return stamp(stamper, declared, keys, version).provenance.verified


def test_the_hub_signs_unsigned_items_verifiably(stamper: ItemStamper) -> None:
    stamped = stamper.provenance("irna", "urn:irna:1", 3, ITEM, None, [], NOW)
    assert stamped is not None
    record = stamped.provenance
    assert record.signed_by_hub_for == "irna" and record.key_id == stamper.key_id
    from tabadol.verify.provenance import public_key_of

    public = public_key_of(stamper.private_pem)
    raw = decode_signature(record.signature)
    assert raw is not None

    def canonical_at(version: int) -> bytes:
        return canonical_form_for_parsed(ITEM, "irna", version)

    assert signed_version(public, raw, canonical_at, 3, replays=False) == 3
    assert signed_version(public, raw, canonical_at, 2, replays=False) is None


def test_each_member_finding(stamper: ItemStamper) -> None:
    own_pem, own = key_pair("irna")
    old_pem, old = key_pair("irna", revoked_at=NOW - timedelta(days=1))
    other_pem, other = key_pair("tass")
    keys = [own, old, other]
    assert finding(stamper, signed(own_pem, 1), keys) is VerifyStatus.VALID
    assert finding(stamper, signed(old_pem, 1), keys) is VerifyStatus.REVOKED_KEY
    assert finding(stamper, signed(other_pem, 1), keys) is VerifyStatus.WRONG_KEY
    assert finding(stamper, signed(own_pem, 1), keys, version=4) is VerifyStatus.REPLAYED
    assert finding(stamper, DeclaredSignature("A" * 86), keys) is VerifyStatus.INVALID_SIGNATURE
    assert finding(stamper, DeclaredSignature("too short"), keys) is VerifyStatus.MALFORMED
    changed = replace(ITEM, body_text="Leaders of six states met on Tuesday.")
    assert finding(stamper, signed(own_pem, 1, changed), keys) is VerifyStatus.INVALID_SIGNATURE


def test_the_record_names_the_members_key_and_keeps_what_arrived(stamper: ItemStamper) -> None:
    own_pem, own = key_pair("irna")
    other_pem, other = key_pair("azertac")
    keys = [own, other]
    good = stamp(stamper, signed(own_pem, 1), keys).provenance
    assert good.verified is VerifyStatus.VALID and good.signer_kind is SignerKind.MEMBER
    assert good.key_id == own.key_id and good.signed_by_hub_for is None
    foreign = signed(other_pem, 1)
    wrong = stamp(stamper, foreign, keys)
    assert (
        wrong.provenance.verified is VerifyStatus.WRONG_KEY
        and wrong.provenance.signature == foreign.signature
    )
    assert (
        wrong.provenance.key_id == own.key_id and f"{other.key_id}, a key of member 'azertac'" in wrong.reason
    )
    declared = stamp(stamper, DeclaredSignature(foreign.signature, other.key_id), keys)
    assert declared.provenance.verified is VerifyStatus.WRONG_KEY and declared.provenance.key_id == own.key_id
    assert f"names {other.key_id}, a key of azertac" in declared.reason


def test_a_padded_signature_is_the_same_signature(stamper: ItemStamper) -> None:
    own_pem, own = key_pair("irna")
    padded = DeclaredSignature(signed(own_pem, 1).signature + "==")
    assert finding(stamper, padded, [own]) is VerifyStatus.VALID


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not base64 at all!",
        "A" * 82,  # too short
        "A" * 90,  # too long
        "A" * 86 + "=",  # wrong padding
        "A" * 85 + "B",  # non-canonical last character
        "A" * 85 + "+",  # standard base64, not base64url
        "A" * 86 + "\n",
        b"bytes are not a signature",
        None,
    ],
)
def test_malformed_signatures_are_recorded_not_raised(stamper: ItemStamper, signature: Any) -> None:
    _, own = key_pair("irna")
    stamped = stamp(stamper, DeclaredSignature(signature), [own])
    assert stamped.provenance.verified is VerifyStatus.MALFORMED and stamped.provenance.key_id == own.key_id
    assert stamped.reason == "not 64 bytes of base64url"


def test_a_key_revoked_after_receipt_still_counts(stamper: ItemStamper) -> None:
    private_pem, record = key_pair("irna", revoked_at=NOW + timedelta(minutes=1))
    assert finding(stamper, signed(private_pem, 1), [record]) is VerifyStatus.VALID


def test_signatures_without_a_known_key_are_refused(stamper: ItemStamper) -> None:
    private_pem, _ = key_pair("irna")
    with pytest.raises(TabadolError) as caught:
        finding(stamper, signed(private_pem, 1), [])
    assert caught.value.code is ErrorCode.SIGNER_KEY_UNKNOWN
    _, own = key_pair("irna")
    with pytest.raises(TabadolError):
        finding(
            stamper, DeclaredSignature(signed(private_pem, 1).signature, "ed25519:0000000000000000"), [own]
        )


def test_the_stamper_travels_between_processes(stamper: ItemStamper) -> None:
    """File ingest prepares requests in worker processes; their stamper comes back pickled."""
    import pickle

    copy = pickle.loads(pickle.dumps(stamper))
    assert copy.key_id == stamper.key_id
    original = stamper.provenance("irna", "urn:irna:1", 1, ITEM, None, [], NOW)
    again = copy.provenance("irna", "urn:irna:1", 1, ITEM, None, [], NOW)
    assert original is not None and again is not None
    assert original.provenance.signature == again.provenance.signature  # Ed25519 is deterministic
