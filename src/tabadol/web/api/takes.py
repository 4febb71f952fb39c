"""Take and republish: a member's editor takes another member's item to use it, unaltered, with
attribution, as the agreements allow.

`POST /api/v1/items/{id}/take` answers what the editor needs to republish: the link to the verbatim
original and its SHA-256 (what was sent, byte for byte), and a ready attribution line in the editor's
language ("— ИРНА, перевод с персидского"; deliver/attribution.py). The take is recorded (the usage
ledger: who took whose item, which version, when, in which language) and audited.
`GET /api/v1/takes` lists a member's takes, both ways (admins: everyone's).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from tabadol.deliver.attribution import attribution_line
from tabadol.deliver.render.ninjs import item_href
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.types import PubStatus, Take, normalise_language_tag, utc_now
from tabadol.web.api.common import base_url
from tabadol.web.auth import AnyKey, ClockDep, HubDep, require_writer_for

router = APIRouter(tags=["takes"])


class TakeBody(BaseModel):
    language: str | None = Field(
        default=None, description="Language the item is republished in (default: the taker's first language)"
    )
    member: str | None = Field(default=None, description="Admins: the member taking it (default: the key's)")


def take_json(take: Take) -> dict[str, Any]:
    return {
        "item_id": take.item_id,
        "version": take.item_version,
        "source_member": take.source_member,
        "taker_member": take.taker_member,
        "item_language": take.item_language,
        "language": take.reader_language,
        "translated": take.translated,
        "taken_at": format_datetime(take.taken_at),
    }


@router.post(
    "/items/{item_id}/take", status_code=201, summary="Take an item to republish it, with attribution"
)
def take_item(
    item_id: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    body: TakeBody | None = None,
) -> dict[str, Any]:
    body = body or TakeBody()
    taker = body.member or principal.member_code
    if taker is None:
        raise TabadolError(ErrorCode.INVALID_REQUEST_BODY, reason="name the member taking the item")
    require_writer_for(principal, taker, f"take items for {taker}")
    taker_member = hub.get_member(taker)
    item = hub.readable_item(item_id, clock())
    if item.pub_status is not PubStatus.USABLE:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"take an item that is {item.pub_status.value}")
    try:
        language = normalise_language_tag(body.language) if body.language else taker_member.languages[0]
    except (ValueError, IndexError):
        raise TabadolError(
            ErrorCode.INVALID_REQUEST_BODY, reason="name the language it is republished in"
        ) from None
    item_language = item.language
    translated = item_language is not None and item_language.split("-")[0] != language.split("-")[0]
    take = Take(
        item_id=item.id,
        item_version=item.version,
        source_member=item.member_code,
        taker_member=taker,
        key_id=principal.key_id,
        item_language=item_language,
        reader_language=language,
        translated=translated,
        taken_at=utc_now(),
    )
    hub.storage.record_take(take)
    hub.audit(
        principal, "item.take", item.id, {"version": item.version, "taker": taker, "language": language}
    )
    source = hub.get_member(item.member_code)
    root = base_url(request)
    return {
        **take_json(take),
        "attribution": attribution_line(source, item_language, language, translated),
        "original": {
            "href": f"{item_href(root, item.id, item.version)}/original",
            "sha256": item.original_sha256,
        },
    }


@router.get("/takes", summary="Takes by or from the key's member, newest first (admins: everyone's)")
def list_takes(
    hub: HubDep,
    principal: AnyKey,
    member: Annotated[str | None, Query(description="Admins: only this member's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    if principal.is_admin:
        scope = member
    elif member is not None and member != principal.member_code:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"read {member}'s takes")
    else:
        scope = principal.member_code
    return {"takes": [take_json(take) for take in hub.storage.list_takes(scope, limit)]}
