"""Migration 15: a full-text index for the substring search on SQLite (FTS5, trigram tokenizer).

PostgreSQL has served `search_text LIKE '%x%'` from a pg_trgm GIN index since migration 2; SQLite
scanned every row (about 0.1 to 0.7 s at 100,000 items). FTS5's trigram tokenizer indexes every
three-character sequence, so a MATCH on a quoted term finds the rows holding that substring without
a scan; queries keep their LIKE condition, so the index only narrows and never changes an answer.

`items_fts` is an external-content table over `items.search_text`, keyed by `items.seq` (unique and,
unlike SQLite's implicit rowid of a table with a text key, never renumbered by VACUUM). Triggers keep
it in step with every insert, new version (seq and search text change) and delete. SQLite builds
without FTS5 or its trigram tokenizer (before 3.34) skip the index: search then scans, as before.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

FTS_TABLE = "items_fts"

_REMOVE_OLD = (
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.seq, old.search_text)"
)
_ADD_NEW = f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.seq, new.search_text)"
_STATEMENTS = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "search_text, content='items', content_rowid='seq', tokenize='trigram')",
    f"CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN {_ADD_NEW}; END",
    f"CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN {_REMOVE_OLD}; END",
    f"CREATE TRIGGER items_fts_update AFTER UPDATE OF seq, search_text ON items "
    f"BEGIN {_REMOVE_OLD}; {_ADD_NEW}; END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)


def apply(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE VIRTUAL TABLE temp.fts_probe USING fts5(x, tokenize='trigram')"))
            connection.execute(text("DROP TABLE temp.fts_probe"))
    except DBAPIError:
        return  # no FTS5 trigram tokenizer in this SQLite: the search scans
    for statement in _STATEMENTS:
        connection.execute(text(statement))
