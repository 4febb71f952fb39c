"""Dates mentioned in an item's text, and the date in its dateline.

`extract_dates(text, language, reference)` finds calendar dates written in words ("12 марта 2026 года",
"۲ آذر ۱۴۰۳", "23 تشرين الثاني/نوفمبر 2026", "Mart'ta"), numeric dates (2026-11-23, 23.11.2026,
۱۴۰۳/۰۸/۲۳), year mentions with a year word ("в 2025 году", "سال ۱۴۰۳") and a small set of relative
words ("yesterday", "в понедельник"), and returns each as a Gregorian `datetime.date` with the
calendar it was written in and how precise it is. The item's time (`reference`) resolves relative and
partial dates.

Month names, inflections and cue words live per language in `lang/<code>/dates.json`.

How the text is read. Matching runs on a folded copy of the text with exactly the same length, so every
offset points into the original: Persian and Arabic-Indic digits become ASCII, Arabic yeh/kaf and
hamza-seated alefs take one form, Turkic dotted/dotless i fold to i, invisible and control characters
become spaces, and letters are lower-cased.

Why so many cues. Month names are also ordinary words (Turkish "aralık" is "gap", Kazakh "қазан" is
"cauldron" and the city Kazan, Persian "می" is a verb prefix, English "may" a verb). A month name alone is
never a date: it needs a day or a year beside it, or, for a month without either, a cue such as "in",
"в", a locative suffix or the word for "month". English month names must be capitalised.

Resolution rules (deterministic):
- a day and month without a year take the latest year whose date is no later than 90 days after the
  reference (news mostly reports the past, and announces the near future);
- a month without a year takes the same rule with the month's first day;
- a weekday is its nearest occurrence to the reference (at most three days away);
- a month-precision date is the month's first day, a year-precision date the year's first day (for Solar
  Hijri, 1 Farvardin), both converted to the Gregorian calendar.

Work is bounded: mentions are sought in the first `MENTION_SCAN_LIMIT` characters only, and a dateline
only at the very start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

from tabadol.enrich.calendars import gregorian_to_solar_hijri, solar_hijri_to_gregorian

Calendar = Literal["gregorian", "solar_hijri"]
Precision = Literal["day", "month", "year"]
Role = Literal["dateline", "mention"]
_Kind = Literal["absolute", "relative", "weekday"]

LANGUAGES = ("fa", "ar", "ru", "kk", "az", "tk", "tr", "en")
MENTION_SCAN_LIMIT = 20_000
DATELINE_SCAN_LIMIT = 120  # a dateline date must begin within this many characters of the start
_FUTURE_WINDOW = timedelta(days=90)
_GREGORIAN_YEARS = range(1900, 2101)
_SOLAR_YEARS = range(1300, 1500)


@dataclass(frozen=True, slots=True)
class MentionedDate:
    """One date found in a text. `start`/`end` are offsets into the original text."""

    start: int
    end: int
    surface: str
    date: date
    calendar: Calendar
    precision: Precision
    role: Role


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    date: date
    calendar: Calendar
    precision: Precision
    kind: _Kind


# --------------------------------------------------------------------------------------------------
# Folding: one comparable form of the text, same length as the original.

_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u061c\u00ad" + "".join(
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F] if chr(c) not in "\n")
_FOLD_TABLE = str.maketrans(
    {chr(0x0660 + n): str(n) for n in range(10)}
    | {chr(0x06F0 + n): str(n) for n in range(10)}
    | {ch: " " for ch in _INVISIBLE + _CONTROLS}
    | {"İ": "i", "I": "i", "ı": "i", "ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"}
    | {"’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'"}
)


def _fold(text: str) -> str:
    # İ is the only character whose lower() is longer than itself; the table has already mapped it.
    return text.translate(_FOLD_TABLE).lower()


# --------------------------------------------------------------------------------------------------
# Per-language rules, loaded from lang/<code>/dates.json.


@dataclass(frozen=True, slots=True)
class _MonthForm:
    month: int
    calendar: Calendar
    base: str
    suffix: str
    abbreviation: bool


@dataclass(frozen=True, slots=True)
class _Rules:
    """One language's reading of dates; each field is the same-named key of its dates.json (folded).

    months / solar_months / abbreviations: 12 lists of names; suffixes: case endings a name may carry;
    ambiguous: names that are dates only with both day and year (Persian "می" is also a verb prefix);
    needs_month_word: names that, without day or year, need the word for "month" after them;
    cue_suffixes / month_prefixes / month_words_after / month_words_before: what makes a bare month a
    date; day_after_month: "plain" (Nov 23), "hyphen" (noyabrın 23-də) or "no";
    year_words_before_day: "2026 жылғы 23 ..."; year_prefixes / year_suffix_words: a year alone;
    relative: word -> days from the reference; weekdays: word -> Monday=0, with their cues.
    """

    language: str
    month_forms: Mapping[str, _MonthForm]
    capitalized: bool
    ambiguous: frozenset[str]
    needs_month_word: frozenset[str]
    cue_suffixes: frozenset[str]
    month_prefixes: frozenset[str]
    month_words_after: frozenset[str]
    month_words_before: frozenset[str]
    day_after_month: Literal["no", "plain", "hyphen"]
    year_words_before_day: frozenset[str]
    year_prefixes: frozenset[str]
    year_prefix_needs_clear_end: bool
    clear_end_words: frozenset[str]
    year_suffix_words: frozenset[str]
    relative: Mapping[str, int]
    weekdays: Mapping[str, int]
    weekday_prefixes: frozenset[str]
    weekday_suffix_words: frozenset[str]
    weekday_cue_optional: bool
    weekday_always_cue: frozenset[str]


def _folded_set(raw: Mapping[str, Any], key: str) -> frozenset[str]:
    return frozenset(_fold(word) for word in raw.get(key, []))


def _month_forms(raw: Mapping[str, Any]) -> dict[str, _MonthForm]:
    """Every accepted spelling of every month (base form, optionally + case suffix) -> its month."""
    suffixes = ["", *(_fold(s) for s in raw.get("suffixes", []))]
    forms: dict[str, _MonthForm] = {}
    tables: list[tuple[str, Calendar, bool]] = [
        ("solar_months", "solar_hijri", False),
        ("months", "gregorian", False),
        ("abbreviations", "gregorian", True),
    ]
    for key, calendar, abbreviation in tables:
        for number, names in enumerate(raw.get(key, []), start=1):
            for name in names:
                base = _fold(name)
                for suffix in suffixes if not abbreviation else [""]:
                    form = _MonthForm(number, calendar, base, suffix, abbreviation)
                    forms.setdefault(base + suffix, form)
                    if suffix:  # Turkish writes "Mart'ta", "23 Kasım'da"
                        forms.setdefault(f"{base}'{suffix}", form)
    return forms


@cache
def _rules(language: str) -> _Rules:
    source = resources.files("tabadol.enrich").joinpath("lang", language, "dates.json")
    raw: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return _Rules(
        language=language,
        month_forms=_month_forms(raw),
        capitalized=bool(raw.get("capitalized", False)),
        ambiguous=_folded_set(raw, "ambiguous"),
        needs_month_word=_folded_set(raw, "needs_month_word"),
        cue_suffixes=_folded_set(raw, "cue_suffixes"),
        month_prefixes=_folded_set(raw, "month_prefixes"),
        month_words_after=_folded_set(raw, "month_words_after"),
        month_words_before=_folded_set(raw, "month_words_before"),
        day_after_month=raw.get("day_after_month", "no"),
        year_words_before_day=_folded_set(raw, "year_words_before_day"),
        year_prefixes=_folded_set(raw, "year_prefixes"),
        year_prefix_needs_clear_end=bool(raw.get("year_prefix_needs_clear_end", False)),
        clear_end_words=_folded_set(raw, "clear_end_words"),
        year_suffix_words=_folded_set(raw, "year_suffix_words"),
        relative={_fold(word): offset for word, offset in raw.get("relative", {}).items()},
        weekdays={_fold(word): day for word, day in raw.get("weekdays", {}).items()},
        weekday_prefixes=_folded_set(raw, "weekday_prefixes"),
        weekday_suffix_words=_folded_set(raw, "weekday_suffix_words"),
        weekday_cue_optional=bool(raw.get("weekday_cue_optional", False)),
        weekday_always_cue=_folded_set(raw, "weekday_always_cue"),
    )


NumericOrder = Literal["dmy", "mdy", "unambiguous"]


def _languages_and_order(language: str | None) -> tuple[tuple[str, ...], NumericOrder]:
    """The rule sets to apply and how to read dd/mm vs mm/dd. Unknown text tries every language but
    reads numeric dates only when day and month cannot be confused; plain English does the same
    (British and American writers disagree); en-US is month first; everyone else day first."""
    if language is None:
        return LANGUAGES, "unambiguous"
    subtags = language.replace("_", "-").lower().split("-")
    primary = subtags[0]
    if primary == "en":
        return ("en",), "mdy" if "us" in subtags[1:] else "unambiguous"
    if primary in LANGUAGES:
        return (primary,), "dmy"
    return (), "dmy"


# --------------------------------------------------------------------------------------------------
# Tokens: runs of letters in the folded text, with their offsets.

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_GAP = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str


def _tokens(folded: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded)]


def _adjacent(folded: str, left: _Token, right: _Token) -> bool:
    """Only spaces (no newline, no punctuation) between two tokens."""
    return _GAP.fullmatch(folded, left.end, right.start) is not None


def _phrase_at(folded: str, tokens: list[_Token], i: int, table: Mapping[str, Any]) -> tuple[str, int] | None:
    """The longest (two words, then one) phrase from `table` starting at token i, and its last index."""
    if i + 1 < len(tokens) and _adjacent(folded, tokens[i], tokens[i + 1]):
        pair = f"{tokens[i].text} {tokens[i + 1].text}"
        if pair in table:
            return pair, i + 1
    return (tokens[i].text, i) if tokens[i].text in table else None


# --------------------------------------------------------------------------------------------------
# Calendar arithmetic.


def _to_gregorian(calendar: Calendar, year: int, month: int, day: int) -> date | None:
    try:
        if calendar == "solar_hijri":
            return solar_hijri_to_gregorian(year, month, day)
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _year_in_range(calendar: Calendar, year: int) -> bool:
    return year in (_SOLAR_YEARS if calendar == "solar_hijri" else _GREGORIAN_YEARS)


def _reference_year(calendar: Calendar, reference: date) -> int:
    if calendar == "solar_hijri":
        return gregorian_to_solar_hijri(reference)[0]
    return reference.year


def _resolve_partial(calendar: Calendar, month: int, day: int, reference: date) -> date | None:
    """The latest year whose (month, day) is no later than 90 days after the reference."""
    latest = reference + _FUTURE_WINDOW
    year = _reference_year(calendar, reference)
    for candidate_year in (year + 1, year, year - 1):
        resolved = _to_gregorian(calendar, candidate_year, month, day)
        if resolved is not None and resolved <= latest:
            return resolved
    return None


def _resolve_weekday(weekday: int, reference: date) -> date:
    delta = (weekday - reference.weekday()) % 7
    return reference + timedelta(days=delta - 7 if delta > 3 else delta)


# --------------------------------------------------------------------------------------------------
# Month-name dates: "12 марта 2026", "Nov 23", "۲ آذر ۱۴۰۳", "2026 жылғы 23 қарашада", "в марте".

_DAY_BEFORE = re.compile(r"(?<![0-9.,/:\-])([0-9]{1,2})(?:st|nd|rd|th|['\-]?[^\W\d_]{1,5}|\.)?\s+(?:of\s+)?$")
_DAY_AFTER = re.compile(r"\.?\s+([0-9]{1,2})(st|nd|rd|th|['\-][^\W\d_]{1,5})?(?![0-9])(?![.:][0-9])")
_YEAR_AFTER = re.compile(r"[ \t]*[,،]?\s*([0-9]{4})(?![0-9])(?![.:/,][0-9])")
_YEAR_BEFORE = re.compile(r"(?<![0-9.,/:\-])([0-9]{4})(?:['\-]?[^\W\d_]{1,4})?\s+([^\W\d_]+)\s+$")
_SLASH = re.compile(r"\s*/\s*")


@dataclass(slots=True)
class _Parts:
    start: int
    end: int
    day: int | None = None
    year: int | None = None
    impossible_year: bool = False  # "5 March 1850": a date, but not one this hub resolves


def _month_candidates(
    text: str, folded: str, tokens: list[_Token], rules: _Rules, ref: date
) -> Iterator[_Candidate]:
    i = 0
    while i < len(tokens):
        found = _phrase_at(folded, tokens, i, rules.month_forms)
        if found is None:
            i += 1
            continue
        phrase, last = found
        form = rules.month_forms[phrase]
        candidate = _month_candidate(text, folded, tokens, i, last, form, rules, ref)
        if candidate is not None:
            yield candidate
        i = last + 1


def _month_candidate(
    text: str,
    folded: str,
    tokens: list[_Token],
    first: int,
    last: int,
    form: _MonthForm,
    rules: _Rules,
    ref: date,
) -> _Candidate | None:
    start, end = tokens[first].start, tokens[last].end
    if rules.capitalized and not text[start].isupper():
        return None
    end = _extend_over_alternative(folded, tokens, last, form, rules)
    parts = _Parts(start, end)
    _attach_day(folded, parts, form, rules)
    _attach_year(folded, parts, form, rules)
    if parts.impossible_year:
        return None
    if form.base in rules.ambiguous and (parts.day is None or parts.year is None):
        return None
    if (
        parts.day is None
        and parts.year is None
        and not _has_month_cue(folded, tokens, first, last, form, rules)
    ):
        return None
    return _candidate_from_parts(parts, form, ref)


def _extend_over_alternative(
    folded: str, tokens: list[_Token], last: int, form: _MonthForm, rules: _Rules
) -> int:
    """Arabic news often names a month in both sets, "تشرين الثاني/نوفمبر": take both as one."""
    end = tokens[last].end
    slash = _SLASH.match(folded, end)
    if slash is None or last + 1 >= len(tokens) or tokens[last + 1].start != slash.end():
        return end
    found = _phrase_at(folded, tokens, last + 1, rules.month_forms)
    if found is None or rules.month_forms[found[0]].month != form.month:
        return end
    return tokens[found[1]].end


def _attach_day(folded: str, parts: _Parts, form: _MonthForm, rules: _Rules) -> None:
    before = _DAY_BEFORE.search(folded, max(0, parts.start - 24), parts.start)
    if before is not None:
        parts.day, parts.start = int(before.group(1)), before.start()
        return
    if rules.day_after_month == "no":
        return
    if form.abbreviation:
        dot = folded.startswith(".", parts.end)
        parts.end += dot
    after = _DAY_AFTER.match(folded, parts.end)
    if after is None or (rules.day_after_month == "hyphen" and after.group(2) is None):
        return
    parts.day, parts.end = int(after.group(1)), after.end()


def _attach_year(folded: str, parts: _Parts, form: _MonthForm, rules: _Rules) -> None:
    after = _YEAR_AFTER.match(folded, parts.end)
    if after is not None:
        parts.year, parts.end = int(after.group(1)), after.end(1)
        parts.impossible_year = not _year_in_range(form.calendar, parts.year)
        return
    if not rules.year_words_before_day:
        return
    before = _YEAR_BEFORE.search(folded, max(0, parts.start - 40), parts.start)
    if before is None or before.group(2) not in rules.year_words_before_day:
        return
    if _year_in_range(form.calendar, int(before.group(1))):
        parts.year, parts.start = int(before.group(1)), before.start()


def _has_month_cue(
    folded: str, tokens: list[_Token], first: int, last: int, form: _MonthForm, rules: _Rules
) -> bool:
    """A month without day or year counts only with a cue: "in March", "в марте", "martda", "آذرماه"."""
    if form.abbreviation:
        return False
    previous = (
        tokens[first - 1] if first > 0 and _adjacent(folded, tokens[first - 1], tokens[first]) else None
    )
    following = (
        tokens[last + 1]
        if last + 1 < len(tokens) and _adjacent(folded, tokens[last], tokens[last + 1])
        else None
    )
    if following is not None and following.text in rules.month_words_after:
        return True
    if previous is not None and previous.text in rules.month_words_before | rules.month_prefixes:
        return True
    suffix = form.suffix.lstrip("'")
    return bool(suffix) and suffix in rules.cue_suffixes and form.base not in rules.needs_month_word


def _candidate_from_parts(parts: _Parts, form: _MonthForm, ref: date) -> _Candidate | None:
    precision: Precision = "day" if parts.day is not None else "month"
    day = parts.day if parts.day is not None else 1
    if parts.year is not None:
        resolved = _to_gregorian(form.calendar, parts.year, form.month, day)
    else:
        resolved = _resolve_partial(form.calendar, form.month, day, ref)
    if resolved is None:
        return None
    return _Candidate(parts.start, parts.end, resolved, form.calendar, precision, "absolute")


# --------------------------------------------------------------------------------------------------
# Relative words and weekdays.


def _relative_candidates(folded: str, tokens: list[_Token], rules: _Rules, ref: date) -> Iterator[_Candidate]:
    for i in range(len(tokens)):
        found = _phrase_at(folded, tokens, i, rules.relative)
        if found is not None:
            phrase, last = found
            when = ref + timedelta(days=rules.relative[phrase])
            yield _Candidate(tokens[i].start, tokens[last].end, when, "gregorian", "day", "relative")
        weekday = _phrase_at(folded, tokens, i, rules.weekdays)
        if weekday is not None and _has_weekday_cue(folded, tokens, i, weekday, rules):
            when = _resolve_weekday(rules.weekdays[weekday[0]], ref)
            yield _Candidate(tokens[i].start, tokens[weekday[1]].end, when, "gregorian", "day", "weekday")


def _has_weekday_cue(
    folded: str, tokens: list[_Token], i: int, found: tuple[str, int], rules: _Rules
) -> bool:
    phrase, last = found
    if i > 0 and _adjacent(folded, tokens[i - 1], tokens[i]) and tokens[i - 1].text in rules.weekday_prefixes:
        return True
    following = tokens[last + 1] if last + 1 < len(tokens) else None
    if following is not None and _adjacent(folded, tokens[last], following):
        return following.text in rules.weekday_suffix_words or _weekday_without_cue(phrase, rules)
    return _weekday_without_cue(phrase, rules)


def _weekday_without_cue(phrase: str, rules: _Rules) -> bool:
    return rules.weekday_cue_optional and phrase not in rules.weekday_always_cue


# --------------------------------------------------------------------------------------------------
# Year mentions: "в 2025 году", "2026 жылы", "سال ۱۴۰۳", "in 2025.".

_YEAR = re.compile(r"(?<![0-9.,/:\-])([0-9]{4})(?![0-9])(?![.,/:\-][0-9])")
_YEAR_TAIL = re.compile(r"(?:['\-]?[^\W\d_]{1,4})?[ \t]+([^\W\d_]+)")
_CLEAR_END = re.compile(r"\s*(?:[.,;:!?)]|$)")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_]+)")
_PREVIOUS_WORD = re.compile(r"(?<![^\W\d_])([^\W\d_]+)[ \t]+$")


def _year_candidates(folded: str, rules: _Rules) -> Iterator[_Candidate]:
    if not (rules.year_prefixes or rules.year_suffix_words):
        return
    for match in _YEAR.finditer(folded):
        year = int(match.group(1))
        calendar: Calendar = "solar_hijri" if rules.language == "fa" and year in _SOLAR_YEARS else "gregorian"
        if not _year_in_range(calendar, year) or not _has_year_cue(folded, match, rules):
            continue
        first_day = _to_gregorian(calendar, year, 1, 1)
        if first_day is not None:
            yield _Candidate(match.start(), match.end(), first_day, calendar, "year", "absolute")


def _has_year_cue(folded: str, match: re.Match[str], rules: _Rules) -> bool:
    tail = _YEAR_TAIL.match(folded, match.end())
    if tail is not None and tail.group(1) in rules.year_suffix_words:
        return True
    previous = _PREVIOUS_WORD.search(folded, max(0, match.start() - 30), match.start())
    if previous is None or previous.group(1) not in rules.year_prefixes:
        return False
    return not rules.year_prefix_needs_clear_end or _ends_clearly(folded, match.end(), rules)


def _ends_clearly(folded: str, position: int, rules: _Rules) -> bool:
    """After "in 2025" English needs punctuation or a function word: "in 2025 cases" is a count."""
    if _CLEAR_END.match(folded, position):
        return True
    following = _NEXT_WORD.match(folded, position)
    return following is not None and following.group(1) in rules.clear_end_words


# --------------------------------------------------------------------------------------------------
# Numeric dates: 2026-11-23, 1403/08/23, 23.11.2026, 23/11/2026.

_YMD = re.compile(r"(?<![0-9.,/:\-])([0-9]{4})([\-/.])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])(?![.,/:\-][0-9])")
_DMY = re.compile(r"(?<![0-9.,/:\-])([0-9]{1,2})([\-/.])([0-9]{1,2})\2([0-9]{4})(?![0-9])(?![.,/:\-][0-9])")


def _numeric_candidates(folded: str, order: NumericOrder, solar: bool) -> Iterator[_Candidate]:
    for match in _YMD.finditer(folded):
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
        calendar: Calendar = "solar_hijri" if solar and year in _SOLAR_YEARS else "gregorian"
        yield from _numeric_candidate(match, calendar, year, month, day)
    for match in _DMY.finditer(folded):
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        day_month = _day_and_month(first, second, order)
        if day_month is not None:
            calendar = "solar_hijri" if solar and year in _SOLAR_YEARS else "gregorian"
            yield from _numeric_candidate(match, calendar, year, day_month[1], day_month[0])


def _day_and_month(first: int, second: int, order: NumericOrder) -> tuple[int, int] | None:
    if order == "dmy":
        return first, second
    if order == "mdy":
        return second, first
    if first > 12 >= second or first == second:
        return first, second
    if second > 12 >= first:
        return second, first
    return None  # 03/04/2026: April in London, March in New York


def _numeric_candidate(
    match: re.Match[str], calendar: Calendar, year: int, month: int, day: int
) -> Iterator[_Candidate]:
    if not _year_in_range(calendar, year):
        return
    resolved = _to_gregorian(calendar, year, month, day)
    if resolved is not None:
        yield _Candidate(match.start(), match.end(), resolved, calendar, "day", "absolute")


# --------------------------------------------------------------------------------------------------
# Choosing among candidates, and the dateline.

_SEPARATORS_AFTER_PLACE = ",.-–—:/|،"
_SEPARATORS_AFTER_DATE = ("(", "-", "–", "—", ".", ",", "/", ":", "|", "،")
_DATE_FIRST_SEPARATORS = ("(", "-", "–", "—", "/", "|")


def _select(candidates: list[_Candidate], folded: str) -> list[_Candidate]:
    """Longest first, no overlaps; a weekday right beside another date of the same weekday
    ("Monday, 23 November", "أمس الأحد") adds nothing and is dropped."""
    chosen: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.start - c.end, c.start, c.kind)):
        if all(candidate.end <= other.start or candidate.start >= other.end for other in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: c.start)
    return [c for c in chosen if c.kind != "weekday" or not _restated(c, chosen, folded)]


def _restated(weekday: _Candidate, chosen: list[_Candidate], folded: str) -> bool:
    for other in chosen:
        if (
            other.kind == "weekday"
            or other.precision != "day"
            or other.date.weekday() != weekday.date.weekday()
        ):
            continue
        left, right = (weekday, other) if weekday.end <= other.start else (other, weekday)
        if right.start - left.end <= 4 and folded[left.end : right.start].strip(" ,،\t") == "":
            return True
    return False


def _is_dateline(text: str, candidate: _Candidate) -> bool:
    """The first date of an item is its dateline when only a short place/agency label precedes it
    ("MOSCOW, ", "تهران- ایرنا- ", "Астана. ") and a separator follows ("(TASS) -", ". КАЗИНФОРМ")."""
    if candidate.kind != "absolute" or candidate.start > DATELINE_SCAN_LIMIT:
        return False
    prefix = _fold(text[: candidate.start]).strip()
    after = _fold(text[candidate.end : candidate.end + 40]).lstrip(" \t")
    if "\n" in prefix or len(_WORD.findall(prefix)) > 6:
        return False
    if not prefix:
        return after == "" or after.startswith(_DATE_FIRST_SEPARATORS)
    return prefix[-1] in _SEPARATORS_AFTER_PLACE and (after == "" or after.startswith(_SEPARATORS_AFTER_DATE))


def _reference_day(reference: datetime) -> date:
    """The reference's UTC calendar day; a naive datetime is taken to be UTC already."""
    if reference.tzinfo is not None:
        reference = reference.astimezone(UTC)
    return reference.date()


def extract_dates(text: str, language: str | None, reference: datetime) -> list[MentionedDate]:
    """Dates mentioned in `text` (BCP-47 `language`, or None if unknown), in text order; the first
    one is marked `role="dateline"` when it is the item's dateline. Pure and deterministic."""
    scanned = text[:MENTION_SCAN_LIMIT]
    folded = _fold(scanned)
    ref = _reference_day(reference)
    languages, order = _languages_and_order(language)
    tokens = _tokens(folded)
    candidates = list(_numeric_candidates(folded, order, solar=language is None or "fa" in languages))
    for code in languages:
        rules = _rules(code)
        candidates += _month_candidates(scanned, folded, tokens, rules, ref)
        candidates += _relative_candidates(folded, tokens, rules, ref)
        candidates += _year_candidates(folded, rules)
    chosen = _select(candidates, folded)
    return [
        _mention(scanned, c, role="dateline" if n == 0 and _is_dateline(scanned, c) else "mention")
        for n, c in enumerate(chosen)
    ]


def _mention(text: str, candidate: _Candidate, role: Role) -> MentionedDate:
    return MentionedDate(
        start=candidate.start,
        end=candidate.end,
        surface=text[candidate.start : candidate.end],
        date=candidate.date,
        calendar=candidate.calendar,
        precision=candidate.precision,
        role=role,
    )
