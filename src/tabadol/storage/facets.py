"""Item facets (migration 16): the topics and countries of each item as rows of `item_facets`, written
with the enrichment results they come from and read by the pages that list, count and label items by
topic or country. Functions of an open connection, in SQLAlchemy Core for both backends
(storage/sql.py opens the connection; storage/index.save_results writes).

Finding the items of a value, newest first, one page at a time, takes one of two paths, chosen by
how many items have the value (one probe of the facet index, at most SELECTIVE entries read):
- a common value is found by reading the items newest first on their listing index and checking
  each against the facet's primary key, stopping at the page's end: a few hundred probes;
- a rare one from the facet index: its items are looked up by id and sorted, instead of reading the
  whole listing for the few that have it.
Measured at 100,000 items on SQLite: the walk costs about 1.6 µs per item read and reads about
items x page / matches of them (156 ms for a country of 67 items); the lookup about 5 µs per match
(145 ms for a topic of 26,476). For a page of 30 they meet near 1,000 matches; a country of 1,099
took 4 ms by the lookup and 15 ms by the walk, a topic of 26,476 under 1 ms by the walk.
PostgreSQL turns both forms into the same semi-join and picks the path by its own statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, func, insert, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.enrich.facets import FACET_OF_COMPONENT, FacetValue, facet_values
from tabadol.storage import schema as t
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.types import ComponentResult, PubStatus

# A value of fewer items than this is found from the facet index, else by the walk (module docstring).
SELECTIVE = 1500
_ID_CHUNK = 500

# One item's facets: facet -> (value, score) pairs, best score first.
FacetsOfItem = dict[str, tuple[tuple[str, float | None], ...]]


@dataclass(frozen=True, slots=True)
class ItemLine:
    """What a list of items shows of one: no body, so lists stay cheap."""

    id: str
    member_code: str
    language: str | None
    headline: str
    version_created: datetime  # the sender's version time: the listing's order
    version: int


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: tuple[ItemLine, ...]
    next_cursor: str | None  # an opaque keyset cursor (storage/cursor.py); None on the last page


# -- writing ----------------------------------------------------------------------------------------


def replace_facets(connection: Connection, item_id: str, results: Sequence[ComponentResult]) -> None:
    """The item's rows of each facet derived from a component in `results` become what that result
    yields: none when it failed. Facets of components not in `results` are left alone."""
    facets = [FACET_OF_COMPONENT[r.component] for r in results if r.component in FACET_OF_COMPONENT]
    if not facets:
        return
    f = t.item_facets.c
    connection.execute(delete(t.item_facets).where(f.item_id == item_id, f.facet.in_(facets)))
    rows = [
        _row(item_id, found)
        for result in results
        if result.error is None
        for found in facet_values(result.component, result.data)
    ]
    if rows:
        connection.execute(insert(t.item_facets), rows)


def _row(item_id: str, found: FacetValue) -> dict[str, Any]:
    return {"item_id": item_id, "facet": found.facet, "value": found.value, "score": found.score}


# -- reading ----------------------------------------------------------------------------------------


def has_facet(facet: str, values: Sequence[str]) -> ColumnElement[bool]:
    """An item (of `items`, correlated) with any of `values` for `facet`: a probe of the primary key
    per item, for listings that read items in their own order."""
    f = t.item_facets.c
    found = select(f.item_id).where(f.item_id == t.items.c.id, f.facet == facet, f.value.in_(list(values)))
    return found.exists()


def list_by_facet(
    connection: Connection,
    facet: str,
    values: Sequence[str],
    readable: ColumnElement[bool],
    limit: int,
    cursor: str | None = None,
) -> LinePage:
    """Items `readable` admits with any of `values` for `facet`, newest first by (version_created,
    id), one page after `cursor`. Raises INVALID_CURSOR for a cursor storage/cursor.py did not make."""
    query = listing_query(connection, facet, values, readable, limit, cursor)
    if query is None:
        return LinePage((), None)
    lines = [ItemLine(*row) for row in connection.execute(query)]
    more = len(lines) > limit
    lines = lines[:limit]
    following = encode_cursor(lines[-1].version_created, lines[-1].id) if more and lines else None
    return LinePage(tuple(lines), following)


def listing_query(
    connection: Connection,
    facet: str,
    values: Sequence[str],
    readable: ColumnElement[bool],
    limit: int,
    cursor: str | None = None,
) -> Select[Any] | None:
    """The statement `list_by_facet` runs (limit + 1 rows, to know whether a page follows), on the
    path the value's frequency calls for (see the module docstring); None for no values."""
    i = t.items.c
    query = select(i.id, i.member_code, i.language, i.headline, i.version_created, i.version).where(readable)
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(i.version_created < after_time, and_(i.version_created == after_time, i.id < after_id))
        )
    wanted = sorted(set(values))
    if not wanted:
        return None
    if _is_rare(connection, facet, wanted):
        f = t.item_facets.c
        query = query.where(i.id.in_(select(f.item_id).where(f.facet == facet, f.value.in_(wanted))))
    else:
        query = query.where(has_facet(facet, wanted))
    return query.order_by(i.version_created.desc(), i.id.desc()).limit(limit + 1)


def _is_rare(connection: Connection, facet: str, values: Sequence[str]) -> bool:
    f = t.item_facets.c
    probe = select(f.item_id).where(f.facet == facet, f.value.in_(list(values))).limit(SELECTIVE)
    found = connection.execute(select(func.count()).select_from(probe.subquery())).scalar()
    return int(found or 0) < SELECTIVE


def count_by_value(connection: Connection, facet: str, now: datetime) -> dict[str, int]:
    """value -> how many readable items (not under embargo at `now`, not killed) have it, for every
    value of `facet` some readable item has.

    Counted from the facet index alone, leaving out the items the reading rule hides, which the two
    partial indexes of migration 16 find without reading the others: at 100,000 items about 10 ms for
    the countries on SQLite, where joining every row to its item took 190 ms."""
    f, i = t.item_facets.c, t.items.c
    # Literal values, not parameters: only a constant lets the database match a partial index.
    killed = i.pub_status == literal_column(f"'{PubStatus.CANCELED.value}'")
    hidden = select(i.id).where(or_(i.embargoed_until > now, killed))
    query = select(f.value, func.count()).where(f.facet == facet, f.item_id.not_in(hidden)).group_by(f.value)
    return {value: int(count) for value, count in connection.execute(query)}


def facets_of(connection: Connection, item_ids: Sequence[str]) -> dict[str, FacetsOfItem]:
    """item id -> facet -> (value, score) pairs, best score first (then by value), for the items
    among `item_ids` that have any facet."""
    f = t.item_facets.c
    found: dict[str, dict[str, list[tuple[str, float | None]]]] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        query = select(f.item_id, f.facet, f.value, f.score).where(f.item_id.in_(chunk))
        for row in connection.execute(query):
            found.setdefault(row.item_id, {}).setdefault(row.facet, []).append((row.value, row.score))
    return {
        item_id: {facet: tuple(sorted(pairs, key=_best_first)) for facet, pairs in by_facet.items()}
        for item_id, by_facet in found.items()
    }


def _best_first(pair: tuple[str, float | None]) -> tuple[float, str]:
    return (-(pair[1] if pair[1] is not None else 0.0), pair[0])


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield list(values[start : start + _ID_CHUNK])
