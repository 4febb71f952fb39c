"""Migration 16: item facets, the topics and countries of each item as indexed rows.

The public topic and country pages found their items with a LIKE over the enrichment JSON, which
reads every item's result when a topic is rare. `item_facets` holds one row per item and topic (IPTC
code) or country (ISO code), with the index (facet, value, item_id) to find the items of a value;
two small partial indexes on `items` find the items the public reading rule hides (embargoed, killed).

The rows are derived data (enrich/facets.py): the backfill reads the stored `topics` and `entities`
results that did not fail, in chunks (both dialects, in Python: the derivation is not SQL), and from
then on storage/index.save_results writes them with every result. The table is frozen here as
released (not imported from schema.py).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)

from tabadol.enrich.facets import COMPONENT_OF_FACET, facet_values

# Items whose results are read per round trip (two results of a few hundred bytes each, typically).
CHUNK = 1000

metadata = MetaData()

items = Table("items", metadata, Column("id", String(32), primary_key=True))

enrichments = Table(
    "enrichments",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("component", String(64), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("error", Text),
    PrimaryKeyConstraint("item_id", "component"),
)

item_facets = Table(
    "item_facets",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("facet", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("score", Float),
    PrimaryKeyConstraint("item_id", "facet", "value"),
    Index("ix_item_facets_value", "facet", "value", "item_id"),
)


# Partial indexes of the items the public reading rule hides (under embargo, killed): few, so counts
# over every readable item subtract theirs instead of reading every item (same SQL on both dialects).
_HIDDEN_ITEMS = (
    "CREATE INDEX ix_items_embargoed ON items (embargoed_until) WHERE embargoed_until IS NOT NULL",
    "CREATE INDEX ix_items_killed ON items (pub_status) WHERE pub_status = 'canceled'",
)


def apply(connection: Connection) -> None:
    item_facets.create(connection)
    for statement in _HIDDEN_ITEMS:
        connection.execute(text(statement))
    backfill(connection)
    if connection.dialect.name == "postgresql":
        # The planner picks the facet index or the items' listing by these statistics (a rare or a
        # common value): gather them now rather than when autovacuum gets to the new rows.
        connection.execute(text("ANALYZE item_facets"))


def backfill(connection: Connection) -> int:
    """Write the facet rows of every stored topics and entities result; returns how many."""
    e = enrichments.c
    components = sorted(COMPONENT_OF_FACET.values())
    last = ""
    written = 0
    while True:
        # Items in id order, CHUNK at a time, then their results by the enrichments' primary key:
        # a keyset over the results themselves would use the component index and sort every chunk.
        chunk = select(items.c.id).where(items.c.id > last).order_by(items.c.id).limit(CHUNK)
        ids = list(connection.execute(chunk).scalars())
        if not ids:
            return written
        query = select(e.item_id, e.component, e.data).where(
            e.item_id.in_(ids), e.component.in_(components), e.error.is_(None)
        )
        values: list[dict[str, Any]] = [
            {"item_id": row.item_id, "facet": found.facet, "value": found.value, "score": found.score}
            for row in connection.execute(query)
            for found in facet_values(row.component, _object(row.data))
        ]
        if values:
            connection.execute(insert(item_facets), values)
        written += len(values)
        last = ids[-1]


def _object(data: str) -> dict[str, Any]:
    found = json.loads(data)
    return found if isinstance(found, dict) else {}
