"""The Storage contract (storage/base.py), run against both backends."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from storage_helpers import T0, MakeRequest, add_member, build_request

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage
from tabadol.storage.base import IngestRequest, Storage
from tabadol.storage.migrations import LATEST_VERSION
from tabadol.types import (
    ApiKey,
    Decision,
    ItemQuery,
    MemberInfo,
    Original,
    ParsedItem,
    PubStatus,
    Role,
    Subject,
    utc_now,
)

MakeItem = Callable[..., ParsedItem]
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def all_ids(storage: Storage, query: ItemQuery, limit: int = 100) -> list[str]:
    return [item.id for item in storage.list_items(query, limit).items]


# -- lifecycle ------------------------------------------------------------------------------------
def test_backend_implements_the_protocol(storage: Storage, backend: str) -> None:
    assert isinstance(storage, Storage)
    assert type(storage).__name__ == {"sqlite": "SQLiteStorage", "postgres": "PostgresStorage"}[backend]


def test_migrate_is_idempotent(storage: Storage) -> None:
    assert storage.schema_version() == LATEST_VERSION
    assert storage.migrate() == []
    assert storage.migrate() == []
    assert storage.schema_version() == LATEST_VERSION
    assert storage.healthy()


# -- members and keys -----------------------------------------------------------------------------
def test_members_crud(storage: Storage) -> None:
    tass = MemberInfo("tass", {"ru": "ТАСС", "en": "TASS"}, "RU", ("ru", "en"), T0.astimezone(TEHRAN))
    irna = MemberInfo("irna", {"fa": "ایرنا"}, "IR", ("fa",), T0, active=False)
    storage.add_member(tass)
    storage.add_member(irna)
    assert [m.code for m in storage.list_members()] == ["irna", "tass"]
    got = storage.get_member("tass")
    assert got == MemberInfo("tass", {"ru": "ТАСС", "en": "TASS"}, "RU", ("ru", "en"), T0)
    assert got is not None and got.created_at.tzinfo is UTC
    assert storage.get_member("irna") == irna
    assert storage.get_member("nobody") is None
    with pytest.raises(TabadolError) as caught:
        storage.add_member(tass)
    assert caught.value.code is ErrorCode.MEMBER_EXISTS


def test_api_keys_crud(storage: Storage, members: tuple[MemberInfo, MemberInfo]) -> None:
    editor = ApiKey("k1", "irna", Role.EDITOR, "desk", T0)
    reader = ApiKey("k2", "tass", Role.READER, "", T0 + timedelta(seconds=1))
    storage.add_api_key(editor, "hash-1")
    storage.add_api_key(reader, "hash-2")
    assert storage.get_api_key("k1") == (editor, "hash-1")
    assert storage.get_api_key("missing") is None
    assert storage.list_api_keys() == [editor, reader]
    assert storage.list_api_keys("tass") == [reader]
    assert storage.revoke_api_key("k1", T0 + timedelta(hours=1))
    assert not storage.revoke_api_key("k1", T0 + timedelta(hours=2))  # already revoked
    assert not storage.revoke_api_key("missing", T0)
    found = storage.get_api_key("k1")
    assert found is not None and found[0].revoked_at == T0 + timedelta(hours=1)
    with pytest.raises(TabadolError) as caught:
        storage.add_api_key(ApiKey("k3", "nobody", Role.EDITOR, "", T0), "h")
    assert caught.value.code is ErrorCode.MEMBER_NOT_FOUND


def test_restore_api_key_is_idempotent(storage: Storage, members: tuple[MemberInfo, MemberInfo]) -> None:
    key = ApiKey("k9", "irna", Role.ADMIN, "ops", T0, revoked_at=T0 + timedelta(days=1))
    storage.restore_api_key(key, "hash")
    storage.restore_api_key(ApiKey("k9", "irna", Role.READER, "changed", T0), "other")
    assert storage.get_api_key("k9") == (key, "hash")


# -- ingest ---------------------------------------------------------------------------------------
def test_ingest_new_item(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    parsed = make_item(
        "urn:irna:1",
        "Tehran hosts talks",
        "Delegations met on Monday.",
        language="fa",
        first_created=T0 - timedelta(hours=2),
        version_created=T0 - timedelta(hours=1),
        subjects=(Subject("politics", "http://cv.iptc.org/newscodes/mediatopic/11000000", "medtop"),),
        keywords=("diplomacy",),
        extra={"associations": {"photo": {"uri": "x"}}},
    )
    request = make_request("irna", parsed, received_by="key-1")
    report = storage.ingest(request)
    [outcome] = report.outcomes
    assert (outcome.decision, outcome.version, outcome.guid) == (Decision.NEW_ITEM, 1, "urn:irna:1")
    assert report.original_sha256 == request.original.sha256
    item = storage.get_item(outcome.item_id)
    assert item is not None
    assert item == storage.get_item_by_guid("urn:irna:1")
    assert (item.member_code, item.version, item.pub_status) == ("irna", 1, PubStatus.USABLE)
    assert (item.headline, item.body_text, item.language) == (parsed.headline, parsed.body_text, "fa")
    assert item.first_created == T0 - timedelta(hours=2)
    assert item.version_created == T0 - timedelta(hours=1)
    assert item.received_at == T0
    assert item.parsed == parsed
    assert item.original_sha256 == request.original.sha256
    assert item.seq >= 1
    [version] = storage.list_versions(item.id)
    assert (version.version, version.received_via, version.received_by) == (1, "http", "key-1")
    assert version.parsed == parsed
    assert storage.count_items() == 1


def test_missing_times_default_to_receipt(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    report = storage.ingest(make_request("irna", make_item(), received_at=T0))
    item = storage.get_item(report.outcomes[0].item_id)
    assert item is not None
    assert item.first_created == item.version_created == item.received_at == T0


def test_new_version_duplicate_and_kill(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    first = make_item("urn:irna:2", "Quake", "First report.", first_created=T0, version_created=T0)
    item_id = storage.ingest(make_request("irna", first)).outcomes[0].item_id

    second = make_item(
        "urn:irna:2", "Quake: toll rises", "Update.", version_created=T0 + timedelta(minutes=5)
    )
    report = storage.ingest(make_request("irna", second, received_at=T0 + timedelta(minutes=6)))
    assert [(o.decision, o.version) for o in report.outcomes] == [(Decision.NEW_VERSION, 2)]
    item = storage.get_item(item_id)
    assert item is not None
    assert (item.version, item.headline, item.body_text) == (2, "Quake: toll rises", "Update.")
    assert item.first_created == T0  # the item's creation does not move with versions
    assert item.version_created == T0 + timedelta(minutes=5)
    seq_after_version = item.seq

    again = storage.ingest(make_request("irna", second, data=b"same item, other bytes"))
    assert [(o.decision, o.version) for o in again.outcomes] == [(Decision.DUPLICATE, 2)]
    unchanged = storage.get_item(item_id)
    assert unchanged is not None and unchanged.seq == seq_after_version
    assert len(storage.list_versions(item_id)) == 2

    kill = make_item("urn:irna:2", "Quake", "Withdrawn.", pub_status=PubStatus.CANCELED)
    killed = storage.ingest(make_request("irna", kill, received_at=T0 + timedelta(hours=1)))
    assert [(o.decision, o.version) for o in killed.outcomes] == [(Decision.KILL, 3)]
    final = storage.get_item(item_id)
    assert final is not None and final.is_killed and final.version == 3
    assert final.seq > seq_after_version
    assert [v.version for v in storage.list_versions(item_id)] == [1, 2, 3]
    assert [v.parsed.headline for v in storage.list_versions(item_id)] == [
        "Quake",
        "Quake: toll rises",
        "Quake",
    ]
    v2 = storage.get_version(item_id, 2)
    assert v2 is not None and v2.parsed == second
    assert storage.get_version(item_id, 4) is None


def test_stale_resend_stores_nothing(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    old = make_item("urn:irna:3", "Old take", version_created=T0)
    new = make_item("urn:irna:3", "New take", version_created=T0 + timedelta(hours=1))
    storage.ingest(make_request("irna", old))
    storage.ingest(make_request("irna", new))
    replay = storage.ingest(make_request("irna", old, data=b"replayed feed"))
    assert [(o.decision, o.version) for o in replay.outcomes] == [(Decision.DUPLICATE, 2)]
    item = storage.get_item_by_guid("urn:irna:3")
    assert item is not None and item.headline == "New take"


def test_canceled_unknown_guid_is_stored_killed(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    report = storage.ingest(make_request("irna", make_item("urn:irna:k", pub_status=PubStatus.CANCELED)))
    assert report.outcomes[0].decision is Decision.NEW_ITEM
    item = storage.get_item(report.outcomes[0].item_id)
    assert item is not None and item.is_killed


def test_ownership_refusal_leaves_nothing_stored(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    storage.ingest(make_request("tass", make_item("urn:tass:1", "ТАСС сообщает")))
    audit_before = storage.list_audit()
    hijack = make_request("irna", make_item("urn:irna:new"), make_item("urn:tass:1", "Hijacked"))
    with pytest.raises(TabadolError) as caught:
        storage.ingest(hijack)
    assert caught.value.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    assert caught.value.fields == {"guid": "urn:tass:1", "owner": "tass"}
    assert storage.get_item_by_guid("urn:irna:new") is None
    assert storage.get_original(hijack.original.sha256) is None
    assert storage.list_audit() == audit_before
    owned = storage.get_item_by_guid("urn:tass:1")
    assert owned is not None and owned.headline == "ТАСС сообщает" and owned.version == 1


def test_ingest_for_unknown_member_is_refused(
    storage: Storage, make_request: MakeRequest, make_item: MakeItem
) -> None:
    with pytest.raises(TabadolError) as caught:
        storage.ingest(make_request("ghost", make_item()))
    assert caught.value.code is ErrorCode.MEMBER_NOT_FOUND
    assert storage.count_items() == 0


def test_ingest_many_isolates_a_failing_payload(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    earlier = storage.ingest(make_request("tass", make_item("urn:tass:1")))
    good_one = make_request("irna", make_item("urn:irna:a"))
    bad = make_request("irna", make_item("urn:irna:b"), make_item("urn:tass:1", "Hijacked"))
    good_two = make_request("irna", make_item("urn:irna:a", "Updated"), make_item("urn:irna:c"))
    results = storage.ingest_many([good_one, bad, good_two])
    assert len(results) == 3
    first, error, third = results
    assert not isinstance(first, TabadolError) and first.count(Decision.NEW_ITEM) == 1
    assert isinstance(error, TabadolError) and error.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    assert not isinstance(third, TabadolError)
    assert [(o.guid, o.decision, o.version) for o in third.outcomes] == [
        ("urn:irna:a", Decision.NEW_VERSION, 2),
        ("urn:irna:c", Decision.NEW_ITEM, 1),
    ]
    assert storage.get_item_by_guid("urn:irna:b") is None
    assert storage.get_original(bad.original.sha256) is None
    assert [entry.target for entry in storage.list_audit()] == [
        good_two.original.sha256,
        good_one.original.sha256,
        earlier.original_sha256,
    ]


def test_ingest_many_of_nothing_is_nothing(storage: Storage) -> None:
    assert storage.ingest_many([]) == []


def test_audit_row_per_ingest(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    # An administrator (member "union") pushing for IRNA: the audit names who pushed, and for whom.
    request = make_request("irna", make_item("urn:irna:x"), make_item("urn:irna:y"), received_by="key-7")
    request = replace(request, actor_member="union")
    storage.ingest(request)
    storage.ingest(request)
    newest, oldest = storage.list_audit()
    assert oldest.action == newest.action == "items.ingest"
    assert (oldest.actor_member, oldest.actor_key_id, oldest.remote_addr) == ("union", "key-7", "127.0.0.1")
    assert oldest.detail["member"] == "irna"
    assert oldest.target == request.original.sha256
    assert oldest.detail["counts"] == {"new_item": 2, "new_version": 0, "duplicate": 0, "kill": 0}
    assert oldest.detail["guids"] == ["urn:irna:x", "urn:irna:y"]
    assert newest.detail["counts"]["duplicate"] == 2
    assert newest.id > oldest.id and oldest.at.tzinfo is UTC


def test_record_and_page_audit(storage: Storage) -> None:
    for index in range(5):
        storage.record_audit(
            at=T0 + timedelta(seconds=index),
            actor_member=None,
            actor_key_id=None,
            action="member.add",
            target=f"m{index}",
            remote_addr="local",
            detail={"index": index, "names": ("ایرنا",), "at": T0, "role": Role.ADMIN},
        )
    page = storage.list_audit(limit=2)
    assert [entry.target for entry in page] == ["m4", "m3"]
    assert [entry.target for entry in storage.list_audit(limit=10, before_id=page[-1].id)] == [
        "m2",
        "m1",
        "m0",
    ]
    assert page[0].detail == {"index": 4, "names": ["ایرنا"], "at": "2026-03-01T12:00:00Z", "role": "admin"}


# -- originals ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        "خبر".encode("utf-16-le") + b"\xff\xfe\x00\x00\x80",  # not UTF-8, with NULs
        b"\x00" * 16 + b"<nitf>\r\n</nitf>\x00",
        os.urandom(5 * 1024 * 1024),  # 5 MB
    ],
    ids=["non-utf8", "nuls-and-crlf", "5mb"],
)
def test_originals_are_byte_exact(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem, data: bytes
) -> None:
    request = make_request("irna", make_item(), data=data)
    storage.ingest(request)
    original = storage.get_original(hashlib.sha256(data).hexdigest())
    assert original is not None
    assert original.data == data
    assert original.size == len(data)
    assert original.content_type == "application/json"
    assert storage.get_original("0" * 64) is None


def test_original_is_stored_once_per_sha(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    storage.ingest(make_request("irna", make_item("urn:1"), data=b"payload"))
    storage.ingest(make_request("irna", make_item("urn:2"), data=b"payload"))
    assert [o.data for o in storage.iter_originals()] == [b"payload"]


# -- listing --------------------------------------------------------------------------------------
@pytest.fixture
def newsroom(storage: Storage, members: object, make_item: MakeItem) -> dict[str, str]:
    """Six items across members, languages, times and statuses; returns guid -> item id."""
    add_member(storage, "kazinform", "KZ", ("kk",))
    specs = [
        ("irna", make_item("g-fa", "نشست تهران", "متن خبر", language="fa", version_created=T0)),
        (
            "tass",
            make_item(
                "g-ru", "Москва: ВСТРЕЧА", "Текст", language="ru", version_created=T0 + timedelta(hours=1)
            ),
        ),
        (
            "kazinform",
            make_item(
                "g-kk",
                "Астана",
                "100% ready_now",
                language="kk-Cyrl",
                version_created=T0 + timedelta(hours=2),
            ),
        ),
        (
            "kazinform",
            make_item(
                "g-kk-latn",
                "Astana",
                "Jańalyqtar",
                language="kk-Latn",
                version_created=T0 + timedelta(hours=3),
            ),
        ),
        (
            "irna",
            make_item(
                "g-killed",
                "Withdrawn",
                "x",
                language="en",
                pub_status=PubStatus.CANCELED,
                version_created=T0 + timedelta(hours=4),
            ),
        ),
        (
            "tass",
            make_item(
                "g-embargo",
                "Embargoed",
                "secret",
                language="ru",
                version_created=T0 + timedelta(hours=5),
                embargoed_until=T0 + timedelta(days=1),
            ),
        ),
    ]
    ids = {}
    for member_code, parsed in specs:
        report = storage.ingest(build_request(member_code, parsed))
        ids[parsed.guid or ""] = report.outcomes[0].item_id
    return ids


def guids(storage: Storage, query: ItemQuery) -> list[str]:
    return [item.guid for item in storage.list_items(query, 100).items]


NOW = T0 + timedelta(hours=12)


def test_list_newest_first_without_embargoed(storage: Storage, newsroom: dict[str, str]) -> None:
    assert guids(storage, ItemQuery(now=NOW)) == ["g-killed", "g-kk-latn", "g-kk", "g-ru", "g-fa"]


def test_embargo_filter(storage: Storage, newsroom: dict[str, str]) -> None:
    assert "g-embargo" in guids(storage, ItemQuery(now=NOW, include_embargoed=True))
    assert "g-embargo" in guids(storage, ItemQuery(now=T0 + timedelta(days=1)))  # lifted at that instant
    assert "g-embargo" not in guids(
        storage, ItemQuery(now=T0 + timedelta(days=1) - timedelta(microseconds=1))
    )


def test_filter_by_member(storage: Storage, newsroom: dict[str, str]) -> None:
    assert guids(storage, ItemQuery(member_codes=("irna",), now=NOW)) == ["g-killed", "g-fa"]
    assert guids(storage, ItemQuery(member_codes=("tass", "kazinform"), now=NOW)) == [
        "g-kk-latn",
        "g-kk",
        "g-ru",
    ]


def test_filter_by_language(storage: Storage, newsroom: dict[str, str]) -> None:
    assert guids(storage, ItemQuery(languages=("kk",), now=NOW)) == ["g-kk-latn", "g-kk"]
    assert guids(storage, ItemQuery(languages=("KK-latn",), now=NOW)) == ["g-kk-latn"]
    assert guids(storage, ItemQuery(languages=("fa", "ru"), now=NOW)) == ["g-ru", "g-fa"]
    assert guids(storage, ItemQuery(languages=("k",), now=NOW)) == []


def test_filter_by_time(storage: Storage, newsroom: dict[str, str]) -> None:
    window = ItemQuery(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2), now=NOW)
    assert guids(storage, window) == ["g-kk", "g-ru"]  # both bounds inclusive
    tehran_since = (T0 + timedelta(hours=3)).astimezone(TEHRAN)
    assert guids(storage, ItemQuery(since=tehran_since, now=NOW)) == ["g-killed", "g-kk-latn"]


def test_filter_by_status(storage: Storage, newsroom: dict[str, str]) -> None:
    assert guids(storage, ItemQuery(pub_statuses=(PubStatus.CANCELED,), now=NOW)) == ["g-killed"]
    usable = guids(storage, ItemQuery(pub_statuses=(PubStatus.USABLE, PubStatus.WITHHELD), now=NOW))
    assert usable == ["g-kk-latn", "g-kk", "g-ru", "g-fa"]


def test_filter_by_text(storage: Storage, newsroom: dict[str, str]) -> None:
    assert guids(storage, ItemQuery(text="встреча", now=NOW)) == ["g-ru"]  # case-insensitive Cyrillic
    assert guids(storage, ItemQuery(text="تهران", now=NOW)) == ["g-fa"]
    assert guids(storage, ItemQuery(text="ASTANA", now=NOW)) == ["g-kk-latn"]
    assert guids(storage, ItemQuery(text="متن", now=NOW)) == ["g-fa"]  # body text too
    assert guids(storage, ItemQuery(text="100%", now=NOW)) == ["g-kk"]
    assert guids(storage, ItemQuery(text="0% r", now=NOW)) == ["g-kk"]
    assert guids(storage, ItemQuery(text="%", now=NOW)) == ["g-kk"]  # wildcards are literal
    assert guids(storage, ItemQuery(text="y_n", now=NOW)) == ["g-kk"]
    assert guids(storage, ItemQuery(text="a_t", now=NOW)) == []
    assert guids(storage, ItemQuery(text="secret", now=NOW)) == []  # embargoed stays hidden


def test_filters_combine(storage: Storage, newsroom: dict[str, str]) -> None:
    query = ItemQuery(member_codes=("kazinform",), languages=("kk",), text="astana", now=NOW)
    assert guids(storage, query) == ["g-kk-latn"]


def test_iter_and_count_items(storage: Storage, newsroom: dict[str, str], make_item: MakeItem) -> None:
    future = datetime.now(UTC) + timedelta(days=30)
    storage.ingest(build_request("tass", make_item("g-future", "Later", embargoed_until=future)))
    assert storage.count_items() == 7
    everything = list(storage.iter_items())
    assert [item.seq for item in everything] == sorted(item.seq for item in everything)
    assert [item.guid for item in everything][-1] == "g-future"
    assert len(everything) == 7
    # iter_items judges embargo against the real clock: only g-future is still under embargo.
    assert [item.guid for item in storage.iter_items(include_embargoed=False)] == [
        "g-fa",
        "g-ru",
        "g-kk",
        "g-kk-latn",
        "g-killed",
        "g-embargo",
    ]


def test_cursor_pagination_is_stable_under_inserts(
    storage: Storage, members: object, make_item: MakeItem
) -> None:
    # Ten items, several sharing a version time, so the id tie-breaker is exercised.
    for index in range(10):
        when = T0 + timedelta(minutes=index // 3)
        storage.ingest(
            build_request("irna", make_item(f"urn:page:{index}", f"Item {index}", version_created=when))
        )
    before = [item.id for item in storage.iter_items()]
    query = ItemQuery(now=NOW)
    seen: list[str] = []
    cursor = None
    page_number = 0
    while True:
        page = storage.list_items(query, 3, cursor)
        seen.extend(item.id for item in page.items)
        page_number += 1
        # Between pages, other desks keep pushing: a newer item, an old-dated one, one at a tied time.
        storage.ingest(build_request("tass", make_item(f"urn:new:{page_number}", version_created=NOW)))
        storage.ingest(
            build_request(
                "tass", make_item(f"urn:tie:{page_number}", version_created=T0 + timedelta(minutes=1))
            )
        )
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)), "an item was repeated"
    assert set(before) <= set(seen), "an item was skipped"
    versions = [storage.get_item(item_id) for item_id in seen]
    keys = [(item.version_created, item.id) for item in versions if item is not None]
    assert keys == sorted(keys, reverse=True)


def test_last_page_has_no_cursor(storage: Storage, members: object, make_item: MakeItem) -> None:
    for index in range(4):
        storage.ingest(
            build_request("irna", make_item(f"urn:p:{index}", version_created=T0 + timedelta(seconds=index)))
        )
    first = storage.list_items(ItemQuery(now=NOW), 2)
    assert first.next_cursor is not None
    second = storage.list_items(ItemQuery(now=NOW), 2, first.next_cursor)
    assert [item.guid for item in second.items] == ["urn:p:1", "urn:p:0"]
    assert second.next_cursor is None
    assert storage.list_items(ItemQuery(now=NOW), 4).next_cursor is None


@pytest.mark.parametrize("cursor", ["", "garbage", "!!!", "eyJ4IjoxfQ", "WyJub3QgYSBkYXRlIiwiaXQxIl0", "W10"])
def test_invalid_cursor(storage: Storage, cursor: str) -> None:
    with pytest.raises(TabadolError) as caught:
        storage.list_items(ItemQuery(), 10, cursor)
    assert caught.value.code is ErrorCode.INVALID_CURSOR


def test_invalid_limit(storage: Storage) -> None:
    with pytest.raises(TabadolError) as caught:
        storage.list_items(ItemQuery(), 0)
    assert caught.value.code is ErrorCode.INVALID_QUERY


# -- datetimes ------------------------------------------------------------------------------------
def test_datetimes_come_back_utc_aware(
    storage: Storage, members: object, make_request: MakeRequest, make_item: MakeItem
) -> None:
    local = datetime(2026, 3, 1, 15, 30, 0, 123456, tzinfo=TEHRAN)
    naive = datetime(2026, 3, 1, 9, 0)
    parsed = make_item(first_created=naive, version_created=local, embargoed_until=local + timedelta(hours=1))
    report = storage.ingest(make_request("irna", parsed, received_at=local))
    item = storage.get_item(report.outcomes[0].item_id)
    assert item is not None
    for value in (item.first_created, item.version_created, item.received_at, item.embargoed_until):
        assert value is not None and value.tzinfo is UTC
    assert item.version_created == local and item.version_created.microsecond == 123456
    assert item.first_created == naive.replace(tzinfo=UTC)
    [version] = storage.list_versions(item.id)
    assert version.received_at == local and version.received_at.tzinfo is UTC


# -- feeds ----------------------------------------------------------------------------------------
def test_feeds_crud_due_and_update(storage: Storage, members: object) -> None:
    first = storage.add_feed("irna", "https://irna.ir/rss", 300, T0)
    second = storage.add_feed("tass", "https://tass.ru/rss/v2.xml", 60, T0 + timedelta(minutes=5))
    assert (first.member_code, first.url, first.interval_seconds) == ("irna", "https://irna.ir/rss", 300)
    assert (first.etag, first.last_modified, first.last_error, first.last_polled_at) == (
        None,
        None,
        None,
        None,
    )
    assert first.consecutive_errors == 0 and first.enabled and first.next_poll_at == T0
    assert storage.get_feed(first.id) == first
    assert storage.list_feeds() == [first, second]
    assert storage.list_feeds("tass") == [second]
    assert storage.due_feeds(T0) == [first]
    assert storage.due_feeds(T0 + timedelta(minutes=5)) == [first, second]

    storage.update_feed_state(
        first.id,
        etag='W/"abc"',
        last_modified="Sun, 01 Mar 2026 12:00:00 GMT",
        next_poll_at=T0 + timedelta(hours=1),
        consecutive_errors=2,
        last_error="HTTP 503",
        last_polled_at=T0 + timedelta(seconds=3),
    )
    updated = storage.get_feed(first.id)
    assert updated is not None
    assert (updated.etag, updated.last_modified, updated.consecutive_errors) == (
        'W/"abc"',
        "Sun, 01 Mar 2026 12:00:00 GMT",
        2,
    )
    assert updated.last_error == "HTTP 503" and updated.last_polled_at == T0 + timedelta(seconds=3)
    assert updated.next_poll_at.tzinfo is UTC
    assert storage.due_feeds(T0 + timedelta(minutes=30)) == [second]

    assert storage.remove_feed(first.id)
    assert not storage.remove_feed(first.id)
    assert storage.get_feed(first.id) is None
    with pytest.raises(TabadolError) as caught:
        storage.update_feed_state(
            first.id,
            etag=None,
            last_modified=None,
            next_poll_at=T0,
            consecutive_errors=0,
            last_error=None,
            last_polled_at=T0,
        )
    assert caught.value.code is ErrorCode.FEED_NOT_FOUND
    with pytest.raises(TabadolError) as unknown:
        storage.add_feed("ghost", "https://example.org/feed", 60, T0)
    assert unknown.value.code is ErrorCode.MEMBER_NOT_FOUND


# -- concurrency ----------------------------------------------------------------------------------
def test_concurrent_ingest_of_one_guid_yields_consecutive_versions(
    storage: Storage, members: object, make_item: MakeItem
) -> None:
    writers = 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def push(index: int) -> None:
        try:
            start.wait()
            storage.ingest(build_request("irna", make_item("urn:race", f"Take {index}")))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    item = storage.get_item_by_guid("urn:race")
    assert item is not None
    versions = storage.list_versions(item.id)
    assert [v.version for v in versions] == list(range(1, writers + 1))
    assert item.version == writers
    assert sorted(v.parsed.headline for v in versions) == sorted(f"Take {i}" for i in range(writers))


def test_concurrent_ingest_from_two_store_handles(database_url: str, make_item: MakeItem) -> None:
    """Two Storage objects on one database (like two hub processes) still serialise their writers."""
    first, second = open_storage(database_url), open_storage(database_url)
    try:
        first.migrate()
        add_member(first, "irna")
        errors: list[BaseException] = []

        def push(store: Storage, offset: int) -> None:
            try:
                for index in range(5):
                    store.ingest(build_request("irna", make_item("urn:shared", f"Take {offset + index}")))
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=push, args=(store, n * 10)) for n, store in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        item = first.get_item_by_guid("urn:shared")
        assert item is not None
        assert [v.version for v in second.list_versions(item.id)] == list(range(1, 11))
    finally:
        first.close()
        second.close()


# -- backup and restore ---------------------------------------------------------------------------
def fill_for_backup(store: Storage, make_item: MakeItem) -> None:
    add_member(store, "irna")
    add_member(store, "tass", "RU", ("ru",))
    store.add_api_key(ApiKey("key-a", "irna", Role.EDITOR, "desk", T0), "hash-a")
    store.ingest(build_request("irna", make_item("urn:b:1", "Один", version_created=T0), data=b"\x00one\xff"))
    store.ingest(build_request("tass", make_item("urn:b:2", "Two", embargoed_until=T0 + timedelta(days=400))))
    store.ingest(
        build_request("irna", make_item("urn:b:1", "Один v2", version_created=T0 + timedelta(hours=1)))
    )
    store.ingest(build_request("irna", make_item("urn:b:1", "kill", pub_status=PubStatus.CANCELED)))


def copy_store(source: Storage, target: Storage) -> None:
    for member in source.list_members():
        target.add_member(member)
    for key in source.list_api_keys():
        found = source.get_api_key(key.key_id)
        assert found is not None
        target.restore_api_key(*found)
    for original in source.iter_originals():
        target.restore_original(original, T0)
    for member_code, guid, version in source.iter_versions():
        target.restore_version(member_code, guid, version)


def test_backup_round_trip_within_backend(storage: Storage, tmp_path: Path, make_item: MakeItem) -> None:
    fill_for_backup(storage, make_item)
    target = open_storage(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    try:
        target.migrate()
        copy_store(storage, target)
        assert list(target.iter_items()) == list(storage.iter_items())
        copy_store_again = list(storage.iter_versions())
        for member_code, guid, version in copy_store_again:
            target.restore_version(member_code, guid, version)  # idempotent
        for original in storage.iter_originals():
            target.restore_original(original, T0)
        assert list(target.iter_versions()) == list(storage.iter_versions())
        assert [o.data for o in target.iter_originals()] == [o.data for o in storage.iter_originals()]
    finally:
        target.close()


def test_restore_rejects_inconsistent_backups(storage: Storage, members: object, make_item: MakeItem) -> None:
    with pytest.raises(TabadolError) as corrupt:
        storage.restore_original(Original("0" * 64, "text/plain", b"not matching"), T0)
    assert corrupt.value.code is ErrorCode.BACKUP_INVALID
    report = storage.ingest(build_request("irna", make_item("urn:r:1")))
    [version] = storage.list_versions(report.outcomes[0].item_id)
    with pytest.raises(TabadolError) as wrong_id:
        storage.restore_version("irna", "urn:r:other", version)
    assert wrong_id.value.code is ErrorCode.BACKUP_INVALID
    with pytest.raises(TabadolError) as wrong_owner:
        storage.restore_version("tass", "urn:r:1", replace(version, version=2))
    assert wrong_owner.value.code is ErrorCode.BACKUP_INVALID


def _backends_selected(*names: str) -> bool:
    raw = os.environ.get("TABADOL_TEST_BACKENDS", "").strip()
    return not raw or all(name in raw.split(",") for name in names)


@pytest.mark.parametrize("direction", ["sqlite-to-postgres", "postgres-to-sqlite"])
def test_backup_round_trip_across_backends(
    direction: str, tmp_path: Path, request: pytest.FixtureRequest, make_item: MakeItem
) -> None:
    if not _backends_selected("sqlite", "postgres"):
        pytest.skip("TABADOL_TEST_BACKENDS excludes one of the two backends")
    cluster = request.getfixturevalue("pg_server")
    database = cluster.checkout()
    sqlite_store = open_storage(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    postgres_store = open_storage(cluster.url(database))
    source, target = (
        (sqlite_store, postgres_store)
        if direction == "sqlite-to-postgres"
        else (postgres_store, sqlite_store)
    )
    try:
        for store in (source, target):
            store.migrate()
        fill_for_backup(source, make_item)
        copy_store(source, target)
        assert list(target.iter_items()) == list(source.iter_items())
        assert list(target.iter_versions()) == list(source.iter_versions())
        assert list(target.iter_originals()) == list(source.iter_originals())
        assert target.list_members() == source.list_members()
        assert target.get_api_key("key-a") == source.get_api_key("key-a")
    finally:
        sqlite_store.close()
        postgres_store.close()
        cluster.checkin(database)


# -- integrity races ------------------------------------------------------------------------------
def test_unique_key_race_is_retried_not_leaked(
    storage: Storage, members: object, make_item: MakeItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a guid's row appears between our read and our write (another writer), we decide again."""
    import tabadol.storage.writes as writes_module

    storage.ingest(build_request("irna", make_item("urn:race:1", "First")))
    real_load_heads = writes_module.load_heads
    calls: list[int] = []

    def stale_on_first_read(connection: object, guids: object) -> object:
        calls.append(1)
        return {} if len(calls) % 2 == 1 else real_load_heads(connection, guids)  # type: ignore[arg-type]

    monkeypatch.setattr(writes_module, "load_heads", stale_on_first_read)
    report = storage.ingest(build_request("irna", make_item("urn:race:1", "First"), data=b"again"))
    assert [(o.decision, o.version) for o in report.outcomes] == [(Decision.DUPLICATE, 1)]
    [batched] = storage.ingest_many([build_request("irna", make_item("urn:race:1", "Second"), data=b"more")])
    assert not isinstance(batched, TabadolError)
    assert [(o.decision, o.version) for o in batched.outcomes] == [(Decision.NEW_VERSION, 2)]
    assert len(calls) == 4
    item = storage.get_item_by_guid("urn:race:1")
    assert item is not None and [v.version for v in storage.list_versions(item.id)] == [1, 2]
    assert len(storage.list_audit()) == 3


def test_a_replayed_version_does_not_resurrect_a_killed_item(storage: Storage) -> None:
    """End to end through the store: heads read back from the database remember the kill."""
    from tabadol.hub import sha256_hex

    storage.add_member(MemberInfo("irna", {"en": "IRNA"}, "IR", ("fa",), created_at=utc_now()))

    def payload(item: ParsedItem) -> IngestRequest:
        data = repr(item).encode()
        return IngestRequest(
            "irna", Original(sha256_hex(data), "text/plain", data), (item,), utc_now(), "cli"
        )

    base = ParsedItem(guid="urn:irna:zombie", headline="Ferry", body_text="Aktau.", source_format="ninjs")
    v1 = replace(base, version_created=datetime(2026, 11, 20, 10, tzinfo=UTC))
    kill = replace(base, pub_status=PubStatus.CANCELED, version_created=datetime(2026, 11, 20, 9, tzinfo=UTC))
    storage.ingest(payload(v1))
    storage.ingest(payload(kill))
    replay = storage.ingest(payload(v1))
    assert replay.outcomes[0].decision is Decision.DUPLICATE
    item = storage.get_item_by_guid("urn:irna:zombie")
    assert item is not None and item.is_killed and item.version == 2


def test_a_removed_feeds_id_is_never_given_again(storage: Storage, members: object) -> None:
    """The audit log names feeds by id: two feeds must never share one."""
    first = storage.add_feed("irna", "https://irna.ir/rss", 300, T0)
    second = storage.add_feed("irna", "https://irna.ir/en/rss", 300, T0)
    assert storage.remove_feed(second.id)
    third = storage.add_feed("irna", "https://irna.ir/ar/rss", 300, T0)
    assert third.id not in (first.id, second.id)


def test_the_feed_table_rebuild_keeps_every_row(storage: Storage, members: object) -> None:
    """Migration 3 rebuilt the SQLite feeds table; running its rebuild again changes no row."""
    from tabadol.storage.migrations import v003_feed_ids_never_reused
    from tabadol.storage.sql import SqlStorage

    feed = storage.add_feed("irna", "https://irna.ir/rss", 300, T0)
    storage.update_feed_state(
        feed.id,
        etag='"abc"',
        last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
        next_poll_at=T0 + timedelta(minutes=5),
        consecutive_errors=2,
        last_error="E402 fetch_failed",
        last_polled_at=T0,
    )
    before = storage.list_feeds()
    assert isinstance(storage, SqlStorage)
    with storage.engine.begin() as connection:
        v003_feed_ids_never_reused.apply(connection)
    assert storage.list_feeds() == before


def test_text_search_meets_every_spelling(
    storage: Storage, members: object, make_request: MakeRequest
) -> None:
    """Arabic-keyboard Persian, without ZWNJ and with Arabic-Indic digits, is found by a Persian query."""
    sent = ParsedItem(
        guid="urn:irna:spelling",
        headline="نشست خبرگزاريهاي كشورهاي ساحلي",  # Arabic yeh and kaf, no ZWNJ
        body_text="در سال ١٤٠٣ برگزار شد.",  # Arabic-Indic digits
        source_format="plaintext",
    )
    storage.ingest(make_request("irna", sent))
    for query in ("خبرگزاری‌های کشورهای", "۱۴۰۳", "1403", "ساحلی"):
        found = storage.list_items(ItemQuery(text=query, now=T0), 10).items
        assert [item.guid for item in found] == ["urn:irna:spelling"], query
    assert storage.list_items(ItemQuery(text="1404", now=T0), 10).items == ()


def test_search_text_migration_rebuilds_old_rows(
    storage: Storage, members: object, make_request: MakeRequest
) -> None:
    from sqlalchemy import text

    from tabadol.storage.migrations import v004_search_text_normalised
    from tabadol.storage.sql import SqlStorage

    sent = ParsedItem(
        guid="urn:irna:old", headline="خبرگزاري ايرنا", body_text="متن", source_format="plaintext"
    )
    storage.ingest(make_request("irna", sent))
    assert isinstance(storage, SqlStorage)
    with storage.engine.begin() as connection:  # as an earlier release stored it: casefolded only
        connection.execute(text("UPDATE items SET search_text = :old"), {"old": "خبرگزاري ايرنا\nمتن"})
    assert storage.list_items(ItemQuery(text="خبرگزاری", now=T0), 10).items == ()
    with storage.engine.begin() as connection:
        v004_search_text_normalised.apply(connection)
    assert [i.guid for i in storage.list_items(ItemQuery(text="خبرگزاری", now=T0), 10).items] == [
        "urn:irna:old"
    ]
