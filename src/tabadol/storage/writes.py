"""The write side of ingest and restore, run inside the caller's write transaction.

Nothing here opens or commits a transaction: `SqlStorage` does, after taking the writer lock, so
the heads read by `load_heads` cannot change before the decider's verdicts are written.

Ingest is set-based: a batch of payloads costs a fixed handful of statements whatever its size
(members, heads, max seq and known originals are read once; originals, items, versions and audit
rows are written with one executemany each). The decider runs in Python for the whole batch against
an in-memory copy of the heads that each accepted payload moves forward, so a guid pushed twice in
one batch gets consecutive versions exactly as if the payloads had been stored one after another,
and a refused payload contributes no row at all (no savepoint is needed to undo it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.accept import Head, Verdict, decide, head_after
from tabadol.serialize import parsed_item_to_json
from tabadol.storage import jobs as job_queue
from tabadol.storage import schema as t
from tabadol.storage.base import IngestRequest
from tabadol.storage.delivery import enqueue_deliveries_after
from tabadol.storage.provenance import provenance_row
from tabadol.storage.queries import search_text_for
from tabadol.storage.signals import CHANGES, notify_in_transaction
from tabadol.storage.signing_keys import load_signing_keys
from tabadol.types import (
    Decision,
    IngestOutcome,
    IngestReport,
    ItemVersion,
    Original,
    PubStatus,
    SigningKey,
    ensure_utc,
    utc_now,
)

# The job kind that runs the enrichment pipeline and the index stage on an item's head version.
ENRICH_JOB = "enrich"

# Keys per IN (...) list when looking rows up: below every driver's bound-parameter limit.
HEAD_LOOKUP_CHUNK = 500

# The executemany UPDATE of moved heads names its target with this parameter ("id" is a column).
_TARGET_ID = "target_item_id"


@dataclass
class BatchRows:
    """Everything an ingest batch will write, gathered while deciding (see `plan_ingest`)."""

    originals: dict[str, dict[str, Any]] = field(default_factory=dict)  # by SHA-256, first receipt wins
    new_items: dict[str, dict[str, Any]] = field(default_factory=dict)  # by item id: rows to insert
    moved_heads: dict[str, dict[str, Any]] = field(default_factory=dict)  # by item id: head columns
    versions: list[dict[str, Any]] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IngestPlan:
    """The outcome of every payload of a batch (aligned with the requests) and the rows to write."""

    results: list[IngestReport | TabadolError]
    rows: BatchRows


def ingest_payload(connection: Connection, request: IngestRequest) -> IngestReport:
    """Decide and write one payload inside the caller's write transaction (see Storage.ingest)."""
    plan = plan_ingest(connection, [request])
    [result] = plan.results
    if isinstance(result, TabadolError):
        raise result
    write_rows(connection, plan.rows)
    return result


def ingest_batch(
    connection: Connection, requests: Sequence[IngestRequest]
) -> list[IngestReport | TabadolError]:
    """Decide and write several payloads; a refused payload is reported in its slot and writes nothing."""
    plan = plan_ingest(connection, requests)
    write_rows(connection, plan.rows)
    return plan.results


def plan_ingest(connection: Connection, requests: Sequence[IngestRequest]) -> IngestPlan:
    """Read what the batch needs in a few queries, then decide every payload in order, in memory."""
    known_members = existing_members(connection, {request.member_code for request in requests})
    heads = load_heads(connection, _distinct_guids(requests))
    seq = max_seq(connection)
    # Read in this transaction, so a key revoked a moment ago is already refused.
    keys = load_signing_keys(connection) if any(any(r.signatures) for r in requests) else []
    rows = BatchRows()
    results: list[IngestReport | TabadolError] = []
    for request in requests:
        try:
            if request.member_code not in known_members:
                raise TabadolError(ErrorCode.MEMBER_NOT_FOUND, code=request.member_code)
            verdicts = decide(request.member_code, request.items, heads)
            stamps = _stamp(request, verdicts, keys)
        except TabadolError as exc:
            results.append(exc)  # refused before anything of it was gathered: it leaves no trace
            continue
        seq = _gather_payload(rows, request, verdicts, seq)
        rows.provenance.extend(stamps)
        for verdict in verdicts:
            if verdict.writes:
                heads[verdict.guid] = head_after(verdict, request.member_code, request.received_at)
        report = IngestReport(
            member_code=request.member_code,
            original_sha256=request.original.sha256,
            outcomes=tuple(IngestOutcome(v.decision, v.item_id, v.guid, v.version) for v in verdicts),
        )
        rows.audit.append(ingest_audit_values(request, report))
        results.append(report)
    return IngestPlan(results, rows)


def _stamp(
    request: IngestRequest, verdicts: Sequence[Verdict], keys: Sequence[SigningKey]
) -> list[dict[str, Any]]:
    """Provenance rows for the versions a payload writes (a refusal raises before any is gathered)."""
    if request.stamper is None:
        return []
    if request.signatures and len(request.signatures) != len(verdicts):
        raise TabadolError(
            ErrorCode.INVALID_SIGNATURE_HEADER,
            reason=f"{len(request.signatures)} signatures for {len(verdicts)} items",
        )
    declared = request.signatures or (None,) * len(verdicts)
    stamped = []
    for verdict, signature in zip(verdicts, declared, strict=True):
        if not verdict.writes:
            continue
        found = request.stamper.provenance(
            request.member_code,
            verdict.guid,
            verdict.version,
            verdict.item,
            signature,
            keys,
            request.received_at,
        )
        if found is not None:
            stamped.append(provenance_row(verdict.item_id, verdict.version, found, request.received_at))
    return stamped


def _distinct_guids(requests: Sequence[IngestRequest]) -> list[str]:
    return list(dict.fromkeys(item.guid or "" for request in requests for item in request.items))


def _gather_payload(rows: BatchRows, request: IngestRequest, verdicts: Sequence[Verdict], seq: int) -> int:
    """Add one accepted payload's rows; returns the last seq it used (seq stays gap-free)."""
    rows.originals.setdefault(request.original.sha256, _original_row(request.original, request.received_at))
    for verdict in verdicts:
        if not verdict.writes:
            continue
        seq += 1
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
        new_item = verdict.decision is Decision.NEW_ITEM
        _gather_version(rows, request.member_code, verdict.guid, version, seq, new_item, verdict.content)
    return seq


def _gather_version(
    rows: BatchRows,
    member_code: str,
    guid: str,
    version: ItemVersion,
    seq: int,
    new_item: bool,
    content: Mapping[str, Any],
) -> None:
    """Queue one version row and the item row it creates or moves forward (the newest one wins)."""
    head = _head_values(version, seq)
    if new_item:
        first_created = ensure_utc(version.parsed.first_created) or head["version_created"]
        rows.new_items[version.item_id] = {
            "id": version.item_id,
            "member_code": member_code,
            "guid": guid,
            "first_created": first_created,
            **head,
        }
    elif version.item_id in rows.new_items:
        # Created earlier in this batch: its row is not written yet, so it simply takes the new head.
        rows.new_items[version.item_id].update(head)
    else:
        rows.moved_heads[version.item_id] = head
    rows.versions.append(_version_row(version, seq, content))


def _version_row(version: ItemVersion, seq: int, content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "item_id": version.item_id,
        "version": version.version,
        "content_sha256": version.content_sha256,
        "original_sha256": version.original_sha256,
        # `content` is parsed_item_to_json(version.parsed): plain JSON values already.
        "parsed": json.dumps(content, ensure_ascii=False, sort_keys=True),
        "received_at": version.received_at,
        "received_via": version.received_via,
        "received_by": version.received_by,
        "seq": seq,
    }


def _original_row(original: Original, received_at: datetime) -> dict[str, Any]:
    return {
        "sha256": original.sha256,
        "content_type": original.content_type,
        "size": original.size,
        "data": original.data,
        "first_received_at": received_at,
    }


def write_rows(connection: Connection, rows: BatchRows) -> None:
    """Write a planned batch with one statement per table, parents before children (foreign keys)."""
    known = existing_originals(connection, list(rows.originals))
    new_originals = [row for sha, row in rows.originals.items() if sha not in known]
    if new_originals:
        connection.execute(insert(t.originals), new_originals)
    if rows.new_items:
        connection.execute(insert(t.items), list(rows.new_items.values()))
    if rows.moved_heads:
        # first_created stays: an item's creation does not move with its versions.
        statement = update(t.items).where(t.items.c.id == bindparam(_TARGET_ID))
        connection.execute(
            statement, [{_TARGET_ID: item_id, **head} for item_id, head in rows.moved_heads.items()]
        )
    if rows.versions:
        connection.execute(insert(t.item_versions), rows.versions)
    if rows.provenance:
        connection.execute(insert(t.item_provenance), rows.provenance)
    if rows.audit:
        connection.execute(insert(t.audit_log), rows.audit)
    if rows.versions:
        # An enrichment job for every item this batch wrote (new, new version, kill), in the same
        # transaction: an acknowledged item is never left unenriched, whatever crashes after the commit.
        # Every written item's head seq is above the batch's first seq.
        first_seq = min(version["seq"] for version in rows.versions)
        now = utc_now()
        job_queue.enqueue_for_items_after(connection, ENRICH_JOB, first_seq - 1, now)
        # And a delivery job for each (due when its embargo ends): subscribers' channels are fed by it.
        enqueue_deliveries_after(connection, first_seq - 1, now)
        notify_in_transaction(connection, CHANGES)


def existing_members(connection: Connection, codes: Iterable[str]) -> set[str]:
    return set(_existing_keys(connection, t.members.c.code, list(codes)))


def existing_originals(connection: Connection, shas: Sequence[str]) -> set[str]:
    return set(_existing_keys(connection, t.originals.c.sha256, shas))


def _existing_keys(connection: Connection, column: Any, keys: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(keys), HEAD_LOOKUP_CHUNK):
        chunk = keys[start : start + HEAD_LOOKUP_CHUNK]
        found.extend(connection.execute(select(column).where(column.in_(chunk))).scalars())
    return found


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
        t.items.c.pub_status,
        t.items.c.received_at,
    )
    for start in range(0, len(guids), HEAD_LOOKUP_CHUNK):
        chunk = guids[start : start + HEAD_LOOKUP_CHUNK]
        for row in connection.execute(select(*columns).where(t.items.c.guid.in_(chunk))):
            heads[row.guid] = Head(
                row.id,
                row.member_code,
                row.version,
                row.content_sha256,
                row.sender_version_created,
                killed=row.pub_status == PubStatus.CANCELED.value,
                received_at=row.received_at,
            )
    return heads


def max_seq(connection: Connection) -> int:
    return int(connection.execute(select(func.max(t.item_versions.c.seq))).scalar() or 0)


def store_original(connection: Connection, original: Original, received_at: datetime) -> None:
    """Once per SHA-256: identical bytes re-sent keep their first receipt time."""
    if not existing_originals(connection, [original.sha256]):
        connection.execute(insert(t.originals).values(**_original_row(original, received_at)))


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
        "member": request.member_code,
    }
    return {
        "at": request.received_at,
        "actor_member": request.actor_member,
        "actor_key_id": request.received_by,
        "action": "items.ingest",
        "target": request.original.sha256,
        "remote_addr": request.remote_addr,
        # Plain JSON values already, so json.dumps gives to_json's exact text without its walk.
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


def insert_audit(connection: Connection, values: Mapping[str, Any]) -> None:
    connection.execute(insert(t.audit_log), [dict(values)])


def restore_versions_in(connection: Connection, versions: Sequence[tuple[str, str, ItemVersion]]) -> None:
    """Insert backed-up versions unless present (see Storage.restore_version and restore_many).

    Set-based like ingest: what the checks need is read once for the whole sequence, and each
    version is checked against the store as the versions before it in the sequence leave it.
    Raises BACKUP_INVALID at the first version that does not fit; the caller's transaction then
    rolls back every version of the sequence.
    """
    item_ids = list(dict.fromkeys(version.item_id for _, _, version in versions))
    present = _present_versions(connection, item_ids)
    heads = _restore_heads(connection, item_ids)
    members = existing_members(connection, {member_code for member_code, _, _ in versions})
    originals = existing_originals(connection, list({v.original_sha256 for _, _, v in versions}))
    seq = max_seq(connection)
    rows = BatchRows()
    for member_code, guid, version in versions:
        if (version.item_id, version.version) in present:
            continue
        head = heads.get(version.item_id)
        _check_restorable(member_code, guid, version, head[0] if head else None, members, originals)
        seq += 1
        content = parsed_item_to_json(version.parsed)
        if head is None or version.version > head[1]:
            _gather_version(rows, member_code, guid, version, seq, head is None, content)
            heads[version.item_id] = (member_code, version.version)
        else:  # an older version restored after a newer one leaves the head where it is
            rows.versions.append(_version_row(version, seq, content))
        present.add((version.item_id, version.version))
    write_rows(connection, rows)


def _present_versions(connection: Connection, item_ids: Sequence[str]) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    columns = (t.item_versions.c.item_id, t.item_versions.c.version)
    for start in range(0, len(item_ids), HEAD_LOOKUP_CHUNK):
        chunk = item_ids[start : start + HEAD_LOOKUP_CHUNK]
        rows = connection.execute(select(*columns).where(t.item_versions.c.item_id.in_(chunk)))
        found.update((row.item_id, row.version) for row in rows)
    return found


def _restore_heads(connection: Connection, item_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Item id -> (owner, head version)."""
    heads: dict[str, tuple[str, int]] = {}
    columns = (t.items.c.id, t.items.c.member_code, t.items.c.version)
    for start in range(0, len(item_ids), HEAD_LOOKUP_CHUNK):
        chunk = item_ids[start : start + HEAD_LOOKUP_CHUNK]
        for item_id, owner, version in connection.execute(select(*columns).where(t.items.c.id.in_(chunk))):
            heads[item_id] = (owner, version)
    return heads


def _check_restorable(
    member_code: str,
    guid: str,
    version: ItemVersion,
    owner: str | None,
    members: set[str],
    originals: set[str],
) -> None:
    def invalid(reason: str) -> TabadolError:
        return TabadolError(
            ErrorCode.BACKUP_INVALID, reason=f"version {version.version} of {guid!r}: {reason}"
        )

    if member_code not in members:
        raise invalid(f"no member {member_code}")
    if owner is not None and owner != member_code:
        raise invalid(f"the item belongs to {owner}, not {member_code}")
    if version.original_sha256 not in originals:
        raise invalid(f"original {version.original_sha256} is missing")
