"""Stories in the store (both backends): new, join, merge (the oldest survives and merged ids keep
resolving), leaving a story, and the readable view (embargoed and killed items left out)."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.storage import index
from tabadol.types import IndexEntry, utc_now


def item(hub: Hub, guid: str, **extra: object) -> str:
    document = {
        "uri": guid,
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": guid}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "body"}],
        **extra,
    }
    report = hub.ingest_payload("tass", json.dumps(document).encode(), "application/ninjs+json", via="cli")
    return report.outcomes[0].item_id


def place(hub: Hub, item_id: str, story_id: str | None, merge: tuple[str, ...] = ()) -> str:
    now = utc_now()
    entry = IndexEntry(item_id, 1, "test", "tass", "en", now, np.ones(384, dtype=np.float32) / np.sqrt(384))
    with hub.storage.index_transaction() as connection:
        index.save_entry(connection, entry)
        return index.put_in_story(connection, item_id, story_id, merge, 5.0, now, now)


def test_new_join_and_merge(hub: Hub) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    a, b, c, d = (item(hub, f"urn:t:{n}") for n in "abcd")
    first = place(hub, a, None)
    second = place(hub, b, None)
    assert first != second
    assert place(hub, c, first) == first
    bridged = place(hub, d, second, merge=(first,))
    assert bridged == first  # the older story survives
    survivor = hub.storage.get_story(second)  # the merged id answers with the survivor
    assert survivor is not None and survivor.id == first
    assert set(survivor.item_ids) == {a, b, c, d} and survivor.merged_ids == (second,)
    stories, _ = hub.storage.list_stories(10)
    assert [s.id for s in stories] == [first]
    assert hub.storage.story_ids_of([a, b, c, d]) == dict.fromkeys([a, b, c, d], first)


def test_moving_an_item_and_the_readable_view(hub: Hub) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    later = format_datetime(utc_now() + timedelta(hours=1))
    a = item(hub, "urn:t:a")
    b = item(hub, "urn:t:b", embargoedUntil=later)
    story = place(hub, a, None)
    place(hub, b, story)
    view = hub.storage.get_story(story)
    assert view is not None and view.item_ids == (a,)  # b is under embargo
    after = hub.storage.get_story(story, now=utc_now() + timedelta(hours=2))
    assert after is not None and set(after.item_ids) == {a, b}
    hub.kill_item(a, OPERATOR)
    assert hub.storage.get_story(story) is None  # nothing readable left now
    other = place(hub, b, None)  # re-clustered: b leaves the story it was in
    assert other != story and hub.storage.story_ids_of([b]) == {b: other}
