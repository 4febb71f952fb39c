"""The public pages' reads: a few set-based queries, so a page costs a handful of round trips
whatever it shows (a page of 50 items never runs 50 queries).

Every read here applies the public reading rule: nothing under embargo at `now` (not even its
existence), nothing killed. Items by topic or country, the counts of the country index and the
topics and countries of items are the store's item facets (Storage.items_by_facet, facet_counts,
item_facets: indexed rows written with the enrichment). The other reads are the store's batched
public reads (storage/portal.py, with ItemRow, RowPage, DayStory and VersionRow): items and stories
by id, items by member, the stories of a window; provenance, versions and machine translations of
several items at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tabadol.enrich.facets import COUNTRY, TOPIC
from tabadol.storage.facets import ItemLine
from tabadol.storage.portal import DayStory as DayStory
from tabadol.storage.portal import ItemRow as ItemRow
from tabadol.storage.portal import RowPage as RowPage
from tabadol.storage.portal import VersionRow as VersionRow
from tabadol.types import Item, Story
from tabadol.verify.provenance import RecordedProvenance


@dataclass(frozen=True, slots=True)
class ItemFacets:
    """What enrichment found about an item that the public pages group by."""

    topics: tuple[tuple[str, float], ...]  # IPTC codes with their scores, best first
    countries: tuple[str, ...]  # ISO codes, most mentioned first (then by code)


# -- items ----------------------------------------------------------------------------------------


def items_by_id(storage: Any, item_ids: Sequence[str], now: datetime) -> dict[str, Item]:
    """The readable items among `item_ids`, with their bodies."""
    found: dict[str, Item] = storage.readable_items(item_ids, now)
    return found


def item_rows_by_id(storage: Any, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRow]:
    """The readable items among `item_ids`, as list rows."""
    found: dict[str, ItemRow] = storage.readable_item_rows(item_ids, now)
    return found


def list_rows(
    storage: Any,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    *,
    member: str | None = None,
    topic_codes: Sequence[str] = (),
    country: str | None = None,
) -> RowPage:
    """Readable items newest first, by member, topic (any of `topic_codes`) or country (ISO code), one
    page after `cursor` (the API's opaque keyset cursors)."""
    if topic_codes or country:
        facet, values = (TOPIC, list(topic_codes)) if topic_codes else (COUNTRY, [country or ""])
        found = storage.items_by_facet(facet, values, now, limit, cursor)
        return RowPage(tuple(_line_row(line) for line in found.lines), found.next_cursor)
    page: RowPage = storage.item_rows_page(now, limit, cursor, member)
    return page


def _line_row(line: ItemLine) -> ItemRow:
    return ItemRow(
        line.id, line.member_code, line.language, line.headline, line.version_created, line.version
    )


# -- stories ------------------------------------------------------------------------------------------


def stories_in_window(storage: Any, start: datetime, end: datetime, now: datetime) -> list[DayStory]:
    """Live stories whose latest readable item falls in [start, end), counted in one query."""
    found: list[DayStory] = storage.stories_in_window(start, end, now)
    return found


def stories_by_id(storage: Any, story_ids: Sequence[str], now: datetime) -> dict[str, Story]:
    """The stories with their readable items (the store's own story reader, in one connection)."""
    found: dict[str, Story] = storage.readable_stories(story_ids, now)
    return found


def latest_story_activity(storage: Any, before: datetime, now: datetime) -> datetime | None:
    """The time of the newest readable item that belongs to a story, before `before`."""
    found: datetime | None = storage.latest_story_activity(before, now)
    return found


# -- enrichment ------------------------------------------------------------------------------------


def facets_of(storage: Any, item_ids: Sequence[str]) -> dict[str, ItemFacets]:
    """Topics and countries of each item that has any (one query per few hundred items)."""
    found = storage.item_facets(list(item_ids))
    return {
        item_id: ItemFacets(
            topics=tuple((code, score or 0.0) for code, score in by_facet.get(TOPIC, ())),
            countries=tuple(code for code, _ in by_facet.get(COUNTRY, ())),
        )
        for item_id, by_facet in found.items()
    }


def country_counts(storage: Any, now: datetime) -> dict[str, int]:
    """Readable items per country over the whole store: counted by the store's facet index at each
    view (about 10 ms at 100,000 items), so the country index is never behind."""
    counts: dict[str, int] = storage.facet_counts(COUNTRY, now)
    return counts


# -- provenance, versions, translations, kills ------------------------------------------------------


def provenance_of(storage: Any, item_ids: Sequence[str]) -> dict[tuple[str, int], RecordedProvenance]:
    """(item id, version) -> the provenance recorded for it, for every version of the items."""
    found: dict[tuple[str, int], RecordedProvenance] = storage.provenance_of_items(item_ids)
    return found


def versions_of(storage: Any, item_ids: Sequence[str]) -> dict[str, list[VersionRow]]:
    """Every stored version of the items, oldest first (callers withhold embargoed versions)."""
    found: dict[str, list[VersionRow]] = storage.versions_of_items(item_ids)
    return found


def translations_of(storage: Any, heads: Sequence[tuple[str, int]], target: str) -> dict[str, dict[str, Any]]:
    """Stored machine translations of the items' head versions into `target`, by item id."""
    found: dict[str, dict[str, Any]] = storage.translations_of_heads(heads, target)
    return found


def kills_in_story(storage: Any, story_id: str, now: datetime) -> list[tuple[str, datetime]]:
    """(member, time) of the story's items that were killed and are still linked to it (the index
    stage takes a killed item out of its story, so these are kills it has not processed yet)."""
    found: list[tuple[str, datetime]] = storage.kills_in_story(story_id, now)
    return found
