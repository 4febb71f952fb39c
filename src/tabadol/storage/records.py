"""Rows to typed records and back: the one place that knows how each column is encoded.

JSON columns hold text written by `to_json` (sorted keys, UTF-8 kept), so stored values are
identical on SQLite and PostgreSQL and restore byte-for-byte.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row

from tabadol.serialize import parsed_item_from_json, to_jsonable
from tabadol.types import (
    ApiKey,
    AuditEntry,
    FeedSource,
    Item,
    ItemVersion,
    MemberInfo,
    Original,
    PubStatus,
    Role,
)


def to_json(value: object) -> str:
    """Datetimes, enums and tuples (e.g. in audit details) become plain JSON first."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True)


def member_row(member: MemberInfo) -> dict[str, Any]:
    return {
        "code": member.code,
        "names": to_json(dict(member.names)),
        "country": member.country,
        "languages": to_json(list(member.languages)),
        "created_at": member.created_at,
        "active": member.active,
    }


def member_from_row(row: Row[Any]) -> MemberInfo:
    return MemberInfo(
        code=row.code,
        names=json.loads(row.names),
        country=row.country,
        languages=tuple(json.loads(row.languages)),
        created_at=row.created_at,
        active=bool(row.active),
    )


def api_key_row(key: ApiKey, secret_hash: str) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "member_code": key.member_code,
        "role": key.role.value,
        "label": key.label,
        "secret_hash": secret_hash,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
    }


def api_key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        member_code=row.member_code,
        role=Role(row.role),
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def item_from_row(row: Row[Any]) -> Item:
    parsed = parsed_item_from_json(json.loads(row.parsed))
    return Item(
        id=row.id,
        member_code=row.member_code,
        guid=row.guid,
        version=row.version,
        pub_status=PubStatus(row.pub_status),
        headline=row.headline,
        body_text=parsed.body_text,
        language=row.language,
        first_created=row.first_created,
        version_created=row.version_created,
        received_at=row.received_at,
        embargoed_until=row.embargoed_until,
        original_sha256=row.original_sha256,
        content_sha256=row.content_sha256,
        parsed=parsed,
        seq=row.seq,
    )


def version_from_row(row: Row[Any]) -> ItemVersion:
    return ItemVersion(
        item_id=row.item_id,
        version=row.version,
        content_sha256=row.content_sha256,
        original_sha256=row.original_sha256,
        parsed=parsed_item_from_json(json.loads(row.parsed)),
        received_at=row.received_at,
        received_via=row.received_via,
        received_by=row.received_by,
    )


def original_from_row(row: Row[Any]) -> Original:
    return Original(sha256=row.sha256, content_type=row.content_type, data=bytes(row.data))


def audit_from_row(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_member=row.actor_member,
        actor_key_id=row.actor_key_id,
        action=row.action,
        target=row.target,
        remote_addr=row.remote_addr,
        detail=json.loads(row.detail),
    )


def feed_from_row(row: Row[Any]) -> FeedSource:
    return FeedSource(
        id=row.id,
        member_code=row.member_code,
        url=row.url,
        interval_seconds=row.interval_seconds,
        etag=row.etag,
        last_modified=row.last_modified,
        next_poll_at=row.next_poll_at,
        consecutive_errors=row.consecutive_errors,
        last_error=row.last_error,
        last_polled_at=row.last_polled_at,
        enabled=bool(row.enabled),
    )
