"""The Storage implementation shared by SQLite and PostgreSQL (SQLAlchemy Core).

Backends differ only in how a connection is made and how writers are serialised; they subclass
`SqlStorage` and provide `_write_transaction`. Everything else -- queries, the ingest flow, backup
and restore -- lives here once, so both backends keep the same promises (see base.py).

One writer at a time: every write transaction first takes the backend's writer lock. That makes
the hub-wide `seq` counter gap-free and ordered by commit (indexers read "everything after seq N"
and would silently miss rows if a lower seq could commit later), and it serialises concurrent
pushes of the same guid, so they become consecutive versions rather than conflicts.
"""

from __future__ import annotations

import abc
import hashlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.accept import item_id_for_guid
from tabadol.storage import claims as claim_rows
from tabadol.storage import facets as facet_rows
from tabadol.storage import fulltext, index
from tabadol.storage import jobs as job_queue
from tabadol.storage import portal as portal_rows
from tabadol.storage import provenance as provenance_rows
from tabadol.storage import schema as t
from tabadol.storage import search as search_rows
from tabadol.storage import signing_keys as signing_key_rows
from tabadol.storage import subscriptions as subscription_rows
from tabadol.storage import web_accounts as web_account_rows
from tabadol.storage import wire as wire_rows
from tabadol.storage.base import IngestRequest
from tabadol.storage.claims import StoredClaimMatch, StoredClaimReview
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.storage.errors import describe, driver_errors
from tabadol.storage.facets import FacetsOfItem, LinePage
from tabadol.storage.index import Neighbour
from tabadol.storage.jobs import Job, JobSpec
from tabadol.storage.migrations import MIGRATIONS
from tabadol.storage.portal import DayStory, ItemRow, RowPage, VersionRow
from tabadol.storage.queries import filters, item_select, not_embargoed
from tabadol.storage.records import (
    api_key_from_row,
    api_key_row,
    audit_from_row,
    feed_from_row,
    item_from_row,
    member_from_row,
    member_row,
    original_from_row,
    to_json,
    version_from_row,
)
from tabadol.storage.search import ItemHead
from tabadol.storage.signals import CHANGES, Signals
from tabadol.storage.sql_delivery import DeliveryMethods
from tabadol.storage.vectors import InProcessVectorIndex
from tabadol.storage.wire import KilledTake, WireFilter
from tabadol.storage.writes import (
    ingest_batch,
    ingest_payload,
    insert_audit,
    member_exists,
    require_member,
    restore_versions_in,
    store_original,
)
from tabadol.types import (
    ApiKey,
    AuditEntry,
    ComponentResult,
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
    SigningKey,
    Story,
    Subscription,
    SubscriptionFilter,
    Take,
    WebSession,
    WebUser,
    utc_now,
)
from tabadol.verify.provenance import RecordedProvenance

# Rows fetched per round trip when streaming (export, backup); originals can be megabytes each.
STREAM_BATCH = 500
# Failed logins are kept a day (throttling looks back minutes; a day lets an operator see an attack).
FAILURE_RETENTION = timedelta(days=1)
ORIGINALS_BATCH = 20


class SqlStorage(DeliveryMethods, abc.ABC):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Members found so far. Member rows are insert-only (the protocol can add a member but never
        # change or delete one), so a member once read stays true; every ingest looks its member up,
        # and this turns that from a database round trip into a dict lookup. Absent codes are not
        # cached: a member added by another process is found on the next call.
        self._known_members: dict[str, MemberInfo] = {}
        # Item vectors in this process's memory (storage/vectors.py), built on first use: SQLite's
        # vector search, and the story window of the index stage on both backends.
        self._memory_index: InProcessVectorIndex | None = None
        self._memory_index_lock = threading.Lock()
        # Wake-ups for the delivery stages in this process (storage/signals.py).
        self.signals = Signals()

    @property
    def engine(self) -> Engine:
        """For backend-specific extensions (e.g. embeddings in pgvector columns) and diagnostics."""
        return self._engine

    # -- transactions (backends specialise the write side) ----------------------------------------
    @abc.abstractmethod
    def _write_transaction(self) -> AbstractContextManager[Connection]:
        """A connection in a write transaction, holding the backend's writer lock until it ends."""

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with driver_errors(), self._write_transaction() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with driver_errors(), self._engine.connect() as connection:
            yield connection

    def _migration_transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction for one migration (a backend may lift limits meant for requests)."""
        return self._write_transaction()

    @contextmanager
    def _migrating(self) -> Iterator[Connection]:
        with driver_errors(), self._migration_transaction() as connection:
            yield connection

    # -- lifecycle --------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        with self._migrating() as connection:
            t.schema_migrations.create(connection, checkfirst=True)
        applied: list[int] = []
        for migration in MIGRATIONS:
            with self._migrating() as connection:
                # Checked inside the writer lock: two processes migrating at once apply each step once.
                if self._is_applied(connection, migration.version):
                    continue
                try:
                    migration.apply(connection)
                except SQLAlchemyError as exc:
                    raise TabadolError(
                        ErrorCode.MIGRATION_FAILED, version=migration.version, reason=describe(exc)
                    ) from exc
                connection.execute(
                    insert(t.schema_migrations).values(
                        version=migration.version, name=migration.name, applied_at=utc_now()
                    )
                )
            applied.append(migration.version)
        return applied

    @staticmethod
    def _is_applied(connection: Connection, version: int) -> bool:
        query = select(t.schema_migrations.c.version).where(t.schema_migrations.c.version == version)
        return connection.execute(query).first() is not None

    def schema_version(self) -> int:
        with self._read() as connection:
            if not self._engine.dialect.has_table(connection, t.schema_migrations.name):
                return 0
            return int(connection.execute(select(func.max(t.schema_migrations.c.version))).scalar() or 0)

    def close(self) -> None:
        self._engine.dispose()

    def healthy(self) -> bool:
        try:
            with self._read() as connection:
                connection.execute(select(1)).scalar()
        except TabadolError:
            return False
        return True

    # -- members and keys -------------------------------------------------------------------------
    def add_member(self, member: MemberInfo) -> None:
        try:
            with self._write() as connection:
                if member_exists(connection, member.code):
                    raise TabadolError(ErrorCode.MEMBER_EXISTS, code=member.code)
                connection.execute(insert(t.members).values(**member_row(member)))
        except TabadolError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise TabadolError(ErrorCode.MEMBER_EXISTS, code=member.code) from exc
            raise

    def get_member(self, code: str) -> MemberInfo | None:
        known = self._known_members.get(code)
        if known is not None:
            return known
        with self._read() as connection:
            row = connection.execute(select(t.members).where(t.members.c.code == code)).first()
        if row is None:
            return None
        member = member_from_row(row)
        self._known_members[code] = member
        return member

    def list_members(self) -> list[MemberInfo]:
        with self._read() as connection:
            rows = connection.execute(select(t.members).order_by(t.members.c.code)).all()
        return [member_from_row(row) for row in rows]

    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        with self._write() as connection:
            require_member(connection, key.member_code)
            connection.execute(insert(t.api_keys).values(**api_key_row(key, secret_hash)))

    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._read() as connection:
            row = connection.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        return (api_key_from_row(row), row.secret_hash) if row is not None else None

    def list_api_keys(self, member_code: str | None = None) -> list[ApiKey]:
        query = select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.key_id)
        if member_code is not None:
            query = query.where(t.api_keys.c.member_code == member_code)
        with self._read() as connection:
            return [api_key_from_row(row) for row in connection.execute(query)]

    def revoke_api_key(self, key_id: str, at: datetime) -> bool:
        statement = (
            update(t.api_keys)
            .where(t.api_keys.c.key_id == key_id, t.api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        with self._write() as connection:
            return connection.execute(statement).rowcount > 0

    # -- ingest -----------------------------------------------------------------------------------
    def ingest(self, request: IngestRequest) -> IngestReport:
        report = self._ingest_one(request)
        self.signals.notify(CHANGES)  # after the commit: the dispatcher reads what was stored
        return report

    def _ingest_one(self, request: IngestRequest) -> IngestReport:
        try:
            with self._write() as connection:
                return ingest_payload(connection, request)
        except TabadolError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        # A unique-key race with a writer outside our lock (e.g. an older hub process): the
        # transaction was rolled back whole; deciding again sees the other writer's rows.
        with self._write() as connection:
            return ingest_payload(connection, request)

    def ingest_many(self, requests: Sequence[IngestRequest]) -> list[IngestReport | TabadolError]:
        if not requests:
            return []
        results = self._ingest_many(requests)
        self.signals.notify(CHANGES)
        return results

    def _ingest_many(self, requests: Sequence[IngestRequest]) -> list[IngestReport | TabadolError]:
        with self._write() as connection:
            try:
                # The set-based path writes the whole batch with a few statements. Its savepoint is
                # only there for the unexpected: a database error (a unique-key race with a writer
                # outside our lock, a value the database refuses) undoes the batch, and the
                # per-payload path below finds which payload it was, isolating it from the others.
                with connection.begin_nested():
                    return ingest_batch(connection, requests)
            except DBAPIError as exc:
                if not _payload_specific(exc):
                    raise
            return [self._ingest_in_savepoint(connection, request) for request in requests]

    def _ingest_in_savepoint(
        self, connection: Connection, request: IngestRequest, retry: bool = True
    ) -> IngestReport | TabadolError:
        savepoint = connection.begin_nested()
        try:
            report = ingest_payload(connection, request)
        except TabadolError as exc:
            savepoint.rollback()
            return exc
        except IntegrityError as exc:
            savepoint.rollback()
            if retry:  # same unique-key race as in `ingest`: decide again on fresh heads
                return self._ingest_in_savepoint(connection, request, retry=False)
            return TabadolError(ErrorCode.INTERNAL, reason=describe(exc))
        except DBAPIError as exc:
            if not _payload_specific(exc):
                raise
            savepoint.rollback()
            return TabadolError(ErrorCode.INTERNAL, reason=describe(exc))
        savepoint.commit()
        return report

    # -- item reads -------------------------------------------------------------------------------
    def get_item(self, item_id: str) -> Item | None:
        return self._one_item(t.items.c.id == item_id)

    def get_item_by_guid(self, guid: str) -> Item | None:
        return self._one_item(t.items.c.guid == guid)

    def get_items(self, item_ids: Sequence[str]) -> dict[str, Item]:
        with self._read() as connection:
            return search_rows.load_items(connection, item_ids)

    def match_heads(
        self, query: ItemQuery, terms: Sequence[str], limit: int, ids: Sequence[str] | None = None
    ) -> list[ItemHead]:
        with self._read() as connection:
            return search_rows.match_heads(connection, query, terms, limit, ids)

    def component_data(
        self, item_ids: Sequence[str], components: Sequence[str]
    ) -> dict[str, dict[str, Mapping[str, Any]]]:
        with self._read() as connection:
            return search_rows.load_component_data(connection, item_ids, components)

    def _one_item(self, condition: ColumnElement[bool]) -> Item | None:
        with self._read() as connection:
            row = connection.execute(item_select().where(condition)).first()
        return item_from_row(row) if row is not None else None

    def list_items(self, query: ItemQuery, limit: int, cursor: str | None = None) -> Page:
        if limit < 1:
            raise TabadolError(ErrorCode.INVALID_QUERY, param="limit", reason="must be at least 1")
        statement = item_select().where(*filters(query))
        if cursor is not None:
            after_time, after_id = decode_cursor(cursor)
            statement = statement.where(
                or_(
                    t.items.c.version_created < after_time,
                    and_(t.items.c.version_created == after_time, t.items.c.id < after_id),
                )
            )
        statement = statement.order_by(t.items.c.version_created.desc(), t.items.c.id.desc()).limit(limit + 1)
        with self._read() as connection:
            # A rare text is looked up in SQLite's full-text index; LIKE still decides (fulltext.py).
            indexed = fulltext.narrowing(connection, query.text) if query.text else None
            if indexed is not None:
                statement = statement.where(indexed)
            rows = connection.execute(statement).all()
        found = [item_from_row(row) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = encode_cursor(found[-1].version_created, found[-1].id) if more else None
        return Page(items=tuple(found), next_cursor=next_cursor)

    def count_items(self) -> int:
        with self._read() as connection:
            return int(connection.execute(select(func.count()).select_from(t.items)).scalar() or 0)

    def iter_items(self, include_embargoed: bool = True) -> Iterator[Item]:
        now = utc_now()
        last_seq = 0
        while True:
            statement = item_select().where(t.items.c.seq > last_seq)
            if not include_embargoed:
                statement = statement.where(not_embargoed(now))
            statement = statement.order_by(t.items.c.seq).limit(STREAM_BATCH)
            with self._read() as connection:
                rows = connection.execute(statement).all()
            if not rows:
                return
            for row in rows:
                yield item_from_row(row)
            last_seq = rows[-1].seq

    def list_versions(self, item_id: str) -> list[ItemVersion]:
        statement = (
            select(t.item_versions)
            .where(t.item_versions.c.item_id == item_id)
            .order_by(t.item_versions.c.version)
        )
        with self._read() as connection:
            return [version_from_row(row) for row in connection.execute(statement)]

    def get_version(self, item_id: str, version: int) -> ItemVersion | None:
        statement = select(t.item_versions).where(
            t.item_versions.c.item_id == item_id, t.item_versions.c.version == version
        )
        with self._read() as connection:
            row = connection.execute(statement).first()
        return version_from_row(row) if row is not None else None

    def get_original(self, sha256: str) -> Original | None:
        statement = select(t.originals).where(t.originals.c.sha256 == sha256)
        with self._read() as connection:
            row = connection.execute(statement).first()
        return original_from_row(row) if row is not None else None

    # -- backup and restore -----------------------------------------------------------------------
    def iter_versions(self) -> Iterator[tuple[str, str, ItemVersion]]:
        last_seq = 0
        while True:
            statement = (
                select(t.item_versions, t.items.c.member_code, t.items.c.guid)
                .join(t.items, t.items.c.id == t.item_versions.c.item_id)
                .where(t.item_versions.c.seq > last_seq)
                .order_by(t.item_versions.c.seq)
                .limit(STREAM_BATCH)
            )
            with self._read() as connection:
                rows = connection.execute(statement).all()
            if not rows:
                return
            for row in rows:
                yield row.member_code, row.guid, version_from_row(row)
            last_seq = rows[-1].seq

    def iter_originals(self) -> Iterator[Original]:
        last_sha = ""
        while True:
            statement = (
                select(t.originals)
                .where(t.originals.c.sha256 > last_sha)
                .order_by(t.originals.c.sha256)
                .limit(ORIGINALS_BATCH)
            )
            with self._read() as connection:
                rows = connection.execute(statement).all()
            if not rows:
                return
            for row in rows:
                yield original_from_row(row)
            last_sha = rows[-1].sha256

    def restore_version(self, member_code: str, guid: str, version: ItemVersion) -> None:
        self.restore_many([(member_code, guid, version)])

    def restore_many(self, versions: Sequence[tuple[str, str, ItemVersion]]) -> None:
        for _, guid, version in versions:
            if version.item_id != item_id_for_guid(guid):
                raise TabadolError(
                    ErrorCode.BACKUP_INVALID,
                    reason=f"item id {version.item_id} does not match guid {guid!r}",
                )
        if not versions:
            return
        with self._write() as connection:
            restore_versions_in(connection, versions)

    def restore_original(self, original: Original, received_at: datetime) -> None:
        if hashlib.sha256(original.data).hexdigest() != original.sha256:
            raise TabadolError(
                ErrorCode.BACKUP_INVALID, reason=f"original {original.sha256} does not match its bytes"
            )
        with self._write() as connection:
            store_original(connection, original, received_at)

    def restore_api_key(self, key: ApiKey, secret_hash: str) -> None:
        with self._write() as connection:
            exists = connection.execute(
                select(t.api_keys.c.key_id).where(t.api_keys.c.key_id == key.key_id)
            ).first()
            if exists is not None:
                return
            if not member_exists(connection, key.member_code):
                raise TabadolError(
                    ErrorCode.BACKUP_INVALID, reason=f"key {key.key_id}: no member {key.member_code}"
                )
            connection.execute(insert(t.api_keys).values(**api_key_row(key, secret_hash)))

    def restore_signing_keys(self, keys: Sequence[SigningKey]) -> int:
        with self._write() as connection:
            owners = {key.member_code for key in keys if key.member_code is not None}
            for code in sorted(owners):
                if not member_exists(connection, code):
                    raise TabadolError(
                        ErrorCode.BACKUP_INVALID, reason=f"signing key of unknown member {code}"
                    )
            return signing_key_rows.insert_missing_signing_keys(connection, keys)

    def iter_provenance(self) -> Iterator[RecordedProvenance]:
        after: tuple[str, int] | None = None
        while True:
            with self._read() as connection:
                page = provenance_rows.load_provenance_page(connection, after, STREAM_BATCH)
            yield from page
            if len(page) < STREAM_BATCH:
                return
            after = (page[-1].item_id, page[-1].version)

    def restore_provenance(self, records: Sequence[RecordedProvenance]) -> int:
        if not records:
            return 0
        with self._write() as connection:
            return provenance_rows.insert_missing_provenance(connection, records)

    # -- audit ------------------------------------------------------------------------------------
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
    ) -> None:
        values = {
            "at": at,
            "actor_member": actor_member,
            "actor_key_id": actor_key_id,
            "action": action,
            "target": target,
            "remote_addr": remote_addr,
            "detail": to_json(detail),
        }
        with self._write() as connection:
            insert_audit(connection, values)

    def list_audit(self, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
        statement = select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)
        if before_id is not None:
            statement = statement.where(t.audit_log.c.id < before_id)
        with self._read() as connection:
            return [audit_from_row(row) for row in connection.execute(statement)]

    # -- feed sources -----------------------------------------------------------------------------
    def add_feed(self, member_code: str, url: str, interval_seconds: int, now: datetime) -> FeedSource:
        values = {
            "member_code": member_code,
            "url": url,
            "interval_seconds": interval_seconds,
            "next_poll_at": now,  # a new feed is due at once
            "consecutive_errors": 0,
            "enabled": True,
        }
        with self._write() as connection:
            require_member(connection, member_code)
            feed_id = connection.execute(
                insert(t.feeds).values(**values).returning(t.feeds.c.id)
            ).scalar_one()
            row = connection.execute(select(t.feeds).where(t.feeds.c.id == feed_id)).one()
        return feed_from_row(row)

    def list_feeds(self, member_code: str | None = None) -> list[FeedSource]:
        statement = select(t.feeds).order_by(t.feeds.c.id)
        if member_code is not None:
            statement = statement.where(t.feeds.c.member_code == member_code)
        with self._read() as connection:
            return [feed_from_row(row) for row in connection.execute(statement)]

    def get_feed(self, feed_id: int) -> FeedSource | None:
        with self._read() as connection:
            row = connection.execute(select(t.feeds).where(t.feeds.c.id == feed_id)).first()
        return feed_from_row(row) if row is not None else None

    def due_feeds(self, now: datetime) -> list[FeedSource]:
        statement = (
            select(t.feeds)
            .where(t.feeds.c.enabled.is_(True), t.feeds.c.next_poll_at <= now)
            .order_by(t.feeds.c.next_poll_at, t.feeds.c.id)
        )
        with self._read() as connection:
            return [feed_from_row(row) for row in connection.execute(statement)]

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
    ) -> None:
        statement = (
            update(t.feeds)
            .where(t.feeds.c.id == feed_id)
            .values(
                etag=etag,
                last_modified=last_modified,
                next_poll_at=next_poll_at,
                consecutive_errors=consecutive_errors,
                last_error=last_error,
                last_polled_at=last_polled_at,
            )
        )
        with self._write() as connection:
            if connection.execute(statement).rowcount == 0:
                raise TabadolError(ErrorCode.FEED_NOT_FOUND, feed_id=feed_id)

    def remove_feed(self, feed_id: int) -> bool:
        with self._write() as connection:
            return connection.execute(t.feeds.delete().where(t.feeds.c.id == feed_id)).rowcount > 0

    # -- jobs (the queue behind enrichment; see storage/jobs.py) ---------------------------------
    @contextmanager
    def _queue_transaction(self) -> Iterator[Connection]:
        """For claims, completions and failures, which touch only job rows they lock themselves.

        On PostgreSQL row locks (FOR UPDATE SKIP LOCKED, UPDATE, DELETE) keep workers apart, so
        these skip the hub-wide writer lock: workers never queue behind an ingest nor behind each
        other. SQLite has one writer whatever we do, so they take the ordinary write path.
        """
        if self._engine.dialect.name != "postgresql":
            with self._write() as connection:
                yield connection
            return
        with driver_errors(), self._engine.begin() as connection:
            yield connection

    def enqueue_jobs(self, jobs: Sequence[JobSpec], now: datetime) -> int:
        if not jobs:
            return 0
        with self._write() as connection:
            return job_queue.enqueue(connection, jobs, now)

    def claim_jobs(
        self, kinds: Sequence[str] | None, worker: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Job]:
        job_queue.check_claim(kinds, worker, limit, lease_seconds)
        with self._queue_transaction() as connection:
            return job_queue.claim(connection, kinds, worker, limit, lease_seconds, now)

    def complete_jobs(self, job_ids: Sequence[int], worker: str) -> int:
        if not job_ids:
            return 0
        with self._queue_transaction() as connection:
            return job_queue.complete(connection, job_ids, worker)

    def fail_job(
        self, job_id: int, worker: str, error: str, retry_at: datetime | None, now: datetime | None = None
    ) -> bool:
        with self._queue_transaction() as connection:
            return job_queue.fail(connection, job_id, worker, error, retry_at, now or utc_now())

    def queue_depth(self, kinds: Sequence[str] | None = None) -> int:
        with self._read() as connection:
            return job_queue.depth(connection, kinds)

    def dead_jobs(self, limit: int = 100) -> list[Job]:
        with self._read() as connection:
            return job_queue.dead(connection, limit)

    def requeue_dead(self, job_ids: Sequence[int], now: datetime | None = None) -> int:
        if not job_ids:
            return 0
        with self._write() as connection:
            return job_queue.requeue_dead(connection, job_ids, now or utc_now())

    # -- enrichment and index (storage/index.py) -------------------------------------------------
    def save_enrichment(
        self,
        item_id: str,
        results: Sequence[ComponentResult],
        entry: IndexEntry | None,
        remove_entry: bool = False,
    ) -> None:
        """Store the components' results for the item and its index entry (or remove the entry,
        for a killed or empty item) in one transaction."""
        with self._write() as connection:
            index.save_results(connection, item_id, results)
            if entry is not None:
                index.save_entry(connection, entry)
            elif remove_entry:
                index.remove_entry(connection, item_id)
                index.leave_story(connection, item_id, utc_now())
                index.remove_links(connection, item_id, "near_duplicate")

    def enrichment_of(self, item_ids: Sequence[str]) -> dict[str, dict[str, ComponentResult]]:
        with self._read() as connection:
            return index.load_results(connection, item_ids)

    def stale_items(self, component: str, version: str) -> list[str]:
        with self._read() as connection:
            return index.stale_item_ids(connection, component, version)

    def all_item_ids(self) -> list[str]:
        with self._read() as connection:
            return list(connection.execute(select(t.items.c.id).order_by(t.items.c.seq)).scalars())

    def index_entries(self, item_ids: Sequence[str]) -> dict[str, IndexEntry]:
        with self._read() as connection:
            return index.load_entries(connection, item_ids)

    def memory_index(self) -> InProcessVectorIndex:
        """The in-process vector index, caught up with every entry written so far (by any process)."""
        with self._memory_index_lock:
            if self._memory_index is None:
                self._memory_index = InProcessVectorIndex(t.EMBEDDING_DIM)
            vectors = self._memory_index
        with self._read() as connection:
            vectors.catch_up(lambda seq: index.entries_after(connection, seq))
        return vectors

    def sample_vectors(self, per_language: int) -> Mapping[str, Any]:
        """Recent vectors grouped by language (numpy matrices), up to `per_language` each."""
        with self._read() as connection:
            return index.recent_vectors(connection, per_language)

    def nearest(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[tuple[IndexEntry, float]]:
        """The `limit` index entries nearest to `vector` by cosine, best first, within the time window
        and languages given. PostgreSQL: pgvector; SQLite overrides this with an in-process index."""
        with self._read() as connection:
            return index.nearest_pg(connection, vector, limit, since, until, languages, exclude)

    def neighbours(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[Neighbour]:
        """As `nearest`, without the entries (item id, member, cosine). PostgreSQL: pgvector; SQLite
        overrides this with an in-process index."""
        with self._read() as connection:
            return index.neighbours_pg(connection, vector, limit, since, until, languages, exclude)

    @contextmanager
    def index_transaction(self) -> Iterator[Connection]:
        """The write transaction the index stage decides and writes in: one at a time hub-wide (the
        writer lock), so two workers never cluster two items of one story apart."""
        with self._write() as connection:
            yield connection

    def story_ids_of(self, item_ids: Sequence[str]) -> dict[str, str]:
        with self._read() as connection:
            return index.story_ids_of(connection, item_ids)

    def items_of_stories(self, story_ids: Sequence[str]) -> dict[str, str]:
        with self._read() as connection:
            return index.items_of_stories(connection, story_ids)

    def get_story(self, story_id: str, now: datetime | None = None) -> Story | None:
        with self._read() as connection:
            return index.load_story(connection, story_id, self._readable(now))

    def list_stories(
        self,
        limit: int,
        before: tuple[datetime, str] | None = None,
        min_items: int = 1,
        now: datetime | None = None,
    ) -> tuple[list[Story], tuple[datetime, str] | None]:
        """Live stories by last activity, newest first, with their readable items; and the keyset of
        the next page (None at the end)."""
        stories: list[Story] = []
        keyset = before
        with self._read() as connection:
            while len(stories) < limit:
                batch = index.recent_story_ids(connection, limit, keyset, min_items)
                if not batch:
                    return stories, None
                keyset = (batch[-1][1], batch[-1][0])
                loaded = index.load_stories(connection, [sid for sid, _ in batch], self._readable(now))
                stories.extend(loaded[: limit - len(stories)])
                if len(batch) < limit:
                    return stories, None
        return stories, keyset

    def links_of(self, item_id: str) -> tuple[list[ItemLink], list[ItemLink]]:
        with self._read() as connection:
            return index.links_of(connection, item_id)

    # -- item facets (storage/facets.py) -----------------------------------------------------------
    def items_by_facet(
        self, facet: str, values: Sequence[str], now: datetime, limit: int, cursor: str | None = None
    ) -> LinePage:
        if limit < 1:
            raise TabadolError(ErrorCode.INVALID_QUERY, param="limit", reason="must be at least 1")
        with self._read() as connection:
            return facet_rows.list_by_facet(connection, facet, values, self._readable(now), limit, cursor)

    def facet_counts(self, facet: str, now: datetime) -> dict[str, int]:
        with self._read() as connection:
            return facet_rows.count_by_value(connection, facet, now)

    def item_facets(self, item_ids: Sequence[str]) -> dict[str, FacetsOfItem]:
        with self._read() as connection:
            return facet_rows.facets_of(connection, item_ids)

    @staticmethod
    def _readable(now: datetime | None) -> ColumnElement[bool]:
        return and_(not_embargoed(now or utc_now()), index.killed_condition())

    # -- the newsroom wire (storage/wire.py) -------------------------------------------------------
    def wire_page(self, wire: WireFilter, now: datetime, limit: int, cursor: str | None = None) -> Page:
        with self._read() as connection:
            return wire_rows.wire_page(connection, wire, now, limit, cursor)

    def wire_changes(
        self,
        wire: WireFilter,
        now: datetime,
        after_seq: int,
        limit: int,
        released_after: datetime | None = None,
    ) -> list[Item]:
        with self._read() as connection:
            return wire_rows.wire_changes(connection, wire, now, after_seq, limit, released_after)

    def last_item_seq(self) -> int:
        with self._read() as connection:
            return wire_rows.last_seq(connection)

    def killed_takes(self, viewer: str, now: datetime, limit: int) -> list[KilledTake]:
        with self._read() as connection:
            return wire_rows.killed_takes(connection, viewer, now, limit)

    # -- the public pages' batched reads (storage/portal.py) ---------------------------------------
    def readable_items(self, item_ids: Sequence[str], now: datetime) -> dict[str, Item]:
        with self._read() as connection:
            return portal_rows.items_by_id(connection, item_ids, now)

    def readable_item_rows(self, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRow]:
        with self._read() as connection:
            return portal_rows.item_rows_by_id(connection, item_ids, now)

    def item_rows_page(
        self, now: datetime, limit: int, cursor: str | None = None, member: str | None = None
    ) -> RowPage:
        with self._read() as connection:
            return portal_rows.item_rows_page(connection, now, limit, cursor, member)

    def stories_in_window(self, start: datetime, end: datetime, now: datetime) -> list[DayStory]:
        with self._read() as connection:
            return portal_rows.stories_in_window(connection, start, end, now)

    def readable_stories(self, story_ids: Sequence[str], now: datetime) -> dict[str, Story]:
        with self._read() as connection:
            return portal_rows.stories_by_id(connection, story_ids, now)

    def latest_story_activity(self, before: datetime, now: datetime) -> datetime | None:
        with self._read() as connection:
            return portal_rows.latest_story_activity(connection, before, now)

    def kills_in_story(self, story_id: str, now: datetime) -> list[tuple[str, datetime]]:
        with self._read() as connection:
            return portal_rows.kills_in_story(connection, story_id, now)

    def provenance_of_items(self, item_ids: Sequence[str]) -> dict[tuple[str, int], RecordedProvenance]:
        with self._read() as connection:
            return portal_rows.provenance_of(connection, item_ids)

    def versions_of_items(self, item_ids: Sequence[str]) -> dict[str, list[VersionRow]]:
        with self._read() as connection:
            return portal_rows.versions_of(connection, item_ids)

    def translations_of_heads(
        self, heads: Sequence[tuple[str, int]], target: str
    ) -> dict[str, dict[str, Any]]:
        with self._read() as connection:
            return portal_rows.translations_of(connection, heads, target)

    # -- subscriptions (storage/subscriptions.py) ------------------------------------------------
    def add_subscription(self, subscription: Subscription) -> None:
        with self._write() as connection:
            subscription_rows.insert_subscription(connection, subscription)

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        with self._read() as connection:
            return subscription_rows.load_subscription(connection, subscription_id)

    def list_subscriptions(self, member_code: str | None = None) -> list[Subscription]:
        with self._read() as connection:
            return subscription_rows.load_subscriptions(connection, member_code)

    def update_subscription(
        self, subscription_id: str, name: str, value: SubscriptionFilter, now: datetime
    ) -> bool:
        with self._write() as connection:
            return subscription_rows.change_subscription(connection, subscription_id, name, value, now)

    def remove_subscription(self, subscription_id: str, now: datetime) -> bool:
        with self._write() as connection:
            return subscription_rows.remove_subscription(connection, subscription_id, now)

    def add_feed_token(self, token_id: str, subscription_id: str, secret_hash: str, now: datetime) -> None:
        with self._write() as connection:
            subscription_rows.insert_feed_token(connection, token_id, subscription_id, secret_hash, now)

    def get_feed_token(self, token_id: str) -> tuple[str, str, datetime | None] | None:
        with self._read() as connection:
            return subscription_rows.load_feed_token(connection, token_id)

    def list_feed_tokens(self, subscription_id: str) -> list[tuple[str, datetime, datetime | None]]:
        with self._read() as connection:
            return subscription_rows.load_feed_tokens(connection, subscription_id)

    def revoke_feed_token(self, token_id: str, subscription_id: str, now: datetime) -> bool:
        with self._write() as connection:
            return subscription_rows.revoke_feed_token(connection, token_id, subscription_id, now)

    # -- signing keys (storage/signing_keys.py) -------------------------------------------------
    def add_signing_key(self, key: SigningKey) -> bool:
        with self._write() as connection:
            return signing_key_rows.insert_signing_key(connection, key)

    def get_signing_key(self, key_id: str) -> SigningKey | None:
        with self._read() as connection:
            return signing_key_rows.load_signing_key(connection, key_id)

    def list_signing_keys(self) -> list[SigningKey]:
        with self._read() as connection:
            return signing_key_rows.load_signing_keys(connection)

    def revoke_signing_key(self, key_id: str, now: datetime) -> bool:
        with self._write() as connection:
            return signing_key_rows.revoke_signing_key(connection, key_id, now)

    def item_provenance(self, item_id: str) -> list[RecordedProvenance]:
        with self._read() as connection:
            return provenance_rows.load_item_provenance(connection, item_id)

    # -- fact checks (storage/claims.py) ---------------------------------------------------------
    def save_claim_reviews(self, reviews: Sequence[StoredClaimReview]) -> list[bool]:
        with self._write() as connection:
            return [claim_rows.upsert_review(connection, review) for review in reviews]

    def get_claim_review(self, review_id: str) -> StoredClaimReview | None:
        with self._read() as connection:
            return claim_rows.load_review(connection, review_id)

    def claim_reviews(self, review_ids: Sequence[str]) -> dict[str, StoredClaimReview]:
        with self._read() as connection:
            return claim_rows.load_reviews(connection, review_ids)

    def list_claim_reviews(
        self,
        limit: int,
        member_code: str | None = None,
        language: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[StoredClaimReview]:
        with self._read() as connection:
            return claim_rows.list_reviews(connection, limit, member_code, language, before)

    def delete_claim_review(self, review_id: str) -> bool:
        with self._write() as connection:
            return claim_rows.delete_review(connection, review_id)

    def claim_review_vectors(self, model: str) -> list[tuple[str, Any]]:
        with self._read() as connection:
            return claim_rows.review_vectors(connection, model)

    def claim_reviews_stamp(self) -> tuple[int, datetime | None]:
        with self._read() as connection:
            return claim_rows.reviews_stamp(connection)

    def replace_item_claim_matches(self, item_id: str, matches: Sequence[StoredClaimMatch]) -> None:
        with self._write() as connection:
            claim_rows.replace_item_matches(connection, item_id, matches)

    def add_claim_matches(self, matches: Sequence[StoredClaimMatch]) -> None:
        with self._write() as connection:
            claim_rows.put_review_matches(connection, matches)

    def item_claim_matches(self, item_id: str) -> list[StoredClaimMatch]:
        with self._read() as connection:
            return claim_rows.load_item_matches(connection, item_id)

    def iter_claim_reviews(self) -> Iterator[StoredClaimReview]:
        after: str | None = None
        while True:
            with self._read() as connection:
                page = claim_rows.load_review_page(connection, after, STREAM_BATCH)
            yield from page
            if len(page) < STREAM_BATCH:
                return
            after = page[-1].id

    def restore_claim_reviews(self, reviews: Sequence[StoredClaimReview]) -> int:
        if not reviews:
            return 0
        with self._write() as connection:
            return claim_rows.insert_missing_reviews(connection, reviews)

    def iter_claim_matches(self) -> Iterator[StoredClaimMatch]:
        after: tuple[str, str] | None = None
        while True:
            with self._read() as connection:
                page = claim_rows.load_match_page(connection, after, STREAM_BATCH)
            yield from page
            if len(page) < STREAM_BATCH:
                return
            after = (page[-1].item_id, page[-1].review_id)

    def restore_claim_matches(self, matches: Sequence[StoredClaimMatch]) -> int:
        if not matches:
            return 0
        with self._write() as connection:
            return claim_rows.insert_missing_matches(connection, matches)

    # -- newsroom accounts (storage/web_accounts.py) ----------------------------------------------
    def add_web_user(self, user: WebUser, password_hash: str) -> bool:
        with self._write() as connection:
            return web_account_rows.insert_web_user(connection, user, password_hash)

    def get_web_user(self, username: str) -> tuple[WebUser, str] | None:
        with self._read() as connection:
            return web_account_rows.load_web_user(connection, username)

    def list_web_users(self, member_code: str | None = None) -> list[WebUser]:
        with self._read() as connection:
            return web_account_rows.load_web_users(connection, member_code)

    def set_web_user_password(self, username: str, password_hash: str) -> bool:
        with self._write() as connection:
            return web_account_rows.set_password_hash(connection, username, password_hash)

    def disable_web_user(self, username: str, now: datetime) -> bool:
        with self._write() as connection:
            return web_account_rows.disable_web_user(connection, username, now)

    def add_web_session(self, session: WebSession) -> None:
        with self._write() as connection:
            web_account_rows.delete_expired(
                connection, session.created_at, session.created_at - FAILURE_RETENTION
            )
            web_account_rows.insert_session(connection, session)

    def get_web_session(self, token_sha256: str, now: datetime) -> WebSession | None:
        with self._read() as connection:
            return web_account_rows.load_session(connection, token_sha256, now)

    def extend_web_session(self, token_sha256: str, expires_at: datetime) -> None:
        with self._write() as connection:
            web_account_rows.extend_session(connection, token_sha256, expires_at)

    def end_web_session(self, token_sha256: str) -> None:
        with self._write() as connection:
            web_account_rows.delete_session(connection, token_sha256)

    def record_login_failure(self, username: str, remote_addr: str | None, now: datetime) -> None:
        with self._write() as connection:
            web_account_rows.insert_login_failure(connection, username, remote_addr, now)

    def count_login_failures(
        self, username: str, remote_addr: str | None, since: datetime
    ) -> tuple[int, int]:
        with self._read() as connection:
            return web_account_rows.count_login_failures(connection, username, remote_addr, since)

    def takes_of_items(self, item_ids: Sequence[str]) -> list[Take]:
        with self._read() as connection:
            return subscription_rows.load_takes_of_items(connection, item_ids)

    def near_duplicate_sources(self, item_ids: Sequence[str]) -> dict[str, str]:
        with self._read() as connection:
            return index.link_targets(connection, item_ids, "near_duplicate")

    def record_take(self, take: Take) -> None:
        with self._write() as connection:
            subscription_rows.insert_take(connection, take)

    def list_takes(self, member_code: str | None = None, limit: int = 100) -> list[Take]:
        with self._read() as connection:
            return subscription_rows.load_takes(connection, member_code, limit)

    def takes_between(
        self, since: datetime | None, until: datetime | None, members: Sequence[str] | None = None
    ) -> list[Take]:
        with self._read() as connection:
            return subscription_rows.load_takes_between(connection, since, until, members)

    def save_translation(self, item_id: str, item_version: int, row: Mapping[str, Any]) -> None:
        """Store a machine translation of an item version (replacing one into the same language)."""
        with self._write() as connection:
            index.save_translation(connection, item_id, item_version, row)

    def get_translation(
        self, item_id: str, item_version: int, target_language: str
    ) -> Mapping[str, Any] | None:
        with self._read() as connection:
            return index.load_translation(connection, item_id, item_version, target_language)

    def save_topic_scheme(
        self, name: str, version: str, labels: Sequence[str], data: bytes, by: str | None = None
    ) -> None:
        with self._write() as connection:
            index.save_scheme(connection, name, version, labels, data, utc_now(), by)

    def topic_schemes(self) -> list[Mapping[str, Any]]:
        with self._read() as connection:
            return index.load_schemes(connection)

    def delete_topic_scheme(self, name: str) -> bool:
        with self._write() as connection:
            return index.delete_scheme(connection, name)


def _payload_specific(exc: DBAPIError) -> bool:
    """True for an error one payload can cause (a constraint, a value too long), after which the
    transaction is still usable; False when the database itself failed (gone, full, locked)."""
    return not (exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError))
