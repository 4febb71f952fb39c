"""Corroboration of a story (pure): independent members counted once each, earliest first; copies and
items published after a take of another member's item are republications, not corroboration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tabadol.types import PubStatus, StoryItem, Take
from tabadol.verify.corroboration import corroborate, corroboration_json

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def item(item_id: str, member: str, language: str, minutes: int) -> StoryItem:
    return StoryItem(
        item_id, member, language, f"headline {item_id}", T0 + timedelta(minutes=minutes), PubStatus.USABLE
    )


def take(item_id: str, source: str, taker: str, minutes: int) -> Take:
    return Take(item_id, 1, source, taker, None, "fa", "kk", True, T0 + timedelta(minutes=minutes))


ITEMS = [
    item("i1", "irna", "fa", 0),
    item("a1", "azertac", "az", 2),
    item("t1", "tass", "ru", 5),
    item("t2", "tass", "ru", 7),  # tass's own follow-up: still one reporter
    item("b1", "aa", "tr", 9),  # a copy of azertac's item: republication
    item("k0", "kazinform", "kk", 12),  # before its take: its own report
    item("k1", "kazinform", "kk", 20),  # after taking IRNA's item: republication
]


def test_independent_members_republications_and_the_first_reporter() -> None:
    found = corroborate("st1", ITEMS, {"b1": "a1", "t2": "t1"}, [take("i1", "irna", "kazinform", 15)])
    assert found.count == 4
    assert [reporter.member for reporter in found.independent] == ["irna", "azertac", "tass", "kazinform"]
    assert found.first is not None and (found.first.member, found.first.first_item_id) == ("irna", "i1")
    tass = next(reporter for reporter in found.independent if reporter.member == "tass")
    assert tass.item_ids == ("t1", "t2")  # a copy of its own item is not a republication
    assert {(entry.item_id, entry.source_item_id, entry.via) for entry in found.republications} == {
        ("b1", "a1", "near_duplicate"),
        ("k1", "i1", "take"),
    }
    document = corroboration_json(found)
    assert document["count"] == 4 and document["first"] == {"member": "irna", "item_id": "i1"}


def test_a_member_whose_items_are_all_republications_does_not_count() -> None:
    found = corroborate("st1", ITEMS[:2] + [item("b1", "aa", "tr", 9)], {"b1": "a1"}, [])
    assert [reporter.member for reporter in found.independent] == ["irna", "azertac"]
    alone = corroborate(None, [item("x", "irna", "fa", 0)], {}, [])
    assert alone.count == 1 and alone.republications == ()
    assert corroborate(None, [], {}, []).first is None


def test_takes_that_do_not_make_republications() -> None:
    items = [item("i1", "irna", "fa", 0), item("k1", "kazinform", "kk", 5)]
    later = corroborate("s", items, {}, [take("i1", "irna", "kazinform", 30)])  # taken after it reported
    own = corroborate("s", items, {}, [take("i1", "irna", "irna", 1)])  # a member taking its own item
    outside = corroborate("s", items, {}, [take("zz", "irna", "kazinform", 1)])  # an item not in the story
    for found in (later, own, outside):
        assert found.count == 2 and found.republications == ()
