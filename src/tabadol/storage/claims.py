"""Fact-check rows (claim_reviews, claim_review_matches): functions of an open connection, inside the
caller's transaction, and the records they return.

The store keeps a review as its ClaimReview JSON-LD plus the columns listings filter on; turning the
JSON-LD back into a `verify.claims.ClaimReview` is the fact-check service's business.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Column, Connection, Row, and_, delete, func, insert, or_, select, update

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import schema as t


@dataclass(frozen=True, slots=True)
class StoredClaimReview:
    """One stored fact check. `vector` is the claim's embedding by `model` (None: not embedded)."""

    id: str
    member_code: str
    url: str
    record: Mapping[str, Any]  # ClaimReview JSON-LD
    claim_text: str
    language: str | None
    rating: str
    date_published: datetime | None
    created_at: datetime
    updated_at: datetime
    model: str | None = None
    vector: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class StoredClaimMatch:
    """An item matched with a reviewed claim: the score and its parts (claim_match.ScoreParts)."""

    item_id: str
    review_id: str
    item_version: int
    score: float
    parts: Mapping[str, float]
    matched_at: datetime


def _vector(value: bytes | memoryview | None) -> np.ndarray | None:
    return None if value is None else np.frombuffer(bytes(value), dtype="<f4").copy()


def review_from_row(row: Row[Any], with_vector: bool = True) -> StoredClaimReview:
    return StoredClaimReview(
        id=row.id,
        member_code=row.member_code,
        url=row.url,
        record=json.loads(row.record),
        claim_text=row.claim_text,
        language=row.language,
        rating=row.rating,
        date_published=row.date_published,
        created_at=row.created_at,
        updated_at=row.updated_at,
        model=row.model,
        vector=_vector(row.embedding) if with_vector else None,
    )


def match_from_row(row: Row[Any]) -> StoredClaimMatch:
    return StoredClaimMatch(
        item_id=row.item_id,
        review_id=row.review_id,
        item_version=row.item_version,
        score=row.score,
        parts=json.loads(row.parts),
        matched_at=row.matched_at,
    )


def _review_values(review: StoredClaimReview) -> dict[str, Any]:
    """The row's columns but `id` and `created_at` (an update keeps both)."""
    return {
        "member_code": review.member_code,
        "url": review.url,
        "record": json.dumps(review.record, ensure_ascii=False, sort_keys=True),
        "claim_text": review.claim_text,
        "language": review.language,
        "rating": review.rating,
        "date_published": review.date_published,
        "updated_at": review.updated_at,
        "model": review.model,
        "embedding": None if review.vector is None else np.asarray(review.vector, dtype="<f4").tobytes(),
    }


def upsert_review(connection: Connection, review: StoredClaimReview) -> bool:
    """Insert the review, or update the row with its id (keeping `created_at`); True when new."""
    reviews = t.claim_reviews.c
    values = _review_values(review)
    exists = connection.execute(select(reviews.id).where(reviews.id == review.id)).first() is not None
    if exists:
        connection.execute(update(t.claim_reviews).where(reviews.id == review.id).values(**values))
        return False
    connection.execute(insert(t.claim_reviews).values(id=review.id, created_at=review.created_at, **values))
    return True


def load_review(connection: Connection, review_id: str) -> StoredClaimReview | None:
    row = connection.execute(select(t.claim_reviews).where(t.claim_reviews.c.id == review_id)).first()
    return None if row is None else review_from_row(row)


def load_reviews(connection: Connection, review_ids: Sequence[str]) -> dict[str, StoredClaimReview]:
    if not review_ids:
        return {}
    query = select(t.claim_reviews).where(t.claim_reviews.c.id.in_(sorted(set(review_ids))))
    return {row.id: review_from_row(row) for row in connection.execute(query)}


def list_reviews(
    connection: Connection,
    limit: int,
    member_code: str | None = None,
    language: str | None = None,
    before: tuple[datetime, str] | None = None,
) -> list[StoredClaimReview]:
    """Newest first by (created_at, id); `before` is the key of the previous page's last review.
    A language filter matches the tag and its subtags ("fa" finds "fa-IR")."""
    reviews = t.claim_reviews.c
    query = select(*[c for c in t.claim_reviews.c if c.name != "embedding"])
    conditions = []
    if member_code is not None:
        conditions.append(reviews.member_code == member_code)
    if language is not None:
        conditions.append(or_(reviews.language == language, reviews.language.like(f"{language}-%")))
    if before is not None:
        when, review_id = before
        conditions.append(
            or_(reviews.created_at < when, and_(reviews.created_at == when, reviews.id < review_id))
        )
    query = query.where(*conditions).order_by(reviews.created_at.desc(), reviews.id.desc()).limit(limit)
    return [review_from_row(row, with_vector=False) for row in connection.execute(query)]


def review_vectors(connection: Connection, model: str) -> list[tuple[str, np.ndarray]]:
    """(id, vector) of every review embedded by `model`."""
    reviews = t.claim_reviews.c
    query = select(reviews.id, reviews.embedding).where(
        reviews.model == model, reviews.embedding.is_not(None)
    )
    return [
        (row.id, vector)
        for row in connection.execute(query)
        if (vector := _vector(row.embedding)) is not None
    ]


def reviews_stamp(connection: Connection) -> tuple[int, datetime | None]:
    """(count, newest updated_at): changes whenever a review is added, changed or deleted."""
    reviews = t.claim_reviews.c
    row = connection.execute(select(func.count(), func.max(reviews.updated_at))).one()
    return int(row[0]), row[1]  # max() keeps the column's type, so this is an aware UTC datetime


def delete_review(connection: Connection, review_id: str) -> bool:
    connection.execute(delete(t.claim_review_matches).where(t.claim_review_matches.c.review_id == review_id))
    return connection.execute(delete(t.claim_reviews).where(t.claim_reviews.c.id == review_id)).rowcount > 0


def replace_item_matches(connection: Connection, item_id: str, matches: Sequence[StoredClaimMatch]) -> None:
    """The item's matches become exactly `matches` (its text changed, so its old matches are stale)."""
    connection.execute(delete(t.claim_review_matches).where(t.claim_review_matches.c.item_id == item_id))
    for match in matches:
        _insert_match(connection, match)


def put_review_matches(connection: Connection, matches: Sequence[StoredClaimMatch]) -> None:
    """Add or refresh one review's matches with items, leaving the items' other matches alone."""
    table = t.claim_review_matches.c
    for match in matches:
        connection.execute(
            delete(t.claim_review_matches).where(
                table.item_id == match.item_id, table.review_id == match.review_id
            )
        )
        _insert_match(connection, match)


def _insert_match(connection: Connection, match: StoredClaimMatch) -> None:
    connection.execute(insert(t.claim_review_matches).values(**_match_row(match)))


def _match_row(match: StoredClaimMatch) -> dict[str, Any]:
    return {
        "item_id": match.item_id,
        "review_id": match.review_id,
        "item_version": match.item_version,
        "score": match.score,
        "parts": json.dumps(dict(match.parts), sort_keys=True),
        "matched_at": match.matched_at,
    }


def load_item_matches(connection: Connection, item_id: str) -> list[StoredClaimMatch]:
    """The item's matches, best first."""
    table = t.claim_review_matches.c
    query = (
        select(t.claim_review_matches)
        .where(table.item_id == item_id)
        .order_by(table.score.desc(), table.review_id)
    )
    return [match_from_row(row) for row in connection.execute(query)]


# -- backup and restore ---------------------------------------------------------------------------


def load_review_page(connection: Connection, after: str | None, limit: int) -> list[StoredClaimReview]:
    """Up to `limit` reviews with their vectors, in id order, those after the id `after`.

    Keyset paging on the primary key, so a backup streams any number of reviews in pages without
    re-reading (or skipping) any, whatever is imported meanwhile.
    """
    reviews = t.claim_reviews.c
    query = select(t.claim_reviews).order_by(reviews.id).limit(limit)
    if after is not None:
        query = query.where(reviews.id > after)
    return [review_from_row(row) for row in connection.execute(query)]


def load_match_page(
    connection: Connection, after: tuple[str, str] | None, limit: int
) -> list[StoredClaimMatch]:
    """Up to `limit` matches in (item id, review id) order, those after the pair `after`."""
    table = t.claim_review_matches.c
    query = select(t.claim_review_matches).order_by(table.item_id, table.review_id).limit(limit)
    if after is not None:
        item_id, review_id = after
        query = query.where(
            or_(table.item_id > item_id, and_(table.item_id == item_id, table.review_id > review_id))
        )
    return [match_from_row(row) for row in connection.execute(query)]


def insert_missing_reviews(
    connection: Connection, reviews: Sequence[StoredClaimReview], lookup_chunk: int = 500
) -> int:
    """Write backed-up reviews as they were (times, vector and model kept); returns how many were new.

    A review id already stored is left as it is: the id is derived from the review's URL, so it is
    the same review, and whatever this store has since recorded about it (a newer import) stands.
    Raises BACKUP_INVALID (and the caller's transaction rolls back all of them) when a review's
    member is not in the store: members are restored first.
    """
    members = _present(connection, t.members.c.code, {r.member_code for r in reviews}, lookup_chunk)
    for review in reviews:
        if review.member_code not in members:
            raise TabadolError(
                ErrorCode.BACKUP_INVALID,
                reason=f"fact check {review.id} belongs to member {review.member_code}, not in the store",
            )
    present = _present(connection, t.claim_reviews.c.id, {r.id for r in reviews}, lookup_chunk)
    rows: list[dict[str, Any]] = []
    for review in reviews:
        if review.id not in present:
            rows.append({"id": review.id, "created_at": review.created_at, **_review_values(review)})
            present.add(review.id)  # the same review twice in one call is written once
    if rows:
        connection.execute(insert(t.claim_reviews), rows)
    return len(rows)


def insert_missing_matches(
    connection: Connection, matches: Sequence[StoredClaimMatch], lookup_chunk: int = 500
) -> int:
    """Write backed-up matches as they were recorded; an (item, review) pair already matched keeps
    its own score. Returns how many were written. Raises BACKUP_INVALID (nothing written) when a
    match names an item or a review not in the store: both are restored before their matches."""
    items = _present(connection, t.items.c.id, {m.item_id for m in matches}, lookup_chunk)
    reviews = _present(connection, t.claim_reviews.c.id, {m.review_id for m in matches}, lookup_chunk)
    for match in matches:
        if match.item_id not in items or match.review_id not in reviews:
            where = f"match of item {match.item_id} with fact check {match.review_id}"
            raise TabadolError(ErrorCode.BACKUP_INVALID, reason=f"{where}: no such item or review")
    present = _matched_pairs(connection, sorted(items), lookup_chunk)
    rows: list[dict[str, Any]] = []
    for match in matches:
        pair = (match.item_id, match.review_id)
        if pair not in present:
            rows.append(_match_row(match))
            present.add(pair)
    if rows:
        connection.execute(insert(t.claim_review_matches), rows)
    return len(rows)


def _present(connection: Connection, column: Column[Any], wanted: set[str], chunk: int) -> set[str]:
    """Those of `wanted` that `column` holds (looked up in chunks: IN lists have limits)."""
    keys = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(keys), chunk):
        query = select(column).where(column.in_(keys[start : start + chunk]))
        found.update(connection.execute(query).scalars())
    return found


def _matched_pairs(connection: Connection, item_ids: Sequence[str], chunk: int) -> set[tuple[str, str]]:
    table = t.claim_review_matches.c
    found: set[tuple[str, str]] = set()
    for start in range(0, len(item_ids), chunk):
        chosen = item_ids[start : start + chunk]
        query = select(table.item_id, table.review_id).where(table.item_id.in_(chosen))
        found.update((row.item_id, row.review_id) for row in connection.execute(query))
    return found
