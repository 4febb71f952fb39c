"""The daily digest: the alliance's joint product, one per interface language and day.

A day is the day of the digest language's time zone (Tehran's for Persian, Moscow's for Russian,
UTC for English). The digest of a day ranks the stories reported on it by corroboration: how many
members reported them independently (verify/corroboration.py: a copy or a take of another member's
report does not count), then by how many items and languages, then the earliest first. Only the
story's items of that day take part, so a past day's digest stays what it was when later reports
join the story. Each story shows its headline in the digest language when a member wrote one (an
independent report first), else the first reporter's headline in its own language, labelled.

Reads: a few pages of `Storage.list_stories` (items already under the reading rules: nothing
embargoed, nothing killed), one read of near-duplicate links and one of takes for all of them, and
the members: never one query per story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tabadol.hub import Hub
from tabadol.types import MemberInfo, Story, StoryItem, Take
from tabadol.verify.corroboration import Corroboration, corroborate
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages.facets import language_label

TOP_STORIES = 15
STORY_BATCH = 100
MAX_SCANNED = 1000  # stories looked at per pass: more than a day of the alliance's joint stories
# Stories are found by their latest item: one reported on the day may have grown for a while after
# it (items join a story within days of each other), so the scan starts this long after the day.
STORY_REACH = timedelta(days=7)
FEED_DAYS = 7


@dataclass(frozen=True, slots=True)
class DigestReporter:
    member: str
    member_name: str
    at: datetime  # its first report of the story that day
    item_id: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestStory:
    story_id: str
    rank: int
    headline: str
    headline_item_id: str
    headline_language: str | None
    headline_language_name: str  # in the digest language
    in_digest_language: bool  # False: the first reporter's headline, in its own language
    independent: int  # members that reported it independently
    reporters: tuple[DigestReporter, ...]  # the independent ones, first reporter first
    republished: int  # items that repeat another member's report (copies, takes)
    item_count: int
    languages: tuple[str, ...]
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Digest:
    language: str
    day: date
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    is_today: bool
    stories: tuple[DigestStory, ...]
    updated: datetime | None  # the newest report in it
    previous_day: date
    next_day: date | None  # None for today: no digest of the future


def local_today(now: datetime, lang: Language) -> date:
    return now.astimezone(lang.zone).date()


def day_range(day: date, lang: Language) -> tuple[datetime, datetime]:
    """The UTC instants a day of the language's time zone starts and ends (exclusive)."""
    start = datetime.combine(day, time(), tzinfo=lang.zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=lang.zone)
    return start, end


def build_digest(hub: Hub, lang: Language, day: date, now: datetime) -> Digest:
    return build_digests(hub, lang, [day], now)[0]


def build_digests(hub: Hub, lang: Language, days: Sequence[date], now: datetime) -> list[Digest]:
    """The digests of several days (the feed's), from one scan of the stories and one read of links."""
    ranges = [day_range(day, lang) for day in days]
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    # Stories of several items first: only they can have several independent reporters, and a busy
    # day has far more single reports than the scan should read. Single reports fill a quiet day.
    stories = stories_of_day(hub, start, end, now, min_items=2)
    if any(sum(1 for s in stories if _within(s, *r) is not None) < TOP_STORIES for r in ranges):
        shared = {story.id for story in stories}
        stories += [s for s in stories_of_day(hub, start, end, now) if s.id not in shared]
    item_ids = [item.id for story in stories for item in story.items]
    copies = hub.storage.near_duplicate_sources(item_ids) if item_ids else {}
    takes = hub.storage.takes_of_items(item_ids) if item_ids else []
    members = {member.code: member for member in hub.storage.list_members()}
    today = local_today(now, lang)
    digests = []
    for day, (start, end) in zip(days, ranges, strict=True):
        of_day = [narrowed for story in stories if (narrowed := _within(story, start, end)) is not None]
        ranked = rank(of_day, copies, takes)[:TOP_STORIES]
        shown = tuple(
            _story(story, corroboration, position, members, lang)
            for position, (story, corroboration) in enumerate(ranked, start=1)
        )
        digests.append(
            Digest(
                language=lang.code,
                day=day,
                start=start,
                end=end,
                is_today=day == today,
                stories=shown,
                updated=max((story.last_at for story in shown), default=None),
                previous_day=day - timedelta(days=1),
                next_day=None if day >= today else day + timedelta(days=1),
            )
        )
    return digests


def stories_of_day(
    hub: Hub, start: datetime, end: datetime, now: datetime, min_items: int = 1
) -> list[Story]:
    """The stories of at least `min_items` items (stored count) with a readable item in
    [start, end), whole (callers narrow them to a day); at most MAX_SCANNED looked at."""
    found: list[Story] = []
    keyset: tuple[datetime, str] | None = (min(end + STORY_REACH, now + timedelta(seconds=1)), "")
    scanned = 0
    while keyset is not None and scanned < MAX_SCANNED:
        batch, keyset = hub.storage.list_stories(STORY_BATCH, keyset, min_items=min_items, now=now)
        scanned += len(batch)
        found.extend(story for story in batch if _within(story, start, end) is not None)
        if keyset is not None and keyset[0] < start:
            break
    return found


def _within(story: Story, start: datetime, end: datetime) -> Story | None:
    """The story reduced to its items of [start, end); None if it has none there."""
    items = tuple(item for item in story.items if start <= item.version_created < end)
    if not items:
        return None
    return Story(
        id=story.id,
        created_at=story.created_at,
        first_seen=min(item.version_created for item in items),
        last_seen=max(item.version_created for item in items),
        item_ids=tuple(item.id for item in items),
        languages=tuple(sorted({item.language for item in items if item.language})),
        members=tuple(sorted({item.member_code for item in items})),
        merged_ids=story.merged_ids,
        items=items,
    )


def rank(
    stories: Sequence[Story], copies: Mapping[str, str], takes: Sequence[Take]
) -> list[tuple[Story, Corroboration]]:
    """Most independently corroborated first; then more items, more languages, earlier."""
    pairs = [(story, corroborate(story.id, story.items, copies, takes)) for story in stories]
    pairs.sort(
        key=lambda pair: (
            -pair[1].count,
            -len(pair[0].items),
            -len(pair[0].languages),
            pair[0].first_seen,
            pair[0].id,
        )
    )
    return pairs


def _story(
    story: Story,
    corroboration: Corroboration,
    position: int,
    members: Mapping[str, MemberInfo],
    lang: Language,
) -> DigestStory:
    chosen, own = headline_item(story.items, corroboration, lang)
    reporters = tuple(
        DigestReporter(
            member=reporter.member,
            member_name=_member_name(members, reporter.member, lang),
            at=reporter.first_at,
            item_id=reporter.first_item_id,
            languages=reporter.languages,
        )
        for reporter in corroboration.independent
    )
    return DigestStory(
        story_id=story.id,
        rank=position,
        headline=chosen.headline,
        headline_item_id=chosen.id,
        headline_language=chosen.language,
        headline_language_name=language_label(chosen.language or "und", lang),
        in_digest_language=own,
        independent=corroboration.count,
        reporters=reporters,
        republished=len(corroboration.republications),
        item_count=len(story.items),
        languages=story.languages,
        first_at=story.first_seen,
        last_at=story.last_seen,
    )


def headline_item(
    items: Sequence[StoryItem], corroboration: Corroboration, lang: Language
) -> tuple[StoryItem, bool]:
    """The item whose headline the digest shows, and whether it is in the digest language: a
    member's own (independent) report in that language first, then any in it, else the first
    reporter's."""
    independent = {item_id for reporter in corroboration.independent for item_id in reporter.item_ids}
    own = [item for item in items if (item.language or "").split("-")[0] == lang.code]
    if own:
        own.sort(key=lambda item: (item.id not in independent, item.version_created, item.id))
        return own[0], True
    first = corroboration.first
    by_id = {item.id: item for item in items}
    chosen = by_id.get(first.first_item_id) if first else None
    return chosen or min(items, key=lambda item: (item.version_created, item.id)), False


def _member_name(members: Mapping[str, MemberInfo], code: str, lang: Language) -> str:
    member = members.get(code)
    return member.name(lang.code) if member else code
