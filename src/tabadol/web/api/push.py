"""Writing items: push a payload in any supported format, and kill an item.

A push is acknowledged only after the durable commit that holds it: the hub's group committer
batches concurrent pushes into one commit and answers each waiting request with its own report.
The handler is async only to stream the body under its size limit; parsing and storing run in
the thread pool so the event loop never blocks on them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tabadol.deliver.render.ninjs import item_href
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import Decision, IngestReport, Principal, Role, utc_now
from tabadol.web.api.common import base_url
from tabadol.web.auth import Clock, ClockDep, HubDep, WriterKey
from tabadol.web.limits import read_body_within

router = APIRouter(prefix="/items", tags=["items"])

_PAYLOAD_MEDIA_TYPES = (
    "application/ninjs+json",
    "application/json",
    "application/feed+json",
    "application/vnd.iptc.g2.newsitem+xml",
    "application/nitf+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/plain",
)
_PAYLOAD_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One payload in any supported format (ninjs, NewsML-G2, NITF, RSS, Atom, JSON Feed, "
        "plain text), chosen by Content-Type or recognised from the bytes. Kept verbatim.",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in _PAYLOAD_MEDIA_TYPES
        },
    }
}


KILL_NOTE = "Killed: this item must not be used."


class KillRequest(BaseModel):
    reason: str = Field(default="", max_length=2000, description="Editorial note sent with the kill")


@router.post(
    "",
    status_code=201,
    summary="Push a payload (201 when something was stored, 200 when every item was a duplicate)",
    openapi_extra=_PAYLOAD_BODY_DOC,
)
async def push_items(
    request: Request,
    hub: HubDep,
    principal: WriterKey,
    member: Annotated[str | None, Query(description="Member to push for (admin keys only)")] = None,
    guid: Annotated[str | None, Query(description="Identifier for formats that carry none")] = None,
    guid_header: Annotated[str | None, Header(alias="X-Tabadol-Guid")] = None,
) -> JSONResponse:
    member_code = _target_member(principal, member)
    data = await read_body_within(request, hub.settings.max_payload_bytes)
    report = await run_in_threadpool(
        hub.ingest_payload,
        member_code,
        data,
        request.headers.get("content-type"),
        via="http",
        actor=principal,
        guid=(guid_header or guid or "").strip() or None,
        group_commit=True,
    )
    return ingest_response(request, report)


@router.post("/{item_id}/kill", status_code=201, summary="Kill an item (a canceled version; owner or admin)")
def kill_item(
    item_id: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: WriterKey,
    body: Annotated[KillRequest | None, Body()] = None,
) -> JSONResponse:
    _ensure_visible_to(hub, item_id, principal, clock)
    report = kill(hub, item_id, principal, reason=body.reason if body else "")
    return ingest_response(request, report)


def kill(hub: Hub, item_id: str, actor: Principal, reason: str) -> IngestReport:
    """Record a canceled version, as `Hub.kill_item` does, but with the kill note as its body.

    The format parsers require a body for text items, and `Hub.kill_item` writes its notice without
    one, so that notice is refused; this notice carries the note as body text (which is also what a
    subscriber's desk should see). Nothing else differs: same owner check, same ingest path.
    """
    item = hub.storage.get_item(item_id)
    if item is None:
        raise TabadolError(ErrorCode.ITEM_NOT_FOUND, item_id=item_id)
    if not actor.can_write_for(item.member_code):
        raise TabadolError(ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER, guid=item.guid, owner=item.member_code)
    note = reason.strip() or KILL_NOTE
    notice: dict[str, Any] = {
        "uri": item.guid,
        "type": "text",
        "pubStatus": "canceled",
        "headlines": [{"role": "main", "value": item.headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": note}],
        "edNote": note,
        "versionCreated": format_datetime(utc_now()),
    }
    if item.language:
        notice["language"] = item.language
    data = json.dumps(notice, ensure_ascii=False).encode("utf-8")
    return hub.ingest_payload(item.member_code, data, "application/ninjs+json", via="api-kill", actor=actor)


def ingest_response(request: Request, report: IngestReport) -> JSONResponse:
    root = base_url(request)
    entries = [
        {
            "id": outcome.item_id,
            "guid": outcome.guid,
            "version": outcome.version,
            "decision": outcome.decision.value,
            "href": item_href(root, outcome.item_id),
        }
        for outcome in report.outcomes
    ]
    stored = any(outcome.decision is not Decision.DUPLICATE for outcome in report.outcomes)
    headers = {"Location": str(entries[0]["href"])} if len(entries) == 1 else None
    body = {"member": report.member_code, "original_sha256": report.original_sha256, "items": entries}
    return JSONResponse(body, status_code=201 if stored else 200, headers=headers)


def _target_member(principal: Principal, requested: str | None) -> str:
    """Admins push for ?member= (default: their own member); editors only for their own member."""
    requested = requested.strip().lower() if requested and requested.strip() else None
    if principal.role is Role.ADMIN:
        code = requested or principal.member_code
        if code is None:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="member", reason="admin pushes need ?member=CODE"
            )
        return code
    if requested is not None and requested != principal.member_code:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"push items for member '{requested}'")
    if principal.member_code is None:  # every issued key belongs to a member; the operator is an admin
        raise TabadolError(ErrorCode.FORBIDDEN, action="push items without a member")
    return principal.member_code


def _ensure_visible_to(hub: Hub, item_id: str, principal: Principal, clock: Clock) -> None:
    """An embargoed item exists only for its owner: anyone else gets 404, not a hint that it exists."""
    try:
        hub.readable_item(item_id, clock())
    except TabadolError as error:
        item = hub.storage.get_item(item_id)
        if item is None or not principal.can_write_for(item.member_code):
            raise error from None
