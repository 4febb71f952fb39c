"""Numbers in an item's text, written one way whatever the script, language or typography.

Numbers cross languages almost untouched ("4-month-old" is "4 ماهه", "4 aýlyk", "4-месячных"), which
makes them one of the strongest signals that two items in different languages tell the same story.
They only meet if they are written alike, so `extract_numbers` reads the digits and separators of each
number and returns a canonical form:

- digits: ASCII, Arabic-Indic (٠-٩) and Persian (۰-۹) digits are all read;
- grouping and decimals: "1,234,567" (en), "1 234 567" (ru, kk, az, tk), "1.234.567" (tr), "۱٬۲۳۴"
  (fa, ar) are all 1234567; "3.5" (en), "3,5" (ru, tr, ...), "۳٫۵" and Persian "۳/۵" are all 3.5.
  A separator used more than once, or followed by a group of other than three digits, says what it is;
  a lone "," or "." before exactly three digits follows the language ("1,500" is 1500 in English but
  1.5 in Russian). Anything that is not a well-formed grouping ("23.11.2026", "10:30") is read as the
  separate numbers it is made of;
- scale words: "1.5 million", "1,5 млн", "۱٫۵ میلیون", "1,5 milyon", "2 bin" are 1500000 and 2000;
- percentages: "12%", "%12" (tr, az), "12 процентов", "yüzde 12", "۱۲ درصد" are "12%";
- canonical form: no leading zeros, "." as the decimal mark, no trailing decimal zeros ("4.50" is 4.5).

Numbers written in words ("fourteen", "четырнадцать") are not read: each language writes them in many
inflected forms, and small number words are also ordinary words ("one", "бир").
Signs are ignored ("−5" is 5): the minus signs and dashes of the eight languages are too often
hyphens between numbers (ranges, scores).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from tabadol.enrich.doc import Doc

VERSION = "1"
MAX_NUMBERS = 200  # an item with more numbers than this is a table: its first numbers are plenty
SCAN_LIMIT = 20_000  # characters read, as for dates: the lead and body carry the story

_DIGITS = str.maketrans(
    {**{chr(0x0660 + n): str(n) for n in range(10)}, **{chr(0x06F0 + n): str(n) for n in range(10)}}
)
_ARABIC_THOUSANDS = "\u066c"  # ٬
_ARABIC_DECIMAL = "\u066b"  # ٫
_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_TYPOGRAPHIC_SPACES = "\u00a0\u2009\u202f"  # put between digit groups on purpose, in any language

# A run of digits, possibly with single separators between digit groups. Separators are resolved
# afterwards; a space only joins groups when a three-digit group follows it.
_D = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_NUMBER = re.compile(rf"{_D}+(?:(?:[.,/\u066b\u066c]|[{_SPACES}](?={_D}{{3}}(?!{_D}))){_D}+)*")

# Languages whose decimal mark is the comma (and whose thousands separator is a space or a dot).
_COMMA_DECIMAL = frozenset({"ru", "kk", "az", "tk", "tr"})
# Languages that group thousands with plain spaces ("10 000").
_SPACE_GROUPING = frozenset({"ru", "kk", "az", "tk"})
# Persian writes a decimal number with a slash ("۳/۵ درصد"); elsewhere a slash separates numbers.
_SLASH_DECIMAL = frozenset({"fa"})

_SCALES: dict[str, tuple[tuple[str, int], ...]] = {
    "en": (("thousand", 3), ("million", 6), ("mln", 6), ("mn", 6), ("billion", 9), ("bn", 9),
           ("trillion", 12)),
    "ru": (("тыс", 3), ("млн", 6), ("миллион", 6), ("млрд", 9), ("миллиард", 9), ("трлн", 12),
           ("триллион", 12)),
    "kk": (("мың", 3), ("млн", 6), ("миллион", 6), ("млрд", 9), ("миллиард", 9), ("трлн", 12),
           ("триллион", 12)),
    "az": (("min", 3), ("mln", 6), ("milyon", 6), ("mlrd", 9), ("milyard", 9), ("trilyon", 12)),
    "tr": (("bin", 3), ("milyon", 6), ("milyar", 9), ("trilyon", 12)),
    "tk": (("müň", 3), ("mln", 6), ("million", 6), ("mlrd", 9), ("milliard", 9), ("trillion", 12)),
    "fa": (("هزار", 3), ("میلیون", 6), ("ميليون", 6), ("میلیارد", 9), ("ميليارد", 9), ("تریلیون", 12)),
    "ar": (("ألف", 3), ("آلاف", 3), ("الف", 3), ("مليون", 6), ("ملايين", 6), ("مليار", 9), ("مليارات", 9),
           ("تريليون", 12)),
}  # fmt: skip

# Percent words after the number; Turkish "yüzde" comes before it (as does the sign in tr and az).
_PERCENT_AFTER: dict[str, tuple[str, ...]] = {
    "en": ("percent", "per cent", "pct"),
    "ru": ("процент", "проц"),
    "kk": ("пайыз",),
    "az": ("faiz",),
    "tr": (),
    "tk": ("göterim", "prosent"),
    "fa": ("درصد",),
    "ar": ("بالمائة", "بالمئة", "في المائة", "في المئة", "بالمية"),
}
_PERCENT_BEFORE: dict[str, tuple[str, ...]] = {"tr": ("yüzde",)}
_PERCENT_SIGNS = "%\u066a\ufe6a\uff05"  # % ٪ ﹪ ％
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class _Reading:
    """A number as read: its value and whether it is a percentage."""

    value: Decimal
    percent: bool


def extract_numbers(text: str, language: str | None) -> tuple[str, ...]:
    """The numbers in `text`, canonical (see the module doc), unique, in order of first mention."""
    lang = _primary(language)
    seen: dict[str, None] = {}
    scanned = text[:SCAN_LIMIT]
    for match in _NUMBER.finditer(scanned):
        for reading in _read(match, scanned, lang):
            seen.setdefault(canonical(reading.value, reading.percent), None)
            if len(seen) >= MAX_NUMBERS:
                return tuple(seen)
    return tuple(seen)


def canonical(value: Decimal, percent: bool = False) -> str:
    """ "1500000", "3.5", "12%": plain digits, "." for decimals, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%" if percent else text


def _primary(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


def _read(match: re.Match[str], text: str, lang: str) -> list[_Reading]:
    raw = match.group(0).translate(_DIGITS)
    # Where a plain space does not group digits, "in 2013 100 people" is two numbers.
    chunks = raw.split(" ") if lang not in _SPACE_GROUPING else [raw]
    values = [value for chunk in chunks for value in _resolve(chunk, lang)]
    if len(values) != 1 or len(chunks) != 1:
        return [_Reading(v, False) for v in values]
    after = text[match.end() : match.end() + 24]
    value = _apply_scale(values[0], after, lang)
    before = text[max(0, match.start() - 12) : match.start()]
    return [_Reading(value, _is_percent(before, after, lang))]


def _resolve(raw: str, lang: str) -> list[Decimal]:
    """One number, or the several numbers a malformed grouping is made of."""
    groups = re.split(r"([.,/ \u00a0\u2009\u202f\u066b\u066c])", raw)
    digits, separators = groups[0::2], groups[1::2]
    if not separators:
        return [Decimal(raw)]
    decimal_at = _decimal_position(digits, separators, lang)
    thousands = [s for i, s in enumerate(separators) if i != decimal_at]
    if len(set(thousands)) > 1 or not _well_grouped(digits, decimal_at):
        return [Decimal(d) for d in digits]
    whole = "".join(digits[: decimal_at + 1]) if decimal_at is not None else "".join(digits)
    fraction = digits[decimal_at + 1] if decimal_at is not None else ""
    try:
        return [Decimal(f"{whole}.{fraction}" if fraction else whole)]
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return [Decimal(d) for d in digits]


def _decimal_position(digits: list[str], separators: list[str], lang: str) -> int | None:
    """Which separator (by index) is the decimal mark, if any: only the last one can be."""
    last = len(separators) - 1
    mark = separators[last]
    if mark == _ARABIC_DECIMAL:
        return last
    if mark == "/":
        return last if lang in _SLASH_DECIMAL and len(separators) == 1 else -1
    if mark not in ".,":
        return None  # a space groups digits
    if separators.count(mark) > 1:
        return None  # "1,234,567": a repeated mark groups thousands
    if len(separators) > 1:
        return last  # "1.234,5" or "1,234.5": the other mark groups, this one is decimal
    if len(digits[-1]) != 3:
        return last if mark == _decimal_mark(lang) or mark == "." else -1
    return None if mark != _decimal_mark(lang) else last


def _decimal_mark(lang: str) -> str:
    return "," if lang in _COMMA_DECIMAL else "."


def _well_grouped(digits: list[str], decimal_at: int | None) -> bool:
    """Groups after the first are three digits (up to the decimal mark); the first is 1-3 digits
    unless there is no grouping at all. A decimal position of -1 means "not a number"."""
    if decimal_at == -1:
        return False
    integer_groups = digits[: decimal_at + 1] if decimal_at is not None else digits
    if len(integer_groups) == 1:
        return True
    return 1 <= len(integer_groups[0]) <= 3 and all(len(g) == 3 for g in integer_groups[1:])


def _apply_scale(value: Decimal, after: str, lang: str) -> Decimal:
    following = after.lstrip(" \u00a0\u2009\u202f-").lower()
    for word, power in _SCALES.get(lang, ()):
        if following.startswith(word) and _word_ends(following, word, lang):
            return value * (Decimal(10) ** power)
    return value


def _word_ends(following: str, word: str, lang: str) -> bool:
    """Scale words inflect ("миллиона", "milyonluk", "млн."), so a long word may take any ending; a
    short Latin-script word must end where it does ("2 bina" is two buildings, not two thousand)."""
    if len(word) > 3 or lang in {"ru", "kk", "ar", "fa"}:
        return True
    rest = following[len(word) : len(word) + 1]
    return not rest or not _WORD_CHAR.match(rest)


def _is_percent(before: str, after: str, lang: str) -> bool:
    following = after.lstrip(" \u00a0\u2009\u202f").lower()
    if following[:1] and following[0] in _PERCENT_SIGNS:
        return True
    if any(following.startswith(word) for word in _PERCENT_AFTER.get(lang, ())):
        return True
    preceding = before.rstrip(" \u00a0\u2009\u202f").lower()
    if preceding[-1:] and preceding[-1] in _PERCENT_SIGNS:
        return True
    return any(preceding.endswith(word) for word in _PERCENT_BEFORE.get(lang, ()))


class NumbersComponent:
    """Pipeline component: fills `Doc.numbers` from the headline and body, in the language found by the
    language component when there is one (it decides "1,500"), else the declared language."""

    name = "numbers"
    version = VERSION
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ("numbers",)

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        return [
            replace(doc, numbers=extract_numbers(doc.text, doc.language or doc.declared_language))
            for doc in docs
        ]
