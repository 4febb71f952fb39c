"""Numbered schema migrations, applied in order, each in its own transaction.

A migration is a function of an open connection (inside the transaction the runner opened). It may
branch on `connection.dialect.name` for SQL that differs between SQLite and PostgreSQL. Applied
numbers are recorded in `schema_migrations`, so `migrate()` twice is a no-op. Released migrations
are never edited: a change to the schema is a new migration at the end of `MIGRATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from tabadol.storage.migrations import (
    v001_initial,
    v002_text_search,
    v003_feed_ids_never_reused,
    v004_search_text_normalised,
    v005_jobs,
    v006_enrichment,
    v007_subscriptions,
    v008_feed_tokens,
    v009_takes,
    v010_delivery,
    v011_signing_keys,
    v012_item_provenance,
    v013_claim_reviews,
    v014_web_accounts,
    v015_search_fts,
    v016_item_facets,
    v017_search_trigrams,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", v001_initial.apply),
    Migration(2, "trigram index for text search (PostgreSQL with pg_trgm)", v002_text_search.apply),
    Migration(3, "feed ids are never reused (SQLite AUTOINCREMENT)", v003_feed_ids_never_reused.apply),
    Migration(4, "search text in the normalised search form", v004_search_text_normalised.apply),
    Migration(5, "durable job queue", v005_jobs.apply),
    Migration(6, "enrichment, vectors, stories, links, topic schemes, translations", v006_enrichment.apply),
    Migration(7, "subscriptions", v007_subscriptions.apply),
    Migration(8, "syndication feed tokens", v008_feed_tokens.apply),
    Migration(9, "takes (the usage ledger)", v009_takes.apply),
    Migration(10, "delivery: subscription events, webhooks, dead letters", v010_delivery.apply),
    Migration(11, "published signing keys", v011_signing_keys.apply),
    Migration(12, "item provenance", v012_item_provenance.apply),
    Migration(13, "fact checks (ClaimReview) and their matches with items", v013_claim_reviews.apply),
    Migration(14, "newsroom accounts, sessions and failed logins", v014_web_accounts.apply),
    Migration(15, "full-text index for text search (SQLite FTS5 trigram)", v015_search_fts.apply),
    Migration(16, "item facets: topics and countries of each item, indexed", v016_item_facets.apply),
    Migration(17, "trigram index for text search (PostgreSQL without pg_trgm)", v017_search_trigrams.apply),
)

LATEST_VERSION = MIGRATIONS[-1].version
