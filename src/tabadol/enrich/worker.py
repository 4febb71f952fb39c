"""Running the pipeline on stored items: from the job queue (after ingest) or on demand (rebuilds).

    ingest ──(same transaction)──► job "enrich" ──► QueueWorker.run_once ──► Enricher.enrich
                                                                             │ pipeline (pure components)
                                                                             │ results per component ─► store
                                                                             └ index stage (near-duplicates,
                                                                               stories) ─► store

The enricher always works on an item's *current* head version: a job queued for version 1 that runs
after version 2 arrived enriches version 2 (and version 2's own job then finds nothing stale and is
cheap). A killed item leaves the index (its vector, its story, its links) but keeps its results.
Items stay readable throughout: enrichment never touches the item rows.

Failures: a component that fails on one item is recorded on that item (ComponentError) and the rest
of the pipeline runs. A failure of the whole batch (the database went away) fails its jobs, which come
back after an exponential backoff with jitter, and die after `max_attempts` (kept for operators:
`tabadol enrich --dead`). A crashed worker's jobs come back when their lease ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from tabadol.enrich.doc import ComponentError, Doc
from tabadol.enrich.pipeline import Pipeline
from tabadol.serialize import to_jsonable
from tabadol.storage.jobs import retry_delay
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import ComponentResult, Item, PubStatus, utc_now

log = logging.getLogger(__name__)

# Fields whose values live elsewhere than the component's JSON result: the vector is in item_vectors.
_NOT_IN_RESULTS = frozenset({"vector"})


@dataclass(frozen=True, slots=True)
class EnrichOutcome:
    item_id: str
    version: int | None  # None: the item no longer exists
    errors: tuple[ComponentError, ...] = ()
    story_id: str | None = None
    near_duplicate_of: str | None = None
    removed_from_index: bool = False


class IndexStage(Protocol):
    """What the enricher calls after the pipeline for each item with a vector (index/indexer.py):
    returns the item's story id and the id of the item it copies (or None)."""

    def index(self, item: Item, doc: Doc) -> tuple[str | None, str | None]: ...


def doc_for(item: Item) -> Doc:
    return Doc(
        id=item.id,
        headline=item.headline,
        body=item.body_text,
        reference_time=item.version_created,
        declared_language=item.language,
        member=item.member_code,
    )


def results_for(pipeline: Pipeline, doc: Doc, item_version: int, now: datetime) -> list[ComponentResult]:
    """One stored result per component: the fields it assigned, or the error it hit."""
    errors = {error.component: error for error in doc.errors}
    results = []
    for component in pipeline.components:
        error = errors.get(component.name)
        data: dict[str, Any] = {}
        if error is None:
            for name in component.assigns:
                if name in _NOT_IN_RESULTS:
                    data[name] = {"stored": doc.vector is not None, "dim": _dim(doc.vector)}
                else:
                    data[name] = to_jsonable(getattr(doc, name))
        results.append(
            ComponentResult(
                component=component.name,
                component_version=component.version,
                item_version=item_version,
                data=data,
                error=error.error if error else None,
                updated_at=now,
            )
        )
    return results


def _dim(vector: Any) -> int | None:
    return None if vector is None else int(getattr(vector, "shape", (0,))[0])


class Enricher:
    """Enriches stored items: loads the head versions, runs the pipeline, stores, indexes."""

    def __init__(
        self,
        storage: Any,
        pipeline: Pipeline,
        index_stage: IndexStage | None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.storage = storage
        self.pipeline = pipeline
        self.index_stage = index_stage
        self.clock = clock

    def enrich(self, item_ids: Sequence[str]) -> list[EnrichOutcome]:
        items: list[Item] = []
        outcomes: dict[str, EnrichOutcome] = {}
        for item_id in dict.fromkeys(item_ids):
            item = self.storage.get_item(item_id)
            if item is None:
                outcomes[item_id] = EnrichOutcome(item_id, None)
            elif item.pub_status is PubStatus.CANCELED:
                self.storage.save_enrichment(item_id, [], None, remove_entry=True)
                outcomes[item_id] = EnrichOutcome(item_id, item.version, removed_from_index=True)
            else:
                items.append(item)
        docs = self.pipeline.run([doc_for(item) for item in items])
        now = self.clock()
        for item, doc in zip(items, docs, strict=True):
            outcomes[item.id] = self._store(item, doc, now)
        return [outcomes[item_id] for item_id in dict.fromkeys(item_ids)]

    def _store(self, item: Item, doc: Doc, now: datetime) -> EnrichOutcome:
        results = results_for(self.pipeline, doc, item.version, now)
        self.storage.save_enrichment(item.id, results, None)
        story_id = near = None
        if self.index_stage is not None and doc.vector is not None:
            try:
                story_id, near = self.index_stage.index(item, doc)
            except Exception as exc:  # noqa: BLE001 - recorded on the item like a component failure
                log.exception("index stage failed on %s", item.id)
                error = ComponentError("index", "1", f"{type(exc).__name__}: {exc}"[:500])
                doc = replace(doc, errors=(*doc.errors, error))
                self.storage.save_enrichment(
                    item.id,
                    [ComponentResult("index", "1", item.version, {}, error.error, now)],
                    None,
                )
        # Subscriptions that filter on topics, entities or stories wait for this: fan the item out
        # again now that its facts are stored (when its embargo ends, if it has one).
        self.storage.enqueue_delivery(item.id, item.embargoed_until or now, now)
        return EnrichOutcome(item.id, item.version, doc.errors, story_id, near)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class QueueWorker:
    """Claims enrichment jobs and runs them through an Enricher.

    Several may run at once, in threads or processes or on several machines (PostgreSQL): claims
    never hand one job to two workers while its lease lasts (storage/jobs.py).
    """

    enricher: Enricher
    name: str = ""
    batch_size: int = 16
    lease_seconds: float = 300.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if not self.name:
            self.name = worker_name()

    @property
    def storage(self) -> Any:
        return self.enricher.storage

    def run_once(self) -> int:
        """Claim up to `batch_size` jobs and run them; return how many were claimed."""
        now = self.enricher.clock()
        jobs = self.storage.claim_jobs([ENRICH_JOB], self.name, self.batch_size, self.lease_seconds, now)
        if not jobs:
            return 0
        try:
            self.enricher.enrich([job.item_id for job in jobs if job.item_id])
        except Exception as exc:  # noqa: BLE001 - the jobs come back later; the worker goes on
            log.exception("enrichment batch failed")
            for job in jobs:
                self._fail(job.id, job.attempts, f"{type(exc).__name__}: {exc}")
            return len(jobs)
        self.storage.complete_jobs([job.id for job in jobs], self.name)
        return len(jobs)

    def _fail(self, job_id: int, attempts: int, error: str) -> None:
        now = self.enricher.clock()
        retry_at = None if attempts >= self.max_attempts else now + timedelta(seconds=retry_delay(attempts))
        try:
            self.storage.fail_job(job_id, self.name, error[:2000], retry_at, now)
        except Exception:  # noqa: BLE001 - the lease runs out and the job comes back anyway
            log.exception("could not record the failure of job %s", job_id)

    def drain(self, progress: Callable[[int, int], None] | None = None, idle_timeout: float = 30.0) -> int:
        """Run until the queue has no job due or running. Jobs leased by other workers are waited
        for (up to `idle_timeout` seconds without progress). Returns how many jobs this worker ran."""
        done = 0
        idle_since: float | None = None
        while True:
            claimed = self.run_once()
            done += claimed
            remaining = self.storage.queue_depth([ENRICH_JOB])
            if progress is not None:
                progress(done, remaining)
            if remaining == 0:
                return done
            if claimed:
                idle_since = None
                continue
            # Nothing claimable: other workers hold the rest, or failed jobs wait for their retry.
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > idle_timeout:
                return done
            time.sleep(0.2)

    def run_forever(self, stop: threading.Event, idle_sleep: float = 1.0) -> None:
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database restarting: wait and try again
                log.exception("enrichment worker error")
                claimed = 0
            if not claimed:
                stop.wait(idle_sleep)
