"""Migration 12: the provenance of every item version (who signed it, with which key, what the hub found).

The table is frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

item_versions = Table(
    "item_versions",
    metadata,
    Column("item_id", String(32)),
    Column("version", Integer),
    PrimaryKeyConstraint("item_id", "version"),
)

item_provenance = Table(
    "item_provenance",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("signer_kind", String(16), nullable=False),
    Column("signer", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Column("canonical_version", Integer, nullable=False),
    Column("verified", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("signed_by_hub_for", String(32)),
    Column("recorded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "version"),
    ForeignKeyConstraint(["item_id", "version"], ["item_versions.item_id", "item_versions.version"]),
)


def apply(connection: Connection) -> None:
    item_provenance.create(connection)
