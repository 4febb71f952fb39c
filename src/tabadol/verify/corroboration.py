"""Corroboration: which members reported a story independently, when, in which languages, and who
reported it first.

A member counts as an independent reporter of a story when at least one of its items in the story is
its own: not a near-duplicate of another member's item in the story (the index stage links copies,
with a line added or the tail cut, to their source), and not published after the member's editors
took another member's item of the story (`POST /items/{id}/take`: a take is what republication
looks like, in any language). Such items are listed as republications, with the item they repeat and
how that is known, and do not add to the count.

Times are the items' version times as their senders gave them (what readers see); the first reporter
is the independent member with the earliest. A pure function: the store's reads are the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tabadol.serialize import format_datetime
from tabadol.types import StoryItem, Take


@dataclass(frozen=True, slots=True)
class Reporter:
    member: str
    first_item_id: str
    first_at: datetime
    languages: tuple[str, ...]
    item_ids: tuple[str, ...]  # its own items in the story, oldest first


@dataclass(frozen=True, slots=True)
class Republication:
    item_id: str
    member: str
    source_item_id: str
    source_member: str
    via: str  # "near_duplicate" or "take"


@dataclass(frozen=True, slots=True)
class Corroboration:
    story_id: str | None
    independent: tuple[Reporter, ...]  # earliest first
    republications: tuple[Republication, ...]

    @property
    def count(self) -> int:
        return len(self.independent)

    @property
    def first(self) -> Reporter | None:
        return self.independent[0] if self.independent else None


def corroborate(
    story_id: str | None,
    items: Sequence[StoryItem],
    copies: Mapping[str, str],
    takes: Sequence[Take],
) -> Corroboration:
    """`copies`: item id -> the item it is a near-duplicate of; `takes`: takes of the story's items."""
    by_id = {item.id: item for item in items}
    republished: dict[str, Republication] = {}
    for item in items:
        source = by_id.get(copies.get(item.id, ""))
        if source is not None and source.member_code != item.member_code:
            republished[item.id] = Republication(
                item.id, item.member_code, source.id, source.member_code, "near_duplicate"
            )
    for take in sorted(takes, key=lambda take: take.taken_at):
        if take.item_id not in by_id or take.taker_member == take.source_member:
            continue
        for item in items:
            after_take = item.version_created >= take.taken_at
            if item.member_code == take.taker_member and item.id not in republished and after_take:
                republished[item.id] = Republication(
                    item.id, item.member_code, take.item_id, take.source_member, "take"
                )
    own: dict[str, list[StoryItem]] = {}
    for item in sorted(items, key=lambda item: (item.version_created, item.id)):
        if item.id not in republished:
            own.setdefault(item.member_code, []).append(item)
    reporters = [
        Reporter(
            member=member,
            first_item_id=mine[0].id,
            first_at=mine[0].version_created,
            languages=tuple(dict.fromkeys(item.language or "und" for item in mine)),
            item_ids=tuple(item.id for item in mine),
        )
        for member, mine in own.items()
    ]
    reporters.sort(key=lambda reporter: (reporter.first_at, reporter.member))
    ordered = tuple(sorted(republished.values(), key=lambda entry: entry.item_id))
    return Corroboration(story_id, tuple(reporters), ordered)


def corroboration_json(corroboration: Corroboration) -> dict[str, Any]:
    first = corroboration.first
    return {
        "count": corroboration.count,
        "first": None if first is None else {"member": first.member, "item_id": first.first_item_id},
        "independent": [
            {
                "member": reporter.member,
                "first_item_id": reporter.first_item_id,
                "first_at": format_datetime(reporter.first_at),
                "languages": list(reporter.languages),
                "item_ids": list(reporter.item_ids),
            }
            for reporter in corroboration.independent
        ],
        "republications": [
            {
                "item_id": entry.item_id,
                "member": entry.member,
                "source_item_id": entry.source_item_id,
                "source_member": entry.source_member,
                "via": entry.via,
            }
            for entry in corroboration.republications
        ],
    }
