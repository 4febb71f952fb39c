"""Stories: items from several members and languages that report one event (index/stories.py).

A story lists only items a reader may see (no embargoed, no killed items); a story with none is absent.
Story ids are stable: when two stories turn out to be one, the younger is merged into the older, and its
id keeps answering with the survivor (`merged_ids` lists the ids folded into it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tabadol.deliver.render.ninjs import item_href
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.types import Story, StoryItem
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


def story_json(story: Story, root: str) -> dict[str, Any]:
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
    next_cursor = encode_cursor(*keyset) if keyset else None
    return {
        "stories": [story_json(story, root) for story in stories],
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
    document = story_json(story, base_url(request))
    if story.id != story_id:
        document["requested_id"] = story_id
    return document
