"""What an item is about, as the pages group and filter by it: its IPTC Media Topics and the countries
it names, derived from the stored results of two enrichment components.

- topic: from the `topics` component, the IPTC topics only (scheme "iptc", `medtop:` codes), each
  with its score; a member's own scheme is not a facet.
- country: from the `entities` component, the ISO 3166-1 code of every place entity whose id the
  mapping of enrich/places.py knows (the country itself, or a city, region or port of it), scored by
  how many times the item mentions that country.

The storage layer keeps these as rows of `item_facets` (storage/facets.py), written with the
results, so a page finds the items of a topic or country through an index instead of reading every
item's enrichment. Pure functions: no storage access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tabadol.enrich.places import country_of_place

TOPIC = "topic"
COUNTRY = "country"
# The component whose result each facet is derived from.
COMPONENT_OF_FACET = {TOPIC: "topics", COUNTRY: "entities"}
FACET_OF_COMPONENT = {component: facet for facet, component in COMPONENT_OF_FACET.items()}

IPTC_SCHEME = "iptc"
IPTC_PREFIX = "medtop:"


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One row of `item_facets` for an item: a topic code or country code, with its score."""

    facet: str
    value: str
    score: float | None


def iptc_topics(data: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    """The IPTC topics of one `topics` result (its stored data), best first, each code once."""
    best: dict[str, float] = {}
    for topic in data.get("topics") or ():
        code = str(topic.get("code", ""))
        if topic.get("scheme") == IPTC_SCHEME and code.startswith(IPTC_PREFIX):
            score = float(topic.get("score") or 0.0)
            best[code] = max(score, best.get(code, score))
    return tuple(sorted(best.items(), key=lambda pair: (-pair[1], pair[0])))


def country_mentions(data: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """(ISO code, mentions) of the countries one `entities` result names, most mentioned first.

    Each entity found is one mention: the entity recognizer lists a place once per occurrence."""
    mapping = country_of_place()
    counts: dict[str, int] = {}
    for entity in data.get("entities") or ():
        code = mapping.get(str(entity.get("id"))) if isinstance(entity, Mapping) else None
        if code:
            counts[code] = counts.get(code, 0) + 1
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def facet_values(component: str, data: Mapping[str, Any]) -> tuple[FacetValue, ...]:
    """The facet rows one successful result of `component` yields (none for other components)."""
    facet = FACET_OF_COMPONENT.get(component)
    if facet == TOPIC:
        return tuple(FacetValue(TOPIC, code, score) for code, score in iptc_topics(data))
    if facet == COUNTRY:
        return tuple(FacetValue(COUNTRY, code, float(count)) for code, count in country_mentions(data))
    return ()
