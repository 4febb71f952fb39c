"""Builders for the storage tests: members added straight to a Storage, and payloads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from tabadol.storage.base import IngestRequest, Storage
from tabadol.types import MemberInfo, Original, ParsedItem

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MakeRequest = Callable[..., IngestRequest]


def add_member(
    storage: Storage, code: str, country: str = "IR", languages: tuple[str, ...] = ("fa",)
) -> MemberInfo:
    member = MemberInfo(
        code=code, names={"en": code.upper()}, country=country, languages=languages, created_at=T0
    )
    storage.add_member(member)
    return member


def build_request(
    member_code: str,
    *items: ParsedItem,
    data: bytes | None = None,
    received_at: datetime = T0,
    via: str = "http",
    received_by: str | None = None,
) -> IngestRequest:
    """A payload whose bytes default to something unique to its items (so SHA-256s differ)."""
    raw = data if data is not None else repr(items).encode("utf-8")
    original = Original(sha256=hashlib.sha256(raw).hexdigest(), content_type="application/json", data=raw)
    return IngestRequest(
        member_code=member_code,
        original=original,
        items=tuple(items),
        received_at=received_at,
        received_via=via,
        received_by=received_by,
        remote_addr="127.0.0.1",
    )
