"""Batched ingest (Storage.ingest_many): same result as one payload after another, set-based cost.

Run against both backends, like the contract suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import T0, add_member, build_request

from sql_statements import statements_run
from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage
from tabadol.storage.base import IngestRequest, Storage
from tabadol.types import Decision, IngestReport, ParsedItem, PubStatus

MakeItem = Callable[..., ParsedItem]


@pytest.fixture
def sequential_store(tmp_path: Path) -> Iterator[Storage]:
    """A second, empty store with the same members, fed one payload at a time as the reference."""
    store = open_storage(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    store.migrate()
    add_member(store, "irna")
    add_member(store, "tass", "RU", ("ru",))
    yield store
    store.close()


def reports(results: Sequence[IngestReport | TabadolError]) -> list[IngestReport]:
    found = [result for result in results if isinstance(result, IngestReport)]
    assert len(found) == len(results), [r for r in results if isinstance(r, TabadolError)]
    return found


def item_seqs(storage: Storage) -> list[int]:
    return [item.seq for item in storage.iter_items()]


def test_one_guid_several_times_in_a_batch_becomes_consecutive_versions(
    storage: Storage, members: object, make_item: MakeItem
) -> None:
    first = make_item("urn:irna:ferry", "Ferry sails", version_created=T0)
    batch = [
        build_request("irna", first),
        build_request("irna", first, data=b"the same item again"),
        build_request(
            "irna", make_item("urn:irna:ferry", "Ferry docks", version_created=T0 + timedelta(hours=1))
        ),
        build_request(
            "irna", make_item("urn:irna:ferry", "Old text", version_created=T0 - timedelta(hours=1))
        ),
        build_request("irna", make_item("urn:irna:ferry", "Ferry docks", pub_status=PubStatus.CANCELED)),
    ]
    outcomes = [report.outcomes[0] for report in reports(storage.ingest_many(batch))]
    assert [(o.decision, o.version) for o in outcomes] == [
        (Decision.NEW_ITEM, 1),
        (Decision.DUPLICATE, 1),
        (Decision.NEW_VERSION, 2),
        (Decision.DUPLICATE, 2),  # stale: older than the version stored two payloads earlier
        (Decision.KILL, 3),
    ]
    item = storage.get_item_by_guid("urn:irna:ferry")
    assert item is not None
    assert (item.version, item.pub_status, item.first_created) == (3, PubStatus.CANCELED, T0)
    assert [v.parsed.headline for v in storage.list_versions(item.id)] == [
        "Ferry sails",
        "Ferry docks",
        "Ferry docks",
    ]
    assert item.original_sha256 == batch[4].original.sha256


def test_a_batch_stores_what_payloads_one_after_another_store(
    storage: Storage, sequential_store: Storage, members: object, make_item: MakeItem
) -> None:
    storage.ingest(build_request("tass", make_item("urn:tass:1", "Саммит")))
    sequential_store.ingest(build_request("tass", make_item("urn:tass:1", "Саммит")))
    batch = [
        build_request("irna", make_item("urn:irna:1", "One"), make_item("urn:irna:2", "Two")),
        build_request("tass", make_item("urn:irna:3", "Taken by TASS first")),
        build_request("irna", make_item("urn:irna:3", "IRNA is too late"), make_item("urn:irna:4")),
        build_request("irna", make_item("urn:irna:2", "Two, corrected"), data=b"shared bytes"),
        build_request("ghost", make_item("urn:ghost:1")),
        build_request("irna", make_item("urn:irna:5", "Five"), data=b"shared bytes"),
        build_request("tass", make_item("urn:tass:1", "Саммит, обновлено")),
    ]
    batched = storage.ingest_many(batch)
    one_by_one: list[IngestReport | TabadolError] = []
    for request in batch:
        try:
            one_by_one.append(sequential_store.ingest(request))
        except TabadolError as exc:
            one_by_one.append(exc)
    assert [r.code if isinstance(r, TabadolError) else r for r in batched] == [
        r.code if isinstance(r, TabadolError) else r for r in one_by_one
    ]
    assert [r.code for r in batched if isinstance(r, TabadolError)] == [
        ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER,
        ErrorCode.MEMBER_NOT_FOUND,
    ]
    assert list(storage.iter_items()) == list(sequential_store.iter_items())
    assert list(storage.iter_versions()) == list(sequential_store.iter_versions())
    assert list(storage.iter_originals()) == list(sequential_store.iter_originals())
    assert [(e.target, e.detail) for e in storage.list_audit()] == [
        (e.target, e.detail) for e in sequential_store.list_audit()
    ]


def test_one_refused_payload_in_a_batch_of_500_leaves_no_trace(
    storage: Storage, members: object, make_item: MakeItem
) -> None:
    storage.ingest(build_request("tass", make_item("urn:tass:owned")))
    batch = [build_request("irna", make_item(f"urn:irna:{n}", f"Item {n}")) for n in range(500)]
    hijack = build_request("irna", make_item("urn:irna:hijack"), make_item("urn:tass:owned", "Mine now"))
    batch[250] = hijack
    results = storage.ingest_many(batch)
    failed = [n for n, result in enumerate(results) if isinstance(result, TabadolError)]
    assert failed == [250]
    error = results[250]
    assert isinstance(error, TabadolError) and error.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    assert storage.get_item_by_guid("urn:irna:hijack") is None
    assert storage.get_original(hijack.original.sha256) is None
    assert storage.count_items() == 500  # tass's item and 499 new ones
    assert item_seqs(storage) == list(range(1, 501))  # gap-free, in commit order
    assert len(storage.list_audit(limit=1000)) == 500
    owned = storage.get_item_by_guid("urn:tass:owned")
    assert owned is not None and (owned.member_code, owned.version) == ("tass", 1)


def test_a_guid_created_in_a_batch_belongs_to_its_member_within_the_batch(
    storage: Storage, members: object, make_item: MakeItem
) -> None:
    results = storage.ingest_many(
        [
            build_request("tass", make_item("urn:shared:1", "TASS first")),
            build_request("irna", make_item("urn:shared:1", "IRNA second")),
        ]
    )
    assert isinstance(results[0], IngestReport)
    assert isinstance(results[1], TabadolError) and results[1].code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    item = storage.get_item_by_guid("urn:shared:1")
    assert item is not None and (item.member_code, item.headline) == ("tass", "TASS first")


def test_a_database_error_in_a_batch_is_isolated_to_its_payload(
    storage: Storage, members: object, make_item: MakeItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unique-key clash the decider could not foresee undoes the set-based write; the per-payload
    path then stores every other payload and reports only the one that keeps clashing."""
    import tabadol.storage.writes as writes_module

    storage.ingest(build_request("irna", make_item("urn:irna:clash", "Stored")))
    real_load_heads = writes_module.load_heads

    def blind_to_clash(connection: Any, guids: Sequence[str]) -> dict[str, Any]:
        heads = real_load_heads(connection, guids)
        heads.pop("urn:irna:clash", None)  # as if another writer had inserted it after our read
        return heads

    monkeypatch.setattr(writes_module, "load_heads", blind_to_clash)
    batch = [
        build_request("irna", make_item("urn:irna:a")),
        build_request("irna", make_item("urn:irna:clash", "Changed")),
        build_request("irna", make_item("urn:irna:b")),
    ]
    results = storage.ingest_many(batch)
    assert isinstance(results[0], IngestReport) and isinstance(results[2], IngestReport)
    assert isinstance(results[1], TabadolError) and results[1].code is ErrorCode.INTERNAL
    assert item_seqs(storage) == [1, 2, 3]
    clash = storage.get_item_by_guid("urn:irna:clash")
    assert clash is not None and (clash.version, clash.headline) == (1, "Stored")
    assert len(storage.list_audit()) == 3


def count_statements(storage: Storage, action: Callable[[], object]) -> int:
    with statements_run(storage) as executed:
        action()
    return len(executed)


@pytest.mark.parametrize("kind", ["new items", "new versions"])
def test_a_batch_costs_the_same_statements_whatever_its_size(
    storage: Storage, members: object, make_item: MakeItem, kind: str
) -> None:
    def batch(size: int, tag: str) -> list[IngestRequest]:
        prefix = "urn:known" if kind == "new versions" else f"urn:{tag}"
        return [build_request("irna", make_item(f"{prefix}:{n}", f"{tag} {n}")) for n in range(size)]

    storage.ingest_many(batch(200, "base"))
    small = count_statements(storage, lambda: reports(storage.ingest_many(batch(5, "small"))))
    large = count_statements(storage, lambda: reports(storage.ingest_many(batch(200, "large"))))
    assert small == large
    assert large <= 14
