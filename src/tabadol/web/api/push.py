"""Writing items: push a payload in any supported format, and kill an item.

A push is acknowledged only after the durable commit that holds it: the hub's group committer
batches concurrent pushes into one commit and answers each waiting request with its own report.
The handler is async only to stream the body under its size limit; parsing and storing run in
the thread pool so the event loop never blocks on them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tabadol.deliver.render.ninjs import item_href
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.ingest.formats import builtin_formats
from tabadol.types import Decision, DeclaredSignature, IngestReport, Principal, Role
from tabadol.verify.provenance import recorded_provenance_json
from tabadol.web.api.common import base_url
from tabadol.web.auth import Clock, ClockDep, HubDep, WriterKey
from tabadol.web.limits import read_body_within

router = APIRouter(prefix="/items", tags=["items"])

# One signature per item: a payload's item limit bounds the header too (and the server's header size).
MAX_SIGNATURES = 5000
UNSIGNED = "-"  # in the header's list: this item is not signed by the member (the hub signs it)
_SIGNATURE_TOKEN = re.compile(r"[A-Za-z0-9_-]{86}={0,2}")
_KEY_ID = re.compile(r"ed25519:[0-9a-f]{16}")

# Every media type a built-in format claims, plus the generic ones that are recognised by sniffing.
_PAYLOAD_MEDIA_TYPES = tuple(
    dict.fromkeys(
        [media for fmt in builtin_formats() for media in fmt.media_types]
        + ["application/json", "application/xml", "text/xml", "application/octet-stream"]
    )
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
    content_language: Annotated[
        str | None, Header(description="Language of items whose format declares none (plain text)")
    ] = None,
    tabadol_signature: Annotated[
        str | None,
        Header(
            description="The member's Ed25519 signatures, one per item in payload order, comma-separated "
            "('-' for an item left unsigned); see docs/provenance.md"
        ),
    ] = None,
    tabadol_signature_key: Annotated[
        str | None, Header(description="The id of the key that made the signatures (optional)")
    ] = None,
) -> JSONResponse:
    member_code = _target_member(principal, member)
    signatures = parse_signature_header(tabadol_signature, tabadol_signature_key)
    data = await read_body_within(request, hub.settings.max_payload_bytes)
    # Parsing runs in the thread pool; the durable commit is awaited without holding a thread, so
    # many pushes can wait on one group commit.
    prepared = await run_in_threadpool(
        hub.prepare_payload,
        member_code,
        data,
        request.headers.get("content-type"),
        via="http",
        actor=principal,
        guid=(guid_header or guid or "").strip() or None,
        language=content_language,
        signatures=signatures,
    )
    report = await asyncio.wrap_future(hub.committer.enqueue(prepared))
    findings = await run_in_threadpool(_signature_findings, hub, report) if signatures else None
    return ingest_response(request, report, findings)


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
    report = hub.kill_item(item_id, principal, reason=body.reason if body else "")
    return ingest_response(request, report)


def parse_signature_header(value: str | None, key_id: str | None) -> tuple[DeclaredSignature | None, ...]:
    """`Tabadol-Signature: sig1, -, sig3` -> one declared signature (or None) per item, in order."""
    if value is None or not value.strip():
        if key_id:
            raise TabadolError(ErrorCode.INVALID_SIGNATURE_HEADER, reason="a key id without signatures")
        return ()
    key = key_id.strip() if key_id and key_id.strip() else None
    if key is not None and not _KEY_ID.fullmatch(key):
        raise TabadolError(ErrorCode.INVALID_SIGNATURE_HEADER, reason=f"{key[:80]!r} is not a key id")
    tokens = [token.strip() for token in value.split(",")]
    if len(tokens) > MAX_SIGNATURES:
        raise TabadolError(
            ErrorCode.INVALID_SIGNATURE_HEADER, reason=f"more than {MAX_SIGNATURES} signatures"
        )
    signatures: list[DeclaredSignature | None] = []
    for position, part in enumerate(tokens, start=1):
        if part == UNSIGNED:
            signatures.append(None)
        elif _SIGNATURE_TOKEN.fullmatch(part):
            signatures.append(DeclaredSignature(part, key))
        else:
            reason = f"signature {position} is neither base64url nor '-'"
            raise TabadolError(ErrorCode.INVALID_SIGNATURE_HEADER, reason=reason)
    if all(signature is None for signature in signatures):
        return ()
    return tuple(signatures)


def _signature_findings(hub: Hub, report: IngestReport) -> dict[tuple[str, int], dict[str, Any] | None]:
    """What the hub found for each version the push wrote (read back after the commit)."""
    found: dict[tuple[str, int], dict[str, Any] | None] = {}
    for outcome in report.outcomes:
        if outcome.decision is Decision.DUPLICATE:
            continue
        recorded = {p.version: p for p in hub.storage.item_provenance(outcome.item_id)}
        found[(outcome.item_id, outcome.version)] = recorded_provenance_json(recorded.get(outcome.version))
    return found


def ingest_response(
    request: Request,
    report: IngestReport,
    findings: Mapping[tuple[str, int], dict[str, Any] | None] | None = None,
) -> JSONResponse:
    root = base_url(request)
    entries: list[dict[str, Any]] = [
        {
            "id": outcome.item_id,
            "guid": outcome.guid,
            "version": outcome.version,
            "decision": outcome.decision.value,
            "href": item_href(root, outcome.item_id),
        }
        for outcome in report.outcomes
    ]
    if findings is not None:
        for entry, outcome in zip(entries, report.outcomes, strict=True):
            if outcome.decision is not Decision.DUPLICATE:
                entry["provenance"] = findings.get((outcome.item_id, outcome.version))
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
