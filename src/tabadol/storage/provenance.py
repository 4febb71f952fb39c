"""Provenance rows: functions of an open connection, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, and_, insert, or_, select

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import schema as t
from tabadol.verify.provenance import Provenance, RecordedProvenance, SignerKind, VerifyStatus
from tabadol.verify.stamp import StampedProvenance


def provenance_row(item_id: str, version: int, stamped: StampedProvenance, now: datetime) -> dict[str, Any]:
    record = stamped.provenance
    return {
        "item_id": item_id,
        "version": version,
        "signer_kind": record.signer_kind.value,
        "signer": record.signer,
        "key_id": record.key_id,
        "signature": record.signature,
        "canonical_version": record.canonical_version,
        "verified": record.verified.value,
        "reason": stamped.reason,
        "signed_by_hub_for": record.signed_by_hub_for,
        "recorded_at": now,
    }


def recorded_provenance_row(recorded: RecordedProvenance) -> dict[str, Any]:
    """The row of a provenance exactly as it was recorded (a restore keeps its time and finding)."""
    record = recorded.provenance
    return {
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
        "recorded_at": recorded.recorded_at,
    }


def recorded_provenance_from_row(row: Row[Any]) -> RecordedProvenance:
    return RecordedProvenance(
        item_id=row.item_id,
        version=row.version,
        provenance=Provenance(
            signer_kind=SignerKind(row.signer_kind),
            signer=row.signer,
            key_id=row.key_id,
            signature=row.signature,
            canonical_version=row.canonical_version,
            verified=VerifyStatus(row.verified),
            signed_by_hub_for=row.signed_by_hub_for,
        ),
        reason=row.reason,
        recorded_at=row.recorded_at,
    )


def load_item_provenance(connection: Connection, item_id: str) -> list[RecordedProvenance]:
    rows = t.item_provenance.c
    query = select(t.item_provenance).where(rows.item_id == item_id).order_by(rows.version)
    return [recorded_provenance_from_row(row) for row in connection.execute(query)]


def load_provenance_page(
    connection: Connection, after: tuple[str, int] | None, limit: int
) -> list[RecordedProvenance]:
    """Up to `limit` records in (item id, version) order, those after the (item id, version) `after`.

    Keyset paging on the primary key, so a backup streams any number of records in pages without
    re-reading (or skipping) any.
    """
    rows = t.item_provenance.c
    query = select(t.item_provenance).order_by(rows.item_id, rows.version).limit(limit)
    if after is not None:
        item_id, version = after
        query = query.where(
            or_(rows.item_id > item_id, and_(rows.item_id == item_id, rows.version > version))
        )
    return [recorded_provenance_from_row(row) for row in connection.execute(query)]


def insert_missing_provenance(
    connection: Connection, records: Sequence[RecordedProvenance], lookup_chunk: int = 500
) -> int:
    """Write backed-up records as they were recorded; a version that has one already keeps it.

    Returns how many were written. Raises BACKUP_INVALID (and the caller's transaction rolls back
    all of them) when a record's version is not in the store: provenance is restored after versions.
    """
    item_ids = sorted({record.item_id for record in records})
    versions = _keys_in(connection, t.item_versions, item_ids, lookup_chunk)
    present = _keys_in(connection, t.item_provenance, item_ids, lookup_chunk)
    rows: list[dict[str, Any]] = []
    for record in records:
        key = (record.item_id, record.version)
        if key not in versions:
            raise TabadolError(
                ErrorCode.BACKUP_INVALID,
                reason=f"provenance of version {record.version} of {record.item_id}: no such version",
            )
        if key not in present:
            rows.append(recorded_provenance_row(record))
            present.add(key)  # the same record twice in one call is written once
    if rows:
        connection.execute(insert(t.item_provenance), rows)
    return len(rows)


def _keys_in(
    connection: Connection, table: Table, item_ids: Sequence[str], chunk: int
) -> set[tuple[str, int]]:
    """The (item id, version) pairs `table` holds for these items."""
    found: set[tuple[str, int]] = set()
    for start in range(0, len(item_ids), chunk):
        query = select(table.c.item_id, table.c.version).where(
            table.c.item_id.in_(item_ids[start : start + chunk])
        )
        found.update((row.item_id, row.version) for row in connection.execute(query))
    return found
