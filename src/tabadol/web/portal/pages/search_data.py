"""The search page's query: items found by their words, by their meaning across languages, or both,
with filters and the counts of each filter's values (facets).

What runs, whatever the size of the store (a handful of queries, none per hit):
1. words: `Storage.match_heads` with every word of the query as a substring of the search text
   (enrich.normalize: letter variants, digits, case and marks do not matter), newest first, at most
   WORD_CANDIDATES; light rows only.
2. meaning: the query embedded as the items are (multilingual e5, as a query; the last queries'
   vectors are remembered), the NEAREST nearest items (`Storage.neighbours`: ids, members and cosines,
   any language), kept when similar enough (SEMANTIC_FLOOR), all on another thread while 1. and 3.
   run; then those the words did not match checked against the same filters and reading rules in one
   `match_heads` over their ids.
3. while 2. is still running, what the word matches alone decide: their topics and countries
   (`Storage.item_facets`), the topic and country filters applied to them, their facet values counted;
4. after 2., the same for the neighbours the words did not match; the two lists fused by reciprocal
   rank (as the API's hybrid search), and only the page shown read in full (`Storage.get_items`).
Nothing more is done ahead in 3.: reading the items of the page the words alone would show (and their
snippets) took CPU from the query's embedding, which uses both cores of a small machine, and made the
query slower on the whole (bench/portal.py's store at 100,000 items, SQLite, the two ways alternating
over 80 queries each: p50/p95 44/52 ms with it, 40/47 without).
The counts are over the candidates: every word match up to WORD_CANDIDATES (the page says when the
words matched more) and the semantic neighbours above the floor.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from tabadol.enrich.embed import query_vector
from tabadol.enrich.normalize import normalize_for_search
from tabadol.hub import Hub
from tabadol.storage.search import ItemHead
from tabadol.types import Item, ItemQuery, MemberInfo, PubStatus
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages.facets import (
    CASPIAN,
    ItemFacetRows,
    country_label,
    item_countries,
    item_topics,
    language_label,
    topic_label,
)

PAGE_SIZE = 20
WORD_CANDIDATES = 500
NEAREST = 60
# Cosine (e5 query against passage) at or above which a neighbour counts as found by its meaning.
# Measured on the FLORES articles: a Persian headline against its Russian and Azerbaijani article
# scores 0.81 or more (5th percentile), against the other articles at most 0.81 (99th percentile 0.807).
SEMANTIC_FLOOR = 0.80
RRF_K = 60  # reciprocal-rank fusion constant, as the API's hybrid search
# Threads finding the query's meaning (embedding, nearest neighbours) while the request's thread
# matches the words: the C engine, numpy's product and the database drivers release the GIL, so on two
# cores the ~30 ms of the meaning mostly hide the word match's time. A few threads, not one: requests
# running at once should not queue behind each other's neighbour search (the embedding itself is one at
# a time: enrich.embed).
_MEANING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-meaning")
MAX_QUERY_CHARS = 500
FACET_VALUES = 12  # values listed per facet (the selected ones always are)
SNIPPET_BEFORE = 12  # words of context before the first match
SNIPPET_WORDS = 40
MODES = ("both", "words", "meaning")
# A phrase in straight, guillemet or curly quotes ("...", «...», “...”) is one term; a word is another.
_PHRASE = re.compile(r'"([^"]+)"|«([^»]+)»|“([^”]+)”|(\S+)')
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the reader asked for, read from the query string."""

    q: str = ""
    mode: str = "both"
    languages: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    page: int = 1

    @property
    def filtered(self) -> bool:
        return bool(
            self.languages or self.members or self.topics or self.countries or self.since or self.until
        )

    def params(self) -> list[tuple[str, str]]:
        """The form as query parameters (page left out: a changed search starts on page 1)."""
        out: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        if self.mode != "both":
            out.append(("mode", self.mode))
        out += [("language", v) for v in self.languages] + [("member", v) for v in self.members]
        out += [("topic", v) for v in self.topics] + [("country", v) for v in self.countries]
        if self.since:
            out.append(("from", self.since.isoformat()))
        if self.until:
            out.append(("to", self.until.isoformat()))
        return out


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    query: str  # the query string with this value toggled
    day: date | None = None  # the day facet's values, for the page to write as a date


@dataclass(frozen=True, slots=True)
class Facet:
    name: str  # language | member | topic | country | day
    values: tuple[FacetValue, ...]


@dataclass(frozen=True, slots=True)
class SnippetPart:
    text: str
    match: bool


@dataclass(frozen=True, slots=True)
class Hit:
    item_id: str
    headline: str
    language: str | None
    language_name: str  # in the interface's language
    member: str
    member_name: str
    at: datetime
    snippet: tuple[SnippetPart, ...]
    by_words: bool
    by_meaning: bool
    similarity: float | None


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    hits: tuple[Hit, ...]
    total: int
    words_capped: bool  # the words matched more items than were counted
    facets: tuple[Facet, ...]
    page: int
    pages: int
    queries: dict[str, str]  # prev / next page query strings


@dataclass(frozen=True, slots=True)
class _Candidate:
    head: ItemHead
    word_rank: int | None = None
    meaning_rank: int | None = None
    similarity: float | None = None

    @property
    def score(self) -> float:
        ranks = (self.word_rank, self.meaning_rank)
        return sum(1.0 / (RRF_K + rank) for rank in ranks if rank is not None)


def terms_of(q: str) -> tuple[str, ...]:
    """The words (and "quoted phrases") of a query, each of which a word match must contain."""
    found = ["".join(groups) for groups in _PHRASE.findall(q)]
    return tuple(dict.fromkeys(term.strip() for term in found if term.strip(' "«»“”')))


def day_bounds(day: date, lang: Language) -> tuple[datetime, datetime]:
    """The instants a day of the interface's time zone begins and ends (in UTC)."""
    start = datetime.combine(day, time.min, lang.zone)
    return start, start + timedelta(days=1) - timedelta(microseconds=1)


def search(
    hub: Hub, form: SearchForm, lang: Language, now: datetime, members: Sequence[MemberInfo]
) -> SearchOutcome:
    """The page of results the form asks for; `members`: every member (the page has read them)."""
    base = ItemQuery(
        member_codes=form.members,
        languages=form.languages,
        since=day_bounds(form.since, lang)[0] if form.since else None,
        until=day_bounds(form.until, lang)[1] if form.until else None,
        pub_statuses=(PubStatus.USABLE,),
        now=now,
    )
    terms = terms_of(form.q)
    candidates: dict[str, _Candidate] = {}
    capped = False
    about: dict[str, ItemFacetRows] = {}
    tally = _Tally(lang.zone)
    # The meaning's neighbours are looked for while the words are matched (see _MEANING).
    near: Future[dict[str, float]] | None = None
    if form.q and form.mode in ("both", "meaning"):
        near = _MEANING.submit(_nearest, hub, form.q, base)
    if form.mode in ("both", "words") or not form.q:
        heads = hub.storage.match_heads(base, terms, WORD_CANDIDATES + 1)
        capped = len(heads) > WORD_CANDIDATES
        for rank, head in enumerate(heads[:WORD_CANDIDATES], start=1):
            candidates[head.id] = _Candidate(head, word_rank=rank)
        # The word matches' facets are read and counted while the meaning is still being found. Not
        # the items of the page the words alone would show: on two cores that work slowed the query's
        # embedding beside it more than it saved afterwards (see the module's docstring).
        about.update(_facets_of(hub, list(candidates)))
        tally.add((c for c in candidates.values() if _passes(about.get(c.head.id, {}), form)), about)
    if near is not None:
        for rank, (head, similarity) in enumerate(_by_meaning(hub, near.result(), base, candidates), start=1):
            known = candidates.get(head.id, _Candidate(head))
            candidates[head.id] = replace(known, meaning_rank=rank, similarity=round(similarity, 4))
        found = [c for c in candidates.values() if c.word_rank is None]  # the words did not match these
        about.update(_facets_of(hub, [c.head.id for c in found]))
        tally.add((c for c in found if _passes(about.get(c.head.id, {}), form)), about)
    kept = [c for c in candidates.values() if _passes(about.get(c.head.id, {}), form)]
    kept.sort(key=lambda c: (-c.score, -c.head.version_created.timestamp(), c.head.id))
    by_code = {member.code: member for member in members}
    shown, page, pages = _page_of(kept, form.page)
    items = hub.storage.get_items([c.head.id for c in shown])
    hits = tuple(_hit(items[c.head.id], c, by_code, terms, lang) for c in shown if c.head.id in items)
    facets = _facets(tally, form, by_code, lang)
    return SearchOutcome(hits, len(kept), capped, facets, page, pages, _page_queries(form, page, pages))


def _facets_of(hub: Hub, item_ids: Sequence[str]) -> dict[str, ItemFacetRows]:
    return dict(hub.storage.item_facets(item_ids)) if item_ids else {}


def _page_of(ranked: Sequence[_Candidate], wanted: int) -> tuple[Sequence[_Candidate], int, int]:
    """The candidates on page `wanted` (the last when fewer), that page's number and the count of pages."""
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(max(wanted, 1), pages)
    return ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def _nearest(hub: Hub, q: str, base: ItemQuery) -> dict[str, float]:
    """item id -> cosine of the query's nearest neighbours similar enough (SEMANTIC_FLOOR), nearest
    first; not yet checked against the filters and reading rules."""
    languages = _language_variants(base.languages)
    found = hub.storage.neighbours(query_vector(q), NEAREST, base.since, base.until, languages)
    return {near.item_id: near.similarity for near in found if near.similarity >= SEMANTIC_FLOOR}


def _by_meaning(
    hub: Hub, close: Mapping[str, float], base: ItemQuery, matched: Mapping[str, _Candidate]
) -> list[tuple[ItemHead, float]]:
    """The neighbours that pass the filters and reading rules, nearest first; `matched`: the word
    matches, which passed the same filters already."""
    if not close:
        return []
    readable = {item_id: matched[item_id].head for item_id in close if item_id in matched}
    unread = [item_id for item_id in close if item_id not in readable]
    if unread:
        # The same filters and reading rules as the word matches (embargo, kills, members), in one read.
        checked = hub.storage.match_heads(base, (), len(unread), ids=unread)
        readable.update((head.id, head) for head in checked)
    ranked = sorted(close.items(), key=lambda pair: -pair[1])
    return [(readable[item_id], score) for item_id, score in ranked if item_id in readable]


def _language_variants(languages: Sequence[str]) -> tuple[str, ...]:
    # The vector index stores the detected tag ("kk-Latn"): a filter on "kk" covers its scripts.
    expanded = set(languages)
    for tag in languages:
        expanded.update({f"{tag}-Latn", f"{tag}-Cyrl", f"{tag}-Arab"})
    return tuple(sorted(expanded))


def _passes(data: ItemFacetRows, form: SearchForm) -> bool:
    if form.topics and not set(form.topics) & set(item_topics(data)):
        return False
    return not (form.countries and not set(form.countries) & set(item_countries(data)))


def _hit(
    item: Item, candidate: _Candidate, members: Mapping[str, MemberInfo], terms: Sequence[str], lang: Language
) -> Hit:
    member = members.get(item.member_code)
    return Hit(
        item_id=item.id,
        headline=item.headline,
        language=item.language,
        language_name=language_label(item.language or "und", lang),
        member=item.member_code,
        member_name=member.name(lang.code) if member else item.member_code,
        at=item.version_created,
        snippet=snippet(item.body_text or item.headline, terms),
        by_words=candidate.word_rank is not None and bool(terms),
        by_meaning=candidate.meaning_rank is not None,
        similarity=candidate.similarity,
    )


def snippet(text: str, terms: Sequence[str]) -> tuple[SnippetPart, ...]:
    """About SNIPPET_WORDS words of `text` around the first word that holds a term, with the words
    holding one marked; the lead of the text when none does (an item found by its meaning)."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return ()
    # A phrase spans words: a word matches when it holds any word of a term (in the search form).
    pieces = {piece for term in terms for piece in normalize_for_search(term).split()}

    def holds(n: int) -> bool:
        word = _search_form(text[words[n][0] : words[n][1]])
        return any(piece in word for piece in pieces)

    # One pass over the whole text first (normalised once): most items found by meaning hold none of
    # the words.
    searchable = normalize_for_search(text) if pieces else ""
    present = any(piece in searchable for piece in pieces)
    first = next((n for n in range(len(words)) if holds(n)), 0) if present else 0
    start = max(0, first - SNIPPET_BEFORE)
    end = min(len(words), start + SNIPPET_WORDS)
    # (text, marked) of the window's words, a space between two (words are runs of non-space, so there
    # always is one), then the runs of alike parts joined: one part per run, not one per word.
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 else []
    for n in range(start, end):
        if n > start:
            parts.append((" ", False))
        parts.append((text[words[n][0] : words[n][1]], present and holds(n)))
    if end < len(words):
        parts.append((" …", False))
    return tuple(
        SnippetPart("".join(piece for piece, _ in run), match)
        for match, run in groupby(parts, key=itemgetter(1))
    )


@lru_cache(maxsize=65536)
def _search_form(word: str) -> str:
    # Words recur across results and searches; their search form is worth remembering.
    return normalize_for_search(word)


class _Tally:
    """The facets' counts over the kept candidates, added to as they are known (the word matches'
    while the meaning is being found, then the neighbours')."""

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone
        self.languages: Counter[str] = Counter()
        self.members: Counter[str] = Counter()
        self.topics: Counter[str] = Counter()
        self.countries: Counter[str] = Counter()
        self.days: Counter[str] = Counter()

    def add(self, kept: Iterable[_Candidate], about: Mapping[str, ItemFacetRows]) -> None:
        for candidate in kept:
            head = candidate.head
            self.languages[(head.language or "und").split("-")[0]] += 1
            self.members[head.member_code] += 1
            self.days[head.version_created.astimezone(self._zone).date().isoformat()] += 1
            data = about.get(head.id, {})
            self.topics.update(item_topics(data))
            self.countries.update(item_countries(data))


def _facets(
    tally: _Tally, form: SearchForm, members: Mapping[str, MemberInfo], lang: Language
) -> tuple[Facet, ...]:
    def member_name(code: str) -> str:
        member = members.get(code)
        return member.name(lang.code) if member else code

    return (
        _facet("language", tally.languages, form.languages, form, lambda v: language_label(v, lang)),
        _facet("member", tally.members, form.members, form, member_name),
        _facet("topic", tally.topics, form.topics, form, lambda v: topic_label(v, lang)),
        _facet("country", tally.countries, form.countries, form, lambda v: country_label(v, lang), CASPIAN),
        _day_facet(tally.days, form),
    )


def _facet(
    name: str,
    counts: Counter[str],
    selected: Sequence[str],
    form: SearchForm,
    label: Any,
    first: Sequence[str] = (),
) -> Facet:
    order = sorted(counts, key=lambda v: (v not in first, -counts[v], v))[:FACET_VALUES]
    order += [value for value in selected if value not in order]
    field = {"language": "languages", "member": "members", "topic": "topics", "country": "countries"}[name]
    values = []
    for value in order:
        current: tuple[str, ...] = getattr(form, field)
        toggled = tuple(v for v in current if v != value) if value in current else (*current, value)
        query = _encode(_with_values(form, field, toggled).params())
        values.append(FacetValue(value, label(value), counts.get(value, 0), value in selected, query))
    return Facet(name, tuple(values))


def _with_values(form: SearchForm, field: str, values: tuple[str, ...]) -> SearchForm:
    """The form with one filter's values replaced (and back on page 1)."""
    if field == "languages":
        return replace(form, languages=values, page=1)
    if field == "members":
        return replace(form, members=values, page=1)
    if field == "topics":
        return replace(form, topics=values, page=1)
    return replace(form, countries=values, page=1)


def _day_facet(days: Counter[str], form: SearchForm) -> Facet:
    """The most recent days with results; choosing one sets both ends of the date filter to it."""
    chosen = form.since.isoformat() if form.since and form.since == form.until else None
    values = []
    for day in sorted(days, reverse=True)[:7]:
        picked = date.fromisoformat(day)
        if day == chosen:
            narrowed = replace(form, since=None, until=None)
        else:
            narrowed = replace(form, since=picked, until=picked)
        values.append(FacetValue(day, day, days[day], day == chosen, _encode(narrowed.params()), picked))
    return Facet("day", tuple(values))


def _page_queries(form: SearchForm, page: int, pages: int) -> dict[str, str]:
    out: dict[str, str] = {}
    if page > 1:
        out["prev"] = _encode([*form.params(), ("page", str(page - 1))])
    if page < pages:
        out["next"] = _encode([*form.params(), ("page", str(page + 1))])
    return out


def _encode(params: Sequence[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(list(params))
