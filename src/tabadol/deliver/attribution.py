"""Attribution lines for taken items: "— IRNA, translated from Persian", in the reader's language.

When a member's editor takes another member's item, the hub hands over a ready credit line so the
desk does not improvise one under deadline. The wording lives in
`deliver/lang/<code>/attribution.json`, one file per working language of the hub, so a native
editor can correct it without reading Python:

- `templates.source`: a take that is not translated ("— {source}");
- `templates.translated`: a translated take ("— {source}, translated from {language}");
- `templates.translated_unknown_language`: a translated take whose original language is unknown
  or not one the file names;
- `translated_from`: each of the eight languages written in the form the `translated` template
  needs. Languages inflect differently (Russian genitive "с персидского", Turkish ablative
  "Farsçadan", Azerbaijani "fars dilindən"), so the table holds the finished phrase rather than a
  bare name that code would have to decline.

Choices:

- The line's language is the reader's (primary subtag); a reader language without a file gets
  English. The source member's name is looked up in that same language, so a line never mixes a
  German name into English wording; then its English name; then its code in capitals, the way
  wires credit an agency (IRNA, AA).
- `translated=True` with an original in the reader's own language is a contradiction (nothing was
  translated for this reader); the line then credits the source only, rather than printing
  "translated from English" to an English desk.
- Persian and Arabic lines are right-to-left text and get no bidi control characters, with one
  exception: a name containing strong left-to-right letters (an English name or code used as a
  fallback, "IRNA") inside a right-to-left line, or the reverse, is wrapped in FIRST STRONG
  ISOLATE ... POP DIRECTIONAL ISOLATE (U+2068 ... U+2069). Without it, punctuation at the edges of
  the name ("(IRNA)") is placed on the wrong side, and a line that starts with a Latin name is
  taken as left-to-right by renderers that detect the paragraph direction from the first strong
  letter (the isolate is skipped by that rule). Isolates are the Unicode-recommended way to embed
  text of a different direction and are invisible; marks elsewhere would only add noise to copy.
"""

from __future__ import annotations

import json
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NoReturn

from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import MemberInfo, normalise_language_tag

ATTRIBUTION_LANGUAGES: tuple[str, ...] = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
FALLBACK_LANGUAGE = "en"
TEMPLATE_FIELDS: Mapping[str, frozenset[str]] = {
    "source": frozenset({"source"}),
    "translated": frozenset({"source", "language"}),
    "translated_unknown_language": frozenset({"source"}),
}
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
_RIGHT_TO_LEFT_CLASSES = frozenset({"R", "AL"})


@dataclass(frozen=True, slots=True)
class AttributionWording:
    """One language's attribution templates, as loaded (and checked) from its JSON file."""

    language: str
    right_to_left: bool
    templates: Mapping[str, str]
    translated_from: Mapping[str, str]


def attribution_line(
    source: MemberInfo, item_language: str | None, reader_language: str, translated: bool
) -> str:
    """The credit line for an item of `source`, written in `reader_language`.

    `item_language` is the language of the original item (BCP-47, None when unknown) and
    `translated` whether the text the reader receives was translated from it.
    """
    wording = wording_for(reader_language)
    name = _isolated(_source_name(source, wording.language), wording.right_to_left)
    original = _primary(item_language) if item_language else None
    if not translated or original == wording.language:
        return _fill(wording.templates["source"], source=name)
    phrase = wording.translated_from.get(original) if original else None
    if phrase is None:
        return _fill(wording.templates["translated_unknown_language"], source=name)
    return _fill(wording.templates["translated"], source=name, language=phrase)


def wording_for(reader_language: str) -> AttributionWording:
    """The wording for a reader language: its own when the hub has it, else English."""
    primary = _primary(reader_language) if reader_language.strip() else FALLBACK_LANGUAGE
    return load_wording(primary if primary in ATTRIBUTION_LANGUAGES else FALLBACK_LANGUAGE)


@cache
def load_wording(language: str) -> AttributionWording:
    """Read and check `deliver/lang/<language>/attribution.json` (cached: the files never change)."""
    if language not in ATTRIBUTION_LANGUAGES:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID,
            setting="attribution language",
            reason=f"{language!r} is not one of {', '.join(ATTRIBUTION_LANGUAGES)}",
        )
    source = resources.files("tabadol.deliver").joinpath("lang", language, "attribution.json")
    raw: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return _checked(language, raw)


def _checked(language: str, raw: Mapping[str, Any]) -> AttributionWording:
    """Refuse a wording file that would print a broken line, naming what is wrong."""
    templates = raw.get("templates", {})
    for key, fields in TEMPLATE_FIELDS.items():
        template = templates.get(key)
        if not isinstance(template, str) or _placeholders(template) != fields:
            _invalid(language, f"template '{key}' must use exactly the fields {sorted(fields)}")
    translated_from = raw.get("translated_from", {})
    missing = [code for code in ATTRIBUTION_LANGUAGES if not str(translated_from.get(code, "")).strip()]
    if missing:
        _invalid(language, f"'translated_from' lacks {', '.join(missing)}")
    direction = raw.get("direction")
    if direction not in ("ltr", "rtl"):
        _invalid(language, "'direction' must be 'ltr' or 'rtl'")
    return AttributionWording(
        language=language,
        right_to_left=direction == "rtl",
        templates={key: templates[key] for key in TEMPLATE_FIELDS},
        translated_from={code: translated_from[code] for code in ATTRIBUTION_LANGUAGES},
    )


def _invalid(language: str, reason: str) -> NoReturn:
    raise TabadolError(
        ErrorCode.CONFIG_INVALID, setting=f"deliver/lang/{language}/attribution.json", reason=reason
    )


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(field for _, field, _, _ in string.Formatter().parse(template) if field is not None)


def _fill(template: str, **fields: str) -> str:
    # format_map interprets only the template, never the substituted names: braces in an agency's
    # name are printed as they are.
    return template.format_map(fields)


def _source_name(source: MemberInfo, language: str) -> str:
    names = {normalise_language_tag(tag): name.strip() for tag, name in source.names.items() if name.strip()}
    for wanted in (language, FALLBACK_LANGUAGE):
        exact = names.get(wanted)
        if exact:
            return exact
        regional = next((name for tag, name in sorted(names.items()) if _primary(tag) == wanted), None)
        if regional:
            return regional
    return source.code.upper()


def _isolated(name: str, right_to_left_line: bool) -> str:
    """Wrap `name` in an isolate only when it holds letters running against the line's direction."""
    classes = {unicodedata.bidirectional(char) for char in name}
    against = "L" in classes if right_to_left_line else bool(classes & _RIGHT_TO_LEFT_CLASSES)
    return f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}" if against else name


def _primary(tag: str) -> str:
    return normalise_language_tag(tag.strip()).split("-")[0]
