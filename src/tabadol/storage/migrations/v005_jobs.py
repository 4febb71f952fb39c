"""Migration 5: the durable job queue (storage/jobs.py) that runs work after ingest.

The table is frozen here as released (not imported from schema.py). On SQLite the id is
AUTOINCREMENT so a completed (deleted) job's id is never handed to a new job: a worker that still
holds an old id after losing its lease must never complete or fail someone else's job.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, Text

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("item_id", String(32)),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("worker", String(200)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("dead_at", UTCDateTime),
    Index("ix_jobs_due", "not_before", "id"),
    Index("ix_jobs_kind_item", "kind", "item_id"),
    sqlite_autoincrement=True,
)


def apply(connection: Connection) -> None:
    metadata.create_all(connection)
