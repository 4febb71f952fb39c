"""What an item is about, for filters and counts: its IPTC Media Topics and the countries it names.

Both come from the enrichment (components `topics` and `entities`). Countries are ISO 3166-1 codes,
found as the country pages find them (pages/public_places.py: the country itself or a city, region
or port of it that the gazetteer knows), so a search filtered by a country and that country's page
agree; names come from CLDR (Babel's territory names).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from babel import Locale

from tabadol.enrich.topics_taxonomy import IPTC_SCHEME, iptc_taxonomy
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages.public_places import CASPIAN, country_name, country_of_place

__all__ = [
    "CASPIAN",
    "FACET_COMPONENTS",
    "country_label",
    "item_countries",
    "item_topics",
    "language_label",
    "topic_label",
]

FACET_COMPONENTS = ("topics", "entities")


def item_topics(data: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """The IPTC topic codes of one item's enrichment (`data`: component -> stored data)."""
    topics = data.get("topics", {}).get("topics", [])
    codes = [str(topic.get("code")) for topic in topics if topic.get("scheme") == IPTC_SCHEME]
    return tuple(dict.fromkeys(code for code in codes if code))


def item_countries(data: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """ISO codes of the countries one item names, in the order it names them first."""
    known = country_of_place()
    entities = data.get("entities", {}).get("entities", [])
    codes = [known.get(str(entity.get("id"))) for entity in entities]
    return tuple(dict.fromkeys(code for code in codes if code))


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
