"""Enrichment for a running hub: the pipeline with the members' topic schemes, the index stage, the
worker, and `analyze` (the same components on texts that are not stored).

Building a pipeline loads models (the embedding model, natasha, the gazetteer), so one process builds
it once; a topic scheme trained meanwhile (by `tabadol topics train`, maybe in another process) is
picked up when `EnrichmentService.refresh_schemes` sees the stored schemes change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import Embedder, default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import to_jsonable
from tabadol.types import utc_now

log = logging.getLogger(__name__)


@dataclass
class EnrichmentService:
    storage: Any
    embedder: Embedder = field(default_factory=default_embedder)
    _pipeline: Pipeline | None = None
    _scheme_versions: tuple[tuple[str, str], ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self) -> Pipeline:
        """The default pipeline with every stored topic scheme; rebuilt when the schemes change."""
        from tabadol.enrich.registry import default_components

        rows = self.storage.topic_schemes()
        versions = tuple((row["name"], row["version"]) for row in rows)
        with self._lock:
            if self._pipeline is None or versions != self._scheme_versions:
                from tabadol.enrich.topics import TopicScheme

                schemes = [TopicScheme.from_bytes(row["data"]) for row in rows]
                self._pipeline = Pipeline(default_components(embedder=self.embedder, topic_schemes=schemes))
                self._scheme_versions = versions
            return self._pipeline

    def enricher(self, components: Sequence[str] = ()) -> Enricher:
        """An enricher running the whole pipeline, or only `components` and what they depend on; the
        index stage runs when the vector is (re)computed."""
        from tabadol.index.indexer import StorageIndexStage

        pipeline = self.pipeline()
        if components:
            pipeline = pipeline.upto(components)
        index_stage = StorageIndexStage(self.storage) if "embed" in pipeline.names else None
        return Enricher(self.storage, pipeline, index_stage)

    def worker(self, batch_size: int = 16) -> QueueWorker:
        return QueueWorker(self.enricher(), batch_size=batch_size)

    # -- rebuilds --------------------------------------------------------------------------------
    def stale(self, components: Sequence[str] = ()) -> list[str]:
        """Items lacking a current result of any of `components` (default: every component)."""
        pipeline = self.pipeline()
        wanted = pipeline.upto(components).components if components else pipeline.components
        stale: dict[str, None] = {}
        for component in wanted:
            stale.update(dict.fromkeys(self.storage.stale_items(component.name, component.version)))
        return list(stale)

    def rebuild(
        self, item_ids: Sequence[str], components: Sequence[str] = (), batch_size: int = 32
    ) -> Iterator[int]:
        """Enrich the items again in batches, yielding how many are done after each batch."""
        enricher = self.enricher(components)
        done = 0
        for start in range(0, len(item_ids), batch_size):
            batch = item_ids[start : start + batch_size]
            enricher.enrich(batch)
            done += len(batch)
            yield done

    # -- analyze ---------------------------------------------------------------------------------
    def analyze(
        self, records: Iterable[tuple[str, str]], scheme: str | None = None, vectors: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Run the pipeline on (id, text) pairs, without storing anything; yield one JSON-ready dict
        per input: language, script, entities, topics (IPTC and, with `scheme`, that scheme's only
        instead), dates, numbers, and the vector when asked."""
        pipeline = self.pipeline()
        if scheme is not None:
            known = [name for name, _ in self._scheme_versions]  # as pipeline() just read them
            if scheme not in known and scheme != "iptc":
                raise TabadolError(
                    ErrorCode.UNKNOWN_TOPIC_SCHEME, name=scheme, known=", ".join(["iptc", *known])
                )
        now = utc_now()
        batch: list[tuple[str, str]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= 32:
                yield from self._analyze_batch(pipeline, batch, now, scheme, vectors)
                batch = []
        if batch:
            yield from self._analyze_batch(pipeline, batch, now, scheme, vectors)

    @staticmethod
    def _analyze_batch(
        pipeline: Pipeline,
        batch: Sequence[tuple[str, str]],
        now: datetime,
        scheme: str | None,
        vectors: bool,
    ) -> Iterator[dict[str, Any]]:
        docs = pipeline.run([Doc(id=i, headline="", body=text, reference_time=now) for i, text in batch])
        for doc in docs:
            yield analysis_json(doc, scheme, vectors)


def analysis_json(doc: Doc, scheme: str | None, vectors: bool) -> dict[str, Any]:
    topics = [t for t in doc.topics if scheme is None or t.scheme == scheme]
    out: dict[str, Any] = {
        "id": doc.id,
        "language": doc.language,
        "script": doc.script,
        "entities": [_entity_json(e) for e in doc.entities],
        "topics": [
            {"scheme": t.scheme, "code": t.code, "label": t.label, "score": round(t.score, 4)} for t in topics
        ],
        "dates": to_jsonable(doc.dates),
        "numbers": list(doc.numbers),
    }
    if doc.errors:
        out["errors"] = to_jsonable(doc.errors)
    if vectors:
        out["vector"] = None if doc.vector is None else [round(float(x), 6) for x in doc.vector]
    return out


def _entity_json(entity: Any) -> Mapping[str, Any]:
    return {
        "id": entity.id,
        "kind": str(entity.kind),
        "name": entity.name,
        "surface": entity.surface,
        "start": entity.start,
        "end": entity.end,
    }


def start_enrichment_workers(storage: Any, count: int, idle_sleep: float = 1.0) -> Callable[[], None]:
    """`count` worker threads over the job queue (sharing one model); returns a function that stops
    them (each finishes the batch it holds; a batch cut short comes back when its lease ends)."""
    service = EnrichmentService(storage)
    stop_event = threading.Event()
    threads = []
    for number in range(count):
        worker = service.worker()
        thread = threading.Thread(
            target=worker.run_forever,
            args=(stop_event, idle_sleep),
            name=f"tabadol-enrich-{number}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    log.info("%d enrichment worker(s) started", count)

    def stop() -> None:
        stop_event.set()
        for thread in threads:
            thread.join(timeout=10.0)

    return stop
