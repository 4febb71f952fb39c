"""Migration 9: takes, the rows of the usage ledger (who republished whose item, when).

The table is frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, ForeignKey, Index, Integer, MetaData, String, Table

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

items = Table("items", metadata, Column("id", String(32), primary_key=True))

takes = Table(
    "takes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("source_member", String(32), nullable=False),
    Column("taker_member", String(32), nullable=False),
    Column("key_id", String(32)),
    Column("item_language", String(35)),
    Column("reader_language", String(35), nullable=False),
    Column("translated", Boolean, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Index("ix_takes_taker", "taker_member", "taken_at"),
    Index("ix_takes_source", "source_member", "taken_at"),
    sqlite_autoincrement=True,
)


def apply(connection: Connection) -> None:
    takes.create(connection)
