"""Enrichment results, vectors, links, stories, topic schemes and translations: the rows the enrichment
worker writes and the API reads. Functions of an open connection, inside the caller's transaction
(storage/sql.py opens them), written once in SQLAlchemy Core for both backends.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Row, Select, and_, delete, func, insert, literal, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from tabadol.storage import facets
from tabadol.storage import schema as t
from tabadol.storage.records import to_json
from tabadol.types import ComponentResult, IndexEntry, ItemLink, PubStatus, Story, StoryItem

_ID_CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield values[start : start + _ID_CHUNK]


# -- component results ------------------------------------------------------------------------------


def save_results(connection: Connection, item_id: str, results: Sequence[ComponentResult]) -> None:
    """Replace the item's stored results of these components (other components' rows stay), and its
    facets derived from them (storage/facets.py: topics, countries), so both always agree."""
    if not results:
        return
    names = [r.component for r in results]
    connection.execute(
        delete(t.enrichments).where(t.enrichments.c.item_id == item_id, t.enrichments.c.component.in_(names))
    )
    connection.execute(
        insert(t.enrichments),
        [
            {
                "item_id": item_id,
                "component": r.component,
                "component_version": r.component_version,
                "item_version": r.item_version,
                "data": to_json(dict(r.data)),
                "error": r.error,
                "updated_at": r.updated_at,
            }
            for r in results
        ],
    )
    facets.replace_facets(connection, item_id, results)


def load_results(connection: Connection, item_ids: Sequence[str]) -> dict[str, dict[str, ComponentResult]]:
    out: dict[str, dict[str, ComponentResult]] = {item_id: {} for item_id in item_ids}
    for chunk in _chunks(list(item_ids)):
        rows = connection.execute(select(t.enrichments).where(t.enrichments.c.item_id.in_(chunk)))
        for row in rows:
            out[row.item_id][row.component] = ComponentResult(
                component=row.component,
                component_version=row.component_version,
                item_version=row.item_version,
                data=json.loads(row.data),
                error=row.error,
                updated_at=row.updated_at,
            )
    return out


def stale_item_ids(connection: Connection, component: str, version: str) -> list[str]:
    """Items whose head version lacks a result of `component` at `version` (never enriched, enriched
    by an older component version, or enriched on an older item version)."""
    e = t.enrichments
    joined = t.items.outerjoin(e, and_(e.c.item_id == t.items.c.id, e.c.component == component))
    query = (
        select(t.items.c.id)
        .select_from(joined)
        .where(
            (e.c.item_id.is_(None))
            | (e.c.component_version != version)
            | (e.c.item_version != t.items.c.version)
        )
        .order_by(t.items.c.seq)
    )
    return list(connection.execute(query).scalars())


# -- vectors ------------------------------------------------------------------------------------------


def save_entry(connection: Connection, entry: IndexEntry) -> int:
    """Insert or replace the item's index entry; the new row gets a new, higher `seq`."""
    connection.execute(delete(t.item_vectors).where(t.item_vectors.c.item_id == entry.item_id))
    result = connection.execute(
        insert(t.item_vectors).values(
            item_id=entry.item_id,
            item_version=entry.item_version,
            model=entry.model,
            member_code=entry.member_code,
            language=entry.language,
            at=entry.at,
            vector=entry.vector,
            features=to_json(dict(entry.features)),
            fingerprint=entry.fingerprint,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def remove_entry(connection: Connection, item_id: str) -> bool:
    return connection.execute(delete(t.item_vectors).where(t.item_vectors.c.item_id == item_id)).rowcount > 0


def entry_from_row(row: Row[Any]) -> IndexEntry:
    return IndexEntry(
        item_id=row.item_id,
        item_version=row.item_version,
        model=row.model,
        member_code=row.member_code,
        language=row.language,
        at=row.at,
        vector=row.vector,
        features=json.loads(row.features),
        fingerprint=bytes(row.fingerprint) if row.fingerprint is not None else None,
    )


def entries_after(connection: Connection, seq: int, limit: int = 5000) -> list[tuple[int, IndexEntry]]:
    rows = connection.execute(
        select(t.item_vectors).where(t.item_vectors.c.seq > seq).order_by(t.item_vectors.c.seq).limit(limit)
    )
    return [(row.seq, entry_from_row(row)) for row in rows]


def recent_vectors(connection: Connection, per_language: int) -> dict[str, np.ndarray]:
    """Up to `per_language` most recent vectors of each language, one matrix per language (a sample
    for statistics)."""
    rows = connection.execute(
        select(t.item_vectors).order_by(t.item_vectors.c.seq.desc()).limit(per_language * 10)
    )
    counts: dict[str | None, int] = {}
    out: dict[str, list[np.ndarray]] = {}
    for row in rows:
        if counts.get(row.language, 0) < per_language:
            counts[row.language] = counts.get(row.language, 0) + 1
            out.setdefault(row.language or "und", []).append(np.asarray(row.vector, dtype=np.float32))
    return {language: np.stack(vectors) for language, vectors in out.items()}


def load_entries(connection: Connection, item_ids: Sequence[str]) -> dict[str, IndexEntry]:
    out: dict[str, IndexEntry] = {}
    for chunk in _chunks(list(item_ids)):
        for row in connection.execute(select(t.item_vectors).where(t.item_vectors.c.item_id.in_(chunk))):
            out[row.item_id] = entry_from_row(row)
    return out


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A nearest neighbour as a search ranks and filters it: the item, its member and its cosine with
    the query, without the entry's vector and features."""

    item_id: str
    member_code: str
    similarity: float


def nearest_pg(
    connection: Connection,
    vector: np.ndarray,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    languages: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[tuple[IndexEntry, float]]:
    """PostgreSQL: the `limit` entries nearest by cosine (pgvector `<=>`), best first."""
    query = _nearest_select(connection, [t.item_vectors], vector, limit, since, until, languages, exclude)
    return [(entry_from_row(row), 1.0 - float(row.distance)) for row in connection.execute(query)]


def neighbours_pg(
    connection: Connection,
    vector: np.ndarray,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    languages: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Neighbour]:
    """PostgreSQL: as `nearest_pg`, reading the item id, member and distance only (a whole row with
    its vector and features is about 1.7 KB: at 100,000 items the 60 nearest rows took 12.6 ms at p50,
    these 3.4 ms)."""
    v = t.item_vectors.c
    columns = [v.item_id, v.member_code]
    query = _nearest_select(connection, columns, vector, limit, since, until, languages, exclude)
    rows = connection.execute(query)
    return [Neighbour(row.item_id, row.member_code, 1.0 - float(row.distance)) for row in rows]


def live_members(connection: Connection, item_ids: Sequence[str]) -> dict[str, str]:
    """item id -> member code of those of `item_ids` that still have an index entry (SQLite checks its
    in-process index's answers with it: a killed item's entry is deleted by whichever process)."""
    v = t.item_vectors.c
    out: dict[str, str] = {}
    for chunk in _chunks(list(item_ids)):
        rows = connection.execute(select(v.item_id, v.member_code).where(v.item_id.in_(list(chunk))))
        out.update({row.item_id: row.member_code for row in rows})
    return out


def _nearest_select(
    connection: Connection,
    columns: Sequence[Any],
    vector: np.ndarray,
    limit: int,
    since: datetime | None,
    until: datetime | None,
    languages: Sequence[str],
    exclude: Sequence[str],
) -> Select[Any]:
    """`columns` and the cosine distance (`distance`) of the `limit` nearest entries, nearest first;
    the HNSW scan widened for this transaction (`_widen_hnsw_scan`)."""
    from pgvector.sqlalchemy import VECTOR

    v = t.item_vectors
    query_vector = literal(np.asarray(vector, dtype=np.float32), VECTOR(t.EMBEDDING_DIM))
    distance = v.c.vector.op("<=>", return_type=t.Float())(query_vector)
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(v.c.at >= since)
    if until is not None:
        conditions.append(v.c.at <= until)
    if languages:
        conditions.append(v.c.language.in_(list(languages)))
    if exclude:
        conditions.append(v.c.item_id.not_in(list(exclude)))
    _widen_hnsw_scan(connection, limit, filtered=bool(conditions))
    return select(*columns, distance.label("distance")).where(*conditions).order_by(distance).limit(limit)


# pgvector's HNSW scan hands back at most `hnsw.ef_search` candidates (40 by default) and applies the
# query's conditions after the scan: asked for 60, or for a language or a time window few neighbours
# are in, it returned fewer than asked (a Persian query's Russian source could go missing). The scan
# list is widened to the limit, and from pgvector 0.8 on a filtered scan goes on until it has enough
# (`strict_order` keeps the exact distance order). Both are SET LOCAL: this read's transaction only.
HNSW_DEFAULT_EF_SEARCH = 40
_VECTOR_VERSION = text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
_iterative_scan: dict[str, bool] = {}  # per server (engine URL): whether its pgvector has it


def _widen_hnsw_scan(connection: Connection, limit: int, filtered: bool) -> None:
    ef_search = max(HNSW_DEFAULT_EF_SEARCH, min(limit, 1000))  # pgvector's maximum is 1000
    connection.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
    if filtered and _has_iterative_scan(connection):
        connection.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))


def _has_iterative_scan(connection: Connection) -> bool:
    key = str(connection.engine.url)
    if key not in _iterative_scan:
        version = connection.execute(_VECTOR_VERSION).scalar()
        parts = tuple(int(p) for p in str(version or "0").split(".")[:2] if p.isdigit())
        _iterative_scan[key] = parts >= (0, 8)
    return _iterative_scan[key]


# -- links --------------------------------------------------------------------------------------------


def save_link(connection: Connection, link: ItemLink) -> None:
    l_ = t.item_links
    connection.execute(delete(l_).where(l_.c.item_id == link.item_id, l_.c.kind == link.kind))
    connection.execute(
        insert(l_).values(
            item_id=link.item_id,
            kind=link.kind,
            target_id=link.target_id,
            similarity=link.similarity,
            created_at=link.created_at,
        )
    )


def remove_links(connection: Connection, item_id: str, kind: str) -> None:
    connection.execute(
        delete(t.item_links).where(t.item_links.c.item_id == item_id, t.item_links.c.kind == kind)
    )


def links_of(connection: Connection, item_id: str) -> tuple[list[ItemLink], list[ItemLink]]:
    """(links from the item, links to the item)."""
    l_ = t.item_links

    def link(row: Row[Any]) -> ItemLink:
        return ItemLink(row.item_id, row.kind, row.target_id, row.similarity, row.created_at)

    outgoing = [link(r) for r in connection.execute(select(l_).where(l_.c.item_id == item_id))]
    incoming = [
        link(r)
        for r in connection.execute(select(l_).where(l_.c.target_id == item_id).order_by(l_.c.item_id))
    ]
    return outgoing, incoming


def link_targets(connection: Connection, item_ids: Sequence[str], kind: str) -> dict[str, str]:
    """item id -> the item its `kind` link points to, for the items that have one (one query per 500)."""
    l_ = t.item_links.c
    found: dict[str, str] = {}
    for chunk in _chunks(list(item_ids)):
        query = select(l_.item_id, l_.target_id).where(l_.item_id.in_(list(chunk)), l_.kind == kind)
        found.update({row.item_id: row.target_id for row in connection.execute(query)})
    return found


# -- stories ------------------------------------------------------------------------------------------


def new_story_id() -> str:
    return "st_" + secrets.token_hex(8)


def story_ids_of(connection: Connection, item_ids: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in _chunks(list(item_ids)):
        rows = connection.execute(
            select(t.story_items.c.item_id, t.story_items.c.story_id).where(
                t.story_items.c.item_id.in_(chunk)
            )
        )
        out.update({row.item_id: row.story_id for row in rows})
    return out


def items_of_stories(connection: Connection, story_ids: Sequence[str]) -> dict[str, str]:
    """item id -> story id for every item of the given stories."""
    out: dict[str, str] = {}
    for chunk in _chunks(list(story_ids)):
        rows = connection.execute(
            select(t.story_items.c.item_id, t.story_items.c.story_id).where(
                t.story_items.c.story_id.in_(chunk)
            )
        )
        out.update({row.item_id: row.story_id for row in rows})
    return out


def put_in_story(
    connection: Connection,
    item_id: str,
    story_id: str | None,
    merge_ids: Sequence[str],
    score: float,
    at: datetime,
    now: datetime,
) -> str:
    """Put the item in `story_id` (None: a new story), first merging the stories `merge_ids` into it
    when it bridges several. The oldest story survives a merge, so ids users saw stay meaningful;
    merged stories keep their row, pointing at the survivor. Returns the item's story id."""
    s, si = t.stories, t.story_items
    leave_story(connection, item_id, now)
    candidates = [sid for sid in [story_id, *merge_ids] if sid]
    if not candidates:
        story_id = new_story_id()
        connection.execute(
            insert(s).values(
                id=story_id,
                created_at=now,
                first_seen=at,
                last_seen=at,
                item_count=0,
                merged_into=None,
                updated_at=now,
            )
        )
    else:
        rows = connection.execute(
            select(s.c.id, s.c.created_at).where(s.c.id.in_(candidates), s.c.merged_into.is_(None))
        ).all()
        if not rows:  # every candidate was merged away meanwhile: start afresh
            return put_in_story(connection, item_id, None, (), score, at, now)
        survivor = min(rows, key=lambda r: (r.created_at, r.id)).id
        absorbed = [r.id for r in rows if r.id != survivor]
        if absorbed:
            connection.execute(update(si).where(si.c.story_id.in_(absorbed)).values(story_id=survivor))
            connection.execute(
                update(s)
                .where(s.c.id.in_(absorbed))
                .values(merged_into=survivor, item_count=0, updated_at=now)
            )
            # Stories merged earlier into an absorbed one now point at the survivor too.
            connection.execute(
                update(s).where(s.c.merged_into.in_(absorbed)).values(merged_into=survivor, updated_at=now)
            )
        story_id = survivor
    connection.execute(insert(si).values(item_id=item_id, story_id=story_id, score=score, joined_at=now))
    _refresh_story(connection, story_id, now)
    return story_id


def leave_story(connection: Connection, item_id: str, now: datetime) -> None:
    """Take the item out of its story (a kill, or before re-clustering a new version)."""
    si = t.story_items
    previous = connection.execute(select(si.c.story_id).where(si.c.item_id == item_id)).scalar_one_or_none()
    if previous is None:
        return
    connection.execute(delete(si).where(si.c.item_id == item_id))
    _refresh_story(connection, previous, now)


def _refresh_story(connection: Connection, story_id: str, now: datetime) -> None:
    si, v = t.story_items, t.item_vectors
    row = connection.execute(
        select(func.count(), func.min(v.c.at), func.max(v.c.at))
        .select_from(si.outerjoin(v, v.c.item_id == si.c.item_id))
        .where(si.c.story_id == story_id)
    ).one()
    values: dict[str, Any] = {"item_count": int(row[0]), "updated_at": now}
    if row[1] is not None:
        values.update(first_seen=row[1], last_seen=row[2])
    connection.execute(update(t.stories).where(t.stories.c.id == story_id).values(**values))


def resolve_story_id(connection: Connection, story_id: str) -> str | None:
    row = connection.execute(
        select(t.stories.c.id, t.stories.c.merged_into).where(t.stories.c.id == story_id)
    ).first()
    if row is None:
        return None
    return row.merged_into or row.id


def load_story(connection: Connection, story_id: str, readable: ColumnElement[bool]) -> Story | None:
    """The story (after following a merge) with its readable items; None if unknown or empty."""
    resolved = resolve_story_id(connection, story_id)
    if resolved is None:
        return None
    stories = load_stories(connection, [resolved], readable)
    return stories[0] if stories else None


def load_stories(
    connection: Connection, story_ids: Sequence[str], readable: ColumnElement[bool]
) -> list[Story]:
    """Stories in the order given, each with the items `readable` admits (embargo, kills); stories
    with no readable item are left out."""
    if not story_ids:
        return []
    s, si, i = t.stories, t.story_items, t.items
    members: dict[str, list[Any]] = {sid: [] for sid in story_ids}
    for chunk in _chunks(list(story_ids)):
        found = connection.execute(
            select(
                si.c.story_id,
                i.c.id,
                i.c.member_code,
                i.c.language,
                i.c.version_created,
                i.c.headline,
                i.c.pub_status,
            )
            .select_from(si.join(i, i.c.id == si.c.item_id))
            .where(si.c.story_id.in_(chunk), readable)
            .order_by(i.c.version_created, i.c.id)
        )
        for found_row in found:
            members[found_row.story_id].append(found_row)
    heads = {row.id: row for row in connection.execute(select(s).where(s.c.id.in_(list(story_ids))))}
    merged: dict[str, list[str]] = {sid: [] for sid in story_ids}
    merged_rows = connection.execute(
        select(s.c.id, s.c.merged_into).where(s.c.merged_into.in_(list(story_ids)))
    )
    for merged_row in merged_rows:
        merged[merged_row.merged_into].append(merged_row.id)
    out = []
    for sid in story_ids:
        rows = members[sid]
        head = heads.get(sid)
        if not rows or head is None:
            continue
        out.append(
            Story(
                id=sid,
                created_at=head.created_at,
                first_seen=min(r.version_created for r in rows),
                last_seen=max(r.version_created for r in rows),
                item_ids=tuple(r.id for r in rows),
                languages=tuple(sorted({r.language for r in rows if r.language})),
                members=tuple(sorted({r.member_code for r in rows})),
                merged_ids=tuple(sorted(merged[sid])),
                items=tuple(
                    StoryItem(
                        r.id,
                        r.member_code,
                        r.language,
                        r.headline,
                        r.version_created,
                        PubStatus(r.pub_status),
                    )
                    for r in rows
                ),
            )
        )
    return out


def recent_story_ids(
    connection: Connection, limit: int, before: tuple[datetime, str] | None, min_items: int = 1
) -> list[tuple[str, datetime]]:
    """Live (not merged) story ids by last_seen, newest first, after the keyset `before`."""
    s = t.stories
    query = select(s.c.id, s.c.last_seen).where(s.c.merged_into.is_(None), s.c.item_count >= min_items)
    if before is not None:
        last_seen, story_id = before
        query = query.where(
            (s.c.last_seen < last_seen) | ((s.c.last_seen == last_seen) & (s.c.id < story_id))
        )
    query = query.order_by(s.c.last_seen.desc(), s.c.id.desc()).limit(limit)
    return [(row.id, row.last_seen) for row in connection.execute(query)]


def killed_condition() -> ColumnElement[bool]:
    return t.items.c.pub_status != PubStatus.CANCELED.value


# -- topic schemes ------------------------------------------------------------------------------------


def save_scheme(
    connection: Connection,
    name: str,
    version: str,
    labels: Sequence[str],
    data: bytes,
    now: datetime,
    by: str | None,
) -> None:
    connection.execute(delete(t.topic_schemes).where(t.topic_schemes.c.name == name))
    connection.execute(
        insert(t.topic_schemes).values(
            name=name, version=version, labels=to_json(list(labels)), data=data, created_at=now, created_by=by
        )
    )


def load_schemes(connection: Connection) -> list[Mapping[str, Any]]:
    rows = connection.execute(select(t.topic_schemes).order_by(t.topic_schemes.c.name))
    return [
        {
            "name": row.name,
            "version": row.version,
            "labels": json.loads(row.labels),
            "data": bytes(row.data),
            "created_at": row.created_at,
            "created_by": row.created_by,
        }
        for row in rows
    ]


def delete_scheme(connection: Connection, name: str) -> bool:
    return connection.execute(delete(t.topic_schemes).where(t.topic_schemes.c.name == name)).rowcount > 0


# -- machine translations -----------------------------------------------------------------------------


def save_translation(connection: Connection, item_id: str, item_version: int, row: Mapping[str, Any]) -> None:
    tr = t.translations
    connection.execute(
        delete(tr).where(
            tr.c.item_id == item_id,
            tr.c.item_version == item_version,
            tr.c.target_language == row["target_language"],
        )
    )
    connection.execute(insert(tr).values(item_id=item_id, item_version=item_version, **row))


def load_translation(
    connection: Connection, item_id: str, item_version: int, target_language: str
) -> Mapping[str, Any] | None:
    tr = t.translations
    row = connection.execute(
        select(tr).where(
            tr.c.item_id == item_id,
            tr.c.item_version == item_version,
            tr.c.target_language == target_language,
        )
    ).first()
    return None if row is None else dict(row._mapping)
