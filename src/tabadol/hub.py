"""The hub: the one object that wires settings, storage, formats and access together.

Transports (HTTP push, feed polling, drop folder, CLI) all hand bytes to `Hub.ingest_payload`;
read paths (API, CLI export) go through `Hub.readable_item` / `Hub.list_items`, which apply the
embargo rule in one place.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime

from tabadol import access
from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.formats import FormatRegistry, default_registry
from tabadol.serialize import format_datetime
from tabadol.storage import open_storage
from tabadol.storage.base import IngestRequest, Storage
from tabadol.types import (
    ApiKey,
    Decision,
    DeclaredSignature,
    IngestOutcome,
    IngestReport,
    Item,
    ItemQuery,
    ItemVersion,
    MemberInfo,
    Original,
    Page,
    ParsedItem,
    Principal,
    Role,
    normalise_language_tag,
    utc_now,
)
from tabadol.verify.hub_key import load_or_create_hub_key
from tabadol.verify.stamp import ItemStamper

MEMBER_CODE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
# BCP-47, the subset the hub needs: language, optional script and region (fa, kk-Latn, en-GB, az-Latn-AZ)
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")

KILL_NOTE = "Killed: this item must not be used."

OPERATOR = Principal(member_code=None, role=Role.ADMIN, key_id=None, remote_addr="local")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GroupCommitter:
    """Turns concurrent single-payload ingests into few durable commits.

    HTTP handlers run in a thread pool; each submits its request and waits. One writer thread takes
    everything queued, stores it with one `ingest_many` (one fsync), and resolves each waiter with
    its own report or error. A push is acknowledged only after the commit that holds it.
    """

    def __init__(self, storage: Storage, max_batch: int = 256) -> None:
        self._storage = storage
        self._max_batch = max_batch
        self._queue: queue.Queue[tuple[IngestRequest, Future[IngestReport]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tabadol-writer", daemon=True)
        self._thread.start()

    def submit(self, request: IngestRequest) -> IngestReport:
        """Queue the request and wait for its commit."""
        return self.enqueue(request).result()

    def enqueue(self, request: IngestRequest) -> Future[IngestReport]:
        """Queue the request; the future resolves after the commit that holds it (for async callers,
        which wait without holding a thread)."""
        future: Future[IngestReport] = Future()
        self._queue.put((request, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[IngestRequest, Future[IngestReport]]]) -> None:
        try:
            results = self._storage.ingest_many([request for request, _ in batch])
        except Exception as exc:  # the whole commit failed: every waiter learns it, none is acknowledged
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, TabadolError):
                future.set_exception(result)
            else:
                future.set_result(result)


@dataclass
class Hub:
    settings: Settings
    storage: Storage
    formats: FormatRegistry = field(default_factory=default_registry)
    _committer: GroupCommitter | None = None
    _stamper: ItemStamper | None = None
    _stamper_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()
            self._committer = None
        self.storage.close()

    @property
    def committer(self) -> GroupCommitter:
        if self._committer is None:
            self._committer = GroupCommitter(self.storage)
        return self._committer

    @property
    def stamper(self) -> ItemStamper:
        """Records provenance as items are stored: the hub's key, made and published on first use."""
        with self._stamper_lock:
            if self._stamper is None:
                private_pem, _ = load_or_create_hub_key(self.settings.data_dir, self.storage)
                self._stamper = ItemStamper(private_pem)
            return self._stamper

    # -- members and keys -----------------------------------------------------------------------
    def add_member(
        self,
        code: str,
        names: Mapping[str, str],
        country: str,
        languages: Sequence[str],
        actor: Principal = OPERATOR,
    ) -> MemberInfo:
        self._require_admin(actor, "add members")
        if not MEMBER_CODE.match(code):
            raise TabadolError(
                ErrorCode.INVALID_MEMBER,
                reason=f"code {code!r} must be 2-32 lowercase letters, digits or '-', starting with a letter",
            )
        country = country.upper()
        if not COUNTRY_CODE.match(country):
            raise TabadolError(
                ErrorCode.INVALID_MEMBER, reason=f"country {country!r} is not an ISO 3166-1 code"
            )
        tags = tuple(normalise_language_tag(tag) for tag in languages)
        bad = [t for t in tags if not LANGUAGE_TAG.match(t)]
        if bad or not tags:
            raise TabadolError(ErrorCode.INVALID_MEMBER, reason=f"language tags {bad or '[]'} are not BCP-47")
        clean_names = {normalise_language_tag(k): v.strip() for k, v in names.items() if v and v.strip()}
        if not clean_names:
            raise TabadolError(ErrorCode.INVALID_MEMBER, reason="a member needs at least one name")
        member = MemberInfo(
            code=code, names=clean_names, country=country, languages=tags, created_at=utc_now()
        )
        self.storage.add_member(member)
        self.audit(actor, "member.add", code, {"country": country, "languages": list(tags)})
        return member

    def get_member(self, code: str) -> MemberInfo:
        member = self.storage.get_member(code)
        if member is None:
            raise TabadolError(ErrorCode.MEMBER_NOT_FOUND, code=code)
        return member

    def issue_key(
        self, member_code: str, role: Role, label: str = "", actor: Principal = OPERATOR
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it with the token, which is shown once and never stored."""
        self._require_admin(actor, "issue keys")
        self.get_member(member_code)
        key_id = access.new_key_id()
        token = access.new_token(key_id)
        _, secret = access.split_token(token) or ("", "")
        key = ApiKey(key_id=key_id, member_code=member_code, role=role, label=label, created_at=utc_now())
        self.storage.add_api_key(key, access.hash_secret(secret))
        self.audit(actor, "key.issue", key_id, {"member": member_code, "role": role.value, "label": label})
        return key, token

    def revoke_key(self, key_id: str, actor: Principal = OPERATOR) -> bool:
        self._require_admin(actor, "revoke keys")
        if not self.storage.revoke_api_key(key_id, utc_now()):
            raise TabadolError(ErrorCode.KEY_NOT_FOUND, key_id=key_id)
        self.audit(actor, "key.revoke", key_id, {})
        return True

    def authenticate(self, token: str, remote_addr: str | None = None) -> Principal:
        parts = access.split_token(token)
        if parts is None:
            raise TabadolError(ErrorCode.INVALID_KEY)
        key_id, secret = parts
        # Read on every request, never cached: a revocation (from any process) takes effect at once.
        found = self.storage.get_api_key(key_id)
        if found is None:
            raise TabadolError(ErrorCode.INVALID_KEY)
        key, stored_hash = found
        if key.revoked_at is not None or not access.secret_matches(secret, stored_hash):
            raise TabadolError(ErrorCode.INVALID_KEY)
        return Principal(
            member_code=key.member_code, role=key.role, key_id=key.key_id, remote_addr=remote_addr
        )

    # -- ingest ---------------------------------------------------------------------------------
    def prepare_payload(
        self,
        member_code: str,
        data: bytes,
        content_type: str | None,
        *,
        via: str,
        actor: Principal = OPERATOR,
        guid: str | None = None,
        language: str | None = None,
        limit_items: bool = True,
        received_at: datetime | None = None,
        signatures: Sequence[DeclaredSignature | None] = (),
    ) -> IngestRequest:
        """Check rights, parse and identify: everything before storage, with no side effect.

        `language` is the sender's declaration outside the payload (HTTP Content-Language, the CLI's
        --language): it applies to items whose format declares none (plain text), never overriding one.
        `signatures` are the member's own, one per item in payload order (verified when stored);
        items without one are signed by the hub on receipt.
        """
        if not actor.can_write_for(member_code):
            raise TabadolError(ErrorCode.FORBIDDEN, action=f"push items for member '{member_code}'")
        self.get_member(member_code)
        if limit_items and len(data) > self.settings.max_payload_bytes:
            raise TabadolError(
                ErrorCode.PAYLOAD_TOO_LARGE, size=len(data), limit=self.settings.max_payload_bytes
            )
        format_name, items = self.formats.parse(data, content_type)
        if limit_items and len(items) > self.settings.max_items_per_payload:
            raise TabadolError(
                ErrorCode.TOO_MANY_ITEMS, count=len(items), limit=self.settings.max_items_per_payload
            )
        original_sha = sha256_hex(data)
        declared = _declared_language(language)
        identified = tuple(
            _with_language(
                self._with_guid(item, member_code, original_sha, guid if len(items) == 1 else None, index),
                declared,
            )
            for index, item in enumerate(items)
        )
        self._check_unique_guids(identified)
        if signatures and len(signatures) != len(identified):
            raise TabadolError(
                ErrorCode.INVALID_SIGNATURE_HEADER,
                reason=f"{len(signatures)} signatures for a payload of {len(identified)} items",
            )
        media_type = (content_type or "").split(";")[0].strip() or _default_media_type(format_name)
        original = Original(
            sha256=original_sha, content_type=_full_content_type(media_type, content_type), data=data
        )
        return IngestRequest(
            member_code=member_code,
            original=original,
            items=identified,
            received_at=received_at or utc_now(),
            received_via=via,
            received_by=actor.key_id,
            remote_addr=actor.remote_addr,
            actor_member=actor.member_code,
            signatures=tuple(signatures),
            stamper=self.stamper,
        )

    def ingest_payload(
        self,
        member_code: str,
        data: bytes,
        content_type: str | None,
        *,
        via: str,
        actor: Principal = OPERATOR,
        guid: str | None = None,
        language: str | None = None,
        limit_items: bool = True,
        group_commit: bool = False,
        signatures: Sequence[DeclaredSignature | None] = (),
    ) -> IngestReport:
        """Parse, decide and store one payload. Returns only after a durable commit."""
        request = self.prepare_payload(
            member_code,
            data,
            content_type,
            via=via,
            actor=actor,
            guid=guid,
            language=language,
            limit_items=limit_items,
            signatures=signatures,
        )
        if group_commit:
            return self.committer.submit(request)
        return self.storage.ingest(request)

    def kill_item(self, item_id: str, actor: Principal, reason: str = "") -> IngestReport:
        """Kill an item by recording a canceled version (the hub writes the kill notice as ninjs)."""
        item = self.storage.get_item(item_id)
        if item is None:
            raise TabadolError(ErrorCode.ITEM_NOT_FOUND, item_id=item_id)
        if not actor.can_write_for(item.member_code):
            raise TabadolError(ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER, guid=item.guid, owner=item.member_code)
        if item.is_killed:  # killing twice changes nothing
            outcome = IngestOutcome(Decision.DUPLICATE, item.id, item.guid, item.version)
            return IngestReport(item.member_code, item.original_sha256, (outcome,))
        # The note is the body too: it is what a subscriber's desk sees in place of the killed text.
        note = reason.strip() or KILL_NOTE
        notice: dict[str, object] = {
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
        if item.embargoed_until is not None and item.embargoed_until > utc_now():
            # Nobody has seen the item yet: the kill keeps its embargo, so not even the headline shows early.
            notice["embargoed"] = format_datetime(item.embargoed_until)
        data = json.dumps(notice, ensure_ascii=False).encode("utf-8")
        return self.ingest_payload(
            item.member_code, data, "application/ninjs+json", via="api-kill", actor=actor
        )

    # -- reads (embargo applied here, once) -----------------------------------------------------
    def readable_item(self, item_id: str, now: datetime | None = None) -> Item:
        item = self.storage.get_item(item_id)
        # An embargoed item is reported as absent: even its existence is not to be revealed.
        if item is None or item.is_embargoed(now or utc_now()):
            raise TabadolError(ErrorCode.ITEM_NOT_FOUND, item_id=item_id)
        return item

    def readable_versions(self, item_id: str, now: datetime | None = None) -> tuple[Item, list[ItemVersion]]:
        """The item and those of its versions that may be shown: a version under its own embargo is
        withheld even when a later version (a kill, a correction) made the item itself readable."""
        now = now or utc_now()
        item = self.readable_item(item_id, now)
        versions = [v for v in self.storage.list_versions(item.id) if not _version_embargoed(v, now)]
        return item, versions

    def readable_version(
        self, item_id: str, version: int, now: datetime | None = None
    ) -> tuple[Item, ItemVersion]:
        now = now or utc_now()
        item = self.readable_item(item_id, now)
        stored = self.storage.get_version(item.id, version)
        if stored is None or _version_embargoed(stored, now):
            raise TabadolError(ErrorCode.VERSION_NOT_FOUND, item_id=item_id, version=version)
        return item, stored

    def list_items(self, query: ItemQuery, limit: int, cursor: str | None = None) -> Page:
        if query.now is None:
            query = replace(query, now=utc_now())
        return self.storage.list_items(query, limit, cursor)

    # -- audit ----------------------------------------------------------------------------------
    def audit(self, actor: Principal, action: str, target: str | None, detail: dict[str, object]) -> None:
        self.storage.record_audit(
            at=utc_now(),
            actor_member=actor.member_code,
            actor_key_id=actor.key_id,
            action=action,
            target=target,
            remote_addr=actor.remote_addr,
            detail=detail,
        )

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _require_admin(actor: Principal, action: str) -> None:
        if not actor.is_admin:
            raise TabadolError(ErrorCode.FORBIDDEN, action=action)

    @staticmethod
    def _with_guid(
        item: ParsedItem, member_code: str, original_sha: str, guid: str | None, index: int
    ) -> ParsedItem:
        if item.guid:
            if guid and guid != item.guid:
                raise TabadolError(
                    ErrorCode.INVALID_FIELD,
                    position=index + 1,
                    field="guid",
                    reason=f"the payload names itself {item.guid!r}, not {guid!r}",
                )
            return item
        if guid:
            return replace(item, guid=guid)
        # Formats without identifiers (plain text): the content names the item, so re-sending the
        # same file is idempotent. Senders who want versions give a guid (X-Tabadol-Guid / --guid).
        return replace(item, guid=f"urn:tabadol:{member_code}:{original_sha[:32]}:{index}")

    @staticmethod
    def _check_unique_guids(items: Sequence[ParsedItem]) -> None:
        seen: set[str] = set()
        for item in items:
            assert item.guid is not None
            if item.guid in seen:
                raise TabadolError(ErrorCode.DUPLICATE_GUID_IN_PAYLOAD, guid=item.guid)
            seen.add(item.guid)


def _version_embargoed(version: ItemVersion, now: datetime) -> bool:
    until = version.parsed.embargoed_until
    return until is not None and until > now


def _declared_language(language: str | None) -> str | None:
    """The first tag of a Content-Language value, validated; a bad declaration is refused clearly."""
    if language is None or not language.strip():
        return None
    tag = normalise_language_tag(language.split(",")[0].strip())
    if not LANGUAGE_TAG.match(tag):
        raise TabadolError(
            ErrorCode.INVALID_FIELD, position=1, field="language", reason=f"{language!r} is not BCP-47"
        )
    return tag


def _with_language(item: ParsedItem, language: str | None) -> ParsedItem:
    if language is None or item.language:
        return item
    return replace(item, language=language)


_MEDIA_TYPES = {
    "ninjs": "application/json",
    "jsonfeed": "application/feed+json",
    "newsml-g2": "application/vnd.iptc.g2.newsitem+xml",
    "nitf": "application/nitf+xml",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "plaintext": "text/plain; charset=utf-8",
}


def _default_media_type(format_name: str) -> str:
    return _MEDIA_TYPES.get(format_name, "application/octet-stream")


def _full_content_type(media_type: str, declared: str | None) -> str:
    """Keep the declared Content-Type (with its charset) verbatim when there was one."""
    return declared.strip() if declared and declared.strip() else media_type


def create_hub(settings: Settings | None = None, migrate: bool = True) -> Hub:
    settings = settings or Settings.from_env()
    storage = open_storage(settings.database_url)
    if migrate:
        storage.migrate()
    return Hub(settings=settings, storage=storage)
