"""Migration 11: the public signing keys the hub publishes (members' and its own).

The table is frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, ForeignKey, Index, MetaData, String, Table, Text

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

members = Table("members", metadata, Column("code", String(32), primary_key=True))

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code")),
    Column("public_key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_signing_keys_member", "member_code"),
)


def apply(connection: Connection) -> None:
    signing_keys.create(connection)
