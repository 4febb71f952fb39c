"""The tamper check's text core: is a circulating text what an authentic dispatch says, word for word?

A quote that claims to come from a member reaches the desk typed again, pasted from a screenshot, cut
to fit a post. Differences that a reader cannot see or that change nothing must not count: white
space and line breaks, punctuation and quotation marks, Persian/Arabic letter variants (ی/ي, ک/ك),
digit scripts (۴, ٤, 4), letter case, compatibility forms (full-width and styled letters, via NFKC)
and invisible characters between words. Everything else is a change, shown as a word-level diff
against the original's own words.

`comparison_form` turns a text into comparison tokens, each remembering its span in the original
text. A token is a run of letters, digits and combining marks, with an apostrophe between letters
("don't", "Tahran'da") and a decimal or grouping mark between digits ("1,500", "۳٫۵"). Its form is
NFKC, without invisible characters, with confusables folded (below), Persian/Arabic letters unified,
case folded (`normalize_for_search`), digits of every script in ASCII, and a number with separators
written canonically for the language ("1,000" in English and "1.000" in Turkish are both 1000;
"1,5" in Russian is 1.5, see `tabadol.enrich.numbers`).

Confusables: a word written mostly in one script with a few look-alike letters of another (a
Cyrillic "а" in "Prеsident", a Latin "o" in "Москва", a Greek omicron) has those letters mapped to
the word's majority script; a word wholly in another script whose every letter has a look-alike in
the text's main script ("ТАСС" spelt with Latin T, A, C, C in a Russian text) is mapped too. Such
a word reads the same but is not the same text: a disguised word defeats search and filters, so a
confusable is evidence of tampering in itself and is reported. Likewise a zero-width or direction
control character *inside* a word (between its letters), except the zero-width non-joiner and
joiner between Arabic-script letters, which are Persian and Arabic orthography.

`compare(original, candidate, language)` aligns the two token sequences and answers:

- ``verbatim``: the forms are equal, or the candidate is a contiguous excerpt (a quote, a truncated
  copy) of the original, and no word of the candidate is disguised where the original is not;
- ``altered``: otherwise, with the changes. A change is an ``insert``, ``delete`` or ``replace``
  with the original's span and words and the candidate's; or, for a word whose form matches but
  whose writing in the candidate has look-alike letters or hidden characters that the original's
  word lacks, a ``confusable`` or ``invisible`` change. Decision: a quote with a hidden Cyrillic
  letter is ``altered`` (kind ``confusable``), not ``verbatim``: it is not what the member sent,
  and such letters are put there to evade matching.

Changes carry flags: ``number`` (the numbers on the two sides differ: a changed digit counts, a
digit written in another script does not), ``negation`` (a negation word added or removed, or a
word that differs from its counterpart by a negation affix: see `lang/<code>/negations.json`),
``name`` (a changed word that looks like a name: a known name or a name found by the entity rules
of `tabadol.enrich`, or, in scripts with case, a capitalised word that does not start a sentence,
or an all-capitals word), ``confusable`` and ``invisible``. Not read: numbers written in words
("five" for "5" is a change, but not a ``number`` one) and names in a caseless script that neither
the gazetteer nor a rule (a title before it, an organisation head) knows. Not changes at all:
punctuation, so a changed "." to "?" passes; this is deliberate, as transcriptions of screenshots
differ mostly in punctuation and quotation marks.

Edges of the original that the candidate does not quote are not changes: the candidate's region of
the original (`Comparison.quoted_span`) runs from the first to the last word they share. A changed
first or last word is still a replace: before the first shared word, as many of the original's
words as the candidate has there are taken to be replaced, the rest is outside the quote.

Similarity, so the caller can tell "an altered version of X" from "unrelated to X": the share of the
candidate's words (as a multiset) found in the original and the reverse, and the diff ratio
(2 x aligned words / total words) over the whole original and over the quoted region.

Alignment is a patience diff: words unique to both texts are anchors (their longest increasing run,
O(n log n)), the gaps between anchors are split again the same way, and only small gaps without
unique words are handed to difflib's SequenceMatcher (autojunk off). Near-identical 5,000-word
bodies align in milliseconds (a whole comparison, tokenising included, takes about 0.1 s); very
large gaps without anchors (unrelated texts) are left unaligned rather than costing seconds.
The gap before the candidate's first shared word is matched from its end and only against the
original's words near that shared word (`_trimmed`): otherwise a quote that starts with "the"
would have that "the" matched in the original's first sentence, and the words between would
show as a deletion.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

from tabadol.enrich.entities import DefaultRecognizer
from tabadol.enrich.entities_gazetteer import default_gazetteer
from tabadol.enrich.normalize import normalize_for_search
from tabadol.enrich.numbers import extract_numbers
from tabadol.errors import ErrorCode, TabadolError

Verdict = Literal["verbatim", "altered"]
ChangeKind = Literal["insert", "delete", "replace", "confusable", "invisible"]
Flag = Literal["number", "negation", "name", "confusable", "invisible"]
Script = Literal["latin", "cyrillic", "greek", "arabic", "other"]

NEGATION_LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
# Gaps without anchors are aligned by SequenceMatcher only up to this many cells (words x words);
# beyond, the texts have nothing unique in common there and their words are left unaligned.
MAX_DIRECT_CELLS = 250_000
EDGE_WINDOW_FACTOR = 3  # see _edge_window
EDGE_WINDOW_SLACK = 10
NAME_CONTEXT_WORDS = 6  # words on each side of a change read to recognise a name (titles, orgs)

_APOSTROPHES = frozenset("'’ʼ‘`")
_NUMBER_MARKS = frozenset(".,\u066b\u066c")  # . , ٫ ٬ between digits
# Characters that show nothing. Between words they are dropped silently; inside a word they are
# evidence (see the module docstring).
_INVISIBLE = frozenset(
    [
        "\u00ad",  # soft hyphen: a line-break hint, dropped but never evidence (see _EVIDENCE_EXEMPT)
        "\u034f",  # combining grapheme joiner
        "\u115f",
        "\u1160",
        "\u3164",
        "\uffa0",  # Hangul fillers: blank "letters"
        "\u180e",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u2060",
        "\u2061",
        "\u2062",
        "\u2063",
        "\u2064",
        "\ufeff",
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
        *map(chr, range(0xFE00, 0xFE10)),  # variation selectors
        *map(chr, range(0xE0000, 0xE0080)),  # tag characters: invisible "ASCII smuggling"
    ]
)
_JOINERS = frozenset("\u200c\u200d")
_SENTENCE_ENDS = frozenset(".!?…;:\n\u061f\u06d4")  # ؟ and ۔ included
_OPENING_MARKS = " \t\r\"'«“‘„(["


# --- look-alike letters ------------------------------------------------------------------------

# Pairs of letters that look the same in common fonts, written as "<from><to>" per pair.
_CYRILLIC_TO_LATIN = "аaеeоoрpсcуyхxѕsіiјjһhԁdԛqԝwәəүyАAВBЕEКKМMНHОOРPСCТTХXУYҮYЅSІIЈJӘƏԚQԜW"
_LATIN_TO_CYRILLIC = "aаeеoоpрcсyуxхiіjјhһəәAАBВEЕKКMМHНOОPРCСTТXХYУIІJЈƏӘ"
_GREEK_TO_LATIN = "αaοoρpιiνvκkυuχxΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧX"
_GREEK_TO_CYRILLIC = "αаοоρрεеχхΑАΒВΕЕΗНΚКΜМΟОΡРΤТΧХΥУ"


def _pairs(spec: str) -> dict[str, str]:
    return {spec[i]: spec[i + 1] for i in range(0, len(spec), 2)}


# Per target script: which letters of other scripts read as one of its letters.
_LOOK_ALIKES: dict[Script, dict[str, str]] = {
    "latin": _pairs(_CYRILLIC_TO_LATIN) | _pairs(_GREEK_TO_LATIN),
    "cyrillic": _pairs(_LATIN_TO_CYRILLIC) | _pairs(_GREEK_TO_CYRILLIC),
}
_LANGUAGE_SCRIPTS: dict[str, Script] = {
    "fa": "arabic",
    "ar": "arabic",
    "ru": "cyrillic",
    "kk": "cyrillic",
    "az": "latin",
    "tk": "latin",
    "tr": "latin",
    "en": "latin",
}
_SCRIPT_SUBTAGS: dict[str, Script] = {"latn": "latin", "cyrl": "cyrillic", "arab": "arabic", "grek": "greek"}


@lru_cache(maxsize=4096)
def _script(char: str) -> Script:
    code = ord(char)
    if char.isascii() or 0x00C0 <= code <= 0x024F or 0x0250 <= code <= 0x02AF or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    if 0x0400 <= code <= 0x052F or 0x1C80 <= code <= 0x1C8F or 0xA640 <= code <= 0xA69F:
        return "cyrillic"
    if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
        return "greek"
    if 0x0600 <= code <= 0x08FF or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    return "other"


def _letter_scripts(word: str) -> Counter[Script]:
    return Counter(_script(char) for char in word if char.isalpha())


def _fold_look_alikes(word: str, text_script: Script) -> tuple[str, bool]:
    """`word` with look-alike letters of other scripts in its majority script; True if any was."""
    if word.isascii() and text_script == "latin":
        return word, False
    scripts = _letter_scripts(word)
    if not scripts:
        return word, False
    if len(scripts) == 1:
        # A whole word in another script is folded only if it is entirely made of look-alikes of
        # the text's own script (a Latin "TACC" for Cyrillic ТАСС); a real foreign word is left be.
        (only,) = scripts
        table = _LOOK_ALIKES.get(text_script)
        if only == text_script or table is None or not all(c in table for c in word if c.isalpha()):
            return word, False
        return "".join(table.get(char, char) for char in word), True
    ranked = scripts.most_common()
    majority = ranked[0][0]
    if ranked[0][1] == ranked[1][1] and text_script in scripts:
        majority = text_script  # a tie: the text's script decides
    table = _LOOK_ALIKES.get(majority, {})
    folded = "".join(
        table.get(char, char) if char.isalpha() and _script(char) != majority else char for char in word
    )
    return folded, folded != word


# --- comparison form ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    """One comparison token: its form, and where it stands in the original text."""

    form: str
    start: int
    end: int
    word: str  # the original text of the token, as written
    confusable: bool = False  # look-alike letters of another script were folded
    invisible: bool = False  # a hidden character sits between its letters


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text in comparison form: its tokens, each mapped back to its span in `text`."""

    text: str
    language: str | None  # primary subtag, lower case; None if not given
    script: Script  # the script most of the text's letters are written in
    tokens: tuple[Token, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(token.form for token in self.tokens)

    @property
    def confusable_words(self) -> tuple[str, ...]:
        return tuple(token.word for token in self.tokens if token.confusable)

    @property
    def invisible_words(self) -> tuple[str, ...]:
        return tuple(token.word for token in self.tokens if token.invisible)


def comparison_form(text: str, language: str | None) -> Normalised:
    """`text` as comparison tokens (see the module docstring for what is unified)."""
    primary, subtag_script = _parse_language(language)
    script = _text_script(text, subtag_script or _LANGUAGE_SCRIPTS.get(primary or "", "other"))
    tokens = tuple(_token(text, start, end, primary, script) for start, end in _word_spans(text))
    return Normalised(text, primary, script, tokens)


def _parse_language(language: str | None) -> tuple[str | None, Script | None]:
    """Primary subtag and the script a BCP-47 script subtag names (kk-Latn), if any."""
    if not language:
        return None, None
    parts = language.replace("_", "-").lower().split("-")
    script = next((_SCRIPT_SUBTAGS[part] for part in parts[1:] if part in _SCRIPT_SUBTAGS), None)
    return parts[0] or None, script


def _text_script(text: str, fallback: Script) -> Script:
    """The script of most letters of the text (the first 20,000 characters say enough)."""
    counts = _letter_scripts(text[:20_000])
    if not counts:
        return fallback
    ranked = counts.most_common(2)
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1] and fallback in counts:
        return fallback
    return ranked[0][0]


# Combining marks that may sit inside a word (\w does not match them): Latin/Cyrillic accents and
# a decomposed й or ё, Cyrillic titlo, Arabic vowel marks and Quranic marks, and the generic blocks.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u08d3-\u08ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_HIDDEN = "".join(sorted(_INVISIBLE))
_APOSTROPHE_CLASS = "".join(sorted(_APOSTROPHES))
_NUMBER_MARK_CLASS = "".join(sorted(_NUMBER_MARKS))
# A word starts with a letter or digit and runs on through letters, digits, marks and invisible
# characters, an apostrophe between letters and a number mark between digits.
_WORD = re.compile(
    rf"(?![{re.escape(_HIDDEN)}])[^\W_](?:[^\W_]|[{_MARKS}]|[{re.escape(_HIDDEN)}]"
    rf"|(?<=[^\W\d_])[{re.escape(_APOSTROPHE_CLASS)}](?=[^\W\d_])"
    rf"|(?<=\d)[{re.escape(_NUMBER_MARK_CLASS)}](?=\d))*"
)


def _word_spans(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of every token; invisible characters at a word's end stay outside it."""
    for match in _WORD.finditer(text):
        start, end = match.span()
        while text[end - 1] in _INVISIBLE:
            end -= 1
        yield start, end


def _token(text: str, start: int, end: int, language: str | None, script: Script) -> Token:
    word = text[start:end]
    form, confusable, invisible = _word_form(word, language, script)
    return Token(form, start, end, word, confusable, invisible)


@lru_cache(maxsize=200_000)
def _word_form(word: str, language: str | None, script: Script) -> tuple[str, bool, bool]:
    """(form, folded look-alikes?, hidden characters inside?) of one word; words repeat, so cached."""
    visible = "".join(char for char in word if char not in _INVISIBLE) if _has_hidden(word) else word
    folded, confusable = _fold_look_alikes(unicodedata.normalize("NFKC", visible), script)
    form = _ascii_digits(normalize_for_search(folded))
    form = "".join("'" if char in _APOSTROPHES else char for char in form)
    if any(char in _NUMBER_MARKS for char in form) and any(char.isdigit() for char in form):
        form = _number_form(form, language)
    return form, confusable, _hides_characters(word)


def _has_hidden(word: str) -> bool:
    return any(char in _INVISIBLE for char in word)


def _ascii_digits(form: str) -> str:
    if form.isascii():
        return form
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in form)


def _number_form(form: str, language: str | None) -> str:
    """One writing of a number with separators ("1,000" and "1000" in English are one number);
    anything that is not one well-formed number keeps its digits and marks as written."""
    numbers = extract_numbers(form, language)
    if len(numbers) == 1:
        return numbers[0]
    return form.replace("\u066b", ".").replace("\u066c", ",")


def _hides_characters(word: str) -> bool:
    if not _has_hidden(word):
        return False
    for index, char in enumerate(word):
        if char not in _INVISIBLE or char == "\u00ad":
            continue
        if char in _JOINERS and _between_arabic_letters(word, index):
            continue
        return True
    return False


def _between_arabic_letters(word: str, index: int) -> bool:
    before = word[index - 1] if index > 0 else ""
    after = word[index + 1] if index + 1 < len(word) else ""
    return bool(before and after) and _script(before) == "arabic" and _script(after) == "arabic"


# --- negations ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Negations:
    """A language's negation markers, in comparison form (see lang/<code>/negations.json)."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    infixes: tuple[str, ...] = ()
    # Consonants that change after an inserted infix: Turkish yap|tı / yap|ma|dı (the ending's
    # voiceless t after a voiceless stem becomes d after the vowel of the infix): letter in the
    # negated word -> letter in the plain word.
    alternations: Mapping[str, str] = field(default_factory=dict)
    min_stem: int = 2

    def count_words(self, forms: Iterable[str]) -> int:
        return sum(1 for form in forms if form in self.words)

    def negated_pair(self, one: Sequence[str], other: Sequence[str]) -> bool:
        """True if a word on one side is a word of the other side with a negation affix added."""
        return self._negates_any(one, frozenset(other)) or self._negates_any(other, frozenset(one))

    def _negates_any(self, words: Iterable[str], bases: frozenset[str]) -> bool:
        return any(base in bases for word in words for base in self._bases(word))

    def _bases(self, word: str) -> Iterable[str]:
        """What `word` would be without one negation affix."""
        for prefix in self.prefixes:
            if word.startswith(prefix) and len(word) - len(prefix) >= self.min_stem:
                yield word[len(prefix) :]
        for suffix in self.suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= self.min_stem:
                yield word[: -len(suffix)]
        for infix in self.infixes:
            # Strictly inside: a stem before it, an ending after it (gel|me|di).
            position = word.find(infix, self.min_stem)
            while position >= 0 and position + len(infix) < len(word):
                head, tail = word[:position], word[position + len(infix) :]
                yield head + tail
                if tail[0] in self.alternations:
                    yield head + self.alternations[tail[0]] + tail[1:]
                position = word.find(infix, position + 1)


@cache
def negations(language: str | None) -> Negations:
    """The negation markers of a language (primary subtag); none for a language without a list."""
    if language not in NEGATION_LANGUAGES:
        return Negations()
    source = resources.files("tabadol.verify").joinpath("lang", language, "negations.json")
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TabadolError(
            ErrorCode.MODEL_INVALID, path=f"verify/lang/{language}/negations.json", reason=str(error)
        ) from error

    def forms(key: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_marker_form(str(value)) for value in raw.get(key, ())))

    return Negations(
        words=frozenset(forms("words")),
        prefixes=forms("prefixes"),
        suffixes=forms("suffixes"),
        infixes=forms("infixes"),
        alternations={
            _marker_form(str(key)): _marker_form(str(value))
            for key, value in raw.get("alternations", {}).items()
        },
        min_stem=int(raw.get("min_stem", 2)),
    )


def _marker_form(marker: str) -> str:
    form = normalize_for_search("".join(c for c in marker if c not in _INVISIBLE))
    return "".join("'" if char in _APOSTROPHES else char for char in form)


# --- comparison --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. Spans are character offsets; an insert's original span is empty and sits
    where the words were inserted (a delete's candidate span likewise)."""

    kind: ChangeKind
    original_span: tuple[int, int]
    original_words: tuple[str, ...]
    candidate_span: tuple[int, int]
    candidate_words: tuple[str, ...]
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True, slots=True)
class Similarity:
    """How much the two texts share, in words (each score in [0, 1])."""

    candidate_in_original: float  # share of the candidate's words found in the original
    original_in_candidate: float  # share of the original's words found in the candidate
    diff_ratio: float  # 2 x aligned words / (candidate words + original words)
    quoted_ratio: float  # the same over the quoted region of the original only


@dataclass(frozen=True, slots=True)
class Comparison:
    verdict: Verdict
    changes: tuple[Change, ...]
    similarity: Similarity
    excerpt: bool  # the candidate covers only part of the original
    quoted_span: tuple[int, int]  # the region of the original the candidate corresponds to
    # Candidate words written with look-alike letters or hidden characters where the original's
    # words are not (reported whether or not the forms match).
    confusable_words: tuple[str, ...] = ()
    invisible_words: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()  # union of the changes' flags


def compare(original: str, candidate: str, language: str | None) -> Comparison:
    """Compare a circulating `candidate` text with an authentic `original` (see the module doc)."""
    left, right = comparison_form(original, language), comparison_form(candidate, language)
    if not left.tokens:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="original", reason="it has no words to compare")
    if not right.tokens:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="text", reason="it has no words to compare")
    blocks = _matching_blocks(_ids(left.forms, right.forms))
    first, last = _quoted_range(blocks, len(left.tokens), len(right.tokens))
    edits = [*_word_edits(left, right, blocks, first, last), *_disguises(left, right, blocks)]
    edits.sort(key=lambda change: (change.original_span, change.candidate_span))
    changes = tuple(edits)
    own_words = {token.word for token in left.tokens}
    quoted_span = _char_span(left, first, last)
    return Comparison(
        verdict="altered" if changes else "verbatim",
        changes=changes,
        similarity=_similarity(left.forms, right.forms, blocks, last - first),
        excerpt=(first, last) != (0, len(left.tokens)),
        quoted_span=quoted_span,
        confusable_words=tuple(dict.fromkeys(w for w in right.confusable_words if w not in own_words)),
        invisible_words=tuple(dict.fromkeys(w for w in right.invisible_words if w not in own_words)),
        flags=tuple(sorted({flag for change in changes for flag in change.flags})),
    )


def _ids(left: Sequence[str], right: Sequence[str]) -> tuple[list[int], list[int]]:
    """Forms as small integers: equal forms, equal ids (cheaper to hash and compare)."""
    table: dict[str, int] = {}
    return [table.setdefault(f, len(table)) for f in left], [table.setdefault(f, len(table)) for f in right]


# --- alignment ---------------------------------------------------------------------------------

Block = tuple[int, int, int]  # (original index, candidate index, length)
Range = tuple[int, int]  # token indexes [first, last)


def _matching_blocks(sequences: tuple[list[int], list[int]]) -> list[Block]:
    """Aligned runs of equal words, in order (a patience diff; see the module docstring)."""
    a, b = sequences
    found: list[Block] = []
    pending = [(0, len(a), 0, len(b))]
    while pending:
        alo, ahi, blo, bhi = _trimmed(a, b, pending.pop(), found)
        if alo == ahi or blo == bhi:
            continue
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            found.extend(_direct_blocks(a, b, alo, ahi, blo, bhi))
            continue
        previous_a, previous_b = alo, blo
        for i, j in anchors:
            found.append((i, j, 1))
            pending.append((previous_a, i, previous_b, j))
            previous_a, previous_b = i + 1, j + 1
        pending.append((previous_a, ahi, previous_b, bhi))
    return _merged(sorted(found))


def _trimmed(
    a: list[int], b: list[int], gap: tuple[int, int, int, int], found: list[Block]
) -> tuple[int, int, int, int]:
    """The gap without its equal first and last words (recorded in `found`).

    A quote starts or ends somewhere inside the original, so a gap at the candidate's start is
    bounded only by the shared word after it: its words are matched from that end first, and only
    among the original's words near it (a common word like "the" must not be matched to the
    original's first sentence when the quote starts at its tenth). Likewise at the candidate's end.
    The whole texts (no shared word yet) are left to the anchors."""
    alo, ahi, blo, bhi = gap
    at_start, at_end = blo == 0, bhi == len(b)
    if at_start and at_end:
        return gap
    if at_start:
        alo = max(alo, ahi - _edge_window(bhi - blo))
    elif at_end:
        ahi = min(ahi, alo + _edge_window(bhi - blo))
    if not at_start:
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            found.append((alo, blo, 1))
            alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        found.append((ahi - 1, bhi - 1, 1))
        ahi, bhi = ahi - 1, bhi - 1
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        found.append((alo, blo, 1))
        alo, blo = alo + 1, blo + 1
    return alo, ahi, blo, bhi


def _edge_window(candidate_words: int) -> int:
    """How many of the original's words next to a shared word an edge gap of the candidate is
    matched against: room for the words to be reordered or a few to be dropped, not for the
    candidate's head to be found in a far-away sentence."""
    return EDGE_WINDOW_FACTOR * candidate_words + EDGE_WINDOW_SLACK


def _unique_anchors(
    a: list[int], b: list[int], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Pairs of positions of words that occur once in each range, longest increasing run of them."""
    once_a = _positions_of_unique(a, alo, ahi)
    once_b = _positions_of_unique(b, blo, bhi)
    pairs = sorted((i, once_b[word]) for word, i in once_a.items() if word in once_b)
    return _longest_increasing(pairs)


def _positions_of_unique(sequence: list[int], lo: int, hi: int) -> dict[int, int]:
    counts = Counter(sequence[lo:hi])
    return {sequence[i]: i for i in range(lo, hi) if counts[sequence[i]] == 1}


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in the second position (pairs sorted by the first)."""
    tails: list[int] = []  # the second positions ending the best run of each length
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        length = bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[length], tail_index[length] = j, index
        previous[index] = tail_index[length - 1] if length else -1
    run: list[tuple[int, int]] = []
    cursor = tail_index[-1] if tail_index else -1
    while cursor >= 0:
        run.append(pairs[cursor])
        cursor = previous[cursor]
    return run[::-1]


def _direct_blocks(a: list[int], b: list[int], alo: int, ahi: int, blo: int, bhi: int) -> list[Block]:
    if (ahi - alo) * (bhi - blo) > MAX_DIRECT_CELLS:
        return []
    matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    return [(alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n]


def _merged(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged


# --- changes -----------------------------------------------------------------------------------


def _quoted_range(blocks: list[Block], left_size: int, right_size: int) -> tuple[int, int]:
    """Token range of the original the candidate corresponds to: the shared words, widened at each
    edge by as many words as the candidate has there before/after them."""
    if not blocks:
        return 0, left_size
    first_i, first_j, _ = blocks[0]
    last_i, last_j, last_n = blocks[-1]
    start = max(0, first_i - first_j)
    end = min(left_size, last_i + last_n + (right_size - last_j - last_n))
    return start, end


def _word_edits(
    left: Normalised, right: Normalised, blocks: list[Block], first: int, last: int
) -> Iterable[Change]:
    """Insert/delete/replace changes inside the quoted region, minus spacing-only differences."""
    i, j = first, 0
    for block_i, block_j, size in [*blocks, (last, len(right.tokens), 0)]:
        changed = i < block_i or j < block_j
        if changed and not _same_letters(left.tokens[i:block_i], right.tokens[j:block_j]):
            yield _edit(left, right, (i, block_i), (j, block_j))
        i, j = block_i + size, block_j + size


def _same_letters(one: Sequence[Token], other: Sequence[Token]) -> bool:
    """True when the words differ only in where they are split or in apostrophes ("می خواهد" /
    "میخواهد", "Ankara'da" / "Ankarada"): a reader sees the same words."""
    return "".join(t.form for t in one).replace("'", "") == "".join(t.form for t in other).replace("'", "")


def _edit(
    left: Normalised, right: Normalised, original: tuple[int, int], candidate: tuple[int, int]
) -> Change:
    kind: ChangeKind = "replace"
    if original[0] == original[1]:
        kind = "insert"
    elif candidate[0] == candidate[1]:
        kind = "delete"
    return Change(
        kind,
        _char_span(left, *original),
        tuple(t.word for t in left.tokens[original[0] : original[1]]),
        _char_span(right, *candidate),
        tuple(t.word for t in right.tokens[candidate[0] : candidate[1]]),
        _flags(left, right, original, candidate),
    )


def _char_span(text: Normalised, first: int, last: int) -> tuple[int, int]:
    """Character span of tokens [first, last); an empty range sits at the next token's start."""
    if first < last:
        return text.tokens[first].start, text.tokens[last - 1].end
    if first < len(text.tokens):
        return text.tokens[first].start, text.tokens[first].start
    position = text.tokens[-1].end if text.tokens else 0
    return position, position


def _disguises(left: Normalised, right: Normalised, blocks: list[Block]) -> Iterable[Change]:
    """Matching words that the candidate writes with look-alike letters or hidden characters."""
    for i, j, size in blocks:
        for offset in range(size):
            mine, theirs = left.tokens[i + offset], right.tokens[j + offset]
            if mine.word == theirs.word or not (theirs.confusable or theirs.invisible):
                continue
            flags: list[Flag] = []
            if theirs.confusable and not mine.confusable:
                flags.append("confusable")
            if theirs.invisible and not mine.invisible:
                flags.append("invisible")
            if flags:
                kind: ChangeKind = "confusable" if "confusable" in flags else "invisible"
                span = (mine.start, mine.end), (theirs.start, theirs.end)
                yield Change(kind, span[0], (mine.word,), span[1], (theirs.word,), tuple(flags))


def _flags(
    left: Normalised, right: Normalised, original: tuple[int, int], candidate: tuple[int, int]
) -> tuple[Flag, ...]:
    mine = left.tokens[original[0] : original[1]]
    theirs = right.tokens[candidate[0] : candidate[1]]
    flags: list[Flag] = []
    if _numbers(mine) != _numbers(theirs):
        flags.append("number")
    if _negation_changed([t.form for t in mine], [t.form for t in theirs], left.language):
        flags.append("negation")
    if _has_name(left, *original) or _has_name(right, *candidate):
        flags.append("name")
    if any(t.confusable for t in theirs):
        flags.append("confusable")
    if any(t.invisible for t in theirs):
        flags.append("invisible")
    return tuple(flags)


def _numbers(tokens: Sequence[Token]) -> Counter[str]:
    return Counter(t.form for t in tokens if any(char.isdigit() for char in t.form))


def _negation_changed(mine: Sequence[str], theirs: Sequence[str], language: str | None) -> bool:
    markers = negations(language)
    return markers.count_words(mine) != markers.count_words(theirs) or markers.negated_pair(mine, theirs)


def _has_name(text: Normalised, first: int, last: int) -> bool:
    """True if a word of tokens [first, last) looks like a name (see the module docstring)."""
    if first == last:
        return False
    if any(_cased_name(text, index) for index in range(first, last)):
        return True
    return _in_recognised_name(text, first, last)


def _cased_name(text: Normalised, index: int) -> bool:
    """An all-capitals word (NATO, ТАСС) or a capitalised word that does not start a sentence."""
    token = text.tokens[index]
    letters = [char for char in token.word if char.isalpha()]
    if not letters:
        return False
    if len(letters) >= 2 and all(char.isupper() for char in letters):
        return True
    return letters[0].isupper() and not _starts_sentence(text.text, token.start)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 20) : start].rstrip(_OPENING_MARKS)
    return start == 0 or not before or before[-1] in _SENTENCE_ENDS


def _in_recognised_name(text: Normalised, first: int, last: int) -> bool:
    """True if the gazetteer or the entity rules of `tabadol.enrich` see a name among tokens
    [first, last), read with a few words of context on each side (titles and organisation heads
    stand next to names)."""
    tokens = text.tokens
    window_start = tokens[max(0, first - NAME_CONTEXT_WORDS)].start
    window_end = tokens[min(len(tokens) - 1, last - 1 + NAME_CONTEXT_WORDS)].end
    spans = _entity_spans(text.text[window_start:window_end], text.language)
    start, end = tokens[first].start - window_start, tokens[last - 1].end - window_start
    return any(s < end and start < e for s, e in spans)


@lru_cache(maxsize=1024)
def _entity_spans(text: str, language: str | None) -> tuple[tuple[int, int], ...]:
    recognizer = DefaultRecognizer(gazetteer=default_gazetteer(), use_natasha=False)
    return tuple((entity.start, entity.end) for entity in recognizer.recognize(text, language))


def _similarity(left: Sequence[str], right: Sequence[str], blocks: list[Block], quoted: int) -> Similarity:
    shared = sum((Counter(left) & Counter(right)).values())
    aligned = sum(size for _, _, size in blocks)
    return Similarity(
        candidate_in_original=shared / len(right),
        original_in_candidate=shared / len(left),
        diff_ratio=2 * aligned / (len(left) + len(right)),
        quoted_ratio=2 * aligned / (quoted + len(right)) if quoted + len(right) else 0.0,
    )
