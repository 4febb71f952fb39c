"""Migration 10: delivery — the per-subscription event log (the outbox every channel reads),
webhook endpoints with their delivery state, and webhook dead letters.

The tables are frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

items = Table("items", metadata, Column("id", String(32), primary_key=True))
subscriptions = Table("subscriptions", metadata, Column("id", String(32), primary_key=True))

subscription_events = Table(
    "subscription_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), nullable=False),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("replaces", Integer),
    Column("source_member", String(32), nullable=False),
    Column("language", String(35)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscription_id", "item_id", "version", "kind", name="uq_subscription_events_once"),
    Index("ix_subscription_events_feed", "subscription_id", "id"),
    Index("ix_subscription_events_item", "item_id", "subscription_id"),
    Index("ix_subscription_events_created", "created_at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("position", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("worker", String(200)),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("delivered", Integer, nullable=False),
    Column("paused_at", UTCDateTime),
    Index("ix_webhooks_due", "next_attempt_at"),
)

webhook_dead_letters = Table(
    "webhook_dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), nullable=False),
    Column("event_id", Integer, ForeignKey("subscription_events.id"), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("dead_at", UTCDateTime, nullable=False),
    Column("replayed_at", UTCDateTime),
    Index("ix_webhook_dead_letters_subscription", "subscription_id", "id"),
    sqlite_autoincrement=True,
)


def apply(connection: Connection) -> None:
    subscription_events.create(connection)
    webhooks.create(connection)
    webhook_dead_letters.create(connection)
