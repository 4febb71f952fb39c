"""Portable, backend-neutral backups: gzip JSON Lines that any tabadol store can be restored from.

This is also how an operator moves a hub from SQLite to PostgreSQL: back up one, restore into the
other. The file reads:

    {"type": "header", "format": "tabadol-backup", "format_version": 1, "counts": {...}, ...}
    {"type": "member", ...}      every member
    {"type": "signing_key", ...} every published Ed25519 public key, the hub's and members', revoked
                                 ones too with their revoked_at (absent from older releases' backups)
    {"type": "api_key", ...}     every key, with the hash of its secret (never a secret)
    {"type": "feed", ...}        every polled feed and its polling state
    {"type": "subscription", ...} every live subscription (absent from backups of older releases)
    {"type": "original", ...}    every verbatim original, base64, with its SHA-256
    {"type": "version", ...}     every version of every item, in seq order
    {"type": "provenance", ...}  who signed each version, as recorded on receipt, in (item_id, version)
                                 order (absent from older releases' backups)
    {"type": "fact_check", ...}  every fact check (ClaimReview) as stored, with its claim's vector
                                 (base64 of little-endian float32) and the model that made it, in id
                                 order (absent from older releases' backups)
    {"type": "fact_check_match", ...} every match of an item with a fact check, with its score and
                                 parts, in (item_id, review_id) order (absent from older releases')
    {"type": "take", ...}        the usage ledger: every take (absent from older releases' backups)
    {"type": "audit", ...}       the audit log, oldest first
    {"type": "end", "counts": {...}}

Restoring reads the file twice: first it checks everything (each original against its SHA-256,
every record's shape, the counts against the header, the end line against truncation) and only
then writes, so a damaged backup is refused with BACKUP_INVALID and leaves the store untouched.
Every write is idempotent, so a restore interrupted half-way can simply be run again (`--force`).

Provenance is restored exactly as recorded (signature, key id, finding, time), so every restored
version's signed-item document verifies offline with the restored keys as it did before. A
provenance record must name a version in the backup and a key the backup publishes. The hub's
private signing key (`hub-signing-key.pem` in the data directory) is a secret and is never in a
backup: copy it separately if the restored hub is to keep signing with the same key; otherwise
it makes a new one, and the old hub key stays published so old signatures still verify.

Fact checks are restored exactly as stored (record, times, vector and model), so a hub running the
same embedding model matches texts against them at once, without embedding a claim again; a hub
running another model does not compare its vectors with them until they are imported again. A fact
check must belong to a member in the backup, its id must be the one its URL gives, and its record
must read back as a ClaimReview; a match must name a version and a fact check the backup holds.
Restored items are enriched again, which recomputes their matches with the hub's current reviews.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

import tabadol
from tabadol.deliver.subscriptions import filter_from_json, filter_json
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime, parse_datetime, parsed_item_from_json, to_jsonable
from tabadol.storage.base import Storage
from tabadol.storage.claims import StoredClaimMatch, StoredClaimReview
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import (
    ApiKey,
    AuditEntry,
    FeedSource,
    ItemVersion,
    MemberInfo,
    Original,
    Role,
    SigningKey,
    Subscription,
    Take,
    utc_now,
)
from tabadol.verify.factchecks import fact_check_of, review_id_for_url
from tabadol.verify.provenance import (
    Provenance,
    RecordedProvenance,
    SignerKind,
    VerifyStatus,
    decode_public_key,
    public_key_id,
)

FORMAT_NAME = "tabadol-backup"
FORMAT_VERSION = 1
RECORD_TYPES = (
    "member",
    "signing_key",
    "api_key",
    "feed",
    "subscription",
    "original",
    "version",
    "provenance",
    "fact_check",
    "fact_check_match",
    "take",
    "audit",
)
_AUDIT_PAGE = 1000
_COPY_CHUNK = 1 << 20
_RESTORE_CHUNK = 500  # versions (signing keys, provenance, fact checks, matches) per transaction


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    counts: dict[str, int]


@dataclass
class RestoreSummary:
    counts: dict[str, int]
    skipped: Counter[str] = field(default_factory=Counter)  # already present (idempotent re-run)


# -- writing ------------------------------------------------------------------------------------
def write_backup(hub: Hub, path: Path) -> BackupSummary:
    """Write the backup atomically: readers never see a half-written file under `path`."""
    counts: Counter[str] = Counter()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as body:
        for record in backup_records(hub.storage):
            counts[record["type"]] += 1
            body.write(_dump(record))
        body.seek(0)
        full_counts = {name: counts[name] for name in RECORD_TYPES}
        _write_gzip_atomically(path, _header(hub.storage, full_counts), body, full_counts)
    hub.audit(OPERATOR, "backup.write", str(path), {"counts": full_counts})
    return BackupSummary(path=path, counts=full_counts)


def backup_records(storage: Storage) -> Iterator[dict[str, Any]]:
    members: set[str] = set()
    for member in storage.list_members():
        members.add(member.code)
        yield {"type": "member", **to_jsonable(member)}
    published: set[str] = set()
    for signing_key in storage.list_signing_keys():  # revoked ones too: old signatures need them
        published.add(signing_key.key_id)
        yield {"type": "signing_key", **to_jsonable(signing_key)}
    for key in storage.list_api_keys():
        found = storage.get_api_key(key.key_id)
        if found is not None:
            yield {"type": "api_key", "key": to_jsonable(found[0]), "secret_hash": found[1]}
    for feed in storage.list_feeds():
        yield {"type": "feed", **to_jsonable(feed)}
    for subscription in storage.list_subscriptions():
        yield _subscription_record(subscription)
    backed_up: set[tuple[str, int]] = set()
    yield from _original_and_version_records(storage, backed_up)
    for recorded in storage.iter_provenance():
        # A version pushed while the backup ran (or signed with a key published meanwhile) is not
        # in it, and neither is its provenance: a record naming a version or key absent from the
        # backup would make the whole file unrestorable.
        if (recorded.item_id, recorded.version) in backed_up and recorded.provenance.key_id in published:
            yield _provenance_record(recorded)
    yield from _fact_check_records(storage, members, backed_up)
    for take in reversed(storage.list_takes(None, limit=10**9)):
        yield {"type": "take", **to_jsonable(take)}
    for entry in _audit_oldest_first(storage):
        yield {"type": "audit", **to_jsonable(entry)}


def _original_and_version_records(
    storage: Storage, backed_up: set[tuple[str, int]]
) -> Iterator[dict[str, Any]]:
    """Originals first (versions refer to them), each with the time it first arrived; adds each
    version written to `backed_up` as (item id, version)."""
    first_seen: dict[str, datetime] = {}
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as versions:
        for member_code, guid, version in storage.iter_versions():
            backed_up.add((version.item_id, version.version))
            seen = first_seen.get(version.original_sha256)
            if seen is None or version.received_at < seen:
                first_seen[version.original_sha256] = version.received_at
            versions.write(_dump(_version_record(member_code, guid, version)))
        fallback = utc_now()
        for original in storage.iter_originals():
            yield _original_record(original, first_seen.get(original.sha256, fallback))
        versions.seek(0)
        for line in versions:
            yield json.loads(line)


def _fact_check_records(
    storage: Storage, members: set[str], backed_up: set[tuple[str, int]]
) -> Iterator[dict[str, Any]]:
    """Fact checks, then their matches with items. As for provenance, what arrived while the backup
    ran is left out when it refers to something the backup does not hold (a review of a member added
    meanwhile, a match with a version pushed or a review imported meanwhile)."""
    reviews: set[str] = set()
    for review in storage.iter_claim_reviews():
        if review.member_code in members:
            reviews.add(review.id)
            yield _fact_check_record(review)
    for match in storage.iter_claim_matches():
        if match.review_id in reviews and (match.item_id, match.item_version) in backed_up:
            yield _fact_check_match_record(match)


def _fact_check_record(review: StoredClaimReview) -> dict[str, Any]:
    vector = None if review.vector is None else np.asarray(review.vector, dtype="<f4").tobytes()
    return {
        "type": "fact_check",
        "id": review.id,
        "member_code": review.member_code,
        "url": review.url,
        "record": dict(review.record),
        "claim_text": review.claim_text,
        "language": review.language,
        "rating": review.rating,
        "date_published": None if review.date_published is None else format_datetime(review.date_published),
        "created_at": format_datetime(review.created_at),
        "updated_at": format_datetime(review.updated_at),
        "model": review.model,
        "vector": None if vector is None else base64.b64encode(vector).decode("ascii"),
    }


def _fact_check_match_record(match: StoredClaimMatch) -> dict[str, Any]:
    return {
        "type": "fact_check_match",
        "item_id": match.item_id,
        "review_id": match.review_id,
        "item_version": match.item_version,
        "score": match.score,
        "parts": dict(match.parts),
        "matched_at": format_datetime(match.matched_at),
    }


def _version_record(member_code: str, guid: str, version: ItemVersion) -> dict[str, Any]:
    return {"type": "version", "member_code": member_code, "guid": guid, "version": to_jsonable(version)}


def _provenance_record(recorded: RecordedProvenance) -> dict[str, Any]:
    record = recorded.provenance
    return {
        "type": "provenance",
        "item_id": recorded.item_id,
        "version": recorded.version,
        "signer_kind": record.signer_kind.value,
        "signer": record.signer,
        "key_id": record.key_id,
        "signature": record.signature,
        "canonical_version": record.canonical_version,
        "verified": record.verified.value,
        "reason": recorded.reason,
        "signed_by_hub_for": record.signed_by_hub_for,
        "recorded_at": format_datetime(recorded.recorded_at),
    }


def _original_record(original: Original, received_at: datetime) -> dict[str, Any]:
    return {
        "type": "original",
        "sha256": original.sha256,
        "content_type": original.content_type,
        "received_at": format_datetime(received_at),
        "data": base64.b64encode(original.data).decode("ascii"),
    }


def _audit_oldest_first(storage: Storage) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    before: int | None = None
    while True:
        page = storage.list_audit(limit=_AUDIT_PAGE, before_id=before)
        entries.extend(page)
        if len(page) < _AUDIT_PAGE:
            break
        before = page[-1].id
    return sorted(entries, key=lambda entry: entry.id)


def _header(storage: Storage, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "type": "header",
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "tabadol_version": tabadol.__version__,
        "schema_version": storage.schema_version(),
        "created_at": format_datetime(utc_now()),
        "counts": counts,
    }


def _write_gzip_atomically(path: Path, header: dict[str, Any], body: IO[str], counts: dict[str, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as gz:
            gz.write(_dump(header).encode("utf-8"))
            for chunk in iter(lambda: body.read(_COPY_CHUNK), ""):
                gz.write(chunk.encode("utf-8"))
            gz.write(_dump({"type": "end", "counts": counts}).encode("utf-8"))
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


# -- reading and checking -----------------------------------------------------------------------
def read_header(path: Path) -> dict[str, Any]:
    for record in _records(path):
        return _checked_header(record)
    raise _invalid("the file is empty")


def verify_backup(path: Path, storage: Storage) -> dict[str, Any]:
    """Read the whole backup without writing anything; returns its header or raises BACKUP_INVALID."""
    records = _records(path)
    header = _checked_header(next(records, None))
    if header["schema_version"] > storage.schema_version():
        raise _invalid(f"it was made with schema {header['schema_version']}, newer than this store's")
    counts: Counter[str] = Counter()
    seen = _Seen()
    for record in records:
        kind = record.get("type")
        if kind == "end":
            _check_end(record, header, counts)
            return header
        _check_record(kind, record, seen)
        counts[str(kind)] += 1
    raise _invalid("it ends before its end line (truncated)")


@dataclass
class _Seen:
    """What the records read so far hold, for the records after them to refer to."""

    originals: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    signing_keys: set[str] = field(default_factory=set)
    versions: set[tuple[str, int]] = field(default_factory=set)
    fact_checks: set[str] = field(default_factory=set)


def _check_record(kind: Any, record: dict[str, Any], seen: _Seen) -> None:
    originals, members = seen.originals, seen.members
    try:
        if kind == "member":
            members.add(_member(record).code)
        elif kind == "signing_key":
            seen.signing_keys.add(_checked_signing_key(record, members).key_id)
        elif kind == "api_key":
            _api_key(record)
        elif kind == "feed":
            _feed(record)
        elif kind == "subscription":
            if _subscription(record).member_code not in members:
                raise _invalid(f"subscription {record.get('id')} refers to a member not in the backup")
        elif kind == "original":
            originals.add(_original(record).sha256)
        elif kind == "version":
            member_code, _, version = _version(record)
            if version.original_sha256 not in originals or member_code not in members:
                raise _invalid(
                    f"version {version.version} of {version.item_id} refers to data not in the backup"
                )
            seen.versions.add((version.item_id, version.version))
        elif kind == "provenance":
            _check_provenance(_provenance(record), seen)
        elif kind == "fact_check":
            seen.fact_checks.add(_checked_fact_check(record, members).id)
        elif kind == "fact_check_match":
            _check_fact_check_match(_fact_check_match(record), seen)
        elif kind == "take":
            _take(record)
        elif kind == "audit":
            _audit_fields(record)
        else:
            raise _invalid(f"unknown record type {kind!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _invalid(f"a {kind} record is malformed ({type(error).__name__}: {error})") from None


def _checked_signing_key(record: dict[str, Any], members: set[str]) -> SigningKey:
    key = _signing_key(record)
    if key.member_code is not None and key.member_code not in members:
        raise _invalid(f"signing key {key.key_id} belongs to a member not in the backup")
    return key


def _check_provenance(recorded: RecordedProvenance, seen: _Seen) -> None:
    where = f"the provenance of version {recorded.version} of {recorded.item_id}"
    if (recorded.item_id, recorded.version) not in seen.versions:
        raise _invalid(f"{where} refers to a version not in the backup")
    if recorded.provenance.key_id not in seen.signing_keys:
        raise _invalid(f"{where} names key {recorded.provenance.key_id}, which the backup does not publish")


def _checked_fact_check(record: dict[str, Any], members: set[str]) -> StoredClaimReview:
    review = _fact_check(record)
    if review.member_code not in members:
        raise _invalid(f"fact check {review.id} belongs to a member not in the backup")
    return review


def _check_fact_check_match(match: StoredClaimMatch, seen: _Seen) -> None:
    where = f"the match of version {match.item_version} of {match.item_id} with fact check {match.review_id}"
    if (match.item_id, match.item_version) not in seen.versions:
        raise _invalid(f"{where} refers to a version not in the backup")
    if match.review_id not in seen.fact_checks:
        raise _invalid(f"{where} names a fact check not in the backup")


def _checked_header(record: dict[str, Any] | None) -> dict[str, Any]:
    if record is None:
        raise _invalid("the file is empty")
    if record.get("type") != "header" or record.get("format") != FORMAT_NAME:
        raise _invalid("it is not a tabadol backup (no header line)")
    if record.get("format_version") != FORMAT_VERSION:
        raise _invalid(f"format version {record.get('format_version')!r} is not supported")
    if not isinstance(record.get("schema_version"), int) or not isinstance(record.get("counts"), dict):
        raise _invalid("the header is incomplete")
    return record


def _check_end(end: dict[str, Any], header: dict[str, Any], counts: Counter[str]) -> None:
    # A backup of an older release has no count for record types it did not have (subscriptions,
    # takes, signing keys, provenance, fact checks and their matches).
    announced = {name: header["counts"].get(name, 0) for name in RECORD_TYPES}
    found = {name: counts[name] for name in RECORD_TYPES}
    if end.get("counts") != header["counts"] or found != announced:
        raise _invalid(f"it holds {found}, but its header announces {header['counts']}")


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """Each line as a JSON object; damage of any kind (gzip, UTF-8, JSON) is BACKUP_INVALID."""
    try:
        with gzip.open(path, mode="rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise _invalid(f"line {number} is not a JSON object")
                yield record
    except FileNotFoundError:
        raise _invalid(f"{path} does not exist") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _invalid(f"the file is damaged or truncated ({type(error).__name__}: {error})") from None


def _invalid(reason: str) -> TabadolError:
    return TabadolError(ErrorCode.BACKUP_INVALID, reason=reason)


# -- records back to typed values ---------------------------------------------------------------
def _member(record: dict[str, Any]) -> MemberInfo:
    return MemberInfo(
        code=record["code"],
        names=dict(record["names"]),
        country=record["country"],
        languages=tuple(record["languages"]),
        created_at=parse_datetime(record["created_at"]),
        active=bool(record.get("active", True)),
    )


def _api_key(record: dict[str, Any]) -> tuple[ApiKey, str]:
    key = record["key"]
    api_key = ApiKey(
        key_id=key["key_id"],
        member_code=key["member_code"],
        role=Role(key["role"]),
        label=key["label"],
        created_at=parse_datetime(key["created_at"]),
        revoked_at=_optional_datetime(key.get("revoked_at")),
        last_used_at=_optional_datetime(key.get("last_used_at")),
    )
    return api_key, str(record["secret_hash"])


def _signing_key(record: dict[str, Any]) -> SigningKey:
    """Checked: the key id must be the one its public key gives (a key id is a hash of the key)."""
    owner = record.get("member_code")
    key = SigningKey(
        key_id=str(record["key_id"]),
        member_code=None if owner is None else str(owner),
        public_key=str(record["public_key"]),
        label=str(record["label"]),
        created_at=parse_datetime(record["created_at"]),
        revoked_at=_optional_datetime(record.get("revoked_at")),
    )
    try:
        derived = public_key_id(decode_public_key(key.public_key))
    except TabadolError as error:
        raise ValueError(error.message) from None
    if derived != key.key_id:
        raise _invalid(f"signing key {key.key_id} does not match its public key ({derived})")
    return key


def _provenance(record: dict[str, Any]) -> RecordedProvenance:
    vouched_for = record.get("signed_by_hub_for")
    try:
        provenance = Provenance(
            signer_kind=SignerKind(record["signer_kind"]),
            signer=str(record["signer"]),
            key_id=str(record["key_id"]),
            signature=str(record["signature"]),
            canonical_version=int(record["canonical_version"]),
            verified=VerifyStatus(record["verified"]),
            signed_by_hub_for=None if vouched_for is None else str(vouched_for),
        )
    except TabadolError as error:  # Provenance checks its own consistency
        raise ValueError(error.message) from None
    return RecordedProvenance(
        item_id=str(record["item_id"]),
        version=int(record["version"]),
        provenance=provenance,
        reason=str(record["reason"]),
        recorded_at=parse_datetime(record["recorded_at"]),
    )


def _fact_check(record: dict[str, Any]) -> StoredClaimReview:
    """Checked: the id must be the one the URL gives, the record must read back as a ClaimReview of
    that URL, and a vector must be whole float32s of a named model."""
    published = record.get("date_published")
    review = StoredClaimReview(
        id=str(record["id"]),
        member_code=str(record["member_code"]),
        url=str(record["url"]),
        record=dict(record["record"]),
        claim_text=str(record["claim_text"]),
        language=None if record.get("language") is None else str(record["language"]),
        rating=str(record["rating"]),
        date_published=None if published is None else parse_datetime(published),
        created_at=parse_datetime(record["created_at"]),
        updated_at=parse_datetime(record["updated_at"]),
        model=None if record.get("model") is None else str(record["model"]),
        vector=_claim_vector(record),
    )
    if review.id != review_id_for_url(review.url):
        raise _invalid(f"fact check {review.id} does not match its URL")
    try:
        read_back = fact_check_of(review).review
    except TabadolError as error:
        raise ValueError(error.message) from None
    if read_back.url != review.url:
        raise _invalid(f"fact check {review.id} holds the record of another URL")
    return review


def _claim_vector(record: dict[str, Any]) -> np.ndarray | None:
    encoded = record.get("vector")
    if encoded is None:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise _invalid(f"the vector of fact check {record.get('id')} is not valid base64 ({error})") from None
    if not data or len(data) % 4 or record.get("model") is None:
        raise _invalid(f"the vector of fact check {record.get('id')} is not float32s of a named model")
    return np.frombuffer(data, dtype="<f4").copy()


def _fact_check_match(record: dict[str, Any]) -> StoredClaimMatch:
    return StoredClaimMatch(
        item_id=str(record["item_id"]),
        review_id=str(record["review_id"]),
        item_version=int(record["item_version"]),
        score=float(record["score"]),
        parts={str(name): float(value) for name, value in dict(record["parts"]).items()},
        matched_at=parse_datetime(record["matched_at"]),
    )


def _feed(record: dict[str, Any]) -> FeedSource:
    return FeedSource(
        id=int(record["id"]),
        member_code=record["member_code"],
        url=record["url"],
        interval_seconds=int(record["interval_seconds"]),
        etag=record.get("etag"),
        last_modified=record.get("last_modified"),
        next_poll_at=parse_datetime(record["next_poll_at"]),
        consecutive_errors=int(record["consecutive_errors"]),
        last_error=record.get("last_error"),
        last_polled_at=_optional_datetime(record.get("last_polled_at")),
        enabled=bool(record.get("enabled", True)),
    )


def _subscription_record(subscription: Subscription) -> dict[str, Any]:
    return {
        "type": "subscription",
        "id": subscription.id,
        "member_code": subscription.member_code,
        "name": subscription.name,
        "filter": filter_json(subscription.filter),
        "created_at": format_datetime(subscription.created_at),
        "updated_at": format_datetime(subscription.updated_at),
    }


def _subscription(record: dict[str, Any]) -> Subscription:
    try:
        value = filter_from_json(record["filter"])
    except TabadolError as error:
        raise ValueError(error.message) from None
    return Subscription(
        id=str(record["id"]),
        member_code=str(record["member_code"]),
        name=str(record["name"]),
        filter=value,
        created_at=parse_datetime(record["created_at"]),
        updated_at=parse_datetime(record["updated_at"]),
    )


def _take(record: dict[str, Any]) -> Take:
    return Take(
        item_id=str(record["item_id"]),
        item_version=int(record["item_version"]),
        source_member=str(record["source_member"]),
        taker_member=str(record["taker_member"]),
        key_id=record.get("key_id"),
        item_language=record.get("item_language"),
        reader_language=str(record["reader_language"]),
        translated=bool(record["translated"]),
        taken_at=parse_datetime(record["taken_at"]),
    )


def _original(record: dict[str, Any]) -> Original:
    """Decoded and checked: the bytes must hash to the SHA-256 they were stored under."""
    try:
        data = base64.b64decode(record["data"], validate=True)
    except binascii.Error as error:
        raise _invalid(f"original {record.get('sha256')} is not valid base64 ({error})") from None
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise _invalid(f"original {record['sha256']} does not match its SHA-256")
    return Original(sha256=record["sha256"], content_type=record["content_type"], data=data)


def _version(record: dict[str, Any]) -> tuple[str, str, ItemVersion]:
    raw = record["version"]
    version = ItemVersion(
        item_id=raw["item_id"],
        version=int(raw["version"]),
        content_sha256=raw["content_sha256"],
        original_sha256=raw["original_sha256"],
        parsed=parsed_item_from_json(raw["parsed"]),
        received_at=parse_datetime(raw["received_at"]),
        received_via=raw["received_via"],
        received_by=raw.get("received_by"),
    )
    return str(record["member_code"]), str(record["guid"]), version


def _audit_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": parse_datetime(record["at"]),
        "actor_member": record.get("actor_member"),
        "actor_key_id": record.get("actor_key_id"),
        "action": str(record["action"]),
        "target": record.get("target"),
        "remote_addr": record.get("remote_addr"),
        "detail": dict(record.get("detail") or {}),
    }


def _optional_datetime(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


# -- restoring ----------------------------------------------------------------------------------
def restore_backup(hub: Hub, path: Path, *, force: bool = False) -> RestoreSummary:
    """Check the whole backup, then write it. Refuses a store that holds data unless `force`."""
    storage = hub.storage
    if not force and not store_is_empty(storage):
        raise TabadolError(ErrorCode.STORE_NOT_EMPTY)
    header = verify_backup(path, storage)
    summary = RestoreSummary(counts=dict(header["counts"]))
    writer = _RestoreWriter(storage, summary)
    for record in _records(path):
        writer.apply(record)
    writer.finish()
    # Enrichment is derived data, not backed up: queue every item so workers (or `tabadol enrich
    # --wait`) rebuild it with the components this hub runs.
    item_ids = storage.all_item_ids()
    for start in range(0, len(item_ids), 1000):
        storage.enqueue_jobs(
            [(ENRICH_JOB, item_id, {}) for item_id in item_ids[start : start + 1000]], utc_now()
        )
    hub.audit(
        OPERATOR, "backup.restore", str(path), {"counts": summary.counts, "skipped": dict(summary.skipped)}
    )
    return summary


def store_is_empty(storage: Storage) -> bool:
    return (
        not storage.list_members()
        and storage.count_items() == 0
        and not storage.list_api_keys()
        and not storage.list_feeds()
        and not storage.list_subscriptions()
    )


class _RestoreWriter:
    """Applies checked records; anything already present is left as it is and counted as skipped.

    Versions, signing keys, provenance records, fact checks and their matches are written in chunks
    (Storage.restore_many, restore_signing_keys, restore_provenance, restore_claim_reviews,
    restore_claim_matches: one durable commit per chunk rather than per record); a chunk is flushed
    before any other kind of record, so records still reach the store in file order (provenance
    after the versions it refers to, matches after their fact checks).
    """

    def __init__(self, storage: Storage, summary: RestoreSummary) -> None:
        self._storage = storage
        self._summary = summary
        self._pending_versions: list[tuple[str, str, ItemVersion]] = []
        self._pending_keys: list[SigningKey] = []
        self._pending_provenance: list[RecordedProvenance] = []
        self._pending_fact_checks: list[StoredClaimReview] = []
        self._pending_matches: list[StoredClaimMatch] = []
        self._known_feeds = {(f.member_code, f.url) for f in storage.list_feeds()}
        self._known_takes = set(storage.list_takes(None, limit=10**9))
        self._known_audit = {
            _audit_identity(_audit_fields(to_jsonable(e))) for e in _audit_oldest_first(storage)
        }

    def apply(self, record: dict[str, Any]) -> None:
        kind = record["type"]
        if kind == "version":
            self._hold(self._pending_versions, _version(record))
        elif kind == "signing_key":
            self._hold(self._pending_keys, _signing_key(record))
        elif kind == "provenance":
            self._hold(self._pending_provenance, _provenance(record))
        elif kind == "fact_check":
            self._hold(self._pending_fact_checks, _fact_check(record))
        elif kind == "fact_check_match":
            self._hold(self._pending_matches, _fact_check_match(record))
        else:
            self.finish()
            self._apply_one(kind, record)

    def _hold(self, pending: list[Any], value: Any) -> None:
        """Keep a record of a chunked kind back; flush whatever other kind is still held first."""
        if not pending:
            self.finish()
        pending.append(value)
        if len(pending) >= _RESTORE_CHUNK:
            self.finish()

    def _apply_one(self, kind: str, record: dict[str, Any]) -> None:
        if kind == "member":
            self._member(_member(record))
        elif kind == "api_key":
            self._storage.restore_api_key(*_api_key(record))
        elif kind == "feed":
            self._feed(_feed(record))
        elif kind == "subscription":
            self._subscription(_subscription(record))
        elif kind == "original":
            self._storage.restore_original(_original(record), parse_datetime(record["received_at"]))
        elif kind == "take":
            self._take(_take(record))
        elif kind == "audit":
            self._audit(_audit_fields(record))

    def finish(self) -> None:
        """Write the records still held back."""
        if self._pending_versions:
            self._storage.restore_many(self._pending_versions)
            self._pending_versions = []
        if self._pending_keys:
            written = self._storage.restore_signing_keys(self._pending_keys)
            self._summary.skipped["signing_key"] += len(self._pending_keys) - written
            self._pending_keys = []
        if self._pending_provenance:
            written = self._storage.restore_provenance(self._pending_provenance)
            self._summary.skipped["provenance"] += len(self._pending_provenance) - written
            self._pending_provenance = []
        if self._pending_fact_checks:
            written = self._storage.restore_claim_reviews(self._pending_fact_checks)
            self._summary.skipped["fact_check"] += len(self._pending_fact_checks) - written
            self._pending_fact_checks = []
        if self._pending_matches:
            written = self._storage.restore_claim_matches(self._pending_matches)
            self._summary.skipped["fact_check_match"] += len(self._pending_matches) - written
            self._pending_matches = []

    def _member(self, member: MemberInfo) -> None:
        if self._storage.get_member(member.code) is not None:
            self._summary.skipped["member"] += 1
            return
        self._storage.add_member(member)

    def _feed(self, feed: FeedSource) -> None:
        # Feed ids are the store's own; a feed is known by its member and URL.
        if (feed.member_code, feed.url) in self._known_feeds:
            self._summary.skipped["feed"] += 1
            return
        added = self._storage.add_feed(feed.member_code, feed.url, feed.interval_seconds, feed.next_poll_at)
        if feed.last_polled_at is not None:
            self._storage.update_feed_state(
                added.id,
                etag=feed.etag,
                last_modified=feed.last_modified,
                next_poll_at=feed.next_poll_at,
                consecutive_errors=feed.consecutive_errors,
                last_error=feed.last_error,
                last_polled_at=feed.last_polled_at,
            )
        self._known_feeds.add((feed.member_code, feed.url))

    def _subscription(self, subscription: Subscription) -> None:
        if self._storage.get_subscription(subscription.id) is not None:
            self._summary.skipped["subscription"] += 1
            return
        self._storage.add_subscription(subscription)

    def _take(self, take: Take) -> None:
        if take in self._known_takes:
            self._summary.skipped["take"] += 1
            return
        self._storage.record_take(take)
        self._known_takes.add(take)

    def _audit(self, fields: dict[str, Any]) -> None:
        identity = _audit_identity(fields)
        if identity in self._known_audit:
            self._summary.skipped["audit"] += 1
            return
        self._storage.record_audit(**fields)
        self._known_audit.add(identity)


def _audit_identity(fields: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two audit entries the same event (their ids are each store's own)."""
    return (
        fields["at"],
        fields["action"],
        fields["target"],
        fields["actor_member"],
        fields["actor_key_id"],
        json.dumps(fields["detail"], sort_keys=True, default=str),
    )
