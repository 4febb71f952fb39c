"""Migration 3: on SQLite, a removed feed's id is never given to a new feed.

The audit log names feeds by id ("feed.add 1", "feed.remove 1"); SQLite's plain integer primary key
reuses the highest id after a delete, so two different feeds could share one id in that history.
AUTOINCREMENT forbids reuse; SQLite cannot add it to an existing table, so the table is rebuilt with
the same columns, rows and index. PostgreSQL's sequences never reuse ids: nothing to do there.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_COLUMNS = (
    "id, member_code, url, interval_seconds, etag, last_modified, next_poll_at, consecutive_errors, "
    "last_error, last_polled_at, enabled"
)


def apply(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    connection.execute(
        text(
            """
            CREATE TABLE feeds_v3 (
                id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                member_code VARCHAR(32) NOT NULL REFERENCES members (code),
                url TEXT NOT NULL,
                interval_seconds INTEGER NOT NULL,
                etag TEXT,
                last_modified TEXT,
                next_poll_at DATETIME NOT NULL,
                consecutive_errors INTEGER NOT NULL,
                last_error TEXT,
                last_polled_at DATETIME,
                enabled BOOLEAN NOT NULL
            )
            """
        )
    )
    connection.execute(text(f"INSERT INTO feeds_v3 ({_COLUMNS}) SELECT {_COLUMNS} FROM feeds"))
    connection.execute(text("DROP TABLE feeds"))
    connection.execute(text("ALTER TABLE feeds_v3 RENAME TO feeds"))
    connection.execute(text("CREATE INDEX ix_feeds_due ON feeds (enabled, next_poll_at)"))
