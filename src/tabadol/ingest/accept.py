"""The ingest decider: what to do with each incoming item, given what the hub already holds.

Pure functions, no I/O: the storage backends call `decide` inside their write transaction, after
reading the heads of the guids involved, so the decision and the writes it implies are atomic.

The rules, per incoming item of one payload for one member:

- Unknown guid: NEW_ITEM, version 1. A canceled item for an unknown guid is still a NEW_ITEM: it is
  stored already killed (pubStatus canceled), so a later re-send of the same kill is a DUPLICATE and
  nobody can ever publish under that guid without a visible new version.
- Known guid owned by another member: refused with ITEM_OWNED_BY_OTHER_MEMBER for the whole payload.
- Same content fingerprint as the head: DUPLICATE (idempotent re-send; nothing is stored).
- Different content whose sender `version_created` is *older* than the head's sender
  `version_created`: a stale re-send (a replayed feed, an out-of-order retry). It is a DUPLICATE
  reported at the head's version, so an old text can never overwrite a newer one. Equal or missing
  timestamps are not stale: a sender correcting without bumping the time still gets a new version.
- A canceled item is never stale: a kill must take effect even when the sender's clock is wrong.
  Changed content that is canceled is a KILL; otherwise a NEW_VERSION (head version + 1).
- After a kill, content that is not canceled is stale (a DUPLICATE) unless the sender dates it after
  the kill reached the hub: replaying an old feed cannot resurrect a killed item, while a sender that
  deliberately reinstates it, with a fresh `version_created`, gets a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import parsed_item_to_json
from tabadol.types import Decision, ParsedItem, PubStatus, ensure_utc

ITEM_ID_PREFIX = "it"
ITEM_ID_HEX_CHARS = 20


def item_id_for_guid(guid: str) -> str:
    """Deterministic, short, URL-safe id: a restore or a second hub reproduces the same ids."""
    digest = hashlib.sha256(guid.encode("utf-8")).hexdigest()
    return f"{ITEM_ID_PREFIX}{digest[:ITEM_ID_HEX_CHARS]}"


def content_fingerprint(item: ParsedItem) -> str:
    """SHA-256 of the canonical JSON of the parsed content (sorted keys, compact, UTF-8)."""
    return fingerprint_of_json(parsed_item_to_json(item))


def fingerprint_of_json(content: Mapping[str, Any]) -> str:
    """`content_fingerprint` of an item already turned into JSON values (`parsed_item_to_json`)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """What the store holds for one guid: enough to decide, nothing more."""

    item_id: str
    member_code: str
    version: int
    content_sha256: str
    sender_version_created: datetime | None  # the sender's own timestamp of the head, if it gave one
    killed: bool = False  # the head is canceled
    received_at: datetime | None = None  # when the head version reached the hub


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one incoming item and what the store must write for it."""

    decision: Decision
    item_id: str
    guid: str
    version: int  # the version written, or the head's version for a DUPLICATE
    content_sha256: str
    item: ParsedItem
    # `item` as JSON values, computed once for the fingerprint and reused by the store to write the
    # version row: turning a ParsedItem into JSON is the costliest step of deciding.
    content: Mapping[str, Any] = field(compare=False, repr=False, kw_only=True)

    @property
    def writes(self) -> bool:
        return self.decision is not Decision.DUPLICATE


def decide(member_code: str, items: Sequence[ParsedItem], heads: Mapping[str, Head]) -> list[Verdict]:
    """One verdict per item, in order. Raises before deciding anything if any guid is foreign."""
    guids = [_guid_of(item) for item in items]
    for guid in guids:
        head = heads.get(guid)
        if head is not None and head.member_code != member_code:
            raise TabadolError(ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER, guid=guid, owner=head.member_code)
    return [_decide_one(guid, item, heads.get(guid)) for guid, item in zip(guids, items, strict=True)]


def _decide_one(guid: str, item: ParsedItem, head: Head | None) -> Verdict:
    content = parsed_item_to_json(item)
    fingerprint = fingerprint_of_json(content)
    if head is None:
        return Verdict(Decision.NEW_ITEM, item_id_for_guid(guid), guid, 1, fingerprint, item, content=content)
    if fingerprint == head.content_sha256 or _is_stale(item, head):
        return Verdict(
            Decision.DUPLICATE, head.item_id, guid, head.version, fingerprint, item, content=content
        )
    decision = Decision.KILL if item.pub_status is PubStatus.CANCELED else Decision.NEW_VERSION
    return Verdict(decision, head.item_id, guid, head.version + 1, fingerprint, item, content=content)


def head_after(verdict: Verdict, member_code: str, received_at: datetime | None = None) -> Head:
    """The head a guid has once `verdict` is stored: what the next payload of a batch decides against."""
    return Head(
        item_id=verdict.item_id,
        member_code=member_code,
        version=verdict.version,
        content_sha256=verdict.content_sha256,
        sender_version_created=ensure_utc(verdict.item.version_created),
        killed=verdict.item.pub_status is PubStatus.CANCELED,
        received_at=received_at,
    )


def _is_stale(item: ParsedItem, head: Head) -> bool:
    if item.pub_status is PubStatus.CANCELED:
        return False
    if head.killed:
        # A killed item comes back only when its sender dates new content after the kill reached the
        # hub: a replayed feed or a retried old push must never bring a withdrawn text back.
        incoming = ensure_utc(item.version_created)
        killed_at = ensure_utc(head.received_at)
        return incoming is None or killed_at is None or incoming <= killed_at
    if item.version_created is None or head.sender_version_created is None:
        return False
    incoming = ensure_utc(item.version_created)
    current = ensure_utc(head.sender_version_created)
    return incoming is not None and current is not None and incoming < current


def _guid_of(item: ParsedItem) -> str:
    if not item.guid:
        # The hub derives a guid for formats without one before storage; reaching here is a bug upstream.
        raise TabadolError(ErrorCode.MISSING_FIELD, position=1, field="guid")
    return item.guid
