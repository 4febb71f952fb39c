"""The SQLite full-text index (migration 15, FTS5 trigram) as a narrowing of `ItemQuery.text`.

The index never decides an answer: the `search_text LIKE` condition (queries.filters) stays, so the
matching is exactly LIKE's, literal wildcards and all. The index only restricts the rows LIKE is
tried on, and only when that is faster:
- a pattern under three characters has no trigram: the index finds nothing, so it is not asked;
- a common pattern (in SELECTIVE items or more) is found fastest as before, by reading the newest
  items in order until enough match; restricting to its index matches would read and sort all of
  them (at 100,000 items "the", in 14,703: under 10 ms by the scan, 150 to 260 ms through the index);
- a rare one (a phrase, a name) through the index: a few ms instead of a scan of every row
  (0.1 to 0.7 s at 100,000 items).
Every match of the LIKE pattern is a match of the quoted phrase: the trigram tokenizer folds case one
character at a time, the same fold on both sides, and the search text is in the search form already.

PostgreSQL has its own index: pg_trgm's (migration 2), used by the planner for the LIKE itself, or
where the server lacks pg_trgm, migration 17's over the text's trigrams as an array, which a query
must name (`trigram_prefilter`): rows holding every trigram of every pattern, LIKE deciding as ever.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, column, func, literal, select, table, text
from sqlalchemy.sql.elements import ColumnElement

from tabadol.enrich.normalize import normalize_for_search
from tabadol.storage import schema as t
from tabadol.storage.migrations.v015_search_fts import FTS_TABLE
from tabadol.storage.migrations.v017_search_trigrams import TRIGRAMS_FUNCTION, TRIGRAMS_INDEX

TRIGRAM = 3
# A pattern found in at least this many items is searched by the scan (see the module docstring).
# Measured at 100,000 items: through the index about 10 µs per match (the item row, its version, the
# sort), the scan about 3.5 µs per row read and it reads about items x page / matches rows, so for a
# page of ~10 the two meet near 600 matches; the index's cost is bounded by this number.
SELECTIVE = 1000
# Patterns longer than LONGEST characters are looked up by three pieces of PIECE characters.
LONGEST = 96
PIECE = 32

_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))
_PRESENT: weakref.WeakSet[Engine] = weakref.WeakSet()
_TRIGRAMS_PRESENT: weakref.WeakSet[Engine] = weakref.WeakSet()


def narrowing(connection: Connection, pattern: str) -> ColumnElement[bool] | None:
    """A condition restricting items to the index's matches of `pattern` (as ItemQuery.text), or None
    when the index is absent, cannot serve the pattern or would be slower than the scan. The matches
    are read once, here, and passed as values: the statement's own read is then by seq alone (the
    caller's read transaction sees the same rows in both). PostgreSQL: `trigram_prefilter`."""
    if connection.dialect.name == "postgresql":
        return trigram_prefilter(connection, (pattern,))
    match = fts_query(pattern)
    if match is None or not has_index(connection):
        return None
    return selective_matches(connection, match)


def selective_matches(connection: Connection, match: str) -> ColumnElement[bool] | None:
    """Items among the index's matches of the FTS5 query `match`, as a list of seqs read here, or
    None when the index matches SELECTIVE items or more (a common pattern: the scan is faster)."""
    probe = select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(literal(match))).limit(SELECTIVE)
    seqs = list(connection.execute(probe).scalars())
    if len(seqs) >= SELECTIVE:
        return None
    return t.items.c.seq.in_(seqs)


def fts_query(pattern: str) -> str | None:
    """The FTS5 query for `pattern` in its search form, None under three characters (no trigram to
    look up). Up to LONGEST characters it is one quoted phrase, which the trigram tokenizer matches
    as a substring. A longer one (a whole quoted text) costs about 0.2 ms per character to match in
    full, so only three pieces of it are asked for (its start, middle and end, all required): still
    every row holding the whole pattern, and LIKE removes the rest."""
    term = normalize_for_search(pattern.strip())
    if len(term) < TRIGRAM:
        return None
    if len(term) <= LONGEST:
        return _quoted(term)
    middle = (len(term) - PIECE) // 2
    pieces = (term[:PIECE], term[middle : middle + PIECE], term[-PIECE:])
    return " AND ".join(_quoted(piece) for piece in pieces)


def fts_query_all(patterns: Sequence[str]) -> str | None:
    """One FTS5 query requiring every pattern the index can serve (see fts_query); None when none can."""
    queries = [query for pattern in patterns if (query := fts_query(pattern)) is not None]
    return " AND ".join(queries) if queries else None


def index_matches(match: str) -> ColumnElement[bool]:
    """Items whose search text the index matches with the FTS5 query `match` (a subquery by seq)."""
    return t.items.c.seq.in_(select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(literal(match))))


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def has_index(connection: Connection) -> bool:
    """Whether the store has the index (SQLite with FTS5's trigram tokenizer, migration 15 applied).
    Only a yes is remembered per engine: a store migrated after its first search then uses it."""
    if connection.dialect.name != "sqlite":
        return False
    if connection.engine in _PRESENT:
        return True
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": FTS_TABLE}
    ).first()
    if found is not None:
        _PRESENT.add(connection.engine)
    return found is not None


def trigram_prefilter(connection: Connection, patterns: Sequence[str]) -> ColumnElement[bool] | None:
    """PostgreSQL without pg_trgm: items whose text holds every trigram of every pattern (in its
    search form), through migration 17's index; None when the store has no such index, no pattern
    has three characters, or the patterns are common (SELECTIVE items or more hold their trigrams:
    reading the newest items until enough match is faster, as on SQLite; at 100,000 items a page of
    20 items holding "the" took 4 ms by the scan, 200 ms through the index). A text holding a pattern
    holds each of its trigrams, so no match of the LIKE conditions (which stay) is ever left out.
    Both sides' trigrams come from the same database function, so they are cut alike whatever the
    database's encoding."""
    terms = [term for pattern in patterns if len(term := normalize_for_search(pattern)) >= TRIGRAM]
    if not terms or not has_trigram_index(connection):
        return None
    trigrams = getattr(func, TRIGRAMS_FUNCTION)
    wanted = trigrams(literal(terms[0]))
    for term in terms[1:]:
        wanted = func.array_cat(wanted, trigrams(literal(term)))
    condition: ColumnElement[bool] = trigrams(t.items.c.search_text).op("@>", is_comparison=True)(wanted)
    # The probe only decides; the statement keeps the condition itself rather than the seqs found
    # here, so an item written between the two reads is not left out.
    held = select(t.items.c.seq).where(condition).limit(SELECTIVE).subquery()
    if (connection.execute(select(func.count()).select_from(held)).scalar() or 0) >= SELECTIVE:
        return None
    return condition


def has_trigram_index(connection: Connection) -> bool:
    """Whether the store has migration 17's trigram index (PostgreSQL without pg_trgm). Only a yes is
    remembered per engine, as for has_index."""
    if connection.dialect.name != "postgresql":
        return False
    if connection.engine in _TRIGRAMS_PRESENT:
        return True
    found = connection.execute(text("SELECT to_regclass(:name)"), {"name": TRIGRAMS_INDEX}).scalar()
    if found is not None:
        _TRIGRAMS_PRESENT.add(connection.engine)
    return found is not None
