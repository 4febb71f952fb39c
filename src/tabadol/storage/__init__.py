"""Storage backends behind one protocol (see base.py)."""

from __future__ import annotations

from tabadol.storage.base import IngestRequest, Storage

__all__ = ["IngestRequest", "Storage", "open_storage"]


def open_storage(database_url: str) -> Storage:
    """SQLite for sqlite:///PATH, PostgreSQL for postgresql://... (driver pg8000)."""
    if database_url.startswith("sqlite"):
        from tabadol.storage.sqlite import SQLiteStorage

        return SQLiteStorage(database_url)
    if database_url.startswith(("postgresql", "postgres")):
        from tabadol.storage.postgres import PostgresStorage

        return PostgresStorage(database_url)
    from tabadol.errors import ErrorCode, TabadolError

    raise TabadolError(
        ErrorCode.CONFIG_INVALID,
        setting="TABADOL_DATABASE_URL",
        reason="use sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB",
    )
