"""Countries for the public pages: their names in the reader's language and the order they are listed
in. Which country an item is about comes from the place ids its entities name, through the mapping
of enrich/places.py (the one the stored item facets were derived with), re-exported here.

Country names come from CLDR through Babel, so every interface language has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from babel import Locale

from tabadol.enrich.places import country_of_place, is_country_code

__all__ = [
    "CASPIAN",
    "country_name",
    "country_of_place",
    "country_order",
    "is_known_country",
]

# The Caspian littoral states: first on every list of countries.
CASPIAN = ("AZ", "IR", "KZ", "RU", "TM")


@cache
def _territories(locale: str) -> Mapping[str, str]:
    return dict(Locale.parse(locale).territories)


def country_name(code: str, locale: str) -> str:
    """The country's name in the interface's language (CLDR), else in English, else the code."""
    return _territories(locale).get(code) or _territories("en").get(code) or code


def is_known_country(code: str) -> bool:
    return code in _territories("en") and is_country_code(code)


def country_order(codes: list[str] | tuple[str, ...], counts: Mapping[str, int] | None = None) -> list[str]:
    """The Caspian five first (in their fixed order), then the others, most items first."""
    seen = dict.fromkeys(codes)
    first = [code for code in CASPIAN if code in seen]
    rest = [code for code in seen if code not in CASPIAN]
    rest.sort(key=lambda code: (-(counts or {}).get(code, 0), code))
    return first + rest
