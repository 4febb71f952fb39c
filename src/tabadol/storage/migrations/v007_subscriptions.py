"""Migration 7: members' subscriptions (issue 4's delivery starts from them).

The table is frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, ForeignKey, Index, MetaData, String, Table, Text

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

members = Table("members", metadata, Column("code", String(32), primary_key=True))

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("filter", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
    Index("ix_subscriptions_member", "member_code"),
)


def apply(connection: Connection) -> None:
    subscriptions.create(connection)
