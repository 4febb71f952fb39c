"""The storage protocol: the one seam between the hub and its databases.

Two backends implement it (SQLite, the embedded default; PostgreSQL with pgvector, for scale), and
one contract test suite (tests/storage/test_contract.py) runs against both. What each method
promises is written here; a backend that cannot keep a promise must raise, never half-apply.

Promises that hold for every method:
- Writes are atomic: a method either applies everything it was asked to or nothing.
- A write that returned has been committed durably (SQLite WAL with synchronous=FULL; PostgreSQL
  commit), so an acknowledgement given after it survives a crash.
- Datetimes go in and come out timezone-aware UTC.
- Errors are `TabadolError`s with a stable code; database driver errors never leak out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tabadol.errors import TabadolError
from tabadol.storage.claims import StoredClaimMatch, StoredClaimReview
from tabadol.storage.delivery import Decider, EventContent, WebhookSecrets
from tabadol.storage.facets import FacetsOfItem, LinePage
from tabadol.storage.index import Neighbour
from tabadol.storage.jobs import Job, JobSpec
from tabadol.storage.portal import DayStory, ItemRow, RowPage, VersionRow
from tabadol.storage.search import ItemHead
from tabadol.storage.signals import Signals
from tabadol.storage.wire import KilledTake, WireFilter
from tabadol.types import (
    ApiKey,
    AuditEntry,
    ComponentResult,
    DeadLetter,
    DeclaredSignature,
    FeedSource,
    IndexEntry,
    IngestReport,
    Item,
    ItemLink,
    ItemQuery,
    ItemVersion,
    MemberInfo,
    Original,
    Page,
    ParsedItem,
    SigningKey,
    Story,
    Subscription,
    SubscriptionEvent,
    SubscriptionFilter,
    Take,
    Webhook,
    WebSession,
    WebUser,
)

if TYPE_CHECKING:
    from tabadol.verify.provenance import RecordedProvenance
    from tabadol.verify.stamp import StampedProvenance


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """One payload to store: its verbatim bytes and the items parsed from them.

    Every parsed item must already carry a guid (the hub derives one where the format has none).
    """

    member_code: str
    original: Original
    items: tuple[ParsedItem, ...]
    received_at: datetime
    received_via: str
    received_by: str | None = None  # API key id; None for the local operator
    remote_addr: str | None = None
    # The member whose key pushed: differs from member_code when an administrator pushes for a
    # member; None for the local operator (CLI, demo). The audit log names this actor.
    actor_member: str | None = None
    # The member's detached signatures, aligned with `items` (None: that item came unsigned; empty:
    # none at all), and what records provenance for each version written (None: nothing recorded).
    signatures: tuple[DeclaredSignature | None, ...] = ()
    stamper: ProvenanceStamper | None = None


class ProvenanceStamper(Protocol):
    """Makes the provenance record of one version as it is written (see verify/stamp.py)."""

    def provenance(
        self,
        member_code: str,
        guid: str,
        version: int,
        item: ParsedItem,
        declared: DeclaredSignature | None,
        keys: Sequence[SigningKey],
        received_at: datetime,
    ) -> StampedProvenance | None: ...


@runtime_checkable
class Storage(Protocol):
    # -- lifecycle ------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Bring the schema to the newest version; return the migration numbers applied (idempotent)."""

    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def healthy(self) -> bool:
        """True when the database answers a trivial query."""

    # -- members and keys -----------------------------------------------------------------------
    def add_member(self, member: MemberInfo) -> None:
        """Raises MEMBER_EXISTS if the code is taken."""

    def get_member(self, code: str) -> MemberInfo | None: ...

    def list_members(self) -> list[MemberInfo]:
        """Ordered by code."""

    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        """Stores only the hash of the secret; the secret itself is never stored."""

    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key and its stored secret hash, or None."""

    def list_api_keys(self, member_code: str | None = None) -> list[ApiKey]: ...

    def revoke_api_key(self, key_id: str, at: datetime) -> bool:
        """True if a live key was revoked."""

    # -- items ----------------------------------------------------------------------------------
    def ingest(self, request: IngestRequest) -> IngestReport:
        """Decide (tabadol.ingest.accept) and store every item of one payload, in one transaction.

        The verbatim original is stored once per distinct SHA-256. A re-sent identical item is a
        DUPLICATE and stores no version; so is a stale re-send (a sender `version_created` older
        than the stored one; kills are never stale). Changed content under a known guid is a
        NEW_VERSION (or a KILL when canceled); a canceled item under an unknown guid is a NEW_ITEM
        stored already killed. Raises ITEM_OWNED_BY_OTHER_MEMBER (nothing stored) if any guid
        belongs to another member, MEMBER_NOT_FOUND for an unknown member. Concurrent calls for the
        same guid are serialised by the backend and become consecutive versions.
        In the same transaction it records one audit entry, action "items.ingest", actor
        (actor_member, received_by, remote_addr), target the original's SHA-256, detail the member
        the items are for, the counts per decision, the guids and received_via: every accepted
        payload is in the audit log (an all-duplicate push too), and a refused one is not.
        """

    def ingest_many(self, requests: Sequence[IngestRequest]) -> list[IngestReport | TabadolError]:
        """Several payloads in one durable commit (group commit); each succeeds or fails alone.

        The result list is aligned with `requests`; a failed payload leaves no trace. The outcome
        is exactly that of `ingest` called for each request in order (a guid in several payloads
        becomes consecutive versions; seq stays gap-free), only cheaper: backends decide the whole
        batch in memory and write it with a few set-based statements.
        """

    def get_item(self, item_id: str) -> Item | None:
        """The item at its newest version, embargoed or not: callers decide what may be shown."""

    def get_item_by_guid(self, guid: str) -> Item | None: ...

    def get_items(self, item_ids: Sequence[str]) -> dict[str, Item]:
        """The items among `item_ids` at their newest version, by id (unknown ids are left out), in
        one query per few hundred ids, embargoed or not: callers decide what may be shown."""

    def match_heads(
        self, query: ItemQuery, terms: Sequence[str], limit: int, ids: Sequence[str] | None = None
    ) -> list[ItemHead]:
        """Search: items that pass `query`'s filters (embargo, members, languages, times, statuses)
        and whose text holds every one of `terms` (each a substring, in the search form, as
        ItemQuery.text), newest first, at most `limit`; with `ids`, only among those."""

    def component_data(
        self, item_ids: Sequence[str], components: Sequence[str]
    ) -> dict[str, dict[str, Mapping[str, Any]]]:
        """item id -> component -> stored data of the named enrichment components (failed results
        left out), without the rest of the enrichment. (Topics and countries to filter or count by
        are the item facets: `item_facets`, `items_by_facet`, `facet_counts`.)"""

    def list_items(self, query: ItemQuery, limit: int, cursor: str | None = None) -> Page:
        """Newest first by (version_created, id). The cursor is opaque and stable under inserts:
        paging never repeats or skips an item that existed when the first page was read (an item
        that gets a newer version meanwhile moves to the head of the list, before the cursor).
        Embargoed items (embargoed_until > query.now) are excluded unless query.include_embargoed.
        Filters: since and until are both inclusive; a language tag matches itself and its
        subtags ("kk" matches "kk-Latn"); text is a substring of headline or body, with no
        wildcards, compared in the search form of enrich.normalize (case, Persian/Arabic letter
        variants, digits, ZWNJ and marks do not matter). Raises INVALID_CURSOR for a cursor it did
        not make, INVALID_QUERY for a limit below 1."""

    def count_items(self) -> int: ...

    def iter_items(self, include_embargoed: bool = True) -> Iterator[Item]:
        """Every item at its newest version, in seq order (export)."""

    def list_versions(self, item_id: str) -> list[ItemVersion]:
        """Oldest first. Empty if the item does not exist."""

    def get_version(self, item_id: str, version: int) -> ItemVersion | None: ...

    def get_original(self, sha256: str) -> Original | None: ...

    # -- backup and restore (backend-neutral, so SQLite data can move to PostgreSQL) -------------
    def iter_versions(self) -> Iterator[tuple[str, str, ItemVersion]]:
        """(member_code, guid, version) for every version of every item, in seq order."""

    def iter_originals(self) -> Iterator[Original]: ...

    def restore_version(self, member_code: str, guid: str, version: ItemVersion) -> None:
        """Insert one version exactly as backed up (version number and times kept). Idempotent.

        The member and the version's original must be restored first. Versions restored in
        `iter_versions` order into an empty store reproduce every item, seq included. Raises
        BACKUP_INVALID when the version does not fit (wrong item id, other owner, missing original).
        """

    def restore_many(self, versions: Sequence[tuple[str, str, ItemVersion]]) -> None:
        """`restore_version` for each (member_code, guid, version), in order, in one transaction.

        All or nothing: one version that does not fit (BACKUP_INVALID) restores none of them.
        Versions already present are skipped, as in `restore_version`. A restore writes a backup
        in chunks of a few hundred versions through this, one durable commit per chunk instead of
        one per version.
        """

    def restore_original(self, original: Original, received_at: datetime) -> None:
        """Idempotent. Raises BACKUP_INVALID if the bytes do not match the SHA-256."""

    def restore_api_key(self, key: ApiKey, secret_hash: str) -> None:
        """Idempotent (an existing key id is left as it is)."""

    def restore_signing_keys(self, keys: Sequence[SigningKey]) -> int:
        """Register public keys exactly as backed up (revoked_at kept), in one transaction; a key id
        already registered is left as it is. Returns how many were written. Idempotent."""

    def iter_provenance(self) -> Iterator[RecordedProvenance]:
        """Every recorded provenance in (item id, version) order, read from the store in pages."""

    def restore_provenance(self, records: Sequence[RecordedProvenance]) -> int:
        """Write provenance records exactly as backed up, in one transaction; a version that has
        one already keeps it. Returns how many were written. Idempotent. The versions must be
        restored first: a record whose version is not in the store raises BACKUP_INVALID (and
        none of them is written)."""

    # -- audit ----------------------------------------------------------------------------------
    def record_audit(
        self,
        *,
        at: datetime,
        actor_member: str | None,
        actor_key_id: str | None,
        action: str,
        target: str | None,
        remote_addr: str | None,
        detail: dict[str, object],
    ) -> None: ...

    def list_audit(self, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
        """Newest first."""

    # -- feed sources (pull transport) ----------------------------------------------------------
    def add_feed(self, member_code: str, url: str, interval_seconds: int, now: datetime) -> FeedSource: ...

    def list_feeds(self, member_code: str | None = None) -> list[FeedSource]: ...

    def get_feed(self, feed_id: int) -> FeedSource | None: ...

    def due_feeds(self, now: datetime) -> list[FeedSource]:
        """Enabled feeds whose next_poll_at <= now."""

    def update_feed_state(
        self,
        feed_id: int,
        *,
        etag: str | None,
        last_modified: str | None,
        next_poll_at: datetime,
        consecutive_errors: int,
        last_error: str | None,
        last_polled_at: datetime,
    ) -> None: ...

    def remove_feed(self, feed_id: int) -> bool: ...

    # -- jobs (the durable queue of work after ingest; storage/jobs.py) --------------------------
    def enqueue_jobs(self, jobs: Sequence[JobSpec], now: datetime) -> int:
        """Queue (kind, item_id, payload) jobs, due at `now`, in one transaction; return how many.

        A job whose (kind, item_id) is already waiting (not leased, not dead) is not queued again,
        nor is a repeat within `jobs`: the waiting job keeps its payload. A job that is running is
        no reason to skip, since its worker may have read the item before the change that queues
        this one. Jobs without an item_id are never merged. Raises INVALID_QUERY for an empty or
        over-long kind (nothing queued).
        """

    def claim_jobs(
        self, kinds: Sequence[str] | None, worker: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Job]:
        """Lease up to `limit` jobs of `kinds` (None: any kind) to `worker`, oldest due first.

        Claimable: not dead, not_before <= now, and no lease or an expired one (a crashed worker's
        jobs come back once its lease ends). Each claimed job gets lease_until = now +
        lease_seconds, worker, and attempts + 1. Atomic across threads and processes: concurrent
        claims never return the same job while its lease lasts (PostgreSQL: FOR UPDATE SKIP LOCKED,
        so claims do not wait on each other or on the writer lock; SQLite: the single writer).
        Raises INVALID_QUERY for limit < 1, lease_seconds <= 0 or an empty worker name.
        """

    def complete_jobs(self, job_ids: Sequence[int], worker: str) -> int:
        """Delete the jobs `worker` still holds; return how many. A job whose lease was lost to
        another worker is left alone (that worker will complete it)."""

    def fail_job(
        self, job_id: int, worker: str, error: str, retry_at: datetime | None, now: datetime | None = None
    ) -> bool:
        """Release a job `worker` holds, recording `error`: it is due again at `retry_at`, or, with
        retry_at None, dead as of `now` (kept, listed by dead_jobs, never claimed). Attempts are
        kept (the backoff uses them). False, and nothing changed, if `worker` no longer holds it."""

    def queue_depth(self, kinds: Sequence[str] | None = None) -> int:
        """Jobs not dead, of `kinds` (None: all): waiting, scheduled for a retry, or running. Zero
        means every queued job has finished or died."""

    def dead_jobs(self, limit: int = 100) -> list[Job]:
        """Dead jobs, most recently given up first. Raises INVALID_QUERY for limit < 1."""

    def requeue_dead(self, job_ids: Sequence[int], now: datetime | None = None) -> int:
        """Make the given dead jobs due at `now` with attempts reset to 0, in one transaction; ids
        that are not dead jobs are ignored. A dead job whose (kind, item_id) is already waiting is
        deleted instead (the waiting job does the work). Returns how many dead jobs were handled."""

    # -- enrichment and index (storage/index.py; written by the enrichment worker) ---------------
    def save_enrichment(
        self,
        item_id: str,
        results: Sequence[ComponentResult],
        entry: IndexEntry | None,
        remove_entry: bool = False,
    ) -> None:
        """Replace the item's results of the components in `results` (other components' results
        stay) and, with `entry`, its index entry; with `remove_entry` (a killed item) take it out of
        the index, its story and its near-duplicate link. One transaction."""

    def enrichment_of(self, item_ids: Sequence[str]) -> dict[str, dict[str, ComponentResult]]:
        """Stored results by item id, then component name (every id given is a key)."""

    def stale_items(self, component: str, version: str) -> list[str]:
        """Ids of items (change order) whose head version has no result of `component` at `version`."""

    def all_item_ids(self) -> list[str]:
        """Every item id, in change order."""

    def index_entries(self, item_ids: Sequence[str]) -> dict[str, IndexEntry]:
        """The index entries of the items that have one."""

    def sample_vectors(self, per_language: int) -> Mapping[str, Any]:
        """Recent vectors by language (numpy matrices), up to `per_language` each."""

    def nearest(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[tuple[IndexEntry, float]]:
        """The `limit` entries nearest to `vector` by cosine, best first, with their cosine; only
        entries whose time is within [since, until] and language in `languages` (if given), never
        those in `exclude`. Exact on both backends at the sizes tested (pgvector HNSW may
        approximate on very large stores)."""

    def neighbours(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[Neighbour]:
        """As `nearest` (the same entries, in the same order, with the same cosines), each as its item
        id, member and cosine only: for searches that rank and filter by those, without reading the
        entries' vectors and features."""

    def memory_index(self) -> Any:
        """This process's in-memory copy of the item vectors (storage/vectors.py), caught up."""

    def index_transaction(self) -> AbstractContextManager[Any]:
        """A write transaction (a Connection) for the index stage, one at a time hub-wide."""

    def story_ids_of(self, item_ids: Sequence[str]) -> dict[str, str]:
        """The story of each item that has one."""

    def items_of_stories(self, story_ids: Sequence[str]) -> dict[str, str]:
        """item id -> story id for every item of the given stories (readable or not)."""

    def get_story(self, story_id: str, now: datetime | None = None) -> Story | None:
        """The story (following merges to the survivor) with its readable items (not embargoed at
        `now`, not killed); None if unknown or nothing in it is readable."""

    def list_stories(
        self,
        limit: int,
        before: tuple[datetime, str] | None = None,
        min_items: int = 1,
        now: datetime | None = None,
    ) -> tuple[list[Story], tuple[datetime, str] | None]:
        """Live stories, most recently active first, and the keyset of the next page."""

    def links_of(self, item_id: str) -> tuple[list[ItemLink], list[ItemLink]]:
        """(links from the item, links to it)."""

    # -- item facets (storage/facets.py; written with the topics and entities results) -----------
    def items_by_facet(
        self, facet: str, values: Sequence[str], now: datetime, limit: int, cursor: str | None = None
    ) -> LinePage:
        """Readable items (not under embargo at `now`, not killed) that have any of `values` for
        `facet` ("topic": IPTC `medtop:` codes; "country": ISO 3166-1 alpha-2 codes), newest first by
        (version_created, id), as light lines (no body), one page after `cursor` (opaque, stable
        under inserts, as list_items'). No values: an empty page. Raises INVALID_CURSOR for a
        cursor it did not make, INVALID_QUERY for a limit below 1."""

    def facet_counts(self, facet: str, now: datetime) -> dict[str, int]:
        """value -> how many readable items (not under embargo at `now`, not killed) have it, for
        every value of `facet` at least one readable item has."""

    def item_facets(self, item_ids: Sequence[str]) -> dict[str, FacetsOfItem]:
        """item id -> facet -> (value, score) pairs, best score first (ties by value), for the
        items among `item_ids` that have any; whether an item is readable is the caller's rule.
        Topic scores are the classifier's; a country's score is how often the item names it."""

    # -- the newsroom wire (storage/wire.py) -------------------------------------------------------
    def wire_page(self, wire: WireFilter, now: datetime, limit: int, cursor: str | None = None) -> Page:
        """The wire of member `wire.viewer`: usable items of the other members (never its own) that
        match the filter (member, language tag as list_items', `topic` with its narrower IPTC
        topics, version_created in [since, until]), newest first by (version_created, id), one page
        after `cursor` (opaque, as list_items'). Killed and withheld items are left out; items under
        embargo at `now` do not exist yet. One query. Raises INVALID_CURSOR for a cursor it did not
        make."""

    def wire_changes(
        self,
        wire: WireFilter,
        now: datetime,
        after_seq: int,
        limit: int,
        released_after: datetime | None = None,
    ) -> list[Item]:
        """What reached the wire after the change counter (`last_item_seq`) stood at `after_seq`,
        oldest first by that counter, at most `limit`: new items, new versions and kills (killed
        items are included here, so a live stream can take them off a page); items under embargo at
        `now` are not. With `released_after`, also the items whose embargo ended in
        (released_after, now] (stored earlier, so their counter is older). The filter's time bounds
        do not apply: what is new is new. One query."""

    def last_item_seq(self) -> int:
        """The hub's change counter now (every stored version or kill raises it; 0 for an empty
        store): a live stream started from here misses nothing after the page it follows."""

    def killed_takes(self, viewer: str, now: datetime, limit: int) -> list[KilledTake]:
        """Items member `viewer` took that their source has killed since (items under embargo at
        `now` left out), most recent kill first, with the latest version taken. One query."""

    # -- the public pages' batched reads (storage/portal.py) ---------------------------------------
    # The reads of items and stories apply the public reading rule: nothing under embargo at `now`
    # (not even its existence), nothing killed. Each is one query per 500 ids given (or one query).
    def readable_items(self, item_ids: Sequence[str], now: datetime) -> dict[str, Item]:
        """item id -> the item with its body, for the readable items among `item_ids`."""

    def readable_item_rows(self, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRow]:
        """item id -> a list row (no body), for the readable items among `item_ids`."""

    def item_rows_page(
        self, now: datetime, limit: int, cursor: str | None = None, member: str | None = None
    ) -> RowPage:
        """Readable items (of `member` if given) as list rows, newest first by (version_created,
        id), one page after `cursor` (opaque, as list_items'). Raises INVALID_CURSOR for a cursor
        it did not make."""

    def stories_in_window(self, start: datetime, end: datetime, now: datetime) -> list[DayStory]:
        """Live (unmerged) stories whose latest readable item falls in [start, end), with their
        counts of readable items and of distinct members among them; no items loaded."""

    def readable_stories(self, story_ids: Sequence[str], now: datetime) -> dict[str, Story]:
        """story id -> the story with its readable items only; stories with none are left out."""

    def latest_story_activity(self, before: datetime, now: datetime) -> datetime | None:
        """The version time of the newest readable item in any story, before `before` (None: none)."""

    def kills_in_story(self, story_id: str, now: datetime) -> list[tuple[str, datetime]]:
        """(member, version time) of the story's killed items that are still linked to it (the
        index stage takes a killed item out of its story; these are kills it has not processed
        yet), leaving out items under embargo at `now`."""

    def provenance_of_items(self, item_ids: Sequence[str]) -> dict[tuple[str, int], RecordedProvenance]:
        """(item id, version) -> the provenance recorded for it, for every version of the items.
        No reading rule: the caller passes items it may show."""

    def versions_of_items(self, item_ids: Sequence[str]) -> dict[str, list[VersionRow]]:
        """item id -> every stored version, oldest first (an empty list for an unknown id). No
        reading rule: the caller withholds versions under embargo."""

    def translations_of_heads(
        self, heads: Sequence[tuple[str, int]], target: str
    ) -> dict[str, dict[str, Any]]:
        """item id -> the stored machine translation (its row) of that (item id, version) into
        `target`, for the pairs that have one. No reading rule: the caller passes items it may show."""

    # -- subscriptions (storage/subscriptions.py) ------------------------------------------------
    def add_subscription(self, subscription: Subscription) -> None:
        """Store a new subscription (its member must exist: a foreign key)."""

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        """A live subscription, or None (unknown or removed)."""

    def list_subscriptions(self, member_code: str | None = None) -> list[Subscription]:
        """Live subscriptions of a member (None: of every member), by member, then creation."""

    def update_subscription(
        self, subscription_id: str, name: str, value: SubscriptionFilter, now: datetime
    ) -> bool:
        """Replace a live subscription's name and filter; False if there is none."""

    def remove_subscription(self, subscription_id: str, now: datetime) -> bool:
        """Remove a live subscription (kept as removed); False if there is none."""

    def add_feed_token(self, token_id: str, subscription_id: str, secret_hash: str, now: datetime) -> None:
        """Store a syndication feed token (SHA-256 of its secret) for a subscription."""

    def get_feed_token(self, token_id: str) -> tuple[str, str, datetime | None] | None:
        """(subscription id, secret hash, revoked at), or None for an unknown token id."""

    def list_feed_tokens(self, subscription_id: str) -> list[tuple[str, datetime, datetime | None]]:
        """(token id, created at, revoked at) of a subscription's tokens, oldest first."""

    def revoke_feed_token(self, token_id: str, subscription_id: str, now: datetime) -> bool:
        """Revoke a live token of the subscription; False if there is none. Takes effect at once."""

    def add_signing_key(self, key: SigningKey) -> bool:
        """Register a public key; False if a key with that id is already registered."""

    def get_signing_key(self, key_id: str) -> SigningKey | None: ...

    def list_signing_keys(self) -> list[SigningKey]:
        """Every key ever registered (revoked ones too: old signatures must stay verifiable), the
        hub's first, then by member."""

    def revoke_signing_key(self, key_id: str, now: datetime) -> bool:
        """Mark a live key revoked (items signed before stay verifiable); False if none."""

    def item_provenance(self, item_id: str) -> list[RecordedProvenance]:
        """The provenance recorded for each version of an item, oldest version first (a version
        stored before provenance was recorded, or by a bare storage without a stamper, has none)."""

    # -- fact checks (storage/claims.py) ---------------------------------------------------------
    def save_claim_reviews(self, reviews: Sequence[StoredClaimReview]) -> list[bool]:
        """Add fact checks, or update those with their ids (created_at kept), all in one
        transaction; for each, True when it is new."""

    def get_claim_review(self, review_id: str) -> StoredClaimReview | None: ...

    def claim_reviews(self, review_ids: Sequence[str]) -> dict[str, StoredClaimReview]:
        """The stored reviews among `review_ids`, by id."""

    def list_claim_reviews(
        self,
        limit: int,
        member_code: str | None = None,
        language: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[StoredClaimReview]:
        """Newest first by (created_at, id), after the key `before`; without their vectors."""

    def delete_claim_review(self, review_id: str) -> bool:
        """Remove a review and its matches with items; False if there is none."""

    def claim_review_vectors(self, model: str) -> list[tuple[str, Any]]:
        """(review id, claim vector) of every review embedded by `model`."""

    def claim_reviews_stamp(self) -> tuple[int, datetime | None]:
        """(count, newest updated_at): changes whenever reviews are added, changed or removed."""

    def replace_item_claim_matches(self, item_id: str, matches: Sequence[StoredClaimMatch]) -> None:
        """The item's fact-check matches become exactly `matches`."""

    def add_claim_matches(self, matches: Sequence[StoredClaimMatch]) -> None:
        """Add or refresh (item, review) matches, leaving the items' other matches alone."""

    def item_claim_matches(self, item_id: str) -> list[StoredClaimMatch]:
        """The item's fact-check matches, best first."""

    def iter_claim_reviews(self) -> Iterator[StoredClaimReview]:
        """Every fact check with its vector, in id order, read from the store in pages."""

    def restore_claim_reviews(self, reviews: Sequence[StoredClaimReview]) -> int:
        """Write fact checks exactly as backed up (times, vector and model kept), in one
        transaction; a review id already stored is left as it is. Returns how many were written.
        Idempotent. A review whose member is not in the store raises BACKUP_INVALID (none written)."""

    def iter_claim_matches(self) -> Iterator[StoredClaimMatch]:
        """Every fact-check match in (item id, review id) order, read from the store in pages."""

    def restore_claim_matches(self, matches: Sequence[StoredClaimMatch]) -> int:
        """Write matches exactly as backed up, in one transaction; an (item, review) pair already
        matched keeps its own. Returns how many were written. Idempotent. A match naming an item or
        review not in the store raises BACKUP_INVALID (none written)."""

    # -- newsroom accounts (storage/web_accounts.py) ----------------------------------------------
    def add_web_user(self, user: WebUser, password_hash: str) -> bool:
        """Add a newsroom account; False (nothing written) when the username is taken."""

    def get_web_user(self, username: str) -> tuple[WebUser, str] | None:
        """An account and its password hash, disabled or not."""

    def list_web_users(self, member_code: str | None = None) -> list[WebUser]: ...

    def set_web_user_password(self, username: str, password_hash: str) -> bool:
        """Change a password and end the account's sessions; False if there is no such account."""

    def disable_web_user(self, username: str, now: datetime) -> bool:
        """Disable an account and end its sessions; False if there is no live account."""

    def add_web_session(self, session: WebSession) -> None:
        """Open a session (and drop expired sessions and day-old failed logins on the way)."""

    def get_web_session(self, token_sha256: str, now: datetime) -> WebSession | None:
        """A live session of an enabled account."""

    def extend_web_session(self, token_sha256: str, expires_at: datetime) -> None: ...

    def end_web_session(self, token_sha256: str) -> None: ...

    def record_login_failure(self, username: str, remote_addr: str | None, now: datetime) -> None: ...

    def count_login_failures(
        self, username: str, remote_addr: str | None, since: datetime
    ) -> tuple[int, int]:
        """(failures for this username, failures from this address) since `since`."""

    def takes_of_items(self, item_ids: Sequence[str]) -> list[Take]:
        """Every take of the given items, oldest first."""

    def near_duplicate_sources(self, item_ids: Sequence[str]) -> dict[str, str]:
        """item id -> the item it is a near-duplicate of (index stage links), for those that are."""

    def record_take(self, take: Take) -> None:
        """Record a take (a row of the usage ledger)."""

    def list_takes(self, member_code: str | None = None, limit: int = 100) -> list[Take]:
        """Takes by or from the member (None: every member's), newest first."""

    def takes_between(
        self, since: datetime | None, until: datetime | None, members: Sequence[str] | None = None
    ) -> list[Take]:
        """Takes in [since, until) (None: open), oldest first; with `members`, only those a listed
        member supplied or made."""

    def save_translation(self, item_id: str, item_version: int, row: Mapping[str, Any]) -> None:
        """Store a machine translation (columns of `translations` but the key's first two) apart
        from the originals, replacing an earlier one of the same version into the same language."""

    def get_translation(
        self, item_id: str, item_version: int, target_language: str
    ) -> Mapping[str, Any] | None:
        """The stored machine translation, or None."""

    def save_topic_scheme(
        self, name: str, version: str, labels: Sequence[str], data: bytes, by: str | None = None
    ) -> None:
        """Store (or replace) a trained topic scheme."""

    def topic_schemes(self) -> list[Mapping[str, Any]]:
        """Stored schemes: name, version, labels, data, created_at, created_by; by name."""

    def delete_topic_scheme(self, name: str) -> bool:
        """Remove a scheme; False if there was none of that name."""

    # -- delivery (storage/delivery.py; the event log every channel reads) ---------------------
    signals: Signals  # in-process wake-ups after commits (storage/signals.py)

    def dispatch_deliveries(
        self, decide: Decider, now: datetime | None = None, limit: int = 200
    ) -> tuple[int, list[SubscriptionEvent]]:
        """Fan due deliver jobs out to subscriptions' event logs in one transaction (writer lock):
        returns how many jobs were handled and the events written (ids gap-free, commit order)."""

    def enqueue_delivery(self, item_id: str, not_before: datetime, now: datetime | None = None) -> None:
        """Queue a deliver job for an item (after enrichment), due at `not_before`."""

    def next_delivery_due(self) -> datetime | None:
        """When the earliest waiting deliver job comes due (an embargo's end), or None."""

    def pending_deliveries(self, now: datetime | None = None) -> int:
        """Deliver jobs due and not yet dispatched."""

    def subscription_events(self, subscription_id: str, after: int, limit: int) -> list[SubscriptionEvent]:
        """A subscription's events with ids above `after`, oldest first."""

    def subscription_event_contents(self, subscription_id: str, after: int, limit: int) -> list[EventContent]:
        """The same events as `subscription_events`, each with its item and the version it names
        (one query: what the channels render)."""

    def last_event_id(self, subscription_id: str | None = None) -> int:
        """The newest event id of a subscription (None: of the hub); 0 when none."""

    def first_event_since(self, subscription_id: str, since: datetime) -> int | None:
        """The first event id written at or after `since`, or None."""

    def exchange_events(
        self, since: datetime | None, until: datetime | None, members: Sequence[str] | None = None
    ) -> list[Any]:
        """Event rows (id, item_id, version, kind, source_member, language, created_at,
        recipient_member) in [since, until), limited to rows a member supplied or received."""

    def put_webhook(
        self, subscription_id: str, url: str, secret: str | None, now: datetime | None = None
    ) -> bool:
        """Create (needs a secret; starts after the newest event) or change a webhook; True if created."""

    def get_webhook(
        self, subscription_id: str, now: datetime | None = None
    ) -> tuple[Webhook, WebhookSecrets] | None:
        """A webhook's state and its signing secrets (never shown to API callers), or None."""

    def remove_webhook(self, subscription_id: str) -> bool: ...

    def rotate_webhook_secret(
        self, subscription_id: str, secret: str, grace_until: datetime, now: datetime | None = None
    ) -> bool:
        """A new signing secret; the old one also signs until `grace_until`."""

    def pause_webhook(self, subscription_id: str, paused: bool, now: datetime | None = None) -> bool: ...

    def rewind_webhook(self, subscription_id: str, after_event: int, now: datetime | None = None) -> bool:
        """Replay: deliver again every event after `after_event`."""

    def claim_webhooks(
        self, worker: str, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[tuple[Webhook, WebhookSecrets]]:
        """Lease due endpoints with events to send (one worker per endpoint at a time)."""

    def record_webhook_progress(
        self,
        subscription_id: str,
        worker: str,
        position: int,
        delivered: int,
        status: int | None,
        lease_seconds: float,
        now: datetime | None = None,
    ) -> bool:
        """Move the position to `position` (events up to it were acknowledged, `delivered` of them by
        a request; the rest passed over) and renew the lease; False if the lease was lost."""

    def record_webhook_failed(
        self,
        subscription_id: str,
        worker: str,
        event_id: int,
        status: int | None,
        error: str,
        retry_at: datetime,
        give_up: bool,
        now: datetime | None = None,
    ) -> bool:
        """A failed attempt: retry at `retry_at`; `give_up` dead-letters the event and moves on."""

    def release_webhook(self, subscription_id: str, worker: str) -> None: ...

    def webhook_dead_letters(self, subscription_id: str, limit: int = 100) -> list[DeadLetter]: ...

    def start_listening(self) -> None:
        """Raise `signals` in this process for commits made by other processes too (PostgreSQL
        LISTEN/NOTIFY; nothing on SQLite). Idempotent; `close` stops it."""
