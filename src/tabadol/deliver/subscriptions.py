"""What a subscription selects: the filter and the pure decision whether an item matches it.

A member's subscription says which of the exchange's items it wants: from which members, in which
languages, on which topics (IPTC Media Topics or a member's own scheme), naming which entities (people,
organisations, places: the stable ids enrichment assigns, so a place matches whatever the language or
script of the item), in which story, how urgent at least, and containing which words. Every field is
optional; an empty filter matches every item. Within a field the values are alternatives (any of them);
across fields all must hold.

`matches` is pure: it reads the item and what enrichment found about it (`ItemFacts`), never the
database, so the delivery fan-out can test thousands of subscriptions per item cheaply, and the rules
are tested without a store. Languages compare on the primary subtag ("kk" matches "kk-Latn"); the item's
detected language counts as well as the one its sender declared. Words are matched in the search form
(enrich/normalize.py): Persian/Arabic letter variants, digit scripts, case and marks do not matter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tabadol.deliver.render.enrichment import EnrichmentView
from tabadol.enrich.normalize import normalize_for_search
from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.subscriptions import filter_json
from tabadol.types import Item, Subscription, SubscriptionFilter, normalise_language_tag

__all__ = ["ItemFacts", "Subscription", "SubscriptionFilter", "build_filter", "matches", "filter_json"]

MAX_VALUES_PER_FIELD = 200
MAX_QUERY_CHARS = 500


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What matching needs to know beyond the item itself: enrichment's findings (empty while the item
    is not enriched yet, so subscriptions on topics or entities wait for enrichment)."""

    detected_language: str | None = None
    topics: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()
    story_id: str | None = None


def build_filter(
    *,
    members: Iterable[str] = (),
    languages: Iterable[str] = (),
    topics: Iterable[str] = (),
    entities: Iterable[str] = (),
    stories: Iterable[str] = (),
    max_urgency: int | None = None,
    query: str | None = None,
) -> SubscriptionFilter:
    """A validated filter; INVALID_QUERY (naming the field) for bad values."""
    values = {
        "members": _clean(members, "members", str.lower),
        "languages": _clean(languages, "languages", _primary_language),
        "topics": _clean(topics, "topics", _topic),
        "entities": _clean(entities, "entities", str.strip),
        "stories": _clean(stories, "stories", str.strip),
    }
    if max_urgency is not None and not 1 <= max_urgency <= 9:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="max_urgency", reason="urgency is 1 (highest) to 9")
    if query is not None:
        query = query.strip() or None
        if query is not None and len(query) > MAX_QUERY_CHARS:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="query", reason=f"over {MAX_QUERY_CHARS} characters"
            )
    return SubscriptionFilter(max_urgency=max_urgency, query=query, **values)


def _clean(values: Iterable[str], name: str, normalise: Callable[[str], str]) -> frozenset[str]:
    cleaned = set()
    for raw in values:
        if not isinstance(raw, str) or not raw.strip():
            raise TabadolError(ErrorCode.INVALID_QUERY, param=name, reason=f"{raw!r} is not a value")
        try:
            cleaned.add(normalise(raw.strip()))
        except ValueError as exc:
            raise TabadolError(ErrorCode.INVALID_QUERY, param=name, reason=str(exc)) from None
    if len(cleaned) > MAX_VALUES_PER_FIELD:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param=name, reason=f"more than {MAX_VALUES_PER_FIELD} values"
        )
    return frozenset(cleaned)


def _primary_language(tag: str) -> str:
    primary = normalise_language_tag(tag).split("-", 1)[0]
    if not (2 <= len(primary) <= 3 and primary.isascii() and primary.isalpha()):
        raise ValueError(f"{tag!r} is not a BCP-47 language tag")
    return primary


def _topic(value: str) -> str:
    if value.startswith("medtop:") and value.removeprefix("medtop:").isdigit():
        return value
    if value.isdigit() and len(value) == 8:
        return f"medtop:{value}"  # a bare IPTC code
    scheme, sep, label = value.partition(":")
    if sep and scheme and label:
        return value
    raise ValueError(f"{value!r} is neither an IPTC code (medtop:NNNNNNNN) nor scheme:label")


@functools.lru_cache(maxsize=4096)  # filters are frozen; the fan-out asks for each one per item
def query_words(subscription: SubscriptionFilter) -> tuple[str, ...]:
    return tuple(normalize_for_search(subscription.query).split()) if subscription.query else ()


def matches(
    subscription: SubscriptionFilter, item: Item, facts: ItemFacts, search_text: str | None = None
) -> bool:
    """Whether the item is one the subscription selects (see the module docstring). `search_text` is
    the item's text in the search form when the caller has it (the fan-out computes it once per item
    for all subscriptions: normalising is what a word filter costs)."""
    if subscription.members and item.member_code not in subscription.members:
        return False
    if subscription.languages and not _languages_of(item, facts) & subscription.languages:
        return False
    if subscription.topics and not subscription.topics & facts.topics:
        return False
    if subscription.entities and not subscription.entities & facts.entities:
        return False
    if subscription.stories and facts.story_id not in subscription.stories:
        return False
    if subscription.max_urgency is not None:
        urgency = item.parsed.urgency
        if urgency is None or urgency > subscription.max_urgency:
            return False
    words = query_words(subscription)
    if words:
        text = search_text if search_text is not None else item_search_text(item)
        if not all(word in text for word in words):
            return False
    return True


def item_search_text(item: Item) -> str:
    return normalize_for_search(f"{item.headline}\n{item.body_text}")


def _languages_of(item: Item, facts: ItemFacts) -> set[str]:
    tags = {tag for tag in (item.language, facts.detected_language) if tag and tag != "und"}
    return {tag.split("-", 1)[0].lower() for tag in tags}


def facts_from_enrichment(view: EnrichmentView) -> ItemFacts:
    """ItemFacts from what the store holds about an item's enrichment."""
    topics = set()
    for topic in view.field("topics", "topics", []):
        code = str(topic.get("code", ""))
        topics.add(code if topic.get("scheme") == "iptc" else f"{topic.get('scheme')}:{code}")
    entities = {str(entity["id"]) for entity in view.field("entities", "entities", []) if "id" in entity}
    return ItemFacts(
        detected_language=view.field("language", "language"),
        topics=frozenset(topics),
        entities=frozenset(entities),
        story_id=view.story_id,
    )


def filter_from_json(data: object) -> SubscriptionFilter:
    """A validated filter from JSON (the API's body, or a stored row); INVALID_QUERY naming the field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TabadolError(ErrorCode.INVALID_QUERY, param="filter", reason="must be an object")
    known = {"members", "languages", "topics", "entities", "stories", "max_urgency", "query"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="filter", reason=f"unknown fields {unknown}")
    lists = {}
    for name in ("members", "languages", "topics", "entities", "stories"):
        value = data.get(name) or []
        if not isinstance(value, list):
            raise TabadolError(ErrorCode.INVALID_QUERY, param=name, reason="must be a list of strings")
        lists[name] = value
    urgency = data.get("max_urgency")
    if urgency is not None and (not isinstance(urgency, int) or isinstance(urgency, bool)):
        raise TabadolError(ErrorCode.INVALID_QUERY, param="max_urgency", reason="must be a whole number")
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise TabadolError(ErrorCode.INVALID_QUERY, param="query", reason="must be a string")
    return build_filter(max_urgency=urgency, query=query, **lists)
