"""The tables, as SQLAlchemy Core objects shared by both backends.

This is the schema as the newest migration leaves it. Migrations (storage/migrations) create and
alter the database, each with its own frozen DDL; queries (storage/sql.py) are written against these
objects. A change here must come with a new migration that makes the same change, and a test that
a migrated database matches (tests/storage/test_migrations.py).

Datetimes use `UTCDateTime`: timestamptz on PostgreSQL; on SQLite, SQLAlchemy's fixed-width ISO text
of the UTC instant, which sorts chronologically, so range filters and ORDER BY work the same on both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
)

from tabadol.types import ensure_utc


class UTCDateTime(TypeDecorator[datetime]):
    """Accepts only datetimes (naive ones are taken as UTC) and always returns aware UTC ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        utc = ensure_utc(value)
        if utc is not None and dialect.name == "sqlite":
            # SQLite has no time zones: store the UTC wall time so text order is time order.
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return ensure_utc(value)


metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("names", Text, nullable=False),  # JSON object: BCP-47 tag -> name
    Column("country", String(2), nullable=False),
    Column("languages", Text, nullable=False),  # JSON array of BCP-47 tags
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("secret_hash", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    Index("ix_api_keys_member", "member_code"),
)

originals = Table(
    "originals",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("first_received_at", UTCDateTime, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("guid", Text, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("pub_status", String(16), nullable=False),
    Column("headline", Text, nullable=False),
    Column("language", String(35)),
    Column("first_created", UTCDateTime, nullable=False),
    # The sort key: the sender's version time, or the receipt time when the sender gave none.
    Column("version_created", UTCDateTime, nullable=False),
    # The sender's own version time only (None if absent): what the decider compares for staleness.
    Column("sender_version_created", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("embargoed_until", UTCDateTime),
    Column("original_sha256", String(64), ForeignKey("originals.sha256"), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("seq", Integer, nullable=False, unique=True),
    Column("search_text", Text, nullable=False),  # casefolded headline + body, for substring search
    Index("ix_items_listing", "version_created", "id"),
    Index("ix_items_member_listing", "member_code", "version_created", "id"),
    Index("ix_items_language", "language"),
)

item_versions = Table(
    "item_versions",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("original_sha256", String(64), ForeignKey("originals.sha256"), nullable=False),
    Column("parsed", Text, nullable=False),  # serialize.parsed_item_to_json, as JSON text
    Column("received_at", UTCDateTime, nullable=False),
    Column("received_via", String(32), nullable=False),
    Column("received_by", String(64)),
    Column("seq", Integer, nullable=False, unique=True),
    PrimaryKeyConstraint("item_id", "version"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_member", String(32)),
    Column("actor_key_id", String(64)),
    Column("action", String(64), nullable=False),
    Column("target", Text),
    Column("remote_addr", String(64)),
    Column("detail", Text, nullable=False),  # JSON object
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("url", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_poll_at", UTCDateTime, nullable=False),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_polled_at", UTCDateTime),
    Column("enabled", Boolean, nullable=False, default=True),
    Index("ix_feeds_due", "enabled", "next_poll_at"),
    sqlite_autoincrement=True,  # migration 3: ids are never reused
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    # Not a foreign key: queued work must never stand in the way of a restore into an empty store.
    Column("item_id", String(32)),
    Column("payload", Text, nullable=False),  # JSON object
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("worker", String(200)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("dead_at", UTCDateTime),  # set when a job is given up: it is kept but never claimed
    Index("ix_jobs_due", "not_before", "id"),
    Index("ix_jobs_kind_item", "kind", "item_id"),
    sqlite_autoincrement=True,  # migration 5: a finished job's id is never reused by a new job
)
