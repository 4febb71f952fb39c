"""The audit log (admin only): every write, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tabadol.serialize import format_datetime, to_jsonable
from tabadol.types import AuditEntry
from tabadol.web.auth import AdminKey, HubDep

router = APIRouter(tags=["audit"])


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": format_datetime(entry.at),
        "actor_member": entry.actor_member,
        "actor_key_id": entry.actor_key_id,
        "action": entry.action,
        "target": entry.target,
        "remote_addr": entry.remote_addr,
        "detail": to_jsonable(entry.detail),
    }


@router.get("/audit", summary="Audit log, newest first (admin)")
def list_audit(
    request: Request,
    hub: HubDep,
    principal: AdminKey,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, description="Entries older than this id (paging)")] = None,
) -> dict[str, Any]:
    entries = hub.storage.list_audit(limit=limit, before_id=before)
    next_before = entries[-1].id if len(entries) == limit else None
    next_link = str(request.url.include_query_params(before=next_before)) if next_before else None
    return {
        "entries": [entry_json(e) for e in entries],
        "next_before": next_before,
        "links": {"next": next_link},
    }
