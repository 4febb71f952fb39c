"""Webhook signatures: the documented construction, the replay window, rotation and every refusal."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tabadol.deliver.signing import (
    IDEMPOTENCY_HEADER,
    SECRET_PREFIX,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    SignatureFailure,
    idempotency_key,
    new_secret,
    sign,
    verify,
)
from tabadol.errors import ErrorCode, TabadolError

SECRET = "tbdwh_test-secret-do-not-use"
BODY = '{"uri":"urn:newsml:irna.ir:20260301:1001","version":"2","headlines":[{"value":"تهران"}]}'.encode()
STAMP = 1_772_357_400  # 2026-03-01T09:30:00Z
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def expect_failure(reason: SignatureFailure, **kwargs: object) -> SignatureError:
    arguments: dict[str, object] = {"secret": SECRET, "body": BODY, "now": NOW, **kwargs}
    with pytest.raises(SignatureError) as caught:
        verify(**arguments)  # type: ignore[arg-type]
    assert caught.value.reason is reason
    return caught.value


# --- the construction -------------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{STAMP}.".encode() + BODY, hashlib.sha256).hexdigest()
    headers = sign(SECRET, BODY, STAMP)
    assert headers == {TIMESTAMP_HEADER: str(STAMP), SIGNATURE_HEADER: f"v1={expected}"}


def test_fixed_vector() -> None:
    # Computed once with `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret`
    # and re-derived here with hmac, so a change in the construction cannot pass unnoticed.
    body = b'{"a":1}'
    vector = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
    independent = hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    headers = sign(b"secret", body, 1_700_000_000)
    assert headers[SIGNATURE_HEADER] == f"v1={independent}"
    assert headers[SIGNATURE_HEADER] == f"v1={vector}"


def test_bytes_and_str_secrets_are_the_same_key() -> None:
    assert sign(SECRET, BODY, STAMP) == sign(SECRET.encode("utf-8"), BODY, STAMP)


def test_empty_secret_is_refused_on_both_sides() -> None:
    with pytest.raises(TabadolError) as caught:
        sign("", BODY, STAMP)
    assert caught.value.code is ErrorCode.CONFIG_INVALID
    headers = sign(SECRET, BODY, STAMP)
    with pytest.raises(TabadolError):
        verify(b"", BODY, headers, NOW)


@pytest.mark.parametrize("stamp", [-1, True, 1.5])
def test_sign_refuses_timestamps_that_are_not_unix_seconds(stamp: object) -> None:
    with pytest.raises(ValueError):
        sign(SECRET, BODY, stamp)  # type: ignore[arg-type]


# --- accepting ----------------------------------------------------------------------------------


def test_round_trip_verifies() -> None:
    verify(SECRET, BODY, sign(SECRET, BODY, STAMP), NOW)


def test_header_names_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in sign(SECRET, BODY, STAMP).items()}
    verify(SECRET, BODY, headers, NOW)


def test_uppercase_hex_and_surrounding_space_are_accepted() -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[SIGNATURE_HEADER] = "  " + headers[SIGNATURE_HEADER].upper().replace("V1=", "v1=") + " "
    verify(SECRET, BODY, headers, NOW)


def test_now_may_be_unix_seconds_or_an_aware_datetime_in_any_zone() -> None:
    headers = sign(SECRET, BODY, STAMP)
    verify(SECRET, BODY, headers, STAMP)
    verify(SECRET, BODY, headers, NOW.astimezone(timezone(timedelta(hours=3, minutes=30))))


def test_window_edges_are_inclusive_in_both_directions() -> None:
    headers = sign(SECRET, BODY, STAMP)
    verify(SECRET, BODY, headers, STAMP + 300)
    verify(SECRET, BODY, headers, STAMP - 300)
    verify(SECRET, BODY, headers, STAMP + 30, tolerance=30)


def test_rotation_signs_with_every_secret_and_either_verifies() -> None:
    old = "tbdwh_old-secret"
    headers = sign(SECRET, BODY, STAMP, previous_secrets=[old])
    entries = headers[SIGNATURE_HEADER].split(" ")
    assert len(entries) == 2 and all(entry.startswith("v1=") for entry in entries)
    verify(SECRET, BODY, headers, NOW)
    verify(old, BODY, headers, NOW)
    expect_failure(SignatureFailure.SIGNATURE_MISMATCH, secret="tbdwh_other", headers=headers)


def test_receiver_reads_a_header_with_several_signatures_in_any_order() -> None:
    mine = sign(SECRET, BODY, STAMP)[SIGNATURE_HEADER]
    foreign = sign("tbdwh_foreign", BODY, STAMP)[SIGNATURE_HEADER]
    headers = {TIMESTAMP_HEADER: str(STAMP), SIGNATURE_HEADER: f"{foreign} {mine}"}
    verify(SECRET, BODY, headers, NOW)


def test_unknown_schemes_are_ignored_next_to_a_valid_v1() -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[SIGNATURE_HEADER] = "v2=somethingnew " + headers[SIGNATURE_HEADER]
    verify(SECRET, BODY, headers, NOW)


# --- refusing -----------------------------------------------------------------------------------


def test_tampered_body_is_a_mismatch() -> None:
    headers = sign(SECRET, BODY, STAMP)
    error = expect_failure(SignatureFailure.SIGNATURE_MISMATCH, body=BODY + b" ", headers=headers)
    assert "signature_mismatch" in str(error)


def test_wrong_secret_is_a_mismatch() -> None:
    expect_failure(SignatureFailure.SIGNATURE_MISMATCH, secret="tbdwh_x", headers=sign(SECRET, BODY, STAMP))


def test_moving_the_timestamp_breaks_the_signature() -> None:
    # Replaying an old body under a fresh timestamp: the timestamp is inside the MAC.
    headers = sign(SECRET, BODY, STAMP - 3600)
    headers[TIMESTAMP_HEADER] = str(STAMP)
    expect_failure(SignatureFailure.SIGNATURE_MISMATCH, headers=headers)


def test_leading_zero_in_the_timestamp_is_part_of_what_is_signed() -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[TIMESTAMP_HEADER] = "0" + headers[TIMESTAMP_HEADER]
    expect_failure(SignatureFailure.SIGNATURE_MISMATCH, headers=headers)


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_timestamp_outside_the_window_is_a_replay(offset: int) -> None:
    headers = sign(SECRET, BODY, STAMP)
    error = expect_failure(SignatureFailure.TIMESTAMP_OUTSIDE_WINDOW, headers=headers, now=STAMP + offset)
    assert f"{abs(offset)} s" in error.detail


def test_custom_tolerance_narrows_the_window() -> None:
    headers = sign(SECRET, BODY, STAMP)
    expect_failure(SignatureFailure.TIMESTAMP_OUTSIDE_WINDOW, headers=headers, now=STAMP + 31, tolerance=30)


def test_negative_tolerance_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verify(SECRET, BODY, sign(SECRET, BODY, STAMP), NOW, tolerance=-1)


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_missing_headers(missing: str) -> None:
    headers = sign(SECRET, BODY, STAMP)
    del headers[missing]
    error = expect_failure(SignatureFailure.MISSING_HEADER, headers=headers)
    assert missing in error.detail


@pytest.mark.parametrize("stamp", ["", "abc", "-1700000000", "1700000000.5", "1" * 16, "١٧٠٠٠٠٠٠٠٠"])
def test_malformed_timestamps(stamp: str) -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[TIMESTAMP_HEADER] = stamp
    expect_failure(SignatureFailure.MALFORMED_HEADER, headers=headers)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "v1", "=abc", "v1=", "v1=xyz", "v1=" + "a" * 63, "v1=" + "g" * 64, "v2=" + "a" * 64],
)
def test_malformed_signature_headers(value: str) -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[SIGNATURE_HEADER] = value
    expect_failure(SignatureFailure.MALFORMED_HEADER, headers=headers)


def test_too_many_signatures_are_not_read() -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[SIGNATURE_HEADER] = " ".join(["v1=" + "a" * 64] * 16 + [headers[SIGNATURE_HEADER]])
    expect_failure(SignatureFailure.MALFORMED_HEADER, headers=headers)


def test_conflicting_duplicate_headers_are_malformed() -> None:
    headers = sign(SECRET, BODY, STAMP)
    headers[TIMESTAMP_HEADER.lower()] = str(STAMP + 1)
    expect_failure(SignatureFailure.MALFORMED_HEADER, headers=headers)


def test_signature_error_is_a_tabadol_error_with_a_reason() -> None:
    error = expect_failure(SignatureFailure.SIGNATURE_MISMATCH, headers=sign("tbdwh_x", BODY, STAMP))
    assert isinstance(error, TabadolError)
    body = error.to_json()["error"]
    assert body["code"] == "webhook_signature_invalid" and error.http_status == 401
    assert body["detail"]["reason"] == "signature_mismatch"


# --- idempotency keys and secrets ---------------------------------------------------------------


def test_idempotency_key_is_sha256_of_uri_newline_version() -> None:
    uri = "urn:newsml:irna.ir:20260301:1001"
    assert idempotency_key(uri, 2) == hashlib.sha256(f"{uri}\n2".encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", idempotency_key("https://خبر.example/۱", 1))
    assert IDEMPOTENCY_HEADER.startswith("X-Tabadol-")


def test_idempotency_key_is_stable_and_distinguishes_uri_and_version() -> None:
    keys = {
        idempotency_key("urn:a", 1),
        idempotency_key("urn:a", 2),
        idempotency_key("urn:a\n1", 1),
        idempotency_key("urn:a1", 1),
        idempotency_key("urn:b", 1),
    }
    assert len(keys) == 5
    assert idempotency_key("urn:a", 1) == idempotency_key("urn:a", 1)


@pytest.mark.parametrize(("uri", "version"), [("", 1), ("urn:a", 0), ("urn:a", -3), ("urn:a", True)])
def test_idempotency_key_refuses_meaningless_input(uri: str, version: int) -> None:
    with pytest.raises(ValueError):
        idempotency_key(uri, version)


def test_new_secret_is_32_random_url_safe_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith(SECRET_PREFIX)
    token = first.removeprefix(SECRET_PREFIX)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes in unpadded URL-safe base64
    verify(first, BODY, sign(first, BODY, STAMP), NOW)


def test_a_naive_now_is_taken_as_utc() -> None:
    headers = sign(SECRET, BODY, STAMP)
    verify(SECRET, BODY, headers, NOW.replace(tzinfo=None))
    expect_failure(
        SignatureFailure.TIMESTAMP_OUTSIDE_WINDOW,
        headers=headers,
        now=(NOW + timedelta(hours=1)).replace(tzinfo=None),
    )
