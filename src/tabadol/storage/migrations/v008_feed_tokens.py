"""Migration 8: revocable tokens for subscriptions' syndication feeds.

The table is frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, ForeignKey, Index, MetaData, String, Table

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

subscriptions = Table("subscriptions", metadata, Column("id", String(32), primary_key=True))

feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_feed_tokens_subscription", "subscription_id"),
)


def apply(connection: Connection) -> None:
    feed_tokens.create(connection)
