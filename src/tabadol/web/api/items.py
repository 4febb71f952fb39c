"""Reading items: the list, one item, its versions and the verbatim originals.

Every read goes through `Hub.readable_item` / `Hub.list_items`, which hide embargoed items: an
embargoed item is absent (404) on every endpoint until its embargo passes. Killed items stay
readable, with pubStatus "canceled", so subscribers learn of the kill.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from tabadol.deliver.render.enrichment import add_to_ninjs, enrichment_to_json, load_views
from tabadol.deliver.render.newsml_g2 import G2_MEDIA_TYPE, item_to_newsml_g2
from tabadol.deliver.render.ninjs import NINJS_MEDIA_TYPE, item_href, item_to_ninjs, version_to_ninjs
from tabadol.deliver.render.nitf import NITF_MEDIA_TYPE, item_to_nitf
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime, parse_datetime, to_jsonable
from tabadol.types import Decision, ItemQuery, ItemVersion, PubStatus, StoryItem, normalise_language_tag
from tabadol.verify.corroboration import corroborate, corroboration_json
from tabadol.web.api.common import MemberLookup, base_url, split_values
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/items", tags=["items"])

DEFAULT_PAGE = 50
MAX_PAGE = 200


def _parse_time(param: str, value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_datetime(value.strip())
    except ValueError:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param=param, reason=f"{value!r} is not ISO 8601"
        ) from None


def _parse_statuses(values: list[str]) -> tuple[PubStatus, ...]:
    statuses = []
    for value in split_values(values):
        try:
            statuses.append(PubStatus(value.lower()))
        except ValueError:
            allowed = ", ".join(s.value for s in PubStatus)
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="pubStatus", reason=f"use one of {allowed}"
            ) from None
    return tuple(statuses)


def _build_query(
    members: list[str],
    languages: list[str],
    since: str | None,
    until: str | None,
    statuses: list[str],
    q: str | None,
    now: datetime,
) -> ItemQuery:
    since_at = _parse_time("since", since)
    until_at = _parse_time("until", until)
    if since_at and until_at and since_at > until_at:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="until", reason="is before 'since'")
    return ItemQuery(
        member_codes=tuple(code.lower() for code in split_values(members)),
        languages=tuple(normalise_language_tag(tag) for tag in split_values(languages)),
        since=since_at,
        until=until_at,
        pub_statuses=_parse_statuses(statuses),
        text=q.strip() if q and q.strip() else None,
        now=now,
    )


@router.get("", summary="List items (newest first), as ninjs 3.1")
def list_items(
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    member: Annotated[list[str], Query(description="Member code; repeat or comma-separate")] = [],  # noqa: B006
    agency: Annotated[list[str], Query(description="Alias of 'member'")] = [],  # noqa: B006
    language: Annotated[list[str], Query(description="BCP-47 tag; repeat or comma-separate")] = [],  # noqa: B006
    since: Annotated[str | None, Query(description="ISO 8601; versions created at or after")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; versions created at or before")] = None,
    pub_status: Annotated[list[str], Query(alias="pubStatus", description="usable, withheld, canceled")] = [],  # noqa: B006
    q: Annotated[str | None, Query(description="Text to find in headline and body")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    query = _build_query(member + agency, language, since, until, pub_status, q, clock())
    page = hub.list_items(query, limit, cursor or None)
    members = MemberLookup(hub)
    root = base_url(request)
    next_link = str(request.url.include_query_params(cursor=page.next_cursor)) if page.next_cursor else None
    views = load_views(hub.storage, [item.id for item in page.items])
    return {
        "items": [
            add_to_ninjs(item_to_ninjs(item, members.get(item.member_code), root), views[item.id])
            for item in page.items
        ],
        "next_cursor": page.next_cursor,
        "links": {"self": str(request.url), "next": next_link},
    }


# Renditions of an item besides ninjs, by `?format=` or the Accept header.
OUTPUT_FORMATS = {"ninjs": NINJS_MEDIA_TYPE, "nitf": NITF_MEDIA_TYPE, "newsml-g2": G2_MEDIA_TYPE}


def _output_format(requested: str | None, accept: str | None) -> str:
    if requested is not None:
        if requested not in OUTPUT_FORMATS:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="format", reason=f"one of {', '.join(OUTPUT_FORMATS)}"
            )
        return requested
    for name, media_type in OUTPUT_FORMATS.items():
        if accept and media_type in accept:
            return name
    return "ninjs"


@router.get("/{item_id}", summary="One item at its newest version: ninjs 3.1, or NITF / NewsML-G2 on request")
def get_item(
    item_id: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    format: Annotated[
        str | None, Query(description="ninjs (default), nitf or newsml-g2 (or use Accept)")
    ] = None,
) -> Response:
    item = hub.readable_item(item_id, clock())
    chosen = _output_format(format, request.headers.get("accept"))
    etag = f'"{item.content_sha256}"' if chosen == "ninjs" else f'"{item.content_sha256}-{chosen}"'
    headers = {
        "ETag": etag,
        "X-Tabadol-Item-Id": item.id,
        "Link": _self_link(request, item.id),
        "Vary": "Accept",
    }
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    member = hub.storage.get_member(item.member_code)
    if chosen == "nitf":
        return Response(item_to_nitf(item, member), media_type=NITF_MEDIA_TYPE, headers=headers)
    if chosen == "newsml-g2":
        return Response(item_to_newsml_g2(item, member), media_type=G2_MEDIA_TYPE, headers=headers)
    document = item_to_ninjs(item, member, base_url(request))
    document = add_to_ninjs(document, load_views(hub.storage, [item.id])[item.id])
    return JSONResponse(document, media_type=NINJS_MEDIA_TYPE, headers=headers)


@router.get(
    "/{item_id}/enrichment", summary="What enrichment found: language, topics, entities, story, copies"
)
def get_enrichment(item_id: str, hub: HubDep, clock: ClockDep, principal: AnyKey) -> dict[str, Any]:
    """Machine-made metadata about the item's newest version, with the component versions that made it.
    Empty lists and nulls while the item waits in the enrichment queue."""
    item = hub.readable_item(item_id, clock())
    view = load_views(hub.storage, [item.id], with_links=True)[item.id]
    document = enrichment_to_json(view)
    return {"item_id": item.id, "version": item.version, **to_jsonable(document)}


@router.get("/{item_id}/corroboration", summary="Who else reported the item's story independently")
def get_corroboration(item_id: str, hub: HubDep, clock: ClockDep, principal: AnyKey) -> dict[str, Any]:
    """The corroboration of the item's story (verify/corroboration.py); an item in no story yet (not
    enriched, or alone) is corroborated by its own member only."""
    now = clock()
    item = hub.readable_item(item_id, now)
    story_id = hub.storage.story_ids_of([item.id]).get(item.id)
    story = hub.storage.get_story(story_id, now) if story_id else None
    if story is not None and any(entry.id == item.id for entry in story.items):
        items = story.items
    else:
        items = (
            StoryItem(
                item.id, item.member_code, item.language, item.headline, item.version_created, item.pub_status
            ),
        )
    ids = [entry.id for entry in items]
    found = corroborate(
        story.id if story else None,
        items,
        hub.storage.near_duplicate_sources(ids),
        hub.storage.takes_of_items(ids),
    )
    return {"item_id": item.id, "story_id": found.story_id, **corroboration_json(found)}


@router.get("/{item_id}/versions", summary="Every version of an item, oldest first")
def list_versions(
    item_id: str, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> dict[str, Any]:
    item, versions = hub.readable_versions(item_id, clock())
    root = base_url(request)
    return {"item_id": item.id, "guid": item.guid, "versions": [_version_entry(v, root) for v in versions]}


@router.get("/{item_id}/versions/{version}", summary="One version of an item, as ninjs 3.1")
def get_version(
    item_id: str, version: int, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> Response:
    item, stored = hub.readable_version(item_id, version, clock())
    document = version_to_ninjs(stored, item, hub.storage.get_member(item.member_code), base_url(request))
    headers = {"ETag": f'"{stored.content_sha256}"'}
    return JSONResponse(document, media_type=NINJS_MEDIA_TYPE, headers=headers)


@router.get(
    "/{item_id}/original",
    summary="The exact bytes the newest version arrived in",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_original(item_id: str, hub: HubDep, clock: ClockDep, principal: AnyKey) -> Response:
    item = hub.readable_item(item_id, clock())
    return _original_response(hub, item.original_sha256)


@router.get(
    "/{item_id}/versions/{version}/original",
    summary="The exact bytes one version arrived in",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_version_original(
    item_id: str, version: int, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> Response:
    _, stored = hub.readable_version(item_id, version, clock())
    return _original_response(hub, stored.original_sha256)


def _original_response(hub: Hub, sha256: str) -> Response:
    original = hub.storage.get_original(sha256)
    if original is None:  # a version always references a stored original; absence is corruption
        raise TabadolError(ErrorCode.INTERNAL)
    digest = base64.b64encode(binascii.unhexlify(original.sha256)).decode("ascii")
    headers = {
        "Content-Type": original.content_type,
        "Digest": f"sha-256={digest}",
        "Repr-Digest": f"sha-256=:{digest}:",
        "X-Tabadol-SHA256": original.sha256,
        "ETag": f'"{original.sha256}"',
    }
    return Response(content=original.data, headers=headers)


def _version_entry(version: ItemVersion, root: str) -> dict[str, Any]:
    href = item_href(root, version.item_id, version.version)
    return {
        "version": version.version,
        "received_at": format_datetime(version.received_at),
        "received_via": version.received_via,
        "decision": _decision_of(version).value,
        "pubStatus": version.parsed.pub_status.value,
        "sender_version": version.parsed.sender_version,
        "content_sha256": version.content_sha256,
        "original_sha256": version.original_sha256,
        "href": href,
        "original_href": f"{href}/original",
    }


def _decision_of(version: ItemVersion) -> Decision:
    """What the ingest decider concluded when it stored this version (it stores no duplicates).

    The first version is always NEW_ITEM, as the push answered, even when it arrived already canceled."""
    if version.version == 1:
        return Decision.NEW_ITEM
    return Decision.KILL if version.parsed.pub_status is PubStatus.CANCELED else Decision.NEW_VERSION


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _self_link(request: Request, item_id: str) -> str:
    return f'<{item_href(base_url(request), item_id)}>; rel="self"'
