"""Migration 6: enrichment results, item vectors, stories, item links, topic schemes, translations.

The tables are frozen here as released (not imported from schema.py). They carry no foreign keys:
a restore writes items before anything derived, and derived rows are rebuilt by `tabadol enrich
--rebuild` rather than restored. On PostgreSQL the vectors get an HNSW index for cosine distance
(pgvector); on SQLite they are searched in process (storage/vectors.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from tabadol.storage.schema import Embedding, UTCDateTime

metadata = MetaData()

# One row per item and component: the component's output for the item's version `item_version`,
# made by `component_version`; `error` is set when the component failed on this item.
enrichments = Table(
    "enrichments",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("component", String(64), nullable=False),
    Column("component_version", String(64), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Column("error", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "component"),
    Index("ix_enrichments_component", "component", "component_version"),
)

# The vector of each live item's head version with what story matching compares (`features`: JSON of
# numbers, entity ids, dates) and its near-duplicate fingerprint. `seq` increases on every write, so
# an in-process index (SQLite) catches up by reading rows above the last seq it saw.
item_vectors = Table(
    "item_vectors",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(32), nullable=False, unique=True),
    Column("item_version", Integer, nullable=False),
    Column("model", String(100), nullable=False),
    Column("member_code", String(32), nullable=False),
    Column("language", String(35)),
    Column("at", UTCDateTime, nullable=False),  # the item's version time: the story window
    Column("vector", Embedding(), nullable=False),
    Column("features", Text, nullable=False),
    Column("fingerprint", LargeBinary),
    Index("ix_item_vectors_at", "at"),
    sqlite_autoincrement=True,
)

stories = Table(
    "stories",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("merged_into", String(32)),  # set when merged: the id keeps resolving to the survivor
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_stories_last_seen", "last_seen"),
)

story_items = Table(
    "story_items",
    metadata,
    Column("item_id", String(32), primary_key=True),
    Column("story_id", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Index("ix_story_items_story", "story_id"),
)

# Links between items found by the index: kind "near_duplicate" points a copy or light edit at its
# earlier source, with the similarity.
item_links = Table(
    "item_links",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("target_id", String(32), nullable=False),
    Column("similarity", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "kind"),
    Index("ix_item_links_target", "target_id"),
)

topic_schemes = Table(
    "topic_schemes",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("labels", Text, nullable=False),  # JSON list
    Column("data", LargeBinary, nullable=False),  # TopicScheme.to_bytes()
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64)),
)

# Machine translations, apart from the originals and always labelled as machine output.
translations = Table(
    "translations",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("target_language", String(35), nullable=False),
    Column("source_language", String(35), nullable=False),
    Column("backend", String(64), nullable=False),
    Column("model_id", String(200), nullable=False),
    Column("headline", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "item_version", "target_language"),
)


def apply(connection: Connection) -> None:
    metadata.create_all(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "CREATE INDEX IF NOT EXISTS ix_item_vectors_hnsw ON item_vectors "
                "USING hnsw (vector vector_cosine_ops)"
            )
        )
