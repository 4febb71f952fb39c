"""Interface strings: `i18n/<lang>/<area>.json`, one flat JSON object of key -> text per area.

Each area of the site (common, public pages, search, newsroom, ...) keeps its strings in its own
file, so pages can be added without touching one big catalogue. Keys are dotted (`nav.search`) and
unique across areas. Placeholders are `{name}`; numbers passed in are written with the interface's
digits. A key missing in one language falls back to English (and the test suite fails on it, so
the fallback is a safety net in production, never a habit).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tabadol.web.portal.languages import DEFAULT_LANGUAGE, LANGUAGES, Language, localise_digits

CATALOG_DIR = Path(__file__).parent / "i18n"


@cache
def catalog(code: str) -> Mapping[str, str]:
    """Every string of one interface language, merged from its area files."""
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / code).glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        clash = set(entries) & set(merged)
        if clash:
            raise ValueError(f"{path}: keys defined in another area too: {sorted(clash)}")
        merged.update(entries)
    return merged


def missing_keys(code: str) -> list[str]:
    """Keys English has that `code` lacks (the test suite wants none)."""
    return sorted(set(catalog(DEFAULT_LANGUAGE)) - set(catalog(code)))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Messages:
    """`t("nav.search")`, `t("items.count", count=3)`: strings of one interface language."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self._own = catalog(lang.code)
        self._fallback = catalog(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **fields: Any) -> str:
        text = self._own.get(key) or self._fallback.get(key) or key
        if not fields:
            return text
        shown = {name: self._value(value) for name, value in fields.items()}
        return text.format_map(_Lenient(shown))

    def _value(self, value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return localise_digits(f"{value:,}" if isinstance(value, int) else f"{value:g}", self.lang)
        return str(value)


class _Lenient(dict[str, str]):
    # A placeholder the caller did not fill shows as itself rather than breaking the page.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def messages(code: str) -> Messages:
    return Messages(LANGUAGES.get(code) or LANGUAGES[DEFAULT_LANGUAGE])
