"""The enrichment worker over a real store (SQLite and PostgreSQL): the queue ingest fills, results with
component versions, the index stage (vectors, near-duplicates, stories), kills, crashes and retries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import tabadol.demo
from tabadol.enrich.components import DatesComponent, EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.numbers import NumbersComponent
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.hub import OPERATOR, Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import PubStatus, utc_now

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"


def flores_articles(count: int) -> list[dict[str, str]]:
    with FLORES.open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for _, line in zip(range(count), lines, strict=False)]


def ninjs(uri: str, text: str, language: str) -> bytes:
    headline, _, body = text.partition(". ")
    return json.dumps(
        {
            "uri": uri,
            "type": "text",
            "language": language,
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        }
    ).encode()


class Exploding:
    """A component that fails on documents whose body contains a marker."""

    name = "exploding"
    version = "1"
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ("extra",)

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        if any("EXPLODE" in doc.body for doc in docs):
            raise ValueError("boom")
        return [replace(doc, extra={"seen": True}) for doc in docs]


def small_pipeline(*extra: object) -> Pipeline:
    return Pipeline(
        (
            LanguageComponent(),
            NormalizeComponent(),
            DatesComponent(),
            NumbersComponent(),
            *extra,  # type: ignore[arg-type]
            EmbedComponent(default_embedder()),
        )
    )


def worker_for(hub: Hub, pipeline: Pipeline | None = None, name: str = "w1") -> QueueWorker:
    enricher = Enricher(hub.storage, pipeline or small_pipeline(), StorageIndexStage(hub.storage))
    return QueueWorker(enricher, name=name, batch_size=8)


@pytest.fixture
def members(hub: Hub) -> Hub:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    hub.add_member("trend", {"en": "Trend"}, "AZ", ["az", "en"])
    return hub


def push(hub: Hub, member: str, uri: str, text: str, language: str) -> str:
    report = hub.ingest_payload(member, ninjs(uri, text, language), "application/ninjs+json", via="cli")
    return report.outcomes[0].item_id


def test_ingest_queues_one_job_per_stored_version_in_the_same_transaction(members: Hub) -> None:
    articles = flores_articles(2)
    push(members, "tass", "urn:t:1", articles[0]["ru"], "ru")
    push(members, "tass", "urn:t:2", articles[1]["ru"], "ru")
    assert members.storage.queue_depth([ENRICH_JOB]) == 2
    push(members, "tass", "urn:t:1", articles[0]["ru"], "ru")  # a duplicate stores nothing, queues nothing
    assert members.storage.queue_depth([ENRICH_JOB]) == 2


def test_worker_stores_every_component_result_with_its_version(members: Hub) -> None:
    [article] = flores_articles(1)
    item_id = push(members, "irna", "urn:i:1", article["fa"], "fa")
    worker = worker_for(members)
    assert worker.drain() == 1
    assert members.storage.queue_depth([ENRICH_JOB]) == 0
    results = members.storage.enrichment_of([item_id])[item_id]
    pipeline = worker.enricher.pipeline
    assert set(results) == set(pipeline.names)
    for component in pipeline.components:
        assert results[component.name].component_version == component.version
        assert results[component.name].item_version == 1
        assert results[component.name].error is None
    assert results["language"].data["language"] == "fa"
    assert results["numbers"].data["numbers"]  # the article quotes figures
    entry = members.storage.index_entries([item_id])[item_id]
    assert entry.vector.shape == (384,)
    assert members.storage.story_ids_of([item_id])[item_id].startswith("st_")


def test_one_article_in_three_languages_is_one_story_and_another_article_is_not(members: Hub) -> None:
    first, second = flores_articles(2)
    ids = [
        push(members, "tass", "urn:t:1", first["ru"], "ru"),
        push(members, "irna", "urn:i:1", first["fa"], "fa"),
        push(members, "trend", "urn:a:1", first["az"], "az"),
        push(members, "trend", "urn:a:2", second["en"], "en"),
    ]
    worker_for(members).drain()
    stories = members.storage.story_ids_of(ids)
    assert stories[ids[0]] == stories[ids[1]] == stories[ids[2]]
    assert stories[ids[3]] != stories[ids[0]]
    story = members.storage.get_story(stories[ids[0]])
    assert story is not None
    assert set(story.item_ids) == set(ids[:3])
    assert set(story.languages) == {"ru", "fa", "az"}
    assert set(story.members) == {"tass", "irna", "trend"}


def test_a_republished_copy_is_linked_to_its_source(members: Hub) -> None:
    [article] = flores_articles(1)
    source = push(members, "tass", "urn:t:1", article["ru"], "ru")
    worker_for(members).drain()
    copy = push(members, "trend", "urn:a:copy", article["ru"] + " Подробности позже.", "ru")
    worker_for(members).drain()
    outgoing, _ = members.storage.links_of(copy)
    assert [(link.kind, link.target_id) for link in outgoing] == [("near_duplicate", source)]
    assert outgoing[0].similarity > 0.8
    _, incoming = members.storage.links_of(source)
    assert [link.item_id for link in incoming] == [copy]


def test_a_failing_component_is_recorded_and_the_rest_of_the_pipeline_runs(members: Hub) -> None:
    articles = flores_articles(2)
    bad = push(members, "tass", "urn:t:bad", articles[0]["en"] + " EXPLODE", "en")
    good = push(members, "tass", "urn:t:good", articles[1]["en"], "en")
    worker = worker_for(members, small_pipeline(Exploding()))
    worker.drain()
    results = members.storage.enrichment_of([bad, good])
    assert results[bad]["exploding"].error is not None and "boom" in results[bad]["exploding"].error
    assert results[good]["exploding"].error is None
    assert results[bad]["embed"].error is None  # later components still ran
    assert bad in members.storage.index_entries([bad])


def test_a_killed_item_leaves_the_index_and_its_story(members: Hub) -> None:
    [article] = flores_articles(1)
    item_id = push(members, "tass", "urn:t:1", article["ru"], "ru")
    other = push(members, "irna", "urn:i:1", article["fa"], "fa")
    worker_for(members).drain()
    story_id = members.storage.story_ids_of([item_id])[item_id]
    members.kill_item(item_id, OPERATOR)
    worker_for(members).drain()
    assert members.storage.index_entries([item_id]) == {}
    assert item_id not in members.storage.story_ids_of([item_id])
    story = members.storage.get_story(story_id)
    assert story is not None and story.item_ids == (other,)


def test_a_crashed_workers_jobs_come_back_after_their_lease(members: Hub) -> None:
    [article] = flores_articles(1)
    item_id = push(members, "tass", "urn:t:1", article["ru"], "ru")
    crashed = members.storage.claim_jobs([ENRICH_JOB], "crashed", 8, 60.0, utc_now())
    assert len(crashed) == 1  # ... and the worker dies holding it
    survivor = worker_for(members, name="survivor")
    assert survivor.run_once() == 0  # leased: not claimable yet
    later = utc_now() + timedelta(seconds=61)
    survivor.enricher.clock = lambda: later
    assert survivor.run_once() == 1
    assert members.storage.queue_depth([ENRICH_JOB]) == 0
    assert item_id in members.storage.index_entries([item_id])


class BrokenStorage:
    """The real storage, except that storing results fails (a database that went away)."""

    def __init__(self, storage: object) -> None:
        self._storage = storage

    def __getattr__(self, name: str) -> object:
        return getattr(self._storage, name)

    def save_enrichment(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("database went away")


def test_a_failed_batch_is_retried_with_backoff_and_dies_after_max_attempts(members: Hub) -> None:
    [article] = flores_articles(1)
    push(members, "tass", "urn:t:1", article["ru"], "ru")
    now = utc_now()
    enricher = Enricher(BrokenStorage(members.storage), small_pipeline(), None, clock=lambda: now)
    worker = QueueWorker(enricher, name="w", max_attempts=2)
    assert worker.run_once() == 1
    assert members.storage.queue_depth([ENRICH_JOB]) == 1  # waiting for its retry
    assert worker.run_once() == 0  # not due yet: backoff
    now = now + timedelta(hours=2)
    assert worker.run_once() == 1  # second attempt fails too: dead
    assert members.storage.queue_depth([ENRICH_JOB]) == 0
    [dead] = members.storage.dead_jobs()
    assert "database went away" in (dead.last_error or "")


def test_a_new_version_is_enriched_at_its_own_version(members: Hub) -> None:
    first, second = flores_articles(2)
    item_id = push(members, "tass", "urn:t:1", first["ru"], "ru")
    worker_for(members).drain()
    push(members, "tass", "urn:t:1", second["ru"], "ru")
    assert members.readable_item(item_id).pub_status is PubStatus.USABLE  # readable while queued
    worker_for(members).drain()
    results = members.storage.enrichment_of([item_id])[item_id]
    assert {result.item_version for result in results.values()} == {2}
    assert members.storage.index_entries([item_id])[item_id].item_version == 2


def test_two_workers_at_once_keep_one_story_together(members: Hub) -> None:
    """Two workers (threads here; processes or machines alike, on PostgreSQL) take jobs from one queue
    at once: every job runs once and one article's versions still end up in one story."""
    import threading

    hub = members
    hub.add_member("kazinform", {"en": "Kazinform"}, "KZ", ["kk"])
    first, second = flores_articles(2)
    by_member = {"tass": "ru", "irna": "fa", "trend": "az", "kazinform": "kk"}
    story_one = [push(hub, m, f"urn:{m}:1", first[lang], lang) for m, lang in by_member.items()]
    story_two = [push(hub, m, f"urn:{m}:2", second[lang], lang) for m, lang in by_member.items()]
    workers = [worker_for(hub, name=f"w{n}") for n in range(2)]
    for worker in workers:
        worker.batch_size = 2
    done: list[int] = []
    threads = [threading.Thread(target=lambda w=w: done.append(w.drain())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sum(done) == 8 and hub.storage.queue_depth([ENRICH_JOB]) == 0
    stories = hub.storage.story_ids_of(story_one + story_two)
    assert len({stories[i] for i in story_one}) == 1
    assert len({stories[i] for i in story_two}) == 1
    assert stories[story_one[0]] != stories[story_two[0]]
