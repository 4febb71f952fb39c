"""The durable job queue (storage/jobs.py), on both backends: leases, retries, dead jobs, concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage
from tabadol.storage.base import Storage
from tabadol.storage.jobs import Job, retry_delay

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEASE = 60.0


def _claim(
    storage: Storage,
    now: datetime = T0,
    worker: str = "w1",
    limit: int = 10,
    kinds: tuple[str, ...] | None = ("enrich",),
) -> list[Job]:
    return storage.claim_jobs(kinds, worker, limit, LEASE, now)


# -- retry_delay ----------------------------------------------------------------------------------
def test_retry_delay_doubles_from_base_up_to_the_cap() -> None:
    no_jitter = [retry_delay(n, base=2.0, cap=60.0, jitter=0.0) for n in range(1, 8)]
    assert no_jitter == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert retry_delay(10_000, base=2.0, cap=3600.0, jitter=0.0) == 3600.0
    assert retry_delay(0, base=5.0, jitter=0.0) == 5.0  # before any failure: the first step


def test_retry_delay_jitter_takes_off_at_most_its_fraction() -> None:
    assert retry_delay(3, base=2.0, jitter=0.5, rng=lambda: 0.0) == 8.0
    assert retry_delay(3, base=2.0, jitter=0.5, rng=lambda: 0.999) == pytest.approx(4.004)
    delays = {retry_delay(4, base=1.0, jitter=0.5) for _ in range(50)}
    assert all(4.0 < d <= 8.0 for d in delays)
    assert len(delays) > 1  # spread, not one fixed value


def test_retry_delay_refuses_nonsense() -> None:
    with pytest.raises(TabadolError) as caught:
        retry_delay(1, jitter=1.5)
    assert caught.value.code is ErrorCode.INVALID_QUERY


# -- enqueue, claim, complete ---------------------------------------------------------------------
def test_enqueue_claim_complete(storage: Storage) -> None:
    queued = storage.enqueue_jobs([("enrich", "a", {"n": 1}), ("enrich", "b", {"n": 2})], T0)
    assert queued == 2
    assert storage.queue_depth() == 2
    jobs = _claim(storage)
    assert [(j.item_id, j.payload, j.attempts, j.worker) for j in jobs] == [
        ("a", {"n": 1}, 1, "w1"),
        ("b", {"n": 2}, 1, "w1"),
    ]
    assert all(j.lease_until == T0 + timedelta(seconds=LEASE) and j.created_at == T0 for j in jobs)
    assert _claim(storage, worker="w2") == []  # leased: nobody else gets them
    assert storage.queue_depth() == 2  # running jobs still count
    assert storage.complete_jobs([j.id for j in jobs], "w1") == 2
    assert storage.queue_depth() == 0
    assert _claim(storage, now=T0 + timedelta(hours=1)) == []


def test_claim_respects_limit_kinds_and_due_order(storage: Storage) -> None:
    storage.enqueue_jobs([("enrich", "late", {})], T0 + timedelta(seconds=5))
    storage.enqueue_jobs([("enrich", "early", {}), ("index", "x", {})], T0)
    assert [j.item_id for j in _claim(storage, limit=1)] == ["early"]
    assert _claim(storage) == []  # "late" is not due yet; "index" is another kind
    assert [j.item_id for j in _claim(storage, now=T0 + timedelta(seconds=5))] == ["late"]
    assert [j.kind for j in _claim(storage, kinds=None)] == ["index"]
    assert storage.queue_depth(["index"]) == 1
    assert storage.queue_depth([]) == 0


def test_a_waiting_job_is_not_queued_twice(storage: Storage) -> None:
    specs = [("enrich", "a", {"first": True}), ("enrich", "a", {"first": False}), ("index", "a", {})]
    assert storage.enqueue_jobs(specs, T0) == 2
    assert storage.enqueue_jobs([("enrich", "a", {}), ("enrich", "b", {})], T0) == 1
    assert storage.enqueue_jobs([("batch", None, {}), ("batch", None, {})], T0) == 2  # no item: no merge
    assert storage.queue_depth() == 5
    [job] = [j for j in _claim(storage) if j.item_id == "a"]
    assert job.payload == {"first": True}
    # Running is not waiting: the item may have changed after the worker read it.
    assert storage.enqueue_jobs([("enrich", "a", {"again": 1})], T0) == 1


def test_a_lost_lease_returns_the_job(storage: Storage) -> None:
    storage.enqueue_jobs([("enrich", "a", {})], T0)
    [first] = _claim(storage, worker="crashed")
    assert _claim(storage, now=T0 + timedelta(seconds=LEASE - 1), worker="w2") == []
    # An expired lease makes the job waiting again: enqueueing it once more adds nothing.
    assert storage.enqueue_jobs([("enrich", "a", {})], T0 + timedelta(seconds=LEASE)) == 0
    [again] = _claim(storage, now=T0 + timedelta(seconds=LEASE), worker="w2")
    assert again.id == first.id and again.attempts == 2 and again.worker == "w2"
    # The crashed worker, back late, can neither complete nor fail what it lost.
    assert storage.complete_jobs([first.id], "crashed") == 0
    assert storage.fail_job(first.id, "crashed", "boom", None) is False
    assert storage.complete_jobs([first.id], "w2") == 1


def test_failure_with_retry_waits_then_counts_attempts(storage: Storage) -> None:
    storage.enqueue_jobs([("enrich", "a", {})], T0)
    [job] = _claim(storage)
    retry_at = T0 + timedelta(seconds=30)
    assert storage.fail_job(job.id, "w1", "timeout", retry_at) is True
    assert storage.fail_job(job.id, "w1", "twice", retry_at) is False  # released already
    assert _claim(storage, now=retry_at - timedelta(seconds=1)) == []
    [retried] = _claim(storage, now=retry_at)
    assert (retried.attempts, retried.last_error, retried.not_before) == (2, "timeout", retry_at)
    assert storage.dead_jobs() == []


def test_failure_without_retry_kills_and_requeue_revives(storage: Storage) -> None:
    storage.enqueue_jobs([("enrich", "a", {"k": "v"}), ("enrich", "b", {})], T0)
    jobs = _claim(storage)
    died = T0 + timedelta(seconds=1)
    for job in jobs:
        assert storage.fail_job(job.id, "w1", f"bad {job.item_id}", None, now=died)
    assert storage.queue_depth() == 0
    dead = storage.dead_jobs()
    assert {(j.item_id, j.last_error, j.dead_at) for j in dead} == {
        ("a", "bad a", died),
        ("b", "bad b", died),
    }
    assert _claim(storage, now=T0 + timedelta(days=30)) == []  # never claimed again
    # A dead job is not waiting: the same work may be queued anew.
    assert storage.enqueue_jobs([("enrich", "b", {})], T0) == 1
    later = T0 + timedelta(minutes=5)
    ids = [j.id for j in dead]
    assert storage.requeue_dead([*ids, 999_999], now=later) == 2
    assert storage.dead_jobs() == []
    assert storage.requeue_dead(ids) == 0  # no longer dead
    revived = _claim(storage, now=later)
    # "b" merged into the waiting job; "a" is back with its payload and a fresh attempt count.
    assert sorted((j.item_id, j.attempts, j.payload) for j in revived) == [("a", 1, {"k": "v"}), ("b", 1, {})]


def test_bad_arguments_are_refused(storage: Storage) -> None:
    bad_calls = [
        lambda: storage.enqueue_jobs([("", "a", {})], T0),
        lambda: storage.enqueue_jobs([("k" * 65, "a", {})], T0),
        lambda: storage.claim_jobs(["enrich"], "w1", 0, LEASE, T0),
        lambda: storage.claim_jobs(["enrich"], "w1", 1, 0, T0),
        lambda: storage.claim_jobs(["enrich"], "", 1, LEASE, T0),
        lambda: storage.dead_jobs(0),
    ]
    for call in bad_calls:
        with pytest.raises(TabadolError) as caught:
            call()
        assert caught.value.code is ErrorCode.INVALID_QUERY
    assert storage.queue_depth() == 0


def test_jobs_survive_reopening(database_url: str) -> None:
    first = open_storage(database_url)
    first.migrate()
    first.enqueue_jobs([("enrich", "a", {"x": "ایرنا"})], T0)
    first.close()
    second = open_storage(database_url)
    try:
        [job] = second.claim_jobs(None, "w1", 5, LEASE, T0)
        assert job.payload == {"x": "ایرنا"}
    finally:
        second.close()


# -- concurrency ----------------------------------------------------------------------------------
def _drain(store: Storage, worker: str, claimed: list[int], errors: list[BaseException]) -> None:
    try:
        while jobs := store.claim_jobs(["enrich"], worker, 7, 3600.0, T0):
            claimed.extend(job.id for job in jobs)
            assert store.complete_jobs([job.id for job in jobs], worker) == len(jobs)
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)


def _run_workers(
    stores: Sequence[Storage], threads_per_store: int
) -> tuple[Counter[int], list[BaseException]]:
    claimed: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_drain, args=(store, f"s{s}-t{n}", claimed, errors))
        for s, store in enumerate(stores)
        for n in range(threads_per_store)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(claimed), errors


def test_concurrent_workers_get_each_job_exactly_once(storage: Storage) -> None:
    storage.enqueue_jobs([("enrich", f"item-{n}", {}) for n in range(200)], T0)
    counts, errors = _run_workers([storage], threads_per_store=4)
    assert errors == []
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert storage.queue_depth() == 0


def test_separate_stores_get_each_job_exactly_once(storage: Storage, database_url: str) -> None:
    # Two engines = two connection pools, as two worker processes would have.
    storage.enqueue_jobs([("enrich", f"item-{n}", {}) for n in range(200)], T0)
    other = open_storage(database_url)
    try:
        counts, errors = _run_workers([storage, other], threads_per_store=2)
    finally:
        other.close()
    assert errors == []
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert storage.queue_depth() == 0
