"""Migration 2: a trigram index for the case-insensitive substring search, where possible.

Only PostgreSQL with the pg_trgm extension available benefits (a GIN index serves `LIKE '%x%'`).
The extension is optional: when it cannot be created the search still works, by a scan, so the
attempt runs in a savepoint and its failure is not a migration failure. SQLite has no such index.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError


def apply(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError:
        return
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS ix_items_search_trgm ON items USING gin (search_text gin_trgm_ops)")
    )
