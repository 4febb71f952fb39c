"""Stories: items from several members and languages that report one event (index/stories.py).

A story lists only items a reader may see (no embargoed, no killed items); a story with none is absent.
Story ids are stable: when two stories turn out to be one, the younger is merged into the older, and its
id keeps answering with the survivor (`merged_ids` lists the ids folded into it). Each story carries its
corroboration: the members that reported it independently, first reporter first, and the republications
that do not count (verify/corroboration.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tabadol.deliver.render.ninjs import item_href
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.types import Story, StoryItem
from tabadol.verify.corroboration import Corroboration, corroborate, corroboration_json
from tabadol.web.api.common import base_url
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/stories", tags=["stories"])

DEFAULT_PAGE = 20
MAX_PAGE = 100


def _item_summary(item: StoryItem, root: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "member": item.member_code,
        "language": item.language,
        "headline": item.headline,
        "versionCreated": format_datetime(item.version_created),
        "pubStatus": item.pub_status.value,
        "href": item_href(root, item.id) if root else None,
    }


def corroborations(hub: Hub, stories: Sequence[Story]) -> dict[str, Corroboration]:
    """Each story's corroboration, from two reads for the whole page (near-duplicate links, takes)."""
    item_ids = [item.id for story in stories for item in story.items]
    copies = hub.storage.near_duplicate_sources(item_ids) if item_ids else {}
    takes = hub.storage.takes_of_items(item_ids) if item_ids else []
    return {story.id: corroborate(story.id, story.items, copies, takes) for story in stories}


def story_json(story: Story, root: str, corroboration: Corroboration | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": story.id,
        "first_seen": format_datetime(story.first_seen),
        "last_seen": format_datetime(story.last_seen),
        "item_count": len(story.item_ids),
        "languages": list(story.languages),
        "members": list(story.members),
        "item_ids": list(story.item_ids),
        "merged_ids": list(story.merged_ids),
    }
    out["items"] = [_item_summary(item, root) for item in story.items]
    if corroboration is not None:
        out["corroboration"] = corroboration_json(corroboration)
    return out


@router.get("", summary="Stories, most recently active first")
def list_stories(
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    min_items: Annotated[int, Query(ge=1, description="Only stories with at least this many items")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    now = clock()
    before = decode_cursor(cursor) if cursor else None
    stories, keyset = hub.storage.list_stories(limit, before, min_items=min_items, now=now)
    root = base_url(request)
    found = corroborations(hub, stories)
    next_cursor = encode_cursor(*keyset) if keyset else None
    return {
        "stories": [story_json(story, root, found[story.id]) for story in stories],
        "next_cursor": next_cursor,
        "links": {
            "self": str(request.url),
            "next": str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None,
        },
    }


@router.get("/{story_id}", summary="One story with its items")
def get_story(
    story_id: str, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> dict[str, Any]:
    now = clock()
    story = hub.storage.get_story(story_id, now)
    if story is None:
        raise TabadolError(ErrorCode.STORY_NOT_FOUND, story_id=story_id)
    document = story_json(story, base_url(request), corroborations(hub, [story])[story.id])
    if story.id != story_id:
        document["requested_id"] = story_id
    return document


@router.get("/{story_id}/corroboration", summary="Who reported the story independently, and who first")
def get_corroboration(story_id: str, hub: HubDep, clock: ClockDep, principal: AnyKey) -> dict[str, Any]:
    story = hub.storage.get_story(story_id, clock())
    if story is None:
        raise TabadolError(ErrorCode.STORY_NOT_FOUND, story_id=story_id)
    return {"story_id": story.id, **corroboration_json(corroborations(hub, [story])[story.id])}
