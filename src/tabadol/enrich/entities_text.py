"""Words and their base forms, for the entity recognizers.

Names are matched word by word, and a word in running text is often inflected: Arabic glues the
conjunction and prepositions to it (والقاهرة, بطهران), the Turkic languages add case and possessive
suffixes (Kazakh Астанада, Azerbaijani Bakıda, Turkish Tahran'da), and Russian changes the ending
(в Тегеране, из Москвы). Each language's rules live in ``lang/<code>/entities.json``; this module
tokenises a text (keeping every word's offsets into the original string) and turns a word into the
base forms it may stand for. The forms are candidates: a form only counts when the gazetteer or a
rule knows it, so over-generation costs little, while a missing form loses a match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from tabadol.enrich.normalize import normalize_for_search
from tabadol.enrich.translit import matching_key, to_latin

# A word: letters and digits, with the combining marks and invisible joiners that may sit inside
# one (Arabic vowel marks, a decomposed й, the Persian zero-width non-joiner, a soft hyphen).
_INSIDE_WORD = (
    "\u0300-\u036f\u0483-\u0487\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u00ad\u200b-\u200d\u2060\ufeff"
)
_WORD = re.compile(rf"[^\W_](?:[^\W_]|[{_INSIDE_WORD}])*")
# What may join a suffix to a name: Turkish writes Tahran'da, Kazakh АҚШ-тың, English Iran's.
SUFFIX_JOINERS = frozenset({"'", "’", "ʼ", "‘", "`", "-", "‐"})
_APOSTROPHES = frozenset({"'", "’", "ʼ", "‘", "`"})
# Gaps that keep words in one phrase: white space and hyphens (Нұр-Сұлтан, Гвинея-Бисау).
_PHRASE_GAP = re.compile(r"[ \t\u00a0\u202f\-‐–]*")

LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
BASE_FORMS_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: where it is, what precedes it, and its search form."""

    text: str
    start: int
    end: int
    gap: str  # the characters between the previous word and this one
    norm: str  # normalize_for_search(text): case-folded, Arabic-script letters unified
    after_initial: bool = False  # the previous word is an initial: George W. Bush

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def is_all_caps(self) -> bool:
        return len(self.text) > 1 and self.text.isupper()

    @property
    def in_phrase(self) -> bool:
        """True when only white space or a hyphen separates this word from the previous one, or
        the previous word is an initial and its full stop."""
        return _PHRASE_GAP.fullmatch(self.gap) is not None or self.after_initial

    @property
    def attached(self) -> bool:
        """True when this word is glued to the previous one by an apostrophe or a hyphen."""
        return self.gap in SUFFIX_JOINERS

    @property
    def after_apostrophe(self) -> bool:
        return self.gap in _APOSTROPHES

    @property
    def sentence_initial(self) -> bool:
        """True at the start of the text or after a sentence end (where a capital says nothing)."""
        stripped = self.gap.strip()
        return self.start == len(self.gap) or (bool(stripped) and stripped[-1] in '.!?…:;"«“\n')


@lru_cache(maxsize=100_000)
def _search_form(word: str) -> str:
    return normalize_for_search(word)


_INITIAL_GAP = re.compile(r"\. ?")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        gap = text[previous_end : match.start()]
        after_initial = bool(
            tokens and len(tokens[-1].text) == 1 and tokens[-1].text.isupper() and _INITIAL_GAP.fullmatch(gap)
        )
        tokens.append(Token(word, match.start(), match.end(), gap, _search_form(word), after_initial))
        previous_end = match.end()
    return tokens


def primary_language(tag: str | None) -> str | None:
    """The primary subtag of a BCP-47 tag if it is one of the hub's languages, else None."""
    primary = (tag or "").split("-", 1)[0].split("_", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else None


@dataclass(frozen=True)
class LanguageRules:
    """A language's inflection and naming rules (lang/<code>/entities.json), in search form."""

    language: str | None = None
    suffixes: tuple[str, ...] = ()  # longest first
    suffix_set: frozenset[str] = frozenset()
    endings: tuple[tuple[str, str], ...] = ()  # (ending, replacement), Russian declension
    prefixes: tuple[tuple[str, str], ...] = ()  # (prefix, what it stands for), Arabic clitics
    softening: Mapping[str, str] = field(default_factory=dict)  # b->p before a vowel suffix, ...
    min_stem: int = 3
    apostrophe_any_suffix: bool = False
    surname_suffixes: tuple[str, ...] = ()
    patronymic_suffixes: tuple[str, ...] = ()  # Кемелұлы, Абишевич: may stand between given name and surname
    # Case endings that end a phrase on the left: a word in the locative or ablative is not part of
    # the organisation or person name that follows it (Астанада | Денсаулық сақтау министрлігі).
    boundary_suffixes: tuple[str, ...] = ()
    titles: frozenset[str] = frozenset()
    title_modifiers: frozenset[str] = frozenset()
    org_heads_final: frozenset[str] = frozenset()
    place_heads_final: frozenset[str] = frozenset()  # Алматы облысы, Kabul Province, Kür çayı
    # Words after a place name that say what it is, outside the name (Қарасай ауданы, Tahran şehri).
    place_markers_after: frozenset[str] = frozenset()
    org_heads_initial: frozenset[str] = frozenset()
    org_markers: frozenset[str] = frozenset()
    org_connectors: frozenset[str] = frozenset()
    org_inner_lowercase: int = 0  # lower-case words a head-final name may hold (Денсаулық сақтау министрлігі)
    stop_after_head: frozenset[str] = frozenset()
    given_names: frozenset[str] = frozenset()  # matching keys
    # Common words that start sentences (pronouns, adverbs, conjunctions): capitalised there only
    # because of where they stand, so never the first word of a name.
    sentence_starters: frozenset[str] = frozenset()
    # Rules are shared by every text of a language, and a word's base forms are asked for by
    # several rules: worth remembering (a dict: the rules themselves are not hashable).
    _base_forms_cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def base_forms(self, norm: str) -> tuple[str, ...]:
        """`norm` itself and the base forms an inflected word may stand for (search form)."""
        cached = self._base_forms_cache.get(norm)
        if cached is None:
            if len(self._base_forms_cache) >= BASE_FORMS_CACHE_SIZE:
                self._base_forms_cache.clear()
            cached = self._base_forms_cache[norm] = self._compute_base_forms(norm)
        return cached

    def _compute_base_forms(self, norm: str) -> tuple[str, ...]:
        forms = [norm]
        for suffix in self.suffixes:
            if norm.endswith(suffix) and len(norm) - len(suffix) >= self.min_stem:
                stem = norm[: -len(suffix)]
                forms.append(stem)
                hard = self.softening.get(stem[-1])
                if hard:
                    forms.append(stem[:-1] + hard)
        for ending, replacement in self.endings:
            if norm.endswith(ending) and len(norm) - len(ending) >= self.min_stem:
                forms.append(norm[: -len(ending)] + replacement)
        for prefix, restored in self.prefixes:
            if norm.startswith(prefix) and len(norm) - len(prefix) >= self.min_stem:
                forms.append(restored + norm[len(prefix) :])
        return tuple(dict.fromkeys(forms))

    def is_suffix(self, norm: str) -> bool:
        return norm in self.suffix_set

    def ends_phrase(self, norm: str) -> bool:
        """True for a word inflected with a case that cannot stand inside a name on its left."""
        return any(norm.endswith(s) and len(norm) - len(s) >= self.min_stem for s in self.boundary_suffixes)


def _search_forms(values: Any, language: str) -> list[str]:
    """The values in search form, plus their Latin spelling for languages with two alphabets
    (Kazinform's Latin wire inflects Qazaqstanda as the Cyrillic wire does Қазақстанда)."""
    forms: list[str] = []
    for value in values or ():
        norm = normalize_for_search(str(value))
        forms.append(norm)
        if language in {"kk", "az", "tk"}:
            forms.append(normalize_for_search(to_latin(norm, language)))
    return list(dict.fromkeys(form for form in forms if form))


def _rules_from_json(language: str, data: Mapping[str, Any]) -> LanguageRules:
    suffixes = sorted(_search_forms(data.get("suffixes"), language), key=len, reverse=True)
    softening = {
        normalize_for_search(k): normalize_for_search(v) for k, v in data.get("softening", {}).items()
    }
    return LanguageRules(
        language=language,
        suffixes=tuple(suffixes),
        suffix_set=frozenset(suffixes),
        endings=tuple((normalize_for_search(e), normalize_for_search(r)) for e, r in data.get("endings", ())),
        prefixes=tuple(
            (normalize_for_search(p), normalize_for_search(r)) for p, r in data.get("prefixes", ())
        ),
        softening={k: v for k, v in softening.items() if k and v and k != v},
        min_stem=int(data.get("min_stem", 3)),
        apostrophe_any_suffix=bool(data.get("apostrophe_any_suffix", False)),
        surname_suffixes=tuple(_search_forms(data.get("surname_suffixes"), language)),
        patronymic_suffixes=tuple(_search_forms(data.get("patronymic_suffixes"), language)),
        boundary_suffixes=tuple(_search_forms(data.get("boundary_suffixes"), language)),
        titles=frozenset(form.rstrip(".") for form in _search_forms(data.get("titles"), language)),
        title_modifiers=frozenset(_search_forms(data.get("title_modifiers"), language)),
        org_heads_final=frozenset(_search_forms(data.get("org_heads_final"), language)),
        place_heads_final=frozenset(_search_forms(data.get("place_heads_final"), language)),
        place_markers_after=frozenset(_search_forms(data.get("place_markers_after"), language)),
        org_heads_initial=frozenset(_search_forms(data.get("org_heads_initial"), language)),
        org_markers=frozenset(str(m) for m in data.get("org_markers", ())),
        org_connectors=frozenset(_search_forms(data.get("org_connectors"), language)),
        org_inner_lowercase=int(data.get("org_inner_lowercase", 0)),
        stop_after_head=frozenset(_search_forms(data.get("stop_after_head"), language)),
        given_names=frozenset(matching_key(str(n), language) for n in data.get("given_names", ())),
        sentence_starters=frozenset(_search_forms(data.get("sentence_starters"), language)),
    )


@cache
def language_rules(language: str | None) -> LanguageRules:
    """The rules for a language (primary subtag); no rules for an unknown or missing language."""
    primary = primary_language(language)
    if primary is None:
        return LanguageRules()
    source = resources.files("tabadol.enrich").joinpath("lang", primary, "entities.json")
    if not source.is_file():
        return LanguageRules(language=primary)
    return _rules_from_json(primary, json.loads(source.read_text(encoding="utf-8")))


@lru_cache(maxsize=200_000)
def word_keys(norm: str, language: str | None) -> tuple[str, ...]:
    """Matching keys of a word (search form) and of its base forms; the word's own key first."""
    rules = language_rules(language)
    keys = (matching_key(form, language) for form in rules.base_forms(norm))
    return tuple(dict.fromkeys(key for key in keys if key))
