"""Typed, frozen records passed between the stages of the hub.

Every stage (ingest -> store -> enrich -> index -> deliver/serve) takes and returns these
records, never loose dicts. Datetimes are timezone-aware UTC; language tags are BCP-47.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime | None) -> datetime | None:
    """Naive datetimes from a wire are taken as UTC (the industry default); aware ones are converted."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def normalise_language_tag(tag: str) -> str:
    """'KK-latn' -> 'kk-Latn', 'en_gb' -> 'en-GB' (BCP-47 canonical case)."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) in (2, 3):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


class PubStatus(enum.StrEnum):
    """IPTC publication status. `canceled` is a kill: the item must no longer be used."""

    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


class Role(enum.StrEnum):
    ADMIN = "admin"  # alliance administrator: every member, every key
    EDITOR = "editor"  # a member's desk: push, take, manage its own items
    READER = "reader"  # subscriber: read only


class Decision(enum.StrEnum):
    """What the ingest decider concluded for one incoming item."""

    NEW_ITEM = "new_item"
    NEW_VERSION = "new_version"
    DUPLICATE = "duplicate"  # identical content re-sent: idempotent, nothing stored
    KILL = "kill"  # a new version whose pubStatus is canceled


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject/category code from the sender (IPTC Media Topic, keyword scheme, RSS category)."""

    name: str
    uri: str | None = None
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """What a format parser extracts from the wire bytes for one item.

    Format modules produce these and nothing else; they never touch storage. `guid` is the
    sender's globally unique identifier (ninjs `uri`, NewsML-G2 `guid`, RSS `guid`, Atom `id`);
    it may be None for formats that carry none (plain text), and the hub then derives one.
    """

    guid: str | None
    headline: str
    body_text: str
    source_format: str
    body_html: str | None = None
    language: str | None = None
    pub_status: PubStatus = PubStatus.USABLE
    sender_version: str | None = None
    item_type: str = "text"
    urgency: int | None = None
    first_created: datetime | None = None
    version_created: datetime | None = None
    embargoed_until: datetime | None = None
    byline: str | None = None
    located: str | None = None
    slugline: str | None = None
    description: str | None = None
    copyright_notice: str | None = None
    usage_terms: str | None = None
    link: str | None = None
    subjects: tuple[Subject, ...] = ()
    keywords: tuple[str, ...] = ()
    # Format-specific fields kept for round-tripping (e.g. ninjs `associations`); JSON-serialisable.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Original:
    """The exact bytes received, as received. Never modified after storage."""

    sha256: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class MemberInfo:
    code: str  # short, lowercase, e.g. "irna"
    names: Mapping[str, str]  # BCP-47 tag -> name in that language
    country: str  # ISO 3166-1 alpha-2, upper case
    languages: tuple[str, ...]  # working languages, BCP-47
    created_at: datetime
    active: bool = True

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()), self.code)


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    member_code: str
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from an API key (or the local operator for CLI commands)."""

    member_code: str | None
    role: Role
    key_id: str | None = None
    remote_addr: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_write_for(self, member_code: str) -> bool:
        return self.is_admin or (self.role is Role.EDITOR and self.member_code == member_code)


@dataclass(frozen=True, slots=True)
class ItemVersion:
    item_id: str
    version: int  # 1, 2, 3 ... assigned by the hub
    content_sha256: str  # fingerprint of the parsed content: what makes a re-send a duplicate
    original_sha256: str  # the verbatim bytes this version arrived in
    parsed: ParsedItem
    received_at: datetime
    received_via: str  # "http", "pull", "folder", "cli", "demo"
    received_by: str | None = None  # key id, or None for the local operator


@dataclass(frozen=True, slots=True)
class Item:
    """The current state of an item: its newest version plus identity and lifecycle."""

    id: str
    member_code: str
    guid: str
    version: int
    pub_status: PubStatus
    headline: str
    body_text: str
    language: str | None
    first_created: datetime
    version_created: datetime
    received_at: datetime
    embargoed_until: datetime | None
    original_sha256: str
    content_sha256: str
    parsed: ParsedItem
    seq: int  # hub-wide change counter: increases on every new version (drives cursors and indexes)

    def is_embargoed(self, now: datetime) -> bool:
        return self.embargoed_until is not None and self.embargoed_until > now

    @property
    def is_killed(self) -> bool:
        return self.pub_status is PubStatus.CANCELED


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one parsed item of a payload."""

    decision: Decision
    item_id: str
    guid: str
    version: int


@dataclass(frozen=True, slots=True)
class IngestReport:
    """The result of ingesting one payload (one push, one file, one poll)."""

    member_code: str
    original_sha256: str
    outcomes: tuple[IngestOutcome, ...]

    def count(self, decision: Decision) -> int:
        return sum(1 for o in self.outcomes if o.decision is decision)


@dataclass(frozen=True, slots=True)
class ItemQuery:
    """Filters for listing items. Times are UTC; `text` matches headline and body."""

    member_codes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    pub_statuses: tuple[PubStatus, ...] = ()
    text: str | None = None
    include_embargoed: bool = False  # only for operators (export, backup); never for read endpoints
    now: datetime | None = None  # the instant embargo is judged against (default: now)


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Item, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_member: str | None
    actor_key_id: str | None
    action: str  # e.g. "item.push", "member.add", "key.issue", "item.kill"
    target: str | None
    remote_addr: str | None
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A member's feed that the hub polls (pull transport)."""

    id: int
    member_code: str
    url: str
    interval_seconds: int
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime
    consecutive_errors: int
    last_error: str | None
    last_polled_at: datetime | None
    enabled: bool = True


# -- enrichment and index ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """One enrichment component's stored output for one item (`data` is the component's JSON)."""

    component: str
    component_version: str
    item_version: int
    data: Mapping[str, Any] = field(hash=False)
    error: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the index keeps of an item's head version: its vector and what story matching compares
    (`features`: numbers, entity ids, dates), and its near-duplicate fingerprint."""

    item_id: str
    item_version: int
    model: str
    member_code: str
    language: str | None
    at: datetime
    vector: Any = field(compare=False, repr=False)  # numpy float32 array, L2-normalised
    features: Mapping[str, Any] = field(hash=False, default_factory=dict)
    fingerprint: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ItemLink:
    """`item_id` is a `kind` ("near_duplicate") of `target_id`, with a similarity in 0..1."""

    item_id: str
    kind: str
    target_id: str
    similarity: float
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What a story shows of each of its items (read with the story, under the same reading rules)."""

    id: str
    member_code: str
    language: str | None
    headline: str
    version_created: datetime
    pub_status: PubStatus


@dataclass(frozen=True, slots=True)
class Story:
    """A cluster of items reporting one event, across languages and members. Ids are stable: a story
    merged into another keeps resolving to the survivor."""

    id: str
    created_at: datetime
    first_seen: datetime
    last_seen: datetime
    item_ids: tuple[str, ...]
    languages: tuple[str, ...]
    members: tuple[str, ...]
    merged_ids: tuple[str, ...] = ()
    items: tuple[StoryItem, ...] = ()


# -- subscriptions (deliver/subscriptions.py holds the rules) --------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    members: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()  # primary subtags, e.g. "fa", "kk"
    topics: frozenset[str] = frozenset()  # "medtop:04000000" (IPTC) or "scheme:label" (a member's scheme)
    entities: frozenset[str] = frozenset()  # entity ids, e.g. "place/tehran"
    stories: frozenset[str] = frozenset()
    max_urgency: int | None = None  # 1 (most urgent) .. 9: items with urgency <= this; no urgency fails
    query: str | None = None  # every word must occur (search form)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A member's standing selection of the exchange's items, delivered on its channels."""

    id: str
    member_code: str
    name: str
    filter: SubscriptionFilter
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Take:
    """A member's editor took another member's item to republish it: one row of the usage ledger."""

    item_id: str
    item_version: int
    source_member: str
    taker_member: str
    key_id: str | None
    item_language: str | None
    reader_language: str
    translated: bool
    taken_at: datetime


class EventKind(enum.StrEnum):
    """What a subscription event tells its subscriber about an item."""

    PUBLISH = "publish"  # the first version this subscription receives
    UPDATE = "update"  # a newer version; `replaces` names the one it had
    KILL = "kill"  # the item was killed: stop using it (`replaces` names the version it had)


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """One row of a subscription's event log: the order every channel delivers in. Ids are
    increasing and gap-free across the hub, so "after id N" is a complete, stable cursor."""

    id: int
    subscription_id: str
    item_id: str
    version: int
    kind: EventKind
    replaces: int | None
    source_member: str
    language: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription's webhook endpoint and where its delivery stands (never the secret)."""

    subscription_id: str
    url: str
    created_at: datetime
    updated_at: datetime
    position: int  # the last event id delivered (or dead-lettered)
    attempts: int  # failed attempts on the next event
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    delivered: int
    paused_at: datetime | None
    rotating: bool  # a previous secret still signs (rotation grace period)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event a webhook gave up on after its attempts; kept until replayed."""

    id: int
    subscription_id: str
    event_id: int
    attempts: int
    last_status: int | None
    last_error: str | None
    dead_at: datetime
    replayed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A public Ed25519 key the hub publishes: a member's (its signed items verify with it) or the
    hub's own (`member_code` None: the hub signs what unsigned members deliver)."""

    key_id: str  # "ed25519:" + 16 hex digits of the SHA-256 of the raw key
    member_code: str | None
    public_key: str  # the raw 32 bytes, base64url without padding
    label: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeclaredSignature:
    """A member's detached signature over one pushed item, as it arrived (checked in the ingest
    transaction, once the hub knows the version the item becomes)."""

    signature: str  # Ed25519 over the canonical form, base64url without padding
    key_id: str | None = None  # the key the member says it used; None: any of its live keys


@dataclass(frozen=True, slots=True)
class WebUser:
    """A person who logs in to the newsroom: a desk editor, reader or administrator of a member."""

    id: str
    username: str
    member_code: str
    role: Role
    display_name: str
    created_at: datetime
    disabled_at: datetime | None = None

    def principal(self, remote_addr: str | None = None) -> Principal:
        """The rights the person acts with (the audit log names them as web:<username>)."""
        return Principal(self.member_code, self.role, key_id=f"web:{self.username}", remote_addr=remote_addr)


@dataclass(frozen=True, slots=True)
class WebSession:
    """A logged-in browser: the hub keeps only the SHA-256 of the cookie's token."""

    token_sha256: str
    user: WebUser
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    remote_addr: str | None = None
