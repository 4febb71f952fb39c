"""Migration 13: fact checks (schema.org ClaimReview) and the items they were matched with.

The tables are frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

members = Table("members", metadata, Column("code", String(32), primary_key=True))
items = Table("items", metadata, Column("id", String(32), primary_key=True))

claim_reviews = Table(
    "claim_reviews",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("url", Text, nullable=False),
    Column("record", Text, nullable=False),
    Column("claim_text", Text, nullable=False),
    Column("language", String(35)),
    Column("rating", Text, nullable=False),
    Column("date_published", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("model", String(100)),
    Column("embedding", LargeBinary),
    Index("ix_claim_reviews_listing", "created_at", "id"),
    Index("ix_claim_reviews_member", "member_code", "created_at"),
)

claim_review_matches = Table(
    "claim_review_matches",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("review_id", String(32), ForeignKey("claim_reviews.id"), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("parts", Text, nullable=False),
    Column("matched_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "review_id"),
    Index("ix_claim_review_matches_review", "review_id"),
)


def apply(connection: Connection) -> None:
    claim_reviews.create(connection)
    claim_review_matches.create(connection)
