"""Provenance of items: who signed each version, what the hub found on receipt, and the signed-item
document that anyone can verify offline with the published keys (verify/signed.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tabadol.deliver.render.ninjs import item_href, ninjs_uri
from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import Item, ItemVersion
from tabadol.verify.provenance import RecordedProvenance, canonical_form_for_parsed, recorded_provenance_json
from tabadol.verify.signed import signed_document
from tabadol.web.api.common import base_url
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/items", tags=["verification"])


@router.get("/{item_id}/provenance", summary="Who signed each version of an item and what the hub found")
def get_provenance(
    item_id: str, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> dict[str, Any]:
    item, versions = hub.readable_versions(item_id, clock())
    recorded = {entry.version: entry for entry in hub.storage.item_provenance(item.id)}
    root = base_url(request)
    return {
        "item_id": item.id,
        "member": item.member_code,
        "current_version": item.version,
        "versions": [_entry(root, item.id, v.version, recorded.get(v.version)) for v in versions],
    }


@router.get(
    "/{item_id}/versions/{version}/signed",
    summary="The signed-item document of one version: verify it offline with the published keys",
)
def get_signed(item_id: str, version: int, hub: HubDep, clock: ClockDep, principal: AnyKey) -> dict[str, Any]:
    item, stored = hub.readable_version(item_id, version, clock())
    found = next((p for p in hub.storage.item_provenance(item.id) if p.version == version), None)
    if found is None:
        raise TabadolError(ErrorCode.PROVENANCE_NOT_FOUND, item_id=item.id, version=version)
    return signed_document(found, canonical_of(item, stored))


def canonical_of(item: Item, version: ItemVersion) -> bytes:
    """The canonical form a stored version's signature covers (as the stamper built it)."""
    uri = ninjs_uri(item.guid, item.member_code)
    return canonical_form_for_parsed(version.parsed, item.member_code, version.version, uri=uri)


def _entry(root: str, item_id: str, version: int, recorded: RecordedProvenance | None) -> dict[str, Any]:
    summary = recorded_provenance_json(recorded)
    signed_href = f"{item_href(root, item_id, version)}/signed" if summary else None
    return {"version": version, "provenance": summary, "signed_href": signed_href}
