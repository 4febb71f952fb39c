"""Rules for persons and organisations the gazetteer does not know (every language but Russian,
which natasha covers).

They rely on what names look like in these languages rather than on lists of the names themselves:
- a person: a capitalised word with a surname or patronymic ending (-ов/-ева/-ұлы/-қызы, -ov/-yeva,
  -oğlu, -zadə, -ow/-ewa, -yan), optionally preceded by capitalised given names; a known given
  name followed by a capitalised word; one or two capitalised words after a title (President,
  Президенті, Cumhurbaşkanı; in Arabic and Persian script, which has no capitals, the words after
  a title and its modifiers, الرئيس السوري بشار الأسد);
- an organisation: a phrase ending in a head word in the Turkic languages (Денсаулық сақтау
  министрлігі, Dışişleri Bakanlığı, Energetika Nazirliyi) or starting with one in English, Arabic and
  Persian (Ministry of Energy, وزارة الطاقة, وزارت نفت).

Each rule returns spans with a base form of the name (the case suffix of the last word removed),
from which the caller derives a stable id.
"""

from __future__ import annotations

from dataclasses import dataclass

from tabadol.enrich.doc import EntityKind
from tabadol.enrich.entities_text import LanguageRules, Token
from tabadol.enrich.translit import matching_key

MAX_GIVEN_NAMES = 2
MAX_ORG_WORDS = 7
MAX_NAME_AFTER_TITLE = 3  # President George W. Bush
MAX_CASELESS_NAME_AFTER_TITLE = 2  # Arabic script: no capitals tell where a name ends
MAX_ABBREVIATION = 4  # Dr, Prof, Gen: a title this short before a full stop is abbreviated
MIN_SURNAME_STEM = 3  # letters before the surname ending: Назарбаев, not Әрин(е)


@dataclass(frozen=True, slots=True)
class RuleSpan:
    kind: EntityKind
    first: int  # token indexes, inclusive
    last: int
    name: str  # base form of the name


def find_rule_spans(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    spans = [*_surname_persons(tokens, rules), *_given_name_persons(tokens, rules)]
    spans += _titled_persons(tokens, rules)
    spans += _head_final_names(tokens, rules)
    spans += _head_initial_orgs(tokens, rules)
    return spans


# --- persons ----------------------------------------------------------------------------------


def surname_base(token: Token, rules: LanguageRules) -> str | None:
    """The base form of a word that looks like a surname or patronymic, else None."""
    if not token.is_capitalised or token.is_all_caps or not rules.surname_suffixes:
        return None
    for form in rules.base_forms(token.norm):
        for suffix in rules.surname_suffixes:
            if form.endswith(suffix) and len(form) >= len(suffix) + MIN_SURNAME_STEM:
                return form
    return None


def _is_patronymic(token: Token, rules: LanguageRules) -> bool:
    if not token.is_capitalised or token.is_all_caps:
        return False
    return any(token.norm.endswith(suffix) for suffix in rules.patronymic_suffixes)


def _is_given_name(token: Token, rules: LanguageRules) -> bool:
    if not token.is_capitalised or token.is_all_caps or not rules.given_names:
        return False
    return any(
        matching_key(form, rules.language) in rules.given_names for form in rules.base_forms(token.norm)
    )


def _capitalised_word(token: Token, rules: LanguageRules) -> bool:
    """A word capitalised as a name is: not in capitals, and not a common word at a sentence start."""
    if not token.is_capitalised or token.is_all_caps or token.text[:1].isdigit():
        return False
    return not (token.sentence_initial and token.norm in rules.sentence_starters)


def _may_precede_in_name(token: Token, rules: LanguageRules) -> bool:
    """Whether a capitalised word may be the start of a longer name on its right: not a title,
    a head word, a surname or a word in a case that ends a phrase."""
    return (
        _capitalised_word(token, rules)
        and token.norm not in rules.titles
        and not _is_org_head(token, rules)
        and surname_base(token, rules) is None
        and not rules.ends_phrase(token.norm)
    )


def _surname_persons(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    spans = []
    for index, token in enumerate(tokens):
        base = surname_base(token, rules)
        if base is None:
            continue
        first = index
        while (
            first > 0
            and index - first < MAX_GIVEN_NAMES
            and tokens[first].in_phrase
            and (_may_precede_in_name(tokens[first - 1], rules) or _is_patronymic(tokens[first - 1], rules))
            and (
                first == index
                or _is_given_name(tokens[first - 1], rules)
                or not tokens[first - 1].sentence_initial
            )
        ):
            first -= 1
        if first == index and token.sentence_initial and not _is_patronymic(token, rules):
            continue  # one capitalised word at a sentence start: Карантин, Машина are not surnames
        last = index
        # A patronymic after the surname: Тоқаев Қасым-Жомарт Кемелұлы is rare, Иванов Иван Иванович not.
        if last + 1 < len(tokens) and tokens[last + 1].in_phrase and surname_base(tokens[last + 1], rules):
            last += 1
        spans.append(RuleSpan(EntityKind.PERSON, first, last, _base_name(tokens, first, last, rules)))
    return spans


def _given_name_persons(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    spans = []
    for index, token in enumerate(tokens):
        if not _is_given_name(token, rules):
            continue
        last = index
        following = index + 1
        if (
            following < len(tokens)
            and tokens[following].in_phrase
            and _capitalised_word(tokens[following], rules)
            and not _is_org_head(tokens[following], rules)
        ):
            last = following
        elif token.sentence_initial:
            continue  # a lone capitalised word at a sentence start may be a common word
        spans.append(RuleSpan(EntityKind.PERSON, index, last, _base_name(tokens, index, last, rules)))
    return spans


def _titled_persons(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    spans = []
    title_words = rules.title_modifiers | rules.titles
    for index, token in enumerate(tokens):
        if token.norm not in rules.titles:
            continue
        first = index + 1
        while first < len(tokens) and tokens[first].norm in title_words:
            first += 1
        span = _name_after_title(tokens, _skip_nisba(tokens, first), rules)
        if span is not None:
            spans.append(span)
    return spans


def _skip_nisba(tokens: list[Token], index: int) -> int:
    """Skip adjectives of origin after a title in Arabic-script text (السوري, الإيراني, ایرانی)."""
    while index < len(tokens) and _caseless(tokens[index]) and tokens[index].norm.endswith("ی"):
        if not tokens[index].norm.startswith("ال"):
            break
        index += 1
    return index


def _after_abbreviation(tokens: list[Token], index: int) -> bool:
    """The word follows an abbreviated title and its full stop (Dr. Ehud Ur, Prof. Rahimov)."""
    previous = tokens[index - 1] if index > 0 else None
    return (
        previous is not None and len(previous.text) <= MAX_ABBREVIATION and tokens[index].gap.strip() == "."
    )


def _caseless(token: Token) -> bool:
    return token.text[:1].isalpha() and not token.text[:1].isupper() and not token.text[:1].islower()


def _name_after_title(tokens: list[Token], first: int, rules: LanguageRules) -> RuleSpan | None:
    last = first - 1
    limit = (
        MAX_CASELESS_NAME_AFTER_TITLE
        if first < len(tokens) and _caseless(tokens[first])
        else MAX_NAME_AFTER_TITLE
    )
    while last + 1 < len(tokens) and last + 1 - first < limit:
        candidate = tokens[last + 1]
        joined = candidate.in_phrase or (last < first and _after_abbreviation(tokens, first))
        if not joined or candidate.norm in rules.stop_after_head or candidate.norm in rules.titles:
            break
        if _is_persian_verb(candidate):
            break
        if not (_capitalised_word(candidate, rules) or _caseless(candidate)):
            break
        if _is_org_head(candidate, rules) or _is_initial_org_head(candidate, rules):
            break
        last += 1
    if last < first:
        return None
    if _caseless(tokens[first]) and last == first:
        return None  # one Arabic-script word after a title is as often a verb as a name
    return RuleSpan(EntityKind.PERSON, first, last, _base_name(tokens, first, last, rules))


# --- organisations ----------------------------------------------------------------------------


def _is_org_head(token: Token, rules: LanguageRules) -> bool:
    if token.text in rules.org_markers:
        return True
    return any(form in rules.org_heads_final for form in rules.base_forms(token.norm))


def _is_initial_org_head(token: Token, rules: LanguageRules) -> bool:
    return any(form in rules.org_heads_initial for form in rules.base_forms(token.norm))


def _is_place_head(token: Token, rules: LanguageRules) -> bool:
    return any(form in rules.place_heads_final for form in rules.base_forms(token.norm))


def _is_place_marker(token: Token, rules: LanguageRules) -> bool:
    return any(form in rules.place_markers_after for form in rules.base_forms(token.norm))


def _head_final_names(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    """Organisations and places named by words before a head word (Денсаулық сақтау министрлігі,
    Алматы облысы); an organisation name may hold lower-case words, a place name may not."""
    spans = []
    for index, token in enumerate(tokens):
        if _is_org_head(token, rules):
            kind, first = (
                EntityKind.ORGANISATION,
                _name_start(tokens, index, rules, rules.org_inner_lowercase),
            )
        elif _is_place_head(token, rules):
            kind, first = EntityKind.PLACE, _name_start(tokens, index, rules, 0)
        elif _is_place_marker(token, rules) and index > 0 and token.in_phrase:
            first = _name_start(tokens, index, rules, 0)
            if first is not None:
                spans.append(
                    RuleSpan(EntityKind.PLACE, first, index - 1, _base_name(tokens, first, index - 1, rules))
                )
            continue
        else:
            continue
        if first is not None:
            spans.append(RuleSpan(kind, first, index, _base_name(tokens, first, index, rules)))
    return spans


def _name_start(tokens: list[Token], head: int, rules: LanguageRules, inner_lowercase: int) -> int | None:
    """The first word of the name ending at `head`: the nearest capitalised word to its left (with
    up to `inner_lowercase` lower-case words between: Денсаулық сақтау министрлігі), then any run of
    capitalised words right before it (Біріккен Ұлттар Ұйымы), but not a sentence's first word,
    whose capital says nothing (Görüşmeler | Tahran şehrinde). None if there is none."""
    index, lowercase = head, 0
    nearest = None
    while index > 0 and head - index < MAX_ORG_WORDS and tokens[index].in_phrase:
        previous = tokens[index - 1]
        if previous.is_capitalised:
            if _may_precede_in_name(previous, rules) or previous.is_all_caps:
                nearest = index - 1
            break
        if not previous.text[:1].isalpha() or lowercase >= inner_lowercase:
            break
        lowercase += 1
        index -= 1
    if nearest is None:
        return None
    while nearest > 0 and head - nearest < MAX_ORG_WORDS and tokens[nearest].in_phrase:
        previous = tokens[nearest - 1]
        if previous.sentence_initial and not previous.is_all_caps:
            break
        if _may_precede_in_name(previous, rules):
            nearest -= 1
        elif _connects(tokens, nearest - 1, rules):
            nearest -= 2  # Kültür ve Turizm Bakanlığı, Білім және ғылым министрлігі
        else:
            break
    return nearest


def _connects(tokens: list[Token], index: int, rules: LanguageRules) -> bool:
    """A connector ("ve", "және") at `index` between two words of one name."""
    return (
        index > 0
        and tokens[index].norm in rules.org_connectors
        and tokens[index].in_phrase
        and _may_precede_in_name(tokens[index - 1], rules)
    )


def _head_initial_orgs(tokens: list[Token], rules: LanguageRules) -> list[RuleSpan]:
    if not rules.org_heads_initial:
        return []
    spans = []
    for index, token in enumerate(tokens):
        if token.norm not in rules.org_heads_initial:
            continue
        caseless = _caseless(token)
        if not caseless and not token.is_capitalised:
            continue
        last = _org_end(tokens, index, rules, caseless)
        if last > index:
            spans.append(
                RuleSpan(EntityKind.ORGANISATION, index, last, _base_name(tokens, index, last, rules))
            )
    return spans


# Persian verbs carry the prefix می/نمی joined by a zero-width non-joiner (می‌گویند): never a name.
_PERSIAN_VERB_PREFIXES = ("می\u200c", "نمی\u200c")


def _is_persian_verb(token: Token) -> bool:
    return token.text.startswith(_PERSIAN_VERB_PREFIXES)


def _org_end(tokens: list[Token], head: int, rules: LanguageRules, caseless: bool) -> int:
    """The last word of an organisation name starting with a head word: capitalised words and
    connectors (Ministry of Foreign Affairs), or in Arabic script up to three words before a
    function word (وزارة النفط السورية)."""
    last = head
    limit = 3 if caseless else MAX_ORG_WORDS
    for index in range(head + 1, min(len(tokens), head + 1 + limit)):
        token = tokens[index]
        if not token.in_phrase or token.norm in rules.stop_after_head or _is_persian_verb(token):
            break
        if caseless:
            if not _caseless(token):
                break
            last = index
        elif _capitalised_word(token, rules) or token.is_all_caps:
            last = index
        elif token.norm not in rules.org_connectors:
            break
    return last


# --- names ------------------------------------------------------------------------------------


def _base_name(tokens: list[Token], first: int, last: int, rules: LanguageRules) -> str:
    """The span's words as written, the last one without its case suffix (Тоқаевтың -> Тоқаев)."""
    words = [token.text for token in tokens[first : last + 1]]
    words[-1] = _strip_case(tokens[last], rules)
    return " ".join(words)


def _strip_case(token: Token, rules: LanguageRules) -> str:
    """The word without a case suffix when the rules know one and the word keeps its length when
    normalised (so the cut lands on the same letters in the original spelling)."""
    if not rules.suffixes or len(token.norm) != len(token.text):
        return token.text
    for suffix in rules.suffixes:
        stem_length = len(token.norm) - len(suffix)
        if (
            token.norm.endswith(suffix)
            and stem_length >= rules.min_stem
            and _known_stem(token.norm[:stem_length], rules)
        ):
            return token.text[:stem_length]
    return token.text


def _known_stem(stem: str, rules: LanguageRules) -> bool:
    """A stem worth cutting to: a surname, an organisation head word or a given name."""
    if any(stem.endswith(suffix) for suffix in rules.surname_suffixes):
        return True
    if stem in rules.org_heads_final or stem in rules.place_heads_final:
        return True
    return matching_key(stem, rules.language) in rules.given_names
