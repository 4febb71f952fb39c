"""The curated multilingual gazetteer and the matcher that finds its names in a text.

The gazetteer (``gazetteer/*.json``) ships with the project: every entity has a stable id
("place/tehran", "org/irna", "person/vladimir-putin"), a kind, a canonical English name and its names
and aliases per language. All names of all languages go into one index keyed by
`translit.matching_key` word by word, so a mention links to the same id whatever the language of the
text or the script of the name ("Тегеран", "Tehran", "Tahran", "تهران", "طهران" -> place/tehran).

Matching is word by word, longest name first, over the base forms of each word (entities_text), so
inflected mentions are found (Астанада, Bakıda, в Тегеране, والقاهرة). Two guards keep short names
from matching what they should not: a capitalised name only matches when its first word is
capitalised in the text, and an acronym only a word in capitals (Turkish "Mısır" is Egypt,
"mısır" is maize; "UN" is not "un"); and a name of three letters or fewer only matches in a text
of its own language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from tabadol.enrich.doc import EntityKind
from tabadol.enrich.entities_text import Token, language_rules, primary_language, tokenize, word_keys
from tabadol.enrich.normalize import normalize_for_search
from tabadol.enrich.translit import matching_key
from tabadol.errors import ErrorCode, TabadolError

GAZETTEER_FILES = ("countries.json", "places.json", "organisations.json", "people.json")
MAX_NAME_WORDS = 10
SHORT_NAME_LETTERS = 3


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    id: str
    kind: EntityKind
    name: str  # canonical English name
    names: Mapping[str, tuple[str, ...]]  # language -> names and aliases as written


@dataclass(frozen=True, slots=True)
class NameForm:
    """One written name of an entry, as the index stores it."""

    entry: GazetteerEntry
    language: str
    words: tuple[str, ...]  # the words as written, for the case checks
    letters: int


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    forms: list[NameForm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    entry: GazetteerEntry
    first: int  # index of the first token
    last: int  # index of the last token (a glued-on suffix included)
    start: int
    end: int


class Gazetteer:
    """The entries and a word trie over the matching keys of all their names."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self.entries: dict[str, GazetteerEntry] = {}
        self._root = _Node()
        for entry in entries:
            if entry.id in self.entries:
                raise TabadolError(
                    ErrorCode.MODEL_INVALID, path="gazetteer", reason=f"duplicate id {entry.id}"
                )
            self.entries[entry.id] = entry
            for language, names in entry.names.items():
                for name in names:
                    self._add(entry, language, name)

    def _add(self, entry: GazetteerEntry, language: str, name: str) -> None:
        words = [token.text for token in tokenize(name)]
        if not words or len(words) > MAX_NAME_WORDS:
            return
        form = NameForm(entry, language, tuple(words), sum(len(word) for word in words))
        # Cyrillic names are keyed with their own language's table and with the Russian one, which is
        # what a text of unknown language is keyed with.
        for key_language in dict.fromkeys((language, "ru")):
            keys = [matching_key(normalize_for_search(word), key_language) for word in words]
            node = self._root
            for key in keys:
                node = node.children.setdefault(key, _Node())
            if form not in node.forms:
                node.forms.append(form)

    def find(self, tokens: list[Token], language: str | None) -> list[GazetteerMatch]:
        """Non-overlapping matches, left to right, the longest name at each position."""
        primary = primary_language(language)
        matches: list[GazetteerMatch] = []
        index = 0
        while index < len(tokens):
            match = self._longest_at(tokens, index, primary)
            if match is None:
                index += 1
                continue
            matches.append(match)
            index = match.last + 1
        return matches

    def _longest_at(self, tokens: list[Token], first: int, language: str | None) -> GazetteerMatch | None:
        best: GazetteerMatch | None = None
        for last, forms in self._walk(tokens, first, language):
            chosen = _choose(forms, tokens[first : last + 1], language)
            if chosen is not None:
                end_index = with_glued_suffix(tokens, last, language)
                best = GazetteerMatch(
                    chosen.entry, first, end_index, tokens[first].start, tokens[end_index].end
                )
        return best

    def _walk(
        self, tokens: list[Token], first: int, language: str | None
    ) -> Iterator[tuple[int, list[NameForm]]]:
        """(index of last word, names ending there) for every name that starts at `first`."""
        nodes = [self._root]
        for position in range(first, min(len(tokens), first + MAX_NAME_WORDS)):
            token = tokens[position]
            if position > first and not token.in_phrase:
                return
            keys = word_keys(token.norm, language)
            nodes = [child for node in nodes for key in keys if (child := node.children.get(key))]
            if not nodes:
                return
            forms = [form for node in nodes for form in node.forms]
            if forms:
                yield position, forms


def _choose(forms: list[NameForm], surface: list[Token], language: str | None) -> NameForm | None:
    """The name form the surface words fit, preferring one written in the same case (SANA the
    agency, Сана the city) and then one of the text's language."""
    fitting = [form for form in forms if _fits(form, surface, language)]
    if not fitting:
        return None
    return min(fitting, key=lambda form: (not _same_case(form, surface), form.language != language))


def _same_case(form: NameForm, surface: list[Token]) -> bool:
    return all(
        written.isupper() == token.text.isupper() for written, token in zip(form.words, surface, strict=True)
    )


def _fits(form: NameForm, surface: list[Token], language: str | None) -> bool:
    if form.letters <= SHORT_NAME_LETTERS and language is not None and form.language != language:
        return False
    if len(form.words) != len(surface):
        return False
    first_fits = _case_fits(form.words[0], surface[0], first_word=True)
    return first_fits and all(
        _case_fits(written, token, first_word=False)
        for written, token in zip(form.words, surface, strict=True)
    )


def _case_fits(written: str, token: Token, first_word: bool) -> bool:
    """An acronym needs a word in capitals; a capitalised name needs a capitalised first word
    (later words may be written in lower case: Тәуелсіз мемлекеттер достастығы)."""
    if len(written) > 1 and written.isupper():
        return token.is_all_caps or token.text[: len(written)].isupper()
    if first_word and written[:1].isupper():
        return token.is_capitalised
    return True


def with_glued_suffix(tokens: list[Token], last: int, language: str | None) -> int:
    """Extend a match over a suffix glued on with an apostrophe or hyphen (Tahran'da, АҚШ-тың)."""
    following = last + 1
    if following >= len(tokens) or not tokens[following].attached:
        return last
    suffix = tokens[following]
    rules = language_rules(language)
    if rules.is_suffix(suffix.norm):
        return following
    if (
        rules.apostrophe_any_suffix
        and suffix.after_apostrophe
        and suffix.text.islower()
        and len(suffix.text) <= 7
    ):
        return following
    return last


def _entry_from_json(entity_id: str, data: Mapping[str, object]) -> GazetteerEntry:
    try:
        names_data = data["names"]
        if not isinstance(names_data, Mapping):
            raise TypeError("names is not an object")
        names = {str(lang): tuple(str(name) for name in values) for lang, values in names_data.items()}
        return GazetteerEntry(entity_id, EntityKind(str(data["kind"])), str(data["name"]), names)
    except (KeyError, TypeError, ValueError) as error:
        raise TabadolError(
            ErrorCode.MODEL_INVALID, path=f"gazetteer entry {entity_id}", reason=str(error)
        ) from error


def _gazetteer_texts() -> list[tuple[str, str]]:
    folder = resources.files("tabadol.enrich").joinpath("gazetteer")
    return [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in GAZETTEER_FILES]


def _rule_texts() -> list[tuple[str, str]]:
    texts = []
    for language in ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en"):
        source = resources.files("tabadol.enrich").joinpath("lang", language, "entities.json")
        if source.is_file():
            texts.append((f"lang/{language}/entities.json", source.read_text(encoding="utf-8")))
    return texts


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer that ships with the project, built once per process."""
    entries: list[GazetteerEntry] = []
    for file_name, text in _gazetteer_texts():
        try:
            entities = json.loads(text)["entities"]
        except (ValueError, KeyError) as error:
            raise TabadolError(
                ErrorCode.MODEL_INVALID, path=f"gazetteer/{file_name}", reason=str(error)
            ) from error
        entries.extend(_entry_from_json(entity_id, data) for entity_id, data in entities.items())
    return Gazetteer(entries)


@lru_cache(maxsize=1)
def data_digest() -> str:
    """A hash of the gazetteer and the per-language entity rules: part of the component version,
    so results made with other data can be found and rebuilt."""
    digest = hashlib.sha256()
    for name, text in [*_gazetteer_texts(), *_rule_texts()]:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def gazetteer_names(gazetteer: Gazetteer) -> Iterator[tuple[GazetteerEntry, str, str]]:
    """(entry, language, name) for every name in the gazetteer (the plain name-list baseline)."""
    for entry in gazetteer.entries.values():
        for language, names in entry.names.items():
            for name in names:
                yield entry, language, name
