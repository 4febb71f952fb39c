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

import numpy as np
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
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
    # The few items the public reading rule hides (under embargo, killed), found without a scan
    # (migration 16): counts over every readable item subtract theirs.
    Index(
        "ix_items_embargoed",
        "embargoed_until",
        sqlite_where=text("embargoed_until IS NOT NULL"),
        postgresql_where=text("embargoed_until IS NOT NULL"),
    ),
    Index(
        "ix_items_killed",
        "pub_status",
        sqlite_where=text("pub_status = 'canceled'"),
        postgresql_where=text("pub_status = 'canceled'"),
    ),
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


# -- enrichment and index (migration 6) ------------------------------------------------------------

EMBEDDING_DIM = 384  # multilingual-e5-small; another model size needs a migration of `item_vectors`


class Embedding(TypeDecorator[Any]):
    """A float32 vector: pgvector's `vector(384)` on PostgreSQL (searchable by the `<=>` cosine
    operator and an HNSW index), raw little-endian float32 bytes on SQLite (searched in process)."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import VECTOR

            return dialect.type_descriptor(VECTOR(EMBEDDING_DIM))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        array = np.asarray(value, dtype="<f4").reshape(-1)
        if dialect.name == "postgresql":
            return array
        return array.tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return np.frombuffer(bytes(value), dtype="<f4").copy()
        return np.asarray(value, dtype=np.float32)


# One row per item and component: the component's output for the item's version `item_version`,
# made by `component_version`; `error` is set when the component failed on this item.
enrichments = Table(
    "enrichments",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
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
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False, unique=True),
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
    Column("item_id", String(32), ForeignKey("items.id"), primary_key=True),
    Column("story_id", String(32), ForeignKey("stories.id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Index("ix_story_items_story", "story_id"),
)

# Links between items found by the index: kind "near_duplicate" points a copy or light edit at its
# earlier source, with the similarity.
item_links = Table(
    "item_links",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("target_id", String(32), ForeignKey("items.id"), nullable=False),
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
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
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


# -- subscriptions (migration 7) --------------------------------------------------------------------

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("filter", Text, nullable=False),  # JSON, deliver/subscriptions.filter_json
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),  # removed subscriptions are kept for the audit trail
    Index("ix_subscriptions_member", "member_code"),
)

# Revocable tokens that put a subscription's syndication feeds (Atom, RSS, JSON Feed) at a URL a feed
# reader can poll without an API key (migration 8). Only SHA-256 of the secret is stored.
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

# A member's editor took another member's item to republish it (migration 9): the usage ledger's rows.
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


# The per-subscription event log: what each subscription received, in delivery order. Every channel
# (pull feed, SSE, webhooks) reads it; ids are assigned max + 1 under the writer lock, so they are
# gap-free and in commit order, and a cursor "after id N" never skips a row committed later.
subscription_events = Table(
    "subscription_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), nullable=False),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # publish | update | kill
    Column("replaces", Integer),  # the version this subscription had before (update, kill)
    Column("source_member", String(32), nullable=False),
    Column("language", String(35)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscription_id", "item_id", "version", "kind", name="uq_subscription_events_once"),
    Index("ix_subscription_events_feed", "subscription_id", "id"),
    Index("ix_subscription_events_item", "item_id", "subscription_id"),
    Index("ix_subscription_events_created", "created_at"),
)

# One webhook endpoint per subscription and where its delivery stands (position = last event id done).
webhooks = Table(
    "webhooks",
    metadata,
    Column("subscription_id", String(32), ForeignKey("subscriptions.id"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # needed in clear to sign; never returned after creation
    Column("previous_secret", Text),  # still signed with during a rotation's grace period
    Column("previous_secret_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("position", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),  # failed attempts on the event after `position`
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

# Public Ed25519 keys the hub publishes: a member's (member_code) or the hub's own (member_code NULL).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code")),
    Column("public_key", Text, nullable=False),  # raw 32 bytes, base64url without padding
    Column("label", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_signing_keys_member", "member_code"),
)

# The provenance of each item version: a member's own signature checked on receipt, or the hub's
# signature vouching for the authenticated member that delivered it (verify/provenance.py).
item_provenance = Table(
    "item_provenance",
    metadata,
    Column("item_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("signer_kind", String(16), nullable=False),  # "member" or "hub"
    Column("signer", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),  # Ed25519, base64url without padding
    Column("canonical_version", Integer, nullable=False),
    Column("verified", String(32), nullable=False),  # VerifyStatus at receipt
    Column("reason", Text, nullable=False),
    Column("signed_by_hub_for", String(32)),
    Column("recorded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "version"),
    ForeignKeyConstraint(["item_id", "version"], ["item_versions.item_id", "item_versions.version"]),
)

# -- fact checks (migration 13) ---------------------------------------------------------------------

# Members' fact checks (schema.org ClaimReview, verify/claims.py). The id is derived from the review's
# URL, so importing the same review again updates its row. `record` is the review as ClaimReview
# JSON-LD; the columns beside it are what listings filter and show. `embedding` is the claim's float32
# vector as raw bytes on both backends: reviews are few next to items and are searched in process.
claim_reviews = Table(
    "claim_reviews",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("url", Text, nullable=False),
    Column("record", Text, nullable=False),  # JSON-LD of one ClaimReview
    Column("claim_text", Text, nullable=False),
    Column("language", String(35)),
    Column("rating", Text, nullable=False),  # the verdict as a reader sees it
    Column("date_published", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("model", String(100)),  # the embedder's model id, None when not embedded
    Column("embedding", LargeBinary),
    Index("ix_claim_reviews_listing", "created_at", "id"),
    Index("ix_claim_reviews_member", "member_code", "created_at"),
)

# An item whose text matched a reviewed claim (verify/factchecks.py), with the score and its parts.
claim_review_matches = Table(
    "claim_review_matches",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("review_id", String(32), ForeignKey("claim_reviews.id"), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("parts", Text, nullable=False),  # JSON object: claim_match.ScoreParts
    Column("matched_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("item_id", "review_id"),
    Index("ix_claim_review_matches_review", "review_id"),
)

# People who log in to the newsroom (web/portal/accounts.py), their sessions (only the SHA-256 of
# the cookie's token is kept) and failed logins, counted for throttling by every hub process.
web_users = Table(
    "web_users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),  # scrypt$N$r$p$salt$hash
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    Index("ix_web_users_member", "member_code"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("web_users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("remote_addr", String(64)),
    Index("ix_web_sessions_user", "user_id"),
    Index("ix_web_sessions_expires", "expires_at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("remote_addr", String(64)),
    Index("ix_login_failures_user", "username", "at"),
    Index("ix_login_failures_addr", "remote_addr", "at"),
)

# -- item facets (migration 16) ---------------------------------------------------------------------

# What an item is about, as the pages group and filter by it (enrich/facets.py): facet "topic" with an
# IPTC code (`medtop:...`) and its score, facet "country" with an ISO 3166-1 alpha-2 code and how many
# times the item mentions it. Derived from the `topics` and `entities` results and written with them
# (storage/facets.py), so the item's rows of a facet always match its stored result; never backed up
# (restored items are enriched again). The index finds the items of a value without reading any JSON.
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
