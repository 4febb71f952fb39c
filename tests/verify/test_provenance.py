"""Signed provenance: canonical form, keys, signing and the one signature check (with the offline check
of a signed-item document built on it), the provenance record and the documented recipes."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tabadol.errors import TabadolError
from tabadol.types import Item, ParsedItem, PubStatus
from tabadol.verify.provenance import (
    CANONICAL_FORM_VERSION,
    REPLAY_LOOKBACK,
    Provenance,
    PublicKey,
    SignerKind,
    VerifyStatus,
    canonical_form,
    canonical_form_for_item,
    canonical_form_for_parsed,
    decode_public_key,
    decode_signature,
    encode_public_key,
    generate_key_pair,
    private_key_pem,
    provenance_from_json,
    provenance_to_json,
    public_key_from_pem,
    public_key_id,
    public_key_of,
    public_key_to_pem,
    read_private_key,
    sign,
    signed_version,
)
from tabadol.verify.signed import DOCUMENT_TYPE, check_signed_document
from tabadol.verify.stamp import ItemStamper

DOCS = Path(__file__).resolve().parents[2] / "docs" / "provenance.md"

# -- the committed test vector (also printed in docs/provenance.md) --------------------------------
VECTOR_SEED = bytes(range(32))
VECTOR_PUBLIC = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
VECTOR_KEY_ID = "ed25519:56475aa75463474c"
VECTOR_FIELDS: dict[str, Any] = {
    "uri": "urn:irna:item:2026-11-23-001",
    "version": 2,
    "member": "irna",
    "language": "fa",
    "headline": "آغاز سرمای زودرس در تهران",
    "body": "Tehran, 23 November. The temperature reached 12 °C.\nSecond paragraph.",
    "first_created": datetime(2026, 11, 23, 8, 30, 15, tzinfo=UTC),
    "version_created": datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC),
}
VECTOR_CANONICAL = (
    '{"body":"Tehran, 23 November. The temperature reached 12 °C.\\nSecond paragraph.",'
    '"embargoedUntil":null,"firstCreated":"2026-11-23T08:30:15Z",'
    '"headline":"آغاز سرمای زودرس در تهران","language":"fa","member":"irna",'
    '"uri":"urn:irna:item:2026-11-23-001","v":1,"version":2,"versionCreated":"2026-11-23T09:00:00Z"}'
).encode()
VECTOR_SIGNATURE = "ADWI89FRWDoUxbmbs6tIImc9gVD8mD_W9iCMQAGJCD3_aAjB0syqJ3V8INx9rly-7ePKAq2z9wXpVq_tM8txCg"
RECEIVED = datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC)


def seeded_pem(seed: bytes) -> bytes:
    return private_key_pem(Ed25519PrivateKey.from_private_bytes(seed))


def vector_canonical(**changes: Any) -> bytes:
    return canonical_form(**{**VECTOR_FIELDS, **changes})


def signed_over(public: PublicKey, signature: str, *, replays: bool = False, **changes: Any) -> int | None:
    """The version of the vector item (with `changes`) that a signature holds over, by the one check."""
    raw = decode_signature(signature)
    assert raw is not None, signature
    version = changes.pop("version", VECTOR_FIELDS["version"])

    def canonical_at(number: int) -> bytes:
        return vector_canonical(**{**changes, "version": number})

    return signed_version(public, raw, canonical_at, version, replays=replays)


def keys_document(*keys: tuple[str | None, PublicKey]) -> dict[str, Any]:
    """A published-keys document (/.well-known/tabadol-keys.json) for (member or None for the hub, key)."""
    entries = [
        {
            "key_id": public.key_id,
            "member": member,
            "public_key": encode_public_key(public),
            "revoked_at": None,
        }
        for member, public in keys
    ]
    return {"keys": entries}


def vector_document(
    signature: str = VECTOR_SIGNATURE,
    key_id: str = VECTOR_KEY_ID,
    vouched_for: str | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """The signed-item document of the vector item (with `changes`), as the hub serves it."""
    return {
        "type": DOCUMENT_TYPE,
        "canonical": json.loads(vector_canonical(**changes)),
        "signature": signature,
        "keyId": key_id,
        "signerKind": "member" if vouched_for is None else "hub",
        "signer": "irna" if vouched_for is None else "tabadol-hub",
        "signedByHubFor": vouched_for,
    }


@pytest.fixture(scope="module")
def irna() -> tuple[bytes, PublicKey]:
    return generate_key_pair()


@pytest.fixture(scope="module")
def azertac() -> tuple[bytes, PublicKey]:
    return generate_key_pair()


def code_block(language: str, index: int = 0) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    return blocks[index]


# -- test vectors ---------------------------------------------------------------------------------


def test_fixed_vector_key_canonical_bytes_and_signature() -> None:
    pem = seeded_pem(VECTOR_SEED)
    public = public_key_of(pem)
    assert encode_public_key(public) == VECTOR_PUBLIC
    assert public_key_id(public) == VECTOR_KEY_ID == public.key_id
    assert vector_canonical() == VECTOR_CANONICAL
    assert sign(pem, VECTOR_CANONICAL) == VECTOR_SIGNATURE  # Ed25519 is deterministic
    assert signed_over(public, VECTOR_SIGNATURE) == VECTOR_FIELDS["version"]
    keys = keys_document(("irna", public))
    assert check_signed_document(vector_document(), keys).status is VerifyStatus.VALID


def test_rfc8032_test_1_proves_pure_ed25519() -> None:
    # RFC 8032 section 7.1, TEST 1 (empty message): a pre-hashed variant would give another signature.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    expected = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25"
        "bf5f0595bbe24655141438e7a100b"
    )
    pem = seeded_pem(seed)
    assert public_key_of(pem).raw.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    signature = sign(pem, b"")
    assert decode_signature(signature) == expected


# -- canonical form -------------------------------------------------------------------------------


def test_canonical_form_is_sorted_compact_utf8_with_every_key() -> None:
    canonical = vector_canonical(embargoed_until=datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    text = canonical.decode("utf-8")
    document = json.loads(text)
    # Sorted keys, no whitespace between tokens, non-ASCII written as itself (not \u escapes).
    assert text == json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert '"headline":"آغاز' in text
    assert set(document) == {
        "v",
        "uri",
        "version",
        "member",
        "language",
        "headline",
        "body",
        "firstCreated",
        "versionCreated",
        "embargoedUntil",
    }
    assert '"embargoedUntil":"2026-11-24T06:00:00Z"' in text
    assert f'"v":{CANONICAL_FORM_VERSION}' in text


def test_nfc_and_nfd_input_give_the_same_bytes() -> None:
    nfd_headline = unicodedata.normalize("NFD", VECTOR_FIELDS["headline"])
    nfd_body = unicodedata.normalize("NFD", "Café in Bakı: İlham")
    assert nfd_headline != VECTOR_FIELDS["headline"]  # the test really feeds decomposed text
    assert vector_canonical(headline=nfd_headline) == VECTOR_CANONICAL
    assert vector_canonical(body=nfd_body) == vector_canonical(body=unicodedata.normalize("NFC", nfd_body))


def test_line_endings_and_trailing_whitespace_only_are_normalised() -> None:
    body = VECTOR_FIELDS["body"]
    assert vector_canonical(body=body.replace("\n", "\r\n") + " \t\r\n\n") == VECTOR_CANONICAL
    assert vector_canonical(body=body.replace("\n", "\r")) == VECTOR_CANONICAL
    # Leading and inner whitespace, other Unicode spaces and invisible characters are content.
    for changed in (" " + body, body.replace(". ", ".  "), body + "\u00a0", body.replace("12", "1\u200b2")):
        assert vector_canonical(body=changed) != VECTOR_CANONICAL


def test_one_changed_digit_changes_the_bytes() -> None:
    assert vector_canonical(body=VECTOR_FIELDS["body"].replace("12", "13")) != VECTOR_CANONICAL
    persian_digits = vector_canonical(headline="۱۲ درجه")
    assert vector_canonical(headline="۱۳ درجه") != persian_digits
    assert vector_canonical(headline="12 درجه") != persian_digits  # digit scripts are not folded


def test_times_are_utc_whole_seconds_with_z() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    same_instant = datetime(2026, 11, 23, 12, 0, 15, 999_999, tzinfo=tehran)
    assert vector_canonical(first_created=same_instant) == VECTOR_CANONICAL  # offset converted, truncated
    naive = datetime(2026, 11, 23, 8, 30, 15)
    assert vector_canonical(first_created=naive) == VECTOR_CANONICAL  # a naive time is UTC
    early = vector_canonical(first_created=datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)).decode()
    assert '"firstCreated":"0999-01-02T03:04:05Z"' in early
    assert '"firstCreated":null' in vector_canonical(first_created=None).decode()


def test_language_tags_are_put_in_canonical_case() -> None:
    assert '"language":"kk-Latn"' in vector_canonical(language="KK_latn").decode()
    assert '"language":"en-GB"' in vector_canonical(language="EN-gb").decode()
    assert '"language":null' in vector_canonical(language=None).decode()
    assert '"language":null' in vector_canonical(language="").decode()
    for not_a_tag in ("farsi language", "fa\n", "f"):
        with pytest.raises(TabadolError) as raised:
            vector_canonical(language=not_a_tag)
        assert raised.value.fields["param"] == "language"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 0),
        ("version", True),
        ("version", "2"),
        ("uri", ""),
        ("member", "  "),
        ("headline", None),
        ("body", "lone surrogate \ud800"),
        ("first_created", "2026-11-23T08:30:15Z"),
    ],
)
def test_invalid_fields_are_refused_with_a_tabadol_error(field: str, value: Any) -> None:
    with pytest.raises(TabadolError):
        vector_canonical(**{field: value})


def parsed_item(**changes: Any) -> ParsedItem:
    base = ParsedItem(
        guid="urn:irna:item:2026-11-23-001",
        headline=VECTOR_FIELDS["headline"],
        body_text=VECTOR_FIELDS["body"],
        source_format="ninjs",
        language="fa",
        first_created=VECTOR_FIELDS["first_created"],
        version_created=VECTOR_FIELDS["version_created"],
        body_html="<p>markup is not signed</p>",
        byline="not signed either",
    )
    return dataclasses.replace(base, **changes)


def test_canonical_form_for_a_parsed_item_matches_the_field_form() -> None:
    assert canonical_form_for_parsed(parsed_item(), "irna", 2) == VECTOR_CANONICAL
    # Fields outside the canonical form do not affect it.
    assert canonical_form_for_parsed(parsed_item(byline="other", urgency=1), "irna", 2) == VECTOR_CANONICAL


def test_a_guid_that_is_not_a_uri_is_wrapped_like_the_ninjs_uri() -> None:
    canonical = canonical_form_for_parsed(parsed_item(guid="2026 11/23"), "irna", 1).decode()
    assert '"uri":"urn:tabadol:irna:guid:2026%2011%2F23"' in canonical


def test_an_item_without_guid_needs_the_hub_uri() -> None:
    with pytest.raises(TabadolError):
        canonical_form_for_parsed(parsed_item(guid=None), "irna", 1)
    canonical = canonical_form_for_parsed(parsed_item(guid=None), "irna", 1, uri="urn:tabadol:irna:x")
    assert '"uri":"urn:tabadol:irna:x"' in canonical.decode()


def test_canonical_form_for_a_stored_item_uses_its_version_and_member() -> None:
    parsed = parsed_item()
    received = datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC)
    item = Item(
        id="it-1",
        member_code="irna",
        guid="urn:irna:item:2026-11-23-001",
        version=2,
        pub_status=PubStatus.USABLE,
        headline=parsed.headline,
        body_text=parsed.body_text,
        language="fa",
        first_created=received,  # the hub's values are not what the sender signed
        version_created=received,
        received_at=received,
        embargoed_until=None,
        original_sha256="0" * 64,
        content_sha256="1" * 64,
        parsed=parsed,
        seq=7,
    )
    assert canonical_form_for_item(item) == VECTOR_CANONICAL


# -- sign and check -------------------------------------------------------------------------------


def test_round_trip(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    signature = sign(pem, VECTOR_CANONICAL)
    assert len(signature) == 86
    assert signed_over(public, signature) == VECTOR_FIELDS["version"]
    result = check_signed_document(vector_document(signature, public.key_id), keys_document(("irna", public)))
    assert result.valid and result.key_id == public.key_id


def test_padded_signature_is_accepted(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    padded = sign(pem, VECTOR_CANONICAL) + "=="
    assert signed_over(public, padded) == VECTOR_FIELDS["version"]
    keys = keys_document(("irna", public))
    assert check_signed_document(vector_document(padded, public.key_id), keys).valid


def test_forged_signature_is_invalid(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    genuine = decode_signature(sign(pem, VECTOR_CANONICAL))
    assert genuine is not None
    flipped = bytes([genuine[0] ^ 0x01]) + genuine[1:]
    forged = base64.urlsafe_b64encode(flipped).rstrip(b"=").decode()
    assert signed_over(public, forged, replays=True) is None
    result = check_signed_document(vector_document(forged, public.key_id), keys_document(("irna", public)))
    assert result.status is VerifyStatus.INVALID_SIGNATURE and not result.valid


def test_signature_by_another_members_key_is_reported_as_wrong_key(
    irna: tuple[bytes, PublicKey], azertac: tuple[bytes, PublicKey]
) -> None:
    azertac_pem, azertac_public = azertac
    _, irna_public = irna
    signature = sign(azertac_pem, VECTOR_CANONICAL)
    keys = keys_document(("irna", irna_public), ("azertac", azertac_public))
    named = check_signed_document(vector_document(signature, azertac_public.key_id), keys)
    assert named.status is VerifyStatus.WRONG_KEY and named.key_id == azertac_public.key_id
    assert "a key of member 'azertac', not of 'irna'" in named.reason
    # Under IRNA's key it is simply not IRNA's signature.
    assert signed_over(irna_public, signature, replays=True) is None
    claimed = check_signed_document(vector_document(signature, irna_public.key_id), keys)
    assert claimed.status is VerifyStatus.INVALID_SIGNATURE
    # A keys document filing azertac's key under IRNA's key id: the key is not the one named.
    misfiled = keys_document(("irna", azertac_public))
    misfiled["keys"][0]["key_id"] = irna_public.key_id
    declared = check_signed_document(vector_document(signature, irna_public.key_id), misfiled)
    assert declared.status is VerifyStatus.WRONG_KEY and azertac_public.key_id in declared.reason


def test_body_changed_by_one_digit_fails(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    signature = sign(pem, VECTOR_CANONICAL)
    altered = VECTOR_FIELDS["body"].replace("12 °C", "13 °C")
    assert signed_over(public, signature, replays=True, body=altered) is None
    document = vector_document(signature, public.key_id, body=altered)
    result = check_signed_document(document, keys_document(("irna", public)))
    assert result.status is VerifyStatus.INVALID_SIGNATURE


def test_replayed_older_version_does_not_verify_the_new_one(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    signature_1 = sign(pem, vector_canonical(version=1))
    assert signed_over(public, signature_1, version=1) == 1
    assert signed_over(public, signature_1, version=2) is None
    # Looking back, it is found for what it is: version 1's signature, replayed.
    assert signed_over(public, signature_1, version=2, replays=True) == 1
    keys = keys_document(("irna", public))
    assert check_signed_document(vector_document(signature_1, public.key_id, version=1), keys).valid
    replayed = check_signed_document(vector_document(signature_1, public.key_id, version=2), keys)
    assert replayed.status is VerifyStatus.REPLAYED and "over version 1;" in replayed.reason


def test_replays_are_looked_for_a_bounded_number_of_versions_back(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    signature_1 = sign(pem, vector_canonical(version=1))
    assert signed_over(public, signature_1, version=1 + REPLAY_LOOKBACK, replays=True) == 1
    assert signed_over(public, signature_1, version=2 + REPLAY_LOOKBACK, replays=True) is None


def test_text_moved_to_another_member_does_not_verify(irna: tuple[bytes, PublicKey]) -> None:
    pem, public = irna
    signature = sign(pem, VECTOR_CANONICAL)
    assert signed_over(public, signature, replays=True, member="azertac") is None
    moved = vector_document(signature, public.key_id, member="azertac")
    assert not check_signed_document(moved, keys_document(("irna", public))).valid


MALFORMED_SIGNATURES = [
    "",
    "not base64 at all!",
    VECTOR_SIGNATURE[:-4],  # too short
    VECTOR_SIGNATURE + "AAAA",  # too long
    VECTOR_SIGNATURE + "=",  # wrong padding
    VECTOR_SIGNATURE + "===",
    VECTOR_SIGNATURE[:-1] + "h",  # same bytes, non-canonical last character
    VECTOR_SIGNATURE.replace("-", "+"),  # standard base64, not base64url
    VECTOR_SIGNATURE + "\n",
]


@pytest.mark.parametrize("signature", [*MALFORMED_SIGNATURES, b"bytes are not a signature", None])
def test_malformed_signatures_never_raise(signature: Any) -> None:
    assert decode_signature(signature) is None


@pytest.mark.parametrize("signature", MALFORMED_SIGNATURES)
def test_a_document_with_a_malformed_signature_is_malformed(signature: str) -> None:
    public = decode_public_key(VECTOR_PUBLIC)
    result = check_signed_document(vector_document(signature), keys_document(("irna", public)))
    assert result.status is VerifyStatus.MALFORMED and result.key_id == VECTOR_KEY_ID


def test_a_published_key_that_is_not_one_is_refused() -> None:
    keys = {"keys": [{"key_id": VECTOR_KEY_ID, "member": "irna", "public_key": VECTOR_PUBLIC[:-1]}]}
    with pytest.raises(TabadolError) as raised:
        check_signed_document(vector_document(), keys)
    assert raised.value.fields["param"] == "public_key"


# -- keys -----------------------------------------------------------------------------------------


def test_generated_key_pairs_are_distinct_and_consistent() -> None:
    pem_a, public_a = generate_key_pair()
    pem_b, public_b = generate_key_pair()
    assert pem_a.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_a != public_b and public_a.key_id != public_b.key_id
    assert public_key_of(pem_a) == public_a
    assert re.fullmatch(r"ed25519:[0-9a-f]{16}", public_a.key_id)


def test_public_key_encodings_round_trip() -> None:
    public = decode_public_key(VECTOR_PUBLIC)
    assert encode_public_key(public) == VECTOR_PUBLIC
    assert decode_public_key(VECTOR_PUBLIC + "=") == public
    pem = public_key_to_pem(public)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public_key_from_pem(pem) == public


@pytest.mark.parametrize("text", ["", "AAAA", VECTOR_PUBLIC[:-1], VECTOR_PUBLIC + "AA", "é" * 43])
def test_bad_raw_public_keys_are_refused(text: str) -> None:
    with pytest.raises(TabadolError) as raised:
        decode_public_key(text)
    assert raised.value.fields["param"] == "public_key"


def test_public_key_must_be_32_bytes() -> None:
    with pytest.raises(TabadolError):
        PublicKey(b"\x00" * 31)


def test_non_ed25519_public_pem_is_refused() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(TabadolError, match="key of type EC, not Ed25519"):
        public_key_from_pem(ec_pem)
    with pytest.raises(TabadolError, match="not a PEM public key"):
        public_key_from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_read_private_key_accepts_an_ed25519_pem(tmp_path: Path) -> None:
    path = tmp_path / "irna.key"
    path.write_bytes(seeded_pem(VECTOR_SEED))
    assert public_key_of(read_private_key(path)).key_id == VECTOR_KEY_ID


def test_read_private_key_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TabadolError, match="cannot read"):
        read_private_key(tmp_path / "missing.key")


def test_read_private_key_reports_an_encrypted_key(tmp_path: Path) -> None:
    path = tmp_path / "encrypted.key"
    path.write_bytes(
        Ed25519PrivateKey.from_private_bytes(VECTOR_SEED).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(TabadolError, match="is encrypted"):
        read_private_key(path)


def test_read_private_key_reports_another_key_type(tmp_path: Path) -> None:
    path = tmp_path / "ec.key"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(TabadolError, match="key of type EC, not Ed25519"):
        read_private_key(path)


def test_read_private_key_reports_a_file_that_is_not_pem(tmp_path: Path) -> None:
    path = tmp_path / "public.pem"
    path.write_bytes(public_key_to_pem(decode_public_key(VECTOR_PUBLIC)))
    with pytest.raises(TabadolError, match="not a PEM private key"):
        read_private_key(path)


def test_signing_with_a_broken_key_is_a_tabadol_error() -> None:
    with pytest.raises(TabadolError):
        sign(b"garbage", VECTOR_CANONICAL)


# -- provenance record ----------------------------------------------------------------------------


def hub_stamp(hub_pem: bytes, delivered_by: str = "irna") -> Provenance:
    """What the hub records for the vector item (version 2) arriving unsigned from `delivered_by`."""
    stamped = ItemStamper(hub_pem, "tabadol-hub").provenance(
        delivered_by, VECTOR_FIELDS["uri"], 2, parsed_item(), None, [], RECEIVED
    )
    assert stamped is not None
    return stamped.provenance


def test_hub_signs_for_the_member_that_delivered_the_item(irna: tuple[bytes, PublicKey]) -> None:
    hub_pem, hub_public = irna  # any key pair serves as the hub's here
    record = hub_stamp(hub_pem)
    assert record.signer_kind is SignerKind.HUB and record.signed_by_hub_for == "irna"
    assert record.verified is VerifyStatus.VALID and record.key_id == hub_public.key_id
    keys = keys_document((None, hub_public))
    document = vector_document(record.signature, record.key_id, vouched_for="irna")
    assert check_signed_document(document, keys).valid
    altered = vector_document(record.signature, record.key_id, vouched_for="irna", body="altered")
    assert check_signed_document(altered, keys).status is VerifyStatus.INVALID_SIGNATURE


def test_hub_refuses_to_vouch_for_a_member_the_text_does_not_name(irna: tuple[bytes, PublicKey]) -> None:
    hub_pem, hub_public = irna
    # The hub signs the text in the name of the member that delivered it, never another's.
    record = hub_stamp(hub_pem, delivered_by="azertac")
    assert record.signed_by_hub_for == "azertac"
    assert signed_over(hub_public, record.signature, member="azertac") == 2
    assert signed_over(hub_public, record.signature) is None
    # A document claiming the hub vouched for another member than the text names is not believed.
    irna_record = hub_stamp(hub_pem)
    document = vector_document(irna_record.signature, irna_record.key_id, vouched_for="azertac")
    result = check_signed_document(document, keys_document((None, hub_public)))
    assert result.status is VerifyStatus.WRONG_KEY and "vouches for 'azertac', not 'irna'" in result.reason


def test_provenance_json_round_trip(irna: tuple[bytes, PublicKey]) -> None:
    hub_pem, _ = irna
    record = hub_stamp(hub_pem)
    data = provenance_to_json(record)
    assert data["signerKind"] == "hub" and data["signedByHubFor"] == "irna" and data["verified"] == "valid"
    assert provenance_from_json(data) == record


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"signerKind": "robot"},
        {"signerKind": "hub", "signedByHubFor": None},
        {"signerKind": "member", "signedByHubFor": "irna"},
        {"signedByHubFor": 7},
        {"canonicalVersion": 2},
        {"keyId": "rsa:1234"},
        {"verified": "probably"},
    ],
)
def test_inconsistent_provenance_records_are_refused(broken: dict[str, Any]) -> None:
    valid = {
        "signerKind": "hub",
        "signer": "tabadol-hub",
        "keyId": VECTOR_KEY_ID,
        "signature": VECTOR_SIGNATURE,
        "canonicalVersion": 1,
        "verified": "valid",
        "signedByHubFor": "irna",
    }
    assert provenance_from_json(valid).signer == "tabadol-hub"  # the baseline is accepted
    data = {} if not broken else {**valid, **broken}
    with pytest.raises(TabadolError):
        provenance_from_json(data)


def test_provenance_invariants_hold_on_direct_construction() -> None:
    with pytest.raises(TabadolError):
        Provenance(SignerKind.HUB, "tabadol-hub", VECTOR_KEY_ID, VECTOR_SIGNATURE, 1, VerifyStatus.VALID)


# -- the documented recipes -----------------------------------------------------------------------


def test_documented_example_is_the_test_vector() -> None:
    assert code_block("json").strip().encode("utf-8") == VECTOR_CANONICAL
    text = DOCS.read_text(encoding="utf-8")
    assert VECTOR_SIGNATURE in text and VECTOR_PUBLIC in text and VECTOR_KEY_ID in text


def test_documented_python_recipe_verifies_and_rejects() -> None:
    recipe: dict[str, Any] = {}
    exec(compile(code_block("python"), str(DOCS), "exec"), recipe)
    item = {
        "uri": VECTOR_FIELDS["uri"],
        "version": 2,
        "member": "irna",
        "language": "fa",
        "headline": unicodedata.normalize("NFD", VECTOR_FIELDS["headline"]),
        "body": VECTOR_FIELDS["body"].replace("\n", "\r\n") + "\n",
        "firstCreated": "2026-11-23T08:30:15Z",
        "versionCreated": "2026-11-23T09:00:00Z",
        "embargoedUntil": None,
    }
    assert recipe["canonical"](item) == VECTOR_CANONICAL
    assert recipe["verify"](VECTOR_PUBLIC, item, VECTOR_SIGNATURE) is True
    assert recipe["verify"](VECTOR_PUBLIC, {**item, "version": 1}, VECTOR_SIGNATURE) is False


@pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("basenc") is None, reason="needs openssl and basenc"
)
def test_documented_openssl_recipe_verifies_and_rejects(tmp_path: Path) -> None:
    script = code_block("sh")
    script = re.sub(r"^PUB=.*$", f"PUB={VECTOR_PUBLIC}", script, flags=re.M)
    script = re.sub(r"^SIG=.*$", f"SIG={VECTOR_SIGNATURE}", script, flags=re.M)
    (tmp_path / "canonical.json").write_bytes(VECTOR_CANONICAL)
    good = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert good.returncode == 0 and "Verified Successfully" in good.stdout, good.stderr
    (tmp_path / "canonical.json").write_bytes(vector_canonical(version=3))
    bad = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0 and "Verification Failure" in bad.stdout
