"""The public pages' batched reads (storage/portal.py): items and list rows by id and by member under
the public reading rule (embargo at `now`, kills), the stories of a window and the kills still linked
to a story, and the versions and machine translations of several items at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from storage_helpers import T0, add_member, build_request

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import index
from tabadol.storage.base import Storage
from tabadol.storage.portal import DayStory, ItemRow
from tabadol.types import IndexEntry, ParsedItem, PubStatus

NOW = T0 + timedelta(days=1)
LATER = NOW + timedelta(hours=1)  # the end of the embargo below


def push(storage: Storage, member: str, guid: str, minutes: int, **fields: Any) -> str:
    """An item of `member` (or a new version of it) sent `minutes` after T0."""
    at = T0 + timedelta(minutes=minutes)
    item = ParsedItem(
        guid=guid,
        headline=f"Headline {guid} {minutes}",
        body_text=f"Body {minutes}.",
        source_format="ninjs",
        language="ru",
        version_created=at,
        **fields,
    )
    return storage.ingest(build_request(member, item, received_at=at)).outcomes[0].item_id


def place(storage: Storage, item_id: str, story_id: str | None) -> str:
    """The item in `story_id` (None: a new story), as the index stage puts it."""
    item = storage.get_item(item_id)
    assert item is not None
    at = item.version_created
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    entry = IndexEntry(item_id, 1, "test", "tass", "ru", at, vector)
    with storage.index_transaction() as connection:
        index.save_entry(connection, entry)
        return index.put_in_story(connection, item_id, story_id, (), 5.0, at, at)


@pytest.fixture
def store(storage: Storage) -> Storage:
    add_member(storage, "tass", "RU", ("ru",))
    add_member(storage, "azertac", "AZ", ("az",))
    return storage


@pytest.fixture
def three(store: Storage) -> tuple[str, str, str]:
    """A usable item (corrected once), a killed one and one under embargo until LATER."""
    usable = push(store, "tass", "urn:t:1", 0)
    push(store, "tass", "urn:t:1", 5)
    killed = push(store, "tass", "urn:t:2", 10)
    push(store, "tass", "urn:t:2", 15, pub_status=PubStatus.CANCELED)
    held = push(store, "azertac", "urn:a:1", 20, embargoed_until=LATER)
    return usable, killed, held


def test_items_and_rows_by_id_follow_the_reading_rule(store: Storage, three: tuple[str, str, str]) -> None:
    usable, killed, held = three
    asked = [usable, killed, held, "unknown", usable]

    found = store.readable_items(asked, NOW)
    assert list(found) == [usable]
    assert found[usable].version == 2 and found[usable].body_text == "Body 5."
    assert set(store.readable_items(asked, LATER)) == {usable, held}

    rows = store.readable_item_rows(asked, NOW)
    assert rows == {usable: ItemRow(usable, "tass", "ru", "Headline urn:t:1 5", T0 + timedelta(minutes=5), 2)}
    assert set(store.readable_item_rows(asked, LATER)) == {usable, held}
    assert store.readable_items([], NOW) == {} and store.readable_item_rows([], NOW) == {}


def test_rows_by_member_newest_first_in_pages(store: Storage, three: tuple[str, str, str]) -> None:
    usable, _, held = three
    more = [push(store, "tass", f"urn:t:more-{n}", 30 + n) for n in range(3)]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = store.item_rows_page(NOW, 2, cursor, member="tass")
        assert len(page.rows) <= 2
        seen += [row.id for row in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [*reversed(more), usable]  # the killed item is not there
    everyone = store.item_rows_page(LATER, 10)
    assert [row.id for row in everyone.rows] == [*reversed(more), held, usable]
    assert everyone.next_cursor is None
    assert store.item_rows_page(NOW, 10, member="azertac").rows == ()  # its only item is embargoed
    with pytest.raises(TabadolError) as raised:
        store.item_rows_page(NOW, 2, "not-a-cursor")
    assert raised.value.code is ErrorCode.INVALID_CURSOR


def test_stories_of_a_window_and_their_kills(store: Storage) -> None:
    first = push(store, "tass", "urn:t:1", 0)
    second = push(store, "azertac", "urn:a:1", 30)
    third = push(store, "tass", "urn:t:2", 40)
    held = push(store, "tass", "urn:t:3", 50, embargoed_until=LATER)
    story = place(store, first, None)
    for item_id in (second, third, held):
        place(store, item_id, story)
    lone = push(store, "tass", "urn:t:9", 24 * 60 + 30)  # the next day
    other = place(store, lone, None)

    day = (T0, T0 + timedelta(days=1))
    # Counted from the readable items: the embargoed one is not (its time is not the story's last).
    assert store.stories_in_window(*day, NOW) == [DayStory(story, 2, 3, T0 + timedelta(minutes=40))]
    assert store.stories_in_window(*day, LATER) == [DayStory(story, 2, 4, T0 + timedelta(minutes=50))]
    assert [s.id for s in store.stories_in_window(T0 + timedelta(days=1), T0 + timedelta(days=2), LATER)] == [
        other
    ]
    assert store.latest_story_activity(T0 + timedelta(days=1), NOW) == T0 + timedelta(minutes=40)
    assert store.latest_story_activity(T0, NOW) is None

    stories = store.readable_stories([story, other, "unknown"], NOW)
    assert set(stories) == {story, other} and set(stories[story].item_ids) == {first, second, third}

    assert store.kills_in_story(story, NOW) == []
    push(store, "tass", "urn:t:2", 45, pub_status=PubStatus.CANCELED)  # not yet taken out by the index
    push(store, "tass", "urn:t:3", 55, pub_status=PubStatus.CANCELED, embargoed_until=LATER)
    assert store.kills_in_story(story, NOW) == [("tass", T0 + timedelta(minutes=45))]
    assert sorted(store.kills_in_story(story, LATER)) == [
        ("tass", T0 + timedelta(minutes=45)),
        ("tass", T0 + timedelta(minutes=55)),
    ]
    assert store.stories_in_window(*day, NOW) == [DayStory(story, 2, 2, T0 + timedelta(minutes=30))]


def test_versions_and_translations_of_several_items(store: Storage, three: tuple[str, str, str]) -> None:
    usable, killed, _ = three
    versions = store.versions_of_items([usable, killed, "unknown"])
    assert [(v.version, v.received_at) for v in versions[usable]] == [(1, T0), (2, T0 + timedelta(minutes=5))]
    assert versions[usable][1].parsed["headline"] == "Headline urn:t:1 5"
    assert [v.version for v in versions[killed]] == [1, 2]  # no reading rule here: the caller's
    assert versions["unknown"] == []

    def translation(target: str, headline: str) -> dict[str, Any]:
        return {
            "target_language": target,
            "source_language": "ru",
            "backend": "test",
            "model_id": "m1",
            "headline": headline,
            "body": "body",
            "created_at": NOW,
        }

    store.save_translation(usable, 1, translation("fa", "old"))
    store.save_translation(usable, 2, translation("fa", "head"))
    store.save_translation(usable, 2, translation("en", "english"))
    store.save_translation(killed, 1, translation("fa", "not the head"))

    found = store.translations_of_heads([(usable, 2), (killed, 2)], "fa")
    assert list(found) == [usable]  # the killed item has none of its head version
    assert found[usable]["headline"] == "head" and found[usable]["item_version"] == 2
    assert found[usable]["created_at"] == NOW
    assert store.translations_of_heads([(usable, 2)], "az") == {}
