"""What the public pages show, gathered from the hub: frozen records a template renders and the
`.json` twin returns as they are.

Names are given in the reader's language where the hub knows them: members have names per
language, countries their CLDR names, IPTC Media Topics the taxonomy's eight-language labels.
Agency text (headlines, bodies) is never translated here: it keeps its language, with `lang` and a
direction, and a machine translation is shown only when the operator configured a backend, always
labelled as one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from babel import Locale

from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.hub import Hub
from tabadol.types import MemberInfo, Story, StoryItem
from tabadol.verify.corroboration import Corroboration, corroborate
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages import public_data as data
from tabadol.web.portal.pages.public_places import country_name, country_order

# Languages written right to left, by primary subtag (the members' and their neighbours').
RTL_LANGUAGES = frozenset({"fa", "ar", "ur", "he", "ps", "ckb", "ug", "yi", "dv", "sd"})
# A child topic names a story instead of its parent when it carries at least this share of it.
CHILD_TOPIC_SHARE = 0.5


def primary(tag: str | None) -> str:
    return (tag or "").split("-")[0].lower()


def direction(tag: str | None) -> str:
    """The writing direction of text in `tag`: rtl, ltr, or auto when the language is unknown."""
    code = primary(tag)
    if not code or code == "und":
        return "auto"
    if code in RTL_LANGUAGES or "-Arab" in (tag or ""):
        return "rtl"
    return "ltr"


# -- names in the reader's language ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberRef:
    code: str
    name: str
    country: str


@dataclass(frozen=True, slots=True)
class TopicRef:
    code: str  # "medtop:20000256"
    slug: str  # "20000256": the topic page's address
    label: str
    parent: str | None  # the parent's slug


@dataclass(frozen=True, slots=True)
class LanguageRef:
    code: str  # primary subtag
    name: str  # in the interface's language (CLDR)


@dataclass(frozen=True, slots=True)
class CountryRef:
    code: str  # ISO 3166-1 alpha-2
    name: str


class Names:
    """Members, topics and countries named in one interface language (members read once)."""

    def __init__(self, hub: Hub, lang: Language) -> None:
        self.lang = lang
        self._members: dict[str, MemberInfo] = {m.code: m for m in hub.storage.list_members()}

    def member(self, code: str) -> MemberRef:
        found = self._members.get(code)
        if found is None:
            return MemberRef(code, code, "")
        return MemberRef(code, found.name(self.lang.code), found.country)

    def members(self) -> list[MemberInfo]:
        return list(self._members.values())

    def topic(self, code: str) -> TopicRef | None:
        return topic_ref(code, self.lang.code)

    def country(self, code: str) -> CountryRef:
        return CountryRef(code, country_name(code, self.lang.locale))

    def language(self, tag: str | None) -> LanguageRef:
        code = primary(tag) or "und"
        return LanguageRef(code, language_name(code, self.lang.locale))


@cache
def _language_names(locale: str) -> Mapping[str, str]:
    return dict(Locale.parse(locale).languages)


def language_name(code: str, locale: str) -> str:
    return _language_names(locale).get(code) or _language_names("en").get(code) or code


def topic_slug(code: str) -> str:
    return code.removeprefix("medtop:")


def topic_ref(code: str, language: str) -> TopicRef | None:
    try:
        topic = iptc_taxonomy().topic(code)
    except KeyError:
        return None
    parent = topic_slug(topic.parent) if topic.parent else None
    return TopicRef(topic.code, topic_slug(topic.code), topic.label_in(language), parent)


def topic_code(slug: str) -> str | None:
    """`20000256` or `medtop:20000256` -> the taxonomy's code, or None when there is no such topic."""
    code = slug if slug.startswith("medtop:") else f"medtop:{slug}"
    return code if code in iptc_taxonomy().codes else None


@cache
def topic_children() -> Mapping[str, tuple[str, ...]]:
    children: dict[str, list[str]] = {}
    for topic in iptc_taxonomy().topics:
        if topic.parent:
            children.setdefault(topic.parent, []).append(topic.code)
    return {code: tuple(found) for code, found in children.items()}


def topic_with_descendants(code: str) -> list[str]:
    out = [code]
    for child in topic_children().get(code, ()):
        out.extend(topic_with_descendants(child))
    return out


def main_topic(scores: Mapping[str, float]) -> str | None:
    """The topic that names a group of items: the best top-level topic, then down the tree while a
    child carries most of its parent's score (a parent's score includes its children's, so
    "transport" names a story that is mostly about transport, "economy, business" one that is not)."""
    parents = {topic.code: topic.parent for topic in iptc_taxonomy().topics}
    tops = [code for code in scores if code in parents and parents[code] is None]
    if not tops:
        return max(scores, key=lambda code: scores[code]) if scores else None
    best = max(tops, key=lambda code: (scores[code], code))
    while True:
        children = [c for c in topic_children().get(best, ()) if scores.get(c, 0.0) > 0]
        if not children:
            return best
        child = max(children, key=lambda code: (scores[code], code))
        if scores[child] < CHILD_TOPIC_SHARE * scores[best]:
            return best
        best = child


# -- stories --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Headline:
    item_id: str
    text: str
    language: str | None
    dir: str
    in_reader_language: bool


@dataclass(frozen=True, slots=True)
class StoryCard:
    id: str
    headline: Headline
    members: tuple[MemberRef, ...]
    languages: tuple[LanguageRef, ...]
    independent: int  # members that reported it independently
    first_member: MemberRef | None
    first_at: datetime
    last_at: datetime
    item_count: int
    topic: TopicRef | None
    countries: tuple[CountryRef, ...]


def corroborations(hub: Hub, stories: Sequence[Story]) -> dict[str, Corroboration]:
    """Each story's corroboration; only stories with several members need the store's links and
    takes (a single member is one independent reporter whatever it republished)."""
    several = [story for story in stories if len(story.members) > 1]
    item_ids = [item.id for story in several for item in story.items]
    copies = hub.storage.near_duplicate_sources(item_ids) if item_ids else {}
    takes = hub.storage.takes_of_items(item_ids) if item_ids else []
    return {story.id: corroborate(story.id, story.items, copies, takes) for story in stories}


def choose_headline(items: Sequence[StoryItem], corroboration: Corroboration, lang: Language) -> Headline:
    """The reader's language when a member wrote in it (an independent report first), else the first
    reporter's headline in its own language."""
    independent = {item_id for reporter in corroboration.independent for item_id in reporter.item_ids}
    own = [item for item in items if primary(item.language) == lang.code]
    own.sort(key=lambda item: (item.id not in independent, item.version_created, item.id))
    first = corroboration.first
    by_id = {item.id: item for item in items}
    reported_first = by_id.get(first.first_item_id) if first else None
    chosen = own[0] if own else reported_first or min(items, key=lambda item: (item.version_created, item.id))
    return Headline(chosen.id, chosen.headline, chosen.language, direction(chosen.language), bool(own))


def cards_for(hub: Hub, ranked: Sequence[tuple[Story, Corroboration]], names: Names) -> list[StoryCard]:
    """Cards for stories already ranked, in that order (enrichment read for these stories only)."""
    facets = data.facets_of(hub.storage, [item.id for story, _ in ranked for item in story.items])
    return [_card(story, corroboration, facets, names) for story, corroboration in ranked]


def _card(
    story: Story, corroboration: Corroboration, facets: Mapping[str, data.ItemFacets], names: Names
) -> StoryCard:
    scores: dict[str, float] = {}
    country_counts: dict[str, int] = {}
    for item in story.items:
        found = facets.get(item.id)
        if found is None:
            continue
        for code, score in found.topics:
            scores[code] = scores.get(code, 0.0) + score
        for code in found.countries:
            country_counts[code] = country_counts.get(code, 0) + 1
    topic = main_topic(scores)
    first = corroboration.first
    return StoryCard(
        id=story.id,
        headline=choose_headline(story.items, corroboration, names.lang),
        members=tuple(names.member(code) for code in _members_in_order(story, corroboration)),
        languages=tuple(
            names.language(code)
            for code in sorted({primary(item.language) for item in story.items if item.language})
        ),
        independent=corroboration.count,
        first_member=names.member(first.member) if first else None,
        first_at=story.first_seen,
        last_at=story.last_seen,
        item_count=len(story.items),
        topic=names.topic(topic) if topic else None,
        countries=tuple(names.country(code) for code in country_order(list(country_counts), country_counts)),
    )


def _members_in_order(story: Story, corroboration: Corroboration) -> list[str]:
    ordered = [reporter.member for reporter in corroboration.independent]
    return ordered + [code for code in story.members if code not in ordered]


# -- the home page ----------------------------------------------------------------------------------

FIRST_CANDIDATES = 100  # stories of a day whose corroboration is worked out before ranking


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    is_today: bool


def day_window(day: date, lang: Language, today: date) -> Day:
    """The day as the reader's interface keeps time (Tehran's day in Persian, Moscow's in Russian)."""
    start = datetime.combine(day, time(), tzinfo=lang.zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=lang.zone).astimezone(UTC)
    return Day(day, start, end, day == today)


def local_today(now: datetime, lang: Language) -> date:
    return now.astimezone(lang.zone).date()


def latest_story_day(hub: Hub, before: datetime, now: datetime, lang: Language) -> date | None:
    """The (reader's) day of the latest readable report in a story, before `before`, if any."""
    found = data.latest_story_activity(hub.storage, before, now)
    return found.astimezone(lang.zone).date() if found is not None else None


@dataclass(frozen=True, slots=True)
class RankedDay:
    stories: tuple[tuple[Story, Corroboration], ...]  # the first `wanted`, ranked
    total: int  # stories active that day


def _rank_key(story: Story, corroboration: Corroboration) -> tuple[int, int, float, str]:
    return (-corroboration.count, -len(story.members), -story.last_seen.timestamp(), story.id)


def rank_day(hub: Hub, window: Day, now: datetime, wanted: int) -> RankedDay:
    """The day's `wanted` most corroborated stories, in order (then more members, then most recent).

    Corroboration needs a story's items, links and takes, so it is worked out for the stories that
    can rank high only: a story's count is at most its number of members, so candidates are taken
    by members, and more are taken until no story left out could outrank the last one wanted.
    """
    day = data.stories_in_window(hub.storage, window.start, window.end, now)
    day.sort(key=lambda s: (-s.members, -s.last.timestamp(), s.id))
    size = max(FIRST_CANDIDATES, 2 * wanted)
    while True:
        candidates = day[:size]
        loaded = data.stories_by_id(hub.storage, [s.id for s in candidates], now)
        stories = [loaded[s.id] for s in candidates if s.id in loaded]
        found = corroborations(hub, stories)
        ranked = sorted(((story, found[story.id]) for story in stories), key=lambda p: _rank_key(*p))
        if size >= len(day) or _settled(ranked, wanted, day[size].members):
            return RankedDay(tuple(ranked[:wanted]), len(day))
        size *= 2


def _settled(ranked: list[tuple[Story, Corroboration]], wanted: int, best_left_out: int) -> bool:
    # A story left out has at most `best_left_out` members, hence at most that corroboration and at
    # most that many members: the last story wanted must beat it on corroboration.
    if len(ranked) < wanted:
        return False
    return ranked[wanted - 1][1].count > best_left_out


@dataclass(frozen=True, slots=True)
class TopicSection:
    topic: TopicRef | None  # None: stories whose topics are not known yet
    stories: tuple[StoryCard, ...]


@dataclass(frozen=True, slots=True)
class StoryLink:
    id: str
    headline: Headline
    independent: int


@dataclass(frozen=True, slots=True)
class CountrySection:
    country: CountryRef
    stories: tuple[StoryLink, ...]


def by_topic(cards: Sequence[StoryCard]) -> list[TopicSection]:
    """Sections in the order of their best story; stories keep their rank inside."""
    groups: dict[str | None, list[StoryCard]] = {}
    for card in cards:
        groups.setdefault(card.topic.code if card.topic else None, []).append(card)
    known = [code for code in groups if code is not None]
    sections = [TopicSection(groups[code][0].topic, tuple(groups[code])) for code in known]
    if None in groups:
        sections.append(TopicSection(None, tuple(groups[None])))
    return sections


def by_country(cards: Sequence[StoryCard]) -> list[CountrySection]:
    groups: dict[str, list[StoryCard]] = {}
    refs: dict[str, CountryRef] = {}
    for card in cards:
        for country in card.countries:
            groups.setdefault(country.code, []).append(card)
            refs[country.code] = country
    order = country_order(list(groups), {code: len(found) for code, found in groups.items()})
    return [
        CountrySection(refs[code], tuple(StoryLink(c.id, c.headline, c.independent) for c in groups[code]))
        for code in order
    ]


# -- items -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemLine:
    """An item in a list: its headline in its own language, its member and time."""

    id: str
    headline: str
    language: str | None
    language_name: str
    dir: str
    member: MemberRef
    at: datetime
    version: int


def item_lines(rows: Sequence[data.ItemRow], names: Names) -> list[ItemLine]:
    return [
        ItemLine(
            row.id,
            row.headline,
            row.language,
            names.language(row.language).name,
            direction(row.language),
            names.member(row.member),
            row.at,
            row.version,
        )
        for row in rows
    ]


def paragraphs(text: str) -> list[str]:
    """Plain agency text as paragraphs: blank lines separate them, or single lines when there are none."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    blocks = [block for block in blocks if block]
    if len(blocks) <= 1 and text.count("\n") > 1:
        blocks = [line.strip() for line in text.splitlines() if line.strip()]
    return blocks


def page_number(raw: str | None) -> int:
    try:
        value = int(raw or "1")
    except ValueError:
        return 1
    return max(1, min(value, 1000))
