"""Reads behind the portal's search page: items found by words, and the few enrichment results that
search filters and counts by (topics, entities). Functions of an open connection, in SQLAlchemy Core
for both backends (storage/sql.py opens the connection).

`match_heads` returns light rows (id, member, language, time), not whole items: a search may look at
hundreds of candidates to count its facets, and only the page shown needs the items themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.storage import fulltext
from tabadol.storage import schema as t
from tabadol.storage.queries import filters, item_select, like_pattern
from tabadol.storage.records import item_from_row
from tabadol.types import Item, ItemQuery

_ID_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ItemHead:
    """What a search counts and filters by, for one item."""

    id: str
    member_code: str
    language: str | None
    version_created: datetime


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield values[start : start + _ID_CHUNK]


def term_conditions(terms: Sequence[str]) -> list[ColumnElement[bool]]:
    """Every term a substring of the search text, each compared in the search form (enrich.normalize)."""
    return [t.items.c.search_text.like(like_pattern(term), escape="\\") for term in terms if term.strip()]


def match_heads(
    connection: Connection,
    query: ItemQuery,
    terms: Sequence[str],
    limit: int,
    ids: Sequence[str] | None = None,
) -> list[ItemHead]:
    """Items passing `query`'s filters (embargo included) whose text holds every term, newest first;
    with `ids`, only among those ids (the semantic candidates)."""
    i = t.items.c
    conditions = [*filters(query), *term_conditions(terms)]
    if ids is not None:
        found: list[ItemHead] = []
        for chunk in _chunks(list(ids)):
            statement = select(*_HEAD_COLUMNS).where(i.id.in_(list(chunk)), *conditions)
            found.extend(_head(row) for row in connection.execute(statement))
        found.sort(key=lambda head: (head.version_created, head.id), reverse=True)
        return found[:limit]
    if connection.dialect.name == "postgresql":
        prefilter = fulltext.trigram_prefilter(connection, terms)  # without pg_trgm (migration 17)
        return _newest(connection, [*conditions, prefilter] if prefilter is not None else conditions, limit)
    match = fulltext.fts_query_all(terms) if fulltext.has_index(connection) else None
    if match is None:
        return _newest(connection, conditions, limit)
    # Words in fewer than fulltext.SELECTIVE items (nearly every search of two or three words) are
    # read through the index's matches, asked once: at 100,000 items about 5 ms, where trying the
    # recent window first (below) cost 10 ms more and found `limit` matches only for common words.
    selective = fulltext.selective_matches(connection, match)
    if selective is not None:
        return _newest(connection, [*conditions, selective], limit)
    # A term in most items (a common word) is found fastest by reading the newest items in order
    # until enough match. The newest RECENT_WINDOW items are tried first: when `limit` of them match,
    # those are the answer (every other item is older); else through the index.
    since = _window_start(connection)
    if since is not None:
        recent = _newest(connection, [*conditions, i.version_created >= since], limit)
        if len(recent) >= limit:
            return recent
    return _newest(connection, [*conditions, fulltext.index_matches(match)], limit)


_HEAD_COLUMNS = (t.items.c.id, t.items.c.member_code, t.items.c.language, t.items.c.version_created)
# Items read in time order before the full-text index is asked (see match_heads).
RECENT_WINDOW = 5000


def _newest(connection: Connection, conditions: Sequence[ColumnElement[bool]], limit: int) -> list[ItemHead]:
    i = t.items.c
    statement = (
        select(*_HEAD_COLUMNS).where(*conditions).order_by(i.version_created.desc(), i.id.desc()).limit(limit)
    )
    return [_head(row) for row in connection.execute(statement)]


def _window_start(connection: Connection) -> datetime | None:
    """The time of the RECENT_WINDOW-th newest item (None: fewer items than that)."""
    i = t.items.c
    statement = (
        select(i.version_created).order_by(i.version_created.desc()).offset(RECENT_WINDOW - 1).limit(1)
    )
    value: datetime | None = connection.execute(statement).scalar()
    return value


def _head(row: Any) -> ItemHead:
    return ItemHead(row.id, row.member_code, row.language, row.version_created)


def load_items(connection: Connection, item_ids: Sequence[str]) -> dict[str, Item]:
    """The items among `item_ids` at their newest version, by id, one query per 500 ids."""
    out: dict[str, Item] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        for row in connection.execute(item_select().where(t.items.c.id.in_(list(chunk)))):
            item = item_from_row(row)
            out[item.id] = item
    return out


def load_component_data(
    connection: Connection, item_ids: Sequence[str], components: Sequence[str]
) -> dict[str, dict[str, Mapping[str, Any]]]:
    """item id -> component -> its stored data, for the named components only (results that failed
    are left out): the topics and entities a search filters by, without the rest of the enrichment."""
    e = t.enrichments.c
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for chunk in _chunks(list(dict.fromkeys(item_ids))):
        statement = select(e.item_id, e.component, e.data).where(
            e.item_id.in_(list(chunk)), e.component.in_(list(components)), e.error.is_(None)
        )
        for row in connection.execute(statement):
            out.setdefault(row.item_id, {})[row.component] = json.loads(row.data)
    return out
