"""The durable job queue: work that runs after ingest (enrichment), shared by every worker process.

Each function runs inside a transaction the storage opened (storage/sql.py) and is written once in
SQLAlchemy Core for both backends. A job's life:
- enqueued, it waits until `not_before` (now, for a new job);
- a claim leases it to one worker until `lease_until`;
- the worker completes it (the row is deleted) or fails it: with a retry time it waits again,
  without one it is dead (kept for operators, never claimed, until requeued);
- if the worker crashes, its lease expires and the job can be claimed again.

Why no job is ever claimed twice at once: on PostgreSQL the claim picks its rows with
`SELECT ... FOR UPDATE SKIP LOCKED` and leases them in the same statement, so concurrent claims
(other threads, other processes) each lock a different set of rows and never wait on each other;
on SQLite every claim is a write transaction (BEGIN IMMEDIATE), and SQLite has one writer at a time.
A claim counts as an attempt, so a job that keeps crashing its worker still counts up its attempts.

Workers name themselves (e.g. "host:pid:random"); a name must be unique among live workers, because
completing or failing a job checks that the caller still holds its lease.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    String,
    Text,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import schema as t
from tabadol.storage.records import to_json
from tabadol.storage.schema import UTCDateTime

# (kind, item_id, payload): what `enqueue_jobs` takes for each job.
JobSpec = tuple[str, str | None, Mapping[str, Any]]

KIND_MAX_LENGTH = 64
WORKER_MAX_LENGTH = 200
# Ids per IN (...) list: well under the bound-parameter limits of SQLite and pg8000.
_ID_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Job:
    """One queued piece of work, as stored. `attempts` counts the claims so far (this one included)."""

    id: int
    kind: str
    item_id: str | None
    payload: dict[str, Any] = field(hash=False)
    attempts: int
    not_before: datetime
    lease_until: datetime | None
    last_error: str | None
    created_at: datetime
    worker: str | None = None  # the worker holding (or last holding) the lease
    dead_at: datetime | None = None  # set when the job was given up


def retry_delay(
    attempts: int,
    base: float = 2.0,
    cap: float = 3600.0,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retrying a job that has failed `attempts` times (1 for the first).

    Exponential: `base`, then twice that, and so on, never above `cap`. Jitter takes up to the
    fraction `jitter` off at random, so workers that failed together (a database restart) do not
    all come back in the same second. `rng` returns a float in [0, 1); tests pass a fixed one.
    """
    if base <= 0 or cap <= 0 or not 0 <= jitter <= 1:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param="retry_delay", reason="base, cap > 0; 0 <= jitter <= 1"
        )
    # The exponent is bounded so a very old job cannot overflow the float; the cap applies anyway.
    exponent = min(max(attempts, 1) - 1, 64)
    delay = min(cap, base * 2.0**exponent)
    return delay * (1.0 - jitter * rng())


# -- validation -------------------------------------------------------------------------------------
def _require(condition: bool, param: str, reason: str) -> None:
    if not condition:
        raise TabadolError(ErrorCode.INVALID_QUERY, param=param, reason=reason)


def check_kind(kind: str) -> None:
    _require(0 < len(kind) <= KIND_MAX_LENGTH, "kind", f"must be 1 to {KIND_MAX_LENGTH} characters")


def check_worker(worker: str) -> None:
    _require(0 < len(worker) <= WORKER_MAX_LENGTH, "worker", f"must be 1 to {WORKER_MAX_LENGTH} characters")


def check_claim(kinds: Sequence[str] | None, worker: str, limit: int, lease_seconds: float) -> None:
    for kind in kinds or ():
        check_kind(kind)
    check_worker(worker)
    _require(limit >= 1, "limit", "must be at least 1")
    _require(lease_seconds > 0, "lease_seconds", "must be positive")


# -- rows -------------------------------------------------------------------------------------------
def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=int(row.id),
        kind=row.kind,
        item_id=row.item_id,
        payload=json.loads(row.payload),
        attempts=int(row.attempts),
        not_before=row.not_before,
        lease_until=row.lease_until,
        last_error=row.last_error,
        created_at=row.created_at,
        worker=row.worker,
        dead_at=row.dead_at,
    )


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + _ID_CHUNK] for start in range(0, len(values), _ID_CHUNK)]


def _waiting(now: datetime) -> ColumnElement[bool]:
    """Not dead, and not under a live lease (a lease that has expired counts as free)."""
    jobs = t.jobs.c
    return and_(jobs.dead_at.is_(None), or_(jobs.lease_until.is_(None), jobs.lease_until <= now))


def _of_kinds(kinds: Sequence[str] | None) -> list[ColumnElement[bool]]:
    return [] if kinds is None else [t.jobs.c.kind.in_(list(kinds))]


# -- operations -------------------------------------------------------------------------------------
def enqueue(connection: Connection, specs: Sequence[JobSpec], now: datetime) -> int:
    """Insert the jobs not already waiting; return how many were inserted.

    The caller must hold the writer lock: the "already waiting?" check and the insert must not
    interleave with another enqueue. A claim may interleave, and that is safe: a job seen waiting
    but leased a moment later is run by a worker that reads the item after this enqueue's caller
    stored it.
    """
    for kind, _, _ in specs:
        check_kind(kind)
    fresh = _drop_waiting(connection, _unique(specs), now)
    if not fresh:
        return 0
    rows = [
        {
            "kind": kind,
            "item_id": item_id,
            "payload": to_json(dict(payload)),
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        for kind, item_id, payload in fresh
    ]
    connection.execute(insert(t.jobs), rows)
    return len(rows)


def enqueue_for_items_after(connection: Connection, kind: str, seq: int, now: datetime) -> int:
    """Queue a `kind` job (empty payload) for every item whose head moved past `seq`, i.e. every item
    the caller's ingest just wrote, in one INSERT ... SELECT; items that already have a waiting job of
    that kind are skipped, as in `enqueue`. The caller holds the writer lock (same rule as `enqueue`).

    Set-based because it runs in every ingest transaction: one statement instead of a row per item
    through the driver keeps the queue's cost on ingest small."""
    check_kind(kind)
    waiting = (
        select(t.jobs.c.id)
        .where(t.jobs.c.kind == kind, t.jobs.c.item_id == t.items.c.id, _waiting(now))
        .exists()
    )
    rows = select(
        literal(kind, String(64)),
        t.items.c.id,
        literal("{}", Text),
        literal(0, Integer),
        literal(now, UTCDateTime),
        literal(now, UTCDateTime),
    ).where(t.items.c.seq > seq, ~waiting)
    statement = insert(t.jobs).from_select(
        ["kind", "item_id", "payload", "attempts", "not_before", "created_at"], rows
    )
    return int(connection.execute(statement).rowcount or 0)


def _unique(specs: Sequence[JobSpec]) -> list[JobSpec]:
    """The first of each (kind, item_id) in the batch; jobs without an item are never merged."""
    seen: set[tuple[str, str]] = set()
    unique: list[JobSpec] = []
    for spec in specs:
        kind, item_id, _ = spec
        if item_id is not None:
            if (kind, item_id) in seen:
                continue
            seen.add((kind, item_id))
        unique.append(spec)
    return unique


def _drop_waiting(connection: Connection, specs: list[JobSpec], now: datetime) -> list[JobSpec]:
    # One plain `item_id IN (...)` per kind (the (kind, item_id) index serves it); a row-value IN
    # over pairs costs SQLite several times more, on every ingest batch.
    by_kind: dict[str, list[str]] = {}
    for kind, item_id, _ in specs:
        if item_id is not None:
            by_kind.setdefault(kind, []).append(item_id)
    waiting: set[tuple[str, str]] = set()
    for kind, item_ids in by_kind.items():
        for chunk in _chunks(item_ids):
            query = select(t.jobs.c.item_id).where(
                t.jobs.c.kind == kind, t.jobs.c.item_id.in_(list(chunk)), _waiting(now)
            )
            waiting.update((kind, item_id) for item_id in connection.execute(query).scalars())
    return [spec for spec in specs if spec[1] is None or (spec[0], spec[1]) not in waiting]


def claim(
    connection: Connection,
    kinds: Sequence[str] | None,
    worker: str,
    limit: int,
    lease_seconds: float,
    now: datetime,
) -> list[Job]:
    """Lease up to `limit` due jobs to `worker`, oldest due first, in one statement."""
    check_claim(kinds, worker, limit, lease_seconds)
    if kinds is not None and not kinds:
        return []
    jobs = t.jobs.c
    claimable = (
        select(jobs.id)
        .where(_waiting(now), jobs.not_before <= now, *_of_kinds(kinds))
        .order_by(jobs.not_before, jobs.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite ignores it (one writer anyway)
        .cte("claimable")
    )
    statement = (
        update(t.jobs)
        .where(jobs.id.in_(select(claimable.c.id)))
        .values(attempts=jobs.attempts + 1, lease_until=now + timedelta(seconds=lease_seconds), worker=worker)
        .returning(*t.jobs.c)
    )
    claimed = [job_from_row(row) for row in connection.execute(statement)]
    # RETURNING gives no order; callers get the jobs in the order they became due.
    return sorted(claimed, key=lambda job: (job.not_before, job.id))


def _held_by(worker: str) -> ColumnElement[bool]:
    return and_(t.jobs.c.worker == worker, t.jobs.c.lease_until.is_not(None), t.jobs.c.dead_at.is_(None))


def complete(connection: Connection, job_ids: Sequence[int], worker: str) -> int:
    """Delete the jobs `worker` still holds; return how many. Jobs it lost (lease expired and
    claimed by another worker) are left to their new holder."""
    check_worker(worker)
    done = 0
    for chunk in _chunks(sorted(set(job_ids))):
        statement = delete(t.jobs).where(t.jobs.c.id.in_(list(chunk)), _held_by(worker))
        done += connection.execute(statement).rowcount
    return done


def fail(
    connection: Connection,
    job_id: int,
    worker: str,
    error: str,
    retry_at: datetime | None,
    now: datetime,
) -> bool:
    """Release a job `worker` holds with its error: due again at `retry_at`, or dead when None.
    False (nothing changed) when the worker no longer holds it."""
    check_worker(worker)
    values: dict[str, Any] = {"lease_until": None, "last_error": error}
    if retry_at is None:
        values["dead_at"] = now
    else:
        values["not_before"] = retry_at
    statement = update(t.jobs).where(t.jobs.c.id == job_id, _held_by(worker)).values(**values)
    return connection.execute(statement).rowcount > 0


def depth(connection: Connection, kinds: Sequence[str] | None) -> int:
    """Jobs not dead: waiting, scheduled for a retry, or running."""
    if kinds is not None and not kinds:
        return 0
    statement = select(func.count()).select_from(t.jobs).where(t.jobs.c.dead_at.is_(None), *_of_kinds(kinds))
    return int(connection.execute(statement).scalar() or 0)


def dead(connection: Connection, limit: int) -> list[Job]:
    _require(limit >= 1, "limit", "must be at least 1")
    statement = (
        select(t.jobs)
        .where(t.jobs.c.dead_at.is_not(None))
        .order_by(t.jobs.c.dead_at.desc(), t.jobs.c.id.desc())
        .limit(limit)
    )
    return [job_from_row(row) for row in connection.execute(statement)]


def requeue_dead(connection: Connection, job_ids: Sequence[int], now: datetime) -> int:
    """Bring dead jobs back, due now, with their attempts reset (the backoff starts afresh).

    A dead job whose (kind, item_id) already has a waiting job is deleted instead: the waiting one
    does the same work. Returns how many dead jobs were handled either way. The caller must hold
    the writer lock, as for `enqueue`.
    """
    handled = 0
    for chunk in _chunks(sorted(set(job_ids))):
        query = select(t.jobs).where(t.jobs.c.id.in_(list(chunk)), t.jobs.c.dead_at.is_not(None))
        for job in [job_from_row(row) for row in connection.execute(query)]:
            _revive_or_merge(connection, job, now)
            handled += 1
    return handled


def _revive_or_merge(connection: Connection, job: Job, now: datetime) -> None:
    if job.item_id is not None and _drop_waiting(connection, [(job.kind, job.item_id, {})], now) == []:
        connection.execute(delete(t.jobs).where(t.jobs.c.id == job.id))
        return
    revive = update(t.jobs).where(t.jobs.c.id == job.id)
    connection.execute(revive.values(dead_at=None, attempts=0, not_before=now, worker=None, lease_until=None))
