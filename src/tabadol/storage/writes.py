"""The write side of ingest and restore, run inside the caller's write transaction.

Nothing here opens or commits a transaction: `SqlStorage` does, after taking the writer lock, so
the heads read by `load_heads` cannot change before the decider's verdicts are written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.accept import Head, Verdict, decide
from tabadol.serialize import parsed_item_to_json
from tabadol.storage import schema as t
from tabadol.storage.base import IngestRequest
from tabadol.storage.queries import search_text_for
from tabadol.storage.records import to_json
from tabadol.types import (
    Decision,
    IngestOutcome,
    IngestReport,
    ItemVersion,
    Original,
    ensure_utc,
)

# Guids per IN (...) list when loading heads: below every driver's bound-parameter limit.
HEAD_LOOKUP_CHUNK = 500


def ingest_payload(connection: Connection, request: IngestRequest) -> IngestReport:
    """Decide and write one payload inside the caller's write transaction (see Storage.ingest)."""
    require_member(connection, request.member_code)
    heads = load_heads(connection, [item.guid or "" for item in request.items])
    verdicts = decide(request.member_code, request.items, heads)
    store_original(connection, request.original, request.received_at)
    seq = max_seq(connection)
    for verdict in verdicts:
        if verdict.writes:
            seq += 1
            write_verdict(connection, verdict, request, seq)
    report = IngestReport(
        member_code=request.member_code,
        original_sha256=request.original.sha256,
        outcomes=tuple(IngestOutcome(v.decision, v.item_id, v.guid, v.version) for v in verdicts),
    )
    insert_audit(connection, ingest_audit_values(request, report))
    return report


def member_exists(connection: Connection, code: str) -> bool:
    return connection.execute(select(t.members.c.code).where(t.members.c.code == code)).first() is not None


def require_member(connection: Connection, code: str) -> None:
    if not member_exists(connection, code):
        raise TabadolError(ErrorCode.MEMBER_NOT_FOUND, code=code)


def load_heads(connection: Connection, guids: Sequence[str]) -> dict[str, Head]:
    heads: dict[str, Head] = {}
    columns = (
        t.items.c.guid,
        t.items.c.id,
        t.items.c.member_code,
        t.items.c.version,
        t.items.c.content_sha256,
        t.items.c.sender_version_created,
    )
    for start in range(0, len(guids), HEAD_LOOKUP_CHUNK):
        chunk = guids[start : start + HEAD_LOOKUP_CHUNK]
        for row in connection.execute(select(*columns).where(t.items.c.guid.in_(chunk))):
            heads[row.guid] = Head(
                row.id, row.member_code, row.version, row.content_sha256, row.sender_version_created
            )
    return heads


def max_seq(connection: Connection) -> int:
    return int(connection.execute(select(func.max(t.item_versions.c.seq))).scalar() or 0)


def store_original(connection: Connection, original: Original, received_at: datetime) -> None:
    """Once per SHA-256: identical bytes re-sent keep their first receipt time."""
    exists = connection.execute(
        select(t.originals.c.sha256).where(t.originals.c.sha256 == original.sha256)
    ).first()
    if exists is None:
        connection.execute(
            insert(t.originals).values(
                sha256=original.sha256,
                content_type=original.content_type,
                size=original.size,
                data=original.data,
                first_received_at=received_at,
            )
        )


def write_verdict(connection: Connection, verdict: Verdict, request: IngestRequest, seq: int) -> None:
    version = ItemVersion(
        item_id=verdict.item_id,
        version=verdict.version,
        content_sha256=verdict.content_sha256,
        original_sha256=request.original.sha256,
        parsed=verdict.item,
        received_at=request.received_at,
        received_via=request.received_via,
        received_by=request.received_by,
    )
    head_version = None if verdict.decision is Decision.NEW_ITEM else verdict.version - 1
    write_version(connection, request.member_code, verdict.guid, version, seq, head_version)


def write_version(
    connection: Connection,
    member_code: str,
    guid: str,
    version: ItemVersion,
    seq: int,
    head_version: int | None,
) -> None:
    """Insert one version row, creating the item row (no head yet) or moving its head forward.

    An older version restored after a newer one is stored without touching the head.
    """
    head = _head_values(version, seq)
    if head_version is None:
        first_created = ensure_utc(version.parsed.first_created) or head["version_created"]
        connection.execute(
            insert(t.items).values(
                id=version.item_id, member_code=member_code, guid=guid, first_created=first_created, **head
            )
        )
    elif version.version > head_version:
        # first_created stays: an item's creation does not move with its versions.
        connection.execute(update(t.items).where(t.items.c.id == version.item_id).values(**head))
    connection.execute(
        insert(t.item_versions).values(
            item_id=version.item_id,
            version=version.version,
            content_sha256=version.content_sha256,
            original_sha256=version.original_sha256,
            parsed=to_json(parsed_item_to_json(version.parsed)),
            received_at=version.received_at,
            received_via=version.received_via,
            received_by=version.received_by,
            seq=seq,
        )
    )


def _head_values(version: ItemVersion, seq: int) -> dict[str, Any]:
    """The items-row columns that follow the newest version."""
    item = version.parsed
    sender_time = ensure_utc(item.version_created)
    return {
        "version": version.version,
        "pub_status": item.pub_status.value,
        "headline": item.headline,
        "language": item.language,
        "version_created": sender_time or version.received_at,
        "sender_version_created": sender_time,
        "received_at": version.received_at,
        "embargoed_until": ensure_utc(item.embargoed_until),
        "original_sha256": version.original_sha256,
        "content_sha256": version.content_sha256,
        "seq": seq,
        "search_text": search_text_for(item),
    }


def ingest_audit_values(request: IngestRequest, report: IngestReport) -> dict[str, Any]:
    detail = {
        "counts": {decision.value: report.count(decision) for decision in Decision},
        "guids": [outcome.guid for outcome in report.outcomes],
        "received_via": request.received_via,
    }
    return {
        "at": request.received_at,
        "actor_member": request.member_code,
        "actor_key_id": request.received_by,
        "action": "items.ingest",
        "target": request.original.sha256,
        "remote_addr": request.remote_addr,
        "detail": to_json(detail),
    }


def insert_audit(connection: Connection, values: Mapping[str, Any]) -> None:
    connection.execute(insert(t.audit_log).values(**values))


def restore_version_in(connection: Connection, member_code: str, guid: str, version: ItemVersion) -> None:
    """Insert a backed-up version unless present (see Storage.restore_version)."""
    present = connection.execute(
        select(t.item_versions.c.version).where(
            t.item_versions.c.item_id == version.item_id, t.item_versions.c.version == version.version
        )
    ).first()
    if present is not None:
        return
    head = connection.execute(
        select(t.items.c.member_code, t.items.c.version).where(t.items.c.id == version.item_id)
    ).first()
    _check_restorable(connection, member_code, guid, version, head.member_code if head else None)
    seq = max_seq(connection) + 1
    write_version(connection, member_code, guid, version, seq, head.version if head else None)


def _check_restorable(
    connection: Connection, member_code: str, guid: str, version: ItemVersion, owner: str | None
) -> None:
    def invalid(reason: str) -> TabadolError:
        return TabadolError(
            ErrorCode.BACKUP_INVALID, reason=f"version {version.version} of {guid!r}: {reason}"
        )

    if not member_exists(connection, member_code):
        raise invalid(f"no member {member_code}")
    if owner is not None and owner != member_code:
        raise invalid(f"the item belongs to {owner}, not {member_code}")
    original = select(t.originals.c.sha256).where(t.originals.c.sha256 == version.original_sha256)
    if connection.execute(original).first() is None:
        raise invalid(f"original {version.original_sha256} is missing")
