"""Portable, backend-neutral backups: gzip JSON Lines that any tabadol store can be restored from.

This is also how an operator moves a hub from SQLite to PostgreSQL: back up one, restore into the
other. The file reads:

    {"type": "header", "format": "tabadol-backup", "format_version": 1, "counts": {...}, ...}
    {"type": "member", ...}      every member
    {"type": "api_key", ...}     every key, with the hash of its secret (never a secret)
    {"type": "feed", ...}        every polled feed and its polling state
    {"type": "subscription", ...} every live subscription (absent from backups of older releases)
    {"type": "original", ...}    every verbatim original, base64, with its SHA-256
    {"type": "version", ...}     every version of every item, in seq order
    {"type": "take", ...}        the usage ledger: every take (absent from older releases' backups)
    {"type": "audit", ...}       the audit log, oldest first
    {"type": "end", "counts": {...}}

Restoring reads the file twice: first it checks everything (each original against its SHA-256,
every record's shape, the counts against the header, the end line against truncation) and only
then writes, so a damaged backup is refused with BACKUP_INVALID and leaves the store untouched.
Every write is idempotent, so a restore interrupted half-way can simply be run again (`--force`).
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

import tabadol
from tabadol.deliver.subscriptions import filter_from_json, filter_json
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime, parse_datetime, parsed_item_from_json, to_jsonable
from tabadol.storage.base import Storage
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import (
    ApiKey,
    AuditEntry,
    FeedSource,
    ItemVersion,
    MemberInfo,
    Original,
    Role,
    Subscription,
    Take,
    utc_now,
)

FORMAT_NAME = "tabadol-backup"
FORMAT_VERSION = 1
RECORD_TYPES = ("member", "api_key", "feed", "subscription", "original", "version", "take", "audit")
_AUDIT_PAGE = 1000
_COPY_CHUNK = 1 << 20
_RESTORE_CHUNK = 500  # versions per transaction when restoring


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
    for member in storage.list_members():
        yield {"type": "member", **to_jsonable(member)}
    for key in storage.list_api_keys():
        found = storage.get_api_key(key.key_id)
        if found is not None:
            yield {"type": "api_key", "key": to_jsonable(found[0]), "secret_hash": found[1]}
    for feed in storage.list_feeds():
        yield {"type": "feed", **to_jsonable(feed)}
    for subscription in storage.list_subscriptions():
        yield _subscription_record(subscription)
    yield from _original_and_version_records(storage)
    for take in reversed(storage.list_takes(None, limit=10**9)):
        yield {"type": "take", **to_jsonable(take)}
    for entry in _audit_oldest_first(storage):
        yield {"type": "audit", **to_jsonable(entry)}


def _original_and_version_records(storage: Storage) -> Iterator[dict[str, Any]]:
    """Originals first (versions refer to them), each with the time it first arrived."""
    first_seen: dict[str, datetime] = {}
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as versions:
        for member_code, guid, version in storage.iter_versions():
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


def _version_record(member_code: str, guid: str, version: ItemVersion) -> dict[str, Any]:
    return {"type": "version", "member_code": member_code, "guid": guid, "version": to_jsonable(version)}


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
    originals: set[str] = set()
    members: set[str] = set()
    for record in records:
        kind = record.get("type")
        if kind == "end":
            _check_end(record, header, counts)
            return header
        _check_record(kind, record, originals, members)
        counts[str(kind)] += 1
    raise _invalid("it ends before its end line (truncated)")


def _check_record(kind: Any, record: dict[str, Any], originals: set[str], members: set[str]) -> None:
    try:
        if kind == "member":
            members.add(_member(record).code)
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
        elif kind == "take":
            _take(record)
        elif kind == "audit":
            _audit_fields(record)
        else:
            raise _invalid(f"unknown record type {kind!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _invalid(f"a {kind} record is malformed ({type(error).__name__}: {error})") from None


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
    # A backup of an older release has no count for record types it did not have (subscriptions).
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

    Versions are written in chunks (Storage.restore_many: one durable commit per chunk rather than
    per version); a chunk is flushed before any other kind of record, so records still reach the
    store in file order.
    """

    def __init__(self, storage: Storage, summary: RestoreSummary) -> None:
        self._storage = storage
        self._summary = summary
        self._pending_versions: list[tuple[str, str, ItemVersion]] = []
        self._known_feeds = {(f.member_code, f.url) for f in storage.list_feeds()}
        self._known_takes = set(storage.list_takes(None, limit=10**9))
        self._known_audit = {
            _audit_identity(_audit_fields(to_jsonable(e))) for e in _audit_oldest_first(storage)
        }

    def apply(self, record: dict[str, Any]) -> None:
        kind = record["type"]
        if kind == "version":
            self._pending_versions.append(_version(record))
            if len(self._pending_versions) >= _RESTORE_CHUNK:
                self.finish()
            return
        self.finish()
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
        """Write the versions still held back."""
        if self._pending_versions:
            self._storage.restore_many(self._pending_versions)
            self._pending_versions = []

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
