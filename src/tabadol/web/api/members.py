"""Members (the agencies of the alliance) and their API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tabadol.serialize import format_datetime
from tabadol.types import ApiKey, MemberInfo, Role
from tabadol.web.auth import AdminKey, AnyKey, HubDep

router = APIRouter(tags=["members"])


class NewMember(BaseModel):
    code: str = Field(description="Short lowercase code, e.g. 'irna'")
    names: dict[str, str] = Field(description="BCP-47 tag -> name in that language")
    country: str = Field(description="ISO 3166-1 alpha-2")
    languages: list[str] = Field(description="Working languages, BCP-47")


class NewKey(BaseModel):
    role: Role
    label: str = Field(default="", max_length=200)


def member_json(member: MemberInfo) -> dict[str, Any]:
    return {
        "code": member.code,
        "names": dict(member.names),
        "country": member.country,
        "languages": list(member.languages),
        "active": member.active,
    }


def key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "member": key.member_code,
        "role": key.role.value,
        "label": key.label,
        "created_at": format_datetime(key.created_at),
        "revoked_at": format_datetime(key.revoked_at) if key.revoked_at else None,
    }


@router.get("/members", summary="Every member (public information)")
def list_members(hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    return {"members": [member_json(m) for m in hub.storage.list_members()]}


@router.get("/members/{code}", summary="One member (public information)")
def get_member(code: str, hub: HubDep, principal: AnyKey) -> dict[str, Any]:
    return member_json(hub.get_member(code))


@router.post("/members", status_code=201, summary="Add a member (admin)")
def add_member(body: NewMember, hub: HubDep, principal: AdminKey) -> dict[str, Any]:
    member = hub.add_member(body.code, body.names, body.country, body.languages, actor=principal)
    return member_json(member)


@router.post(
    "/members/{code}/keys", status_code=201, summary="Issue an API key (admin); the token is shown once"
)
def issue_key(code: str, body: NewKey, hub: HubDep, principal: AdminKey) -> dict[str, Any]:
    key, token = hub.issue_key(code, body.role, body.label, actor=principal)
    return {**key_json(key), "token": token}


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key (admin)")
def revoke_key(key_id: str, hub: HubDep, principal: AdminKey) -> Response:
    hub.revoke_key(key_id, actor=principal)
    return Response(status_code=204)
