"""Building blocks of item listing queries: the joined select, filters and text search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tabadol.enrich.normalize import normalize_for_search
from tabadol.storage import schema as t
from tabadol.types import (
    ItemQuery,
    ParsedItem,
    normalise_language_tag,
    utc_now,
)

ITEM_COLUMNS = (*t.items.c, t.item_versions.c.parsed)


def search_text_for(item: ParsedItem) -> str:
    """What `ItemQuery.text` is matched against: headline and body in their search form (case,
    Persian/Arabic letter variants, digits, ZWNJ, marks and spacing unified; see enrich.normalize)."""
    return normalize_for_search(f"{item.headline}\n{item.body_text}")


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` (in its search form) anywhere, its own wildcards taken literally."""
    escaped = normalize_for_search(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def item_select() -> Any:
    return select(*ITEM_COLUMNS).join(
        t.item_versions,
        and_(t.item_versions.c.item_id == t.items.c.id, t.item_versions.c.version == t.items.c.version),
    )


def not_embargoed(now: datetime) -> ColumnElement[bool]:
    return or_(t.items.c.embargoed_until.is_(None), t.items.c.embargoed_until <= now)


def filters(query: ItemQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.member_codes:
        conditions.append(t.items.c.member_code.in_(query.member_codes))
    if query.languages:
        conditions.append(or_(*(language_matches(tag) for tag in query.languages)))
    if query.since is not None:
        conditions.append(t.items.c.version_created >= query.since)
    if query.until is not None:
        conditions.append(t.items.c.version_created <= query.until)
    if query.pub_statuses:
        conditions.append(t.items.c.pub_status.in_([status.value for status in query.pub_statuses]))
    if query.text and query.text.strip():
        conditions.append(t.items.c.search_text.like(like_pattern(query.text.strip()), escape="\\"))
    if not query.include_embargoed:
        conditions.append(not_embargoed(query.now or utc_now()))
    return conditions


def language_matches(tag: str) -> ColumnElement[bool]:
    """'kk' matches kk, kk-Latn, kk-Cyrl-KZ; 'kk-Latn' matches only that tag and its regions."""
    canonical = normalise_language_tag(tag)
    prefix = canonical.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(t.items.c.language == canonical, t.items.c.language.like(f"{prefix}-%", escape="\\"))
