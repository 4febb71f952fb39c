"""Which country each place the entity recognizer finds belongs to: gazetteer place id -> ISO 3166-1
alpha-2 code.

An item "is about" a country when its entities (enrich/entities.py) name the country itself or one
of its cities, regions or ports that the gazetteer knows. Gazetteer ids are language-independent
("place/iran", "place/baku"), so a Persian and a Russian item about Baku land on the same country.
The item facets (storage/facets.py) and the portal's country pages read this one mapping.

A change to the mapping changes no component version: the stored country facets keep the old
mapping until the items are enriched again (or a migration rebuilds them, as migration 16 did).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel import Locale

_GAZETTEER = Path(__file__).parent / "gazetteer"

# Gazetteer country names that CLDR's English territory names spell differently.
_COUNTRY_OVERRIDES = {
    "place/antigua-and-barbuda": "AG",
    "place/bosnia-and-herzegovina": "BA",
    "place/cabo-verde": "CV",
    "place/congo": "CG",
    "place/dr-congo": "CD",
    "place/cote-divoire": "CI",
    "place/myanmar": "MM",
    "place/palestine": "PS",
    "place/saint-kitts-and-nevis": "KN",
    "place/saint-lucia": "LC",
    "place/saint-vincent": "VC",
    "place/sao-tome-and-principe": "ST",
    "place/trinidad-and-tobago": "TT",
    "place/turkey": "TR",
    "place/vatican": "VA",
}

# Cities, regions and ports of the gazetteer (places.json) and their country. Seas, rivers, world
# regions and contested places are deliberately absent: they belong to no single country.
_PLACES_BY_COUNTRY = {
    "IR": "tehran mashhad isfahan tabriz shiraz bandar-abbas bandar-anzali rasht chabahar qom khorasan "
    "gilan mazandaran golestan",
    "AZ": "baku ganja sumgait nakhchivan shusha karabakh",
    "RU": "moscow saint-petersburg astrakhan makhachkala kazan sochi novorossiysk volgograd kaliningrad "
    "novosibirsk yekaterinburg dagestan chechnya omsk rostov-on-don orenburg",
    "KZ": "astana almaty aktau atyrau shymkent karaganda aktobe turkistan oral pavlodar oskemen semey "
    "kostanay petropavl kyzylorda taraz baikonur mangystau almaty-region north-kazakhstan-region "
    "west-kazakhstan-region east-kazakhstan-region karaganda-region mangystau-region atyrau-region "
    "aktobe-region kyzylorda-region turkistan-region zhambyl-region kostanay-region pavlodar-region "
    "akmola-region taldykorgan zhanaozen kokshetau ekibastuz temirtau zhezkazgan konaev zhetisu-region "
    "abai-region ulytau-region",
    # Not "mary": the Turkmen city shares its name with the given name, and an item about a Mary
    # would land in Turkmenistan.
    "TM": "ashgabat turkmenbashi turkmenabat dashoguz balkanabat balkan-region ahal-region",
    "TR": "ankara istanbul izmir antalya trabzon ceyhan",
    "SY": "damascus aleppo latakia tartus homs",
    "IQ": "baghdad basra erbil mosul najaf karbala",
    "GE": "tbilisi batumi",
    "AM": "yerevan",
    "UZ": "tashkent samarkand bukhara",
    "KG": "bishkek",
    "TJ": "dushanbe",
    "AF": "kabul herat kabul-province",
    "PK": "islamabad",
    "BY": "minsk",
    "UA": "kyiv",
    "CN": "beijing urumqi",
    "US": "washington new-york",
    "GB": "london",
    "FR": "paris",
    "DE": "berlin",
    "BE": "brussels",
    "CH": "geneva",
    "AT": "vienna",
    "EG": "cairo",
    "SA": "riyadh mecca",
    "QA": "doha",
    "AE": "abu-dhabi dubai",
    "OM": "muscat",
    "KW": "kuwait-city",
    "LB": "beirut",
    "JO": "amman",
    "YE": "sanaa",
    "BH": "manama",
    "IN": "delhi",
    "JP": "tokyo",
    "MN": "ulaanbaatar",
    "KR": "seoul",
    "IT": "rome",
    "ES": "madrid",
    "PL": "warsaw",
    "CZ": "prague",
    "HU": "budapest",
    "LV": "riga",
    "LT": "vilnius",
    "EE": "tallinn",
    "MD": "chisinau",
}


@cache
def country_of_place() -> Mapping[str, str]:
    """Gazetteer place id -> ISO 3166-1 alpha-2 code, for countries and the places inside them."""
    english = {name: code for code, name in Locale("en").territories.items() if is_country_code(code)}
    entities = json.loads((_GAZETTEER / "countries.json").read_text(encoding="utf-8"))["entities"]
    found: dict[str, str] = {}
    for place_id, entity in entities.items():
        code = _COUNTRY_OVERRIDES.get(place_id) or english.get(entity["name"])
        if code:
            found[place_id] = code
    for code, names in _PLACES_BY_COUNTRY.items():
        for name in names.split():
            found[f"place/{name}"] = code
    return found


def is_country_code(code: str) -> bool:
    """Two capital letters: an ISO 3166-1 alpha-2 code (CLDR also lists regions such as 001)."""
    return len(code) == 2 and code.isalpha() and code.isupper()
