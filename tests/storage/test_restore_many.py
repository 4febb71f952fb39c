"""Batched restore (Storage.restore_many): one transaction for many versions, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from storage_helpers import T0, add_member, build_request

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.accept import item_id_for_guid
from tabadol.storage import open_storage
from tabadol.storage.base import Storage
from tabadol.types import ItemVersion, ParsedItem, PubStatus

MakeItem = Callable[..., ParsedItem]


@pytest.fixture
def source(tmp_path: Path, make_item: MakeItem) -> Iterator[Storage]:
    """A store with versions worth restoring: new items, new versions, a kill, a shared original."""
    store = open_storage(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    store.migrate()
    add_member(store, "irna")
    add_member(store, "tass", "RU", ("ru",))
    store.ingest(build_request("irna", make_item("urn:r:1", "Один", version_created=T0), data=b"\x00one\xff"))
    store.ingest(build_request("tass", make_item("urn:r:2", "Two", embargoed_until=T0 + timedelta(days=400))))
    store.ingest(
        build_request("irna", make_item("urn:r:1", "Один v2", version_created=T0 + timedelta(hours=1)))
    )
    store.ingest(build_request("irna", make_item("urn:r:3", "Three"), make_item("urn:r:4", "Four")))
    store.ingest(build_request("irna", make_item("urn:r:1", "kill", pub_status=PubStatus.CANCELED)))
    yield store
    store.close()


def prepare_target(source: Storage, target: Storage) -> list[tuple[str, str, ItemVersion]]:
    for member in source.list_members():
        target.add_member(member)
    for original in source.iter_originals():
        target.restore_original(original, T0)
    return list(source.iter_versions())


def test_restore_many_reproduces_every_item_and_is_idempotent(storage: Storage, source: Storage) -> None:
    versions = prepare_target(source, storage)
    storage.restore_many(versions[:3])
    storage.restore_many(versions)  # the first three are present already and skipped
    storage.restore_many(versions)
    assert list(storage.iter_items()) == list(source.iter_items())
    assert list(storage.iter_versions()) == list(source.iter_versions())
    storage.restore_many([])


def test_an_older_version_restored_after_a_newer_one_leaves_the_head(
    storage: Storage, source: Storage
) -> None:
    versions = prepare_target(source, storage)
    ferry = [entry for entry in versions if entry[1] == "urn:r:1"]
    storage.restore_many([ferry[2], ferry[0], ferry[1]])
    item = storage.get_item_by_guid("urn:r:1")
    assert item is not None and (item.version, item.pub_status) == (3, PubStatus.CANCELED)
    assert [v.version for v in storage.list_versions(item.id)] == [1, 2, 3]


@pytest.mark.parametrize("fault", ["other owner", "missing original", "unknown member", "wrong item id"])
def test_one_misfit_restores_nothing(storage: Storage, source: Storage, fault: str) -> None:
    versions = prepare_target(source, storage)
    member_code, guid, version = versions[-1]
    misfit = {
        "other owner": ("tass", guid, version),
        "missing original": (member_code, guid, replace(version, original_sha256="0" * 64)),
        "unknown member": ("ghost", "urn:ghost:1", replace(version, item_id=item_id_for_guid("urn:ghost:1"))),
        "wrong item id": (member_code, "urn:r:other", version),
    }[fault]
    with pytest.raises(TabadolError) as caught:
        storage.restore_many([*versions[:-1], misfit])
    assert caught.value.code is ErrorCode.BACKUP_INVALID
    assert storage.count_items() == 0
    assert list(storage.iter_versions()) == []
