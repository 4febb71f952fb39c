"""What an item is about, for filters and counts: its IPTC Media Topics and the countries it names.

Both are the store's item facets (Storage.item_facets; derived from the `topics` and `entities`
enrichment by enrich/facets.py), the rows the topic and country pages list items by, so a search
filtered by a country and that country's page agree. Countries are ISO 3166-1 codes; names come
from CLDR (Babel's territory names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from babel import Locale

from tabadol.enrich.facets import COUNTRY, TOPIC
from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages.public_places import CASPIAN, country_name

__all__ = [
    "CASPIAN",
    "ItemFacetRows",
    "country_label",
    "item_countries",
    "item_topics",
    "language_label",
    "topic_label",
]

# One item's facets as the store gives them: facet -> (value, score) pairs.
ItemFacetRows = Mapping[str, Sequence[tuple[str, float | None]]]


def item_topics(facets: ItemFacetRows) -> tuple[str, ...]:
    """The IPTC topic codes of one item, best first."""
    return tuple(code for code, _ in facets.get(TOPIC, ()))


def item_countries(facets: ItemFacetRows) -> tuple[str, ...]:
    """ISO codes of the countries one item names, most mentioned first."""
    return tuple(code for code, _ in facets.get(COUNTRY, ()))


def topic_label(code: str, lang: Language) -> str:
    """The topic's name in the interface's language (English when the taxonomy lacks it)."""
    try:
        return iptc_taxonomy().topic(code).label_in(lang.code)
    except KeyError:
        return code


def country_label(code: str, lang: Language) -> str:
    return country_name(code, lang.locale)


def language_label(tag: str, lang: Language) -> str:
    """A language tag's name in the interface's language ("ru" is "روسی" in Persian)."""
    primary = tag.split("-")[0]
    return str(_locale(lang.locale).languages.get(primary, tag))


@cache
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)
