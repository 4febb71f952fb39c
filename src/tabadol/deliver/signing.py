"""Webhook signatures: how a member's endpoint proves a delivery came from the hub, unaltered and fresh.

The construction follows Stripe and Standard Webhooks, so receivers can reuse what they know:

    signed_bytes = ASCII(timestamp) + b"." + body
    signature    = lowercase hex( HMAC-SHA256(key = UTF-8 bytes of the secret, signed_bytes) )

    X-Tabadol-Timestamp: <timestamp>                 Unix seconds, decimal ASCII digits
    X-Tabadol-Signature: v1=<signature>[ v1=<signature> ...]

- The timestamp is inside the MAC, so an attacker cannot replay an old body under a fresh timestamp;
  the receiver refuses timestamps further than `tolerance` seconds (default 300) from its own clock,
  in either direction (clocks drift both ways). Within that window a replay is still possible, so
  receivers deduplicate on the idempotency key (item uri + version), which they can recompute from
  the signed body: the `X-Tabadol-Idempotency-Key` header itself is a convenience, not signed.
- The secret is used exactly as shown to the member (the whole string, prefix included, as UTF-8),
  never base64-decoded: one less way for a receiver to get it wrong.
- Several signatures in one header, separated by spaces, let the hub sign with a new and an old
  secret while a member rotates; a receiver accepts the delivery when any `v1` signature matches.
  Entries of other schemes (`v2=...`) are ignored, so a later scheme can be added alongside.
- Signatures are compared in constant time (`hmac.compare_digest`).

The full recipe for receivers, with Python and openssl examples, is in docs/webhooks.md.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tabadol.errors import ErrorCode, TabadolError

TIMESTAMP_HEADER = "X-Tabadol-Timestamp"
SIGNATURE_HEADER = "X-Tabadol-Signature"
IDEMPOTENCY_HEADER = "X-Tabadol-Idempotency-Key"
SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
# Recognisable in leaked logs and distinct from API keys (`tbd_`); a prefix, not a secret.
SECRET_PREFIX = "tbdwh_"  # noqa: S105
SECRET_BYTES = 32
# Bounds on what a receiver is willing to parse: a header is attacker-controlled input.
MAX_SIGNATURES = 16
_TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,15}")
_HEX_SIGNATURE_PATTERN = re.compile(r"[0-9a-fA-F]{64}")

Secret = bytes | str


class SignatureFailure(enum.StrEnum):
    """Why a delivery was refused; stable values a receiver can log or count."""

    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    TIMESTAMP_OUTSIDE_WINDOW = "timestamp_outside_window"
    SIGNATURE_MISMATCH = "signature_mismatch"


class SignatureError(TabadolError):
    """A webhook delivery that fails verification. `reason` says which check failed, `detail` how."""

    def __init__(self, reason: SignatureFailure, detail: str) -> None:
        # A dedicated error code for webhook signatures is pending in errors.py; until then the
        # closest existing one carries the message (the request is refused, nothing is applied).
        super().__init__(ErrorCode.WEBHOOK_SIGNATURE_INVALID, reason=reason.value, detail=detail)
        self.reason = reason
        self.detail = detail


def sign(
    secret: Secret, body: bytes, timestamp: int, *, previous_secrets: Sequence[Secret] = ()
) -> dict[str, str]:
    """The signature headers for one delivery of `body` at `timestamp` (Unix seconds).

    `previous_secrets` are secrets being rotated out: the header then carries one signature per
    secret, the current one first, so receivers still holding an old secret keep accepting.
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError(f"timestamp must be a non-negative integer of Unix seconds, not {timestamp!r}")
    stamp = str(timestamp)
    signatures = [_signature(key, stamp, body) for key in (secret, *previous_secrets)]
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: " ".join(f"{SIGNATURE_SCHEME}={value}" for value in signatures),
    }


def verify(
    secret: Secret,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime | int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Return if `body` was signed with `secret` within `tolerance` seconds of `now`; else raise.

    Header names are matched case-insensitively (HTTP semantics). The signature is checked before
    the window so that a stale timestamp is reported only for an authentic delivery: an unsigned
    request is a mismatch, not a replay.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 seconds, not {tolerance}")
    stamp = _timestamp_header(headers)
    candidates = _v1_signatures(_header(headers, SIGNATURE_HEADER))
    expected = _signature(secret, stamp, body)
    # Check every candidate (no early exit) so timing does not reveal which entry matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError(
            SignatureFailure.SIGNATURE_MISMATCH, "no v1 signature matches this body and secret"
        )
    skew = _unix_seconds(now) - int(stamp)
    if abs(skew) > tolerance:
        direction = "old" if skew > 0 else "in the future"
        raise SignatureError(
            SignatureFailure.TIMESTAMP_OUTSIDE_WINDOW,
            f"the timestamp is {abs(skew)} s {direction}; the window is {tolerance} s",
        )


def idempotency_key(uri: str, version: int) -> str:
    """A fixed-length, header-safe key for one version of one item: SHA-256 of "<uri>\\n<version>".

    Hashing keeps the key ASCII and short whatever the uri holds (IRIs, long URNs). The version is
    an integer written last, so distinct (uri, version) pairs never share the hashed text.
    """
    if not uri:
        raise ValueError("uri must not be empty")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, not {version!r}")
    return hashlib.sha256(f"{uri}\n{version}".encode()).hexdigest()


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe base64, behind a recognisable prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def _signature(secret: Secret, stamp: str, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        # An empty key still yields a MAC, but one anybody can compute.
        raise TabadolError(ErrorCode.CONFIG_INVALID, setting="webhook secret", reason="it is empty")
    return hmac.new(key, stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    values = {value for key, value in headers.items() if key.lower() == wanted}
    if not values:
        raise SignatureError(SignatureFailure.MISSING_HEADER, f"no {name} header")
    if len(values) > 1:
        raise SignatureError(SignatureFailure.MALFORMED_HEADER, f"{name} is given twice, differently")
    return values.pop().strip()


def _timestamp_header(headers: Mapping[str, str]) -> str:
    stamp = _header(headers, TIMESTAMP_HEADER)
    if not _TIMESTAMP_PATTERN.fullmatch(stamp):
        raise SignatureError(
            SignatureFailure.MALFORMED_HEADER, f"{TIMESTAMP_HEADER} is not Unix seconds: {stamp[:40]!r}"
        )
    return stamp


def _v1_signatures(value: str) -> list[str]:
    entries = value.replace(",", " ").split()
    if not entries:
        raise SignatureError(SignatureFailure.MALFORMED_HEADER, f"{SIGNATURE_HEADER} is empty")
    if len(entries) > MAX_SIGNATURES:
        raise SignatureError(
            SignatureFailure.MALFORMED_HEADER,
            f"{SIGNATURE_HEADER} holds {len(entries)} entries; at most {MAX_SIGNATURES} are read",
        )
    found: list[str] = []
    for entry in entries:
        scheme, separator, signature = entry.partition("=")
        if not separator or not scheme:
            raise SignatureError(
                SignatureFailure.MALFORMED_HEADER, f"{entry[:40]!r} is not of the form scheme=signature"
            )
        if scheme != SIGNATURE_SCHEME:
            continue  # a scheme this receiver does not know: the sender may have added a newer one
        if not _HEX_SIGNATURE_PATTERN.fullmatch(signature):
            raise SignatureError(
                SignatureFailure.MALFORMED_HEADER, "a v1 signature must be 64 hexadecimal digits"
            )
        found.append(signature.lower())
    if not found:
        raise SignatureError(SignatureFailure.MALFORMED_HEADER, f"{SIGNATURE_HEADER} holds no v1 signature")
    return found


def _unix_seconds(now: datetime | int) -> int:
    if isinstance(now, datetime):
        # A naive datetime is taken as UTC (the hub's convention), not as the host's local time.
        return int(now.timestamp() if now.tzinfo else now.replace(tzinfo=UTC).timestamp())
    return int(now)
