"""The newsroom wire's reads (Storage.wire_page, wire_changes, last_item_seq, killed_takes; storage/
wire.py): the other members' usable items only, the filters (a topic with its narrower topics),
keyset paging, the embargo rule at `now`, what changed after a point of the change counter, and the
takes of a member that were killed since."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from storage_helpers import T0, add_member, build_request

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.base import Storage
from tabadol.storage.wire import KilledTake, WireFilter
from tabadol.types import ComponentResult, ParsedItem, PubStatus, Take

TRADE = "medtop:20000373"  # international trade, narrower than economy
ECONOMY = "medtop:04000000"
SPORT = "medtop:15000000"
NOW = T0 + timedelta(days=1)


def push(storage: Storage, member: str, guid: str, minutes: int, **fields: Any) -> str:
    """An item of `member` (or a new version of it) sent `minutes` after T0."""
    at = T0 + timedelta(minutes=minutes)
    item = ParsedItem(
        guid=guid,
        headline=f"Headline {guid}",
        body_text="Body.",
        source_format="ninjs",
        language=fields.pop("language", "ru"),
        version_created=at,
        **fields,
    )
    return storage.ingest(build_request(member, item, received_at=at)).outcomes[0].item_id


def with_topic(storage: Storage, item_id: str, code: str) -> None:
    data = {"topics": [{"scheme": "iptc", "code": code, "label": code, "score": 0.9}]}
    storage.save_enrichment(item_id, [ComponentResult("topics", "t1", 1, data, None, T0)], None)


def take(storage: Storage, item_id: str, version: int, taker: str = "irna") -> None:
    storage.record_take(Take(item_id, version, "tass", taker, None, "ru", "fa", False, T0))


def ids(found: Any) -> list[str]:
    return [item.id for item in found]


@pytest.fixture
def wire(storage: Storage) -> Storage:
    """Three members: IRNA (the viewer), TASS and AzerTAc."""
    add_member(storage, "irna")
    add_member(storage, "tass", "RU", ("ru",))
    add_member(storage, "azertac", "AZ", ("az",))
    return storage


def test_the_wire_lists_the_other_members_usable_items_newest_first(wire: Storage) -> None:
    older = push(wire, "tass", "urn:t:1", 0)
    newer = push(wire, "azertac", "urn:a:1", 10, language="az")
    own = push(wire, "irna", "urn:i:1", 20, language="fa")  # the viewer's own: never on its wire
    killed = push(wire, "tass", "urn:t:2", 30)
    push(wire, "tass", "urn:t:2", 31, pub_status=PubStatus.CANCELED)
    push(wire, "tass", "urn:t:3", 40, embargoed_until=NOW + timedelta(hours=1))  # not released at NOW

    page = wire.wire_page(WireFilter("irna"), NOW, 10)
    assert ids(page.items) == [newer, older] and page.next_cursor is None
    assert killed not in ids(page.items)
    # Another member's wire shows IRNA's item and not its own.
    assert ids(wire.wire_page(WireFilter("tass"), NOW, 10).items) == [own, newer]
    # The embargoed item appears once its embargo has ended.
    later = wire.wire_page(WireFilter("irna"), NOW + timedelta(hours=2), 10)
    assert len(later.items) == 3


def test_filters_and_keyset_paging(wire: Storage) -> None:
    first = push(wire, "tass", "urn:t:1", 0)
    second = push(wire, "azertac", "urn:a:1", 10, language="az")
    third = push(wire, "tass", "urn:t:2", 20)
    fourth = push(wire, "tass", "urn:t:3", 30, language="ru-Latn")

    by_member = wire.wire_page(WireFilter("irna", member="tass"), NOW, 10)
    assert ids(by_member.items) == [fourth, third, first]
    by_language = wire.wire_page(WireFilter("irna", language="ru"), NOW, 10)  # "ru" includes ru-Latn
    assert ids(by_language.items) == [fourth, third, first]
    window = WireFilter("irna", since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20))
    assert ids(wire.wire_page(window, NOW, 10).items) == [third, second]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = wire.wire_page(WireFilter("irna"), NOW, 3, cursor)
        seen += ids(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [fourth, third, second, first]
    with pytest.raises(TabadolError) as raised:
        wire.wire_page(WireFilter("irna"), NOW, 3, "not-a-cursor")
    assert raised.value.code is ErrorCode.INVALID_CURSOR


def test_a_topic_includes_its_narrower_topics(wire: Storage) -> None:
    trade = push(wire, "tass", "urn:t:1", 0)
    economy = push(wire, "tass", "urn:t:2", 10)
    sport = push(wire, "tass", "urn:t:3", 20)
    push(wire, "tass", "urn:t:4", 30)  # no topics at all
    with_topic(wire, trade, TRADE)
    with_topic(wire, economy, ECONOMY)
    with_topic(wire, sport, SPORT)

    assert ids(wire.wire_page(WireFilter("irna", topic=ECONOMY), NOW, 10).items) == [economy, trade]
    assert ids(wire.wire_page(WireFilter("irna", topic=TRADE), NOW, 10).items) == [trade]  # not broader
    assert ids(wire.wire_page(WireFilter("irna", topic=SPORT), NOW, 10).items) == [sport]


def test_changes_after_a_point_of_the_change_counter(wire: Storage) -> None:
    assert wire.last_item_seq() == 0
    before = push(wire, "tass", "urn:t:1", 0)
    start = wire.last_item_seq()
    assert start > 0
    fresh = push(wire, "azertac", "urn:a:1", 10, language="az")
    push(wire, "irna", "urn:i:1", 20, language="fa")  # own: not a change of IRNA's wire
    push(wire, "tass", "urn:t:1", 30, pub_status=PubStatus.CANCELED)  # a kill is a change
    held = push(wire, "tass", "urn:t:2", 40, embargoed_until=NOW + timedelta(hours=1))
    assert wire.last_item_seq() > start

    changes = wire.wire_changes(WireFilter("irna"), NOW, start, 10)
    assert ids(changes) == [fresh, before]  # oldest change first; the embargoed item is not there
    assert changes[1].pub_status is PubStatus.CANCELED
    assert ids(wire.wire_changes(WireFilter("irna"), NOW, start, 1)) == [fresh]
    assert wire.wire_changes(WireFilter("irna"), NOW, wire.last_item_seq(), 10) == []
    # The time filters do not apply to changes; the others do.
    bounded = WireFilter("irna", member="azertac", until=T0)
    assert ids(wire.wire_changes(bounded, NOW, start, 10)) == [fresh]

    # Released since the last look: the embargoed item, though its counter is older.
    released = NOW + timedelta(hours=2)
    end = wire.last_item_seq()
    assert ids(wire.wire_changes(WireFilter("irna"), released, end, 10)) == []
    assert ids(wire.wire_changes(WireFilter("irna"), released, end, 10, released_after=NOW)) == [held]


def test_killed_takes_of_the_viewer(wire: Storage) -> None:
    kept = push(wire, "tass", "urn:t:1", 0)
    first_killed = push(wire, "tass", "urn:t:2", 10)
    push(wire, "tass", "urn:t:2", 11)  # a correction, taken too
    second_killed = push(wire, "tass", "urn:t:3", 20)
    not_taken = push(wire, "tass", "urn:t:4", 30)
    later = NOW + timedelta(hours=1)
    held = push(wire, "tass", "urn:t:5", 40, embargoed_until=later)
    for item_id, version in ((kept, 1), (first_killed, 1), (first_killed, 2), (second_killed, 1), (held, 1)):
        take(wire, item_id, version)
    take(wire, not_taken, 1, taker="azertac")
    push(wire, "tass", "urn:t:2", 50, pub_status=PubStatus.CANCELED)
    push(wire, "tass", "urn:t:3", 60, pub_status=PubStatus.CANCELED)
    push(wire, "tass", "urn:t:4", 70, pub_status=PubStatus.CANCELED)
    # An item under an embargo that has not ended is not known yet, killed or not.
    push(wire, "tass", "urn:t:5", 80, pub_status=PubStatus.CANCELED, embargoed_until=later)

    found = wire.killed_takes("irna", NOW, 10)
    assert found == [
        KilledTake(second_killed, "tass", "Headline urn:t:3", "ru", T0 + timedelta(minutes=60), 1),
        KilledTake(first_killed, "tass", "Headline urn:t:2", "ru", T0 + timedelta(minutes=50), 2),
    ]
    assert wire.killed_takes("irna", NOW, 1) == found[:1]
    assert [k.item_id for k in wire.killed_takes("azertac", NOW, 10)] == [not_taken]
    assert [k.item_id for k in wire.killed_takes("irna", NOW + timedelta(hours=2), 10)][0] == held
