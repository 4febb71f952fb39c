"""The built-in enrichment components that wrap the standalone modules of `tabadol.enrich`.

- `LanguageComponent` ("language"): language and script of the text, and of the headline on its own;
- `NormalizeComponent` ("normalize"): the search/matching form of the text, and the lead that is embedded;
- `DatesComponent` ("dates"): dates mentioned in the text (datelines included);
- `EmbedComponent` ("embed"): one vector per document, from its lead.

Each is pure (no storage, no network) and works on a batch, returning copies of the documents.

Versions. Every component's `version` is stored with what it assigns, so stale results can be found and
rebuilt. Bump it (1 -> 2) whenever the component's output for the same input may change: a new rule or
threshold here, a different cap on the text read, or a change in the module it wraps (langid profiles,
date rules, normalisation tables) that changes results. Do not bump it for a change that keeps every
output identical (a refactor, a faster implementation). The embedding component's version also names
the embedding model, so a new model makes every stored vector stale by itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from tabadol.enrich.dates import MentionedDate, extract_dates
from tabadol.enrich.doc import Doc, Vector
from tabadol.enrich.embed import Embedder, embedding_text, normalize_for_embedding
from tabadol.enrich.langid import (
    NO_SCRIPT,
    SAMPLE_CHARS,
    UNDETERMINED,
    UNKNOWN_SCRIPT,
    LanguageGuess,
    LanguageIdentifier,
    RuleAndCld2Identifier,
)
from tabadol.enrich.normalize import normalize_for_search
from tabadol.errors import ErrorCode, TabadolError

# -- text helpers ----------------------------------------------------------------------------------

# A Python str can hold lone surrogates (a JSON escape such as "\ud800" decodes to one) though no UTF-8
# text can: the model's engine and the database would refuse them, so texts made here carry U+FFFD.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def text_prefix(doc: Doc, limit: int) -> str:
    """`doc.text[:limit]` without first building the whole text (a body may be megabytes long).

    Offsets into the prefix are offsets into `doc.text`, so what is found in it (dates, entities)
    can be reported against the full text.
    """
    if not doc.headline:
        return doc.body[:limit]
    if not doc.body:
        return doc.headline[:limit]
    head = f"{doc.headline}\n\n"
    if len(head) >= limit:
        return head[:limit]
    return head + doc.body[: limit - len(head)]


# -- language --------------------------------------------------------------------------------------

# The scripts each language is written in today, its usual script first. A tag names its script only
# when it is not the usual one ("kk-Latn", but "kk" and "ru"), as in the IANA registry's Suppress-Script.
# Kazakh is moving to Latin and is written in Arabic script in China; Azerbaijani is written in Arabic
# script in Iran. The Cyrillic Azerbaijani and Turkmen of the 1990s are left out on purpose: a Cyrillic
# text declared "az" or "tk" today is far more likely Russian or Kazakh.
LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    "fa": ("Arab",),
    "ar": ("Arab",),
    "ru": ("Cyrl",),
    "kk": ("Cyrl", "Latn", "Arab"),
    "az": ("Latn", "Arab"),
    "tk": ("Latn",),
    "tr": ("Latn",),
    "en": ("Latn",),
    "uz": ("Latn", "Cyrl"),
    "ky": ("Cyrl",),
    "tg": ("Cyrl",),
    "uk": ("Cyrl",),
    "be": ("Cyrl",),
    "ur": ("Arab",),
    "ps": ("Arab",),
    "hy": ("Armn",),
    "ka": ("Geor",),
    "he": ("Hebr",),
    "el": ("Grek",),
    "de": ("Latn",),
    "fr": ("Latn",),
    "es": ("Latn",),
    "it": ("Latn",),
}
# ISO 639-2 codes some senders put where BCP-47 wants the two-letter code.
_THREE_LETTER_ALIASES = {
    "fas": "fa",
    "per": "fa",
    "ara": "ar",
    "rus": "ru",
    "kaz": "kk",
    "aze": "az",
    "tuk": "tk",
    "tur": "tr",
    "eng": "en",
}
# In a script the declared (or, for a headline, the item's) language is not written in, detection wins
# from this confidence on; below it, the text is most likely a name or an acronym ("IRNA", "ТАСС")
# that tells nothing about the language around it.
PLAUSIBLE_DETECTION = 0.3
# In the script of the declared (or, for a headline, the item's) language, detection overrules that
# language only when it is this sure...
CONFIDENT_DETECTION = 0.8
# ...of a text of at least this many words: on shorter text, neighbours (Azerbaijani and Turkish,
# Kazakh and Russian) are confused far more often than agencies mislabel (about 1 confident error in
# 170 texts of four words, 1 in 800 of eight words, on FLORES sentences).
WORDS_TO_OVERRULE = 8

# "und" says nothing; "xx" is CLD2's private code for text in a script it cannot place ("xx-Qaai" for
# a run of combining marks), which the detector may pass on.
_NOT_A_LANGUAGE = frozenset({UNDETERMINED, "xx"})
_PRIMARY = re.compile(r"^[A-Za-z]{2,3}$")
_SCRIPT = re.compile(r"^[A-Za-z]{4}$")
_REGION = re.compile(r"^(?:[A-Za-z]{2}|[0-9]{3})$")
_VARIANT = re.compile(r"^(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3})$")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class LanguageTag:
    """The parts of a BCP-47 tag the hub uses: language, script, region and variants
    (extensions and private use are dropped)."""

    language: str
    script: str | None = None
    rest: tuple[str, ...] = ()

    def render(self) -> str:
        """The tag, with the script subtag only when it is not the language's usual script."""
        usual = LANGUAGE_SCRIPTS.get(self.language, (None,))[0]
        script = () if self.script is None or self.script == usual else (self.script,)
        return "-".join((self.language, *script, *self.rest))

    def written_in(self, script: str) -> bool:
        """Whether the language is known to be written in `script` (True when nothing is known)."""
        scripts = LANGUAGE_SCRIPTS.get(self.language)
        return scripts is None or script in scripts


def parse_language_tag(tag: str | None) -> LanguageTag | None:
    """A BCP-47 tag as a `LanguageTag` in canonical case; None for a missing, undetermined or
    malformed tag. Underscores are accepted ("kk_Latn") and ISO 639-2 codes of the eight languages
    map to their two-letter codes ("per" -> "fa")."""
    if not tag:
        return None
    subtags = tag.strip().replace("_", "-").split("-")
    if not _PRIMARY.match(subtags[0]):
        return None
    language = _THREE_LETTER_ALIASES.get(subtags[0].lower(), subtags[0].lower())
    if language in _NOT_A_LANGUAGE:
        return None
    script: str | None = None
    rest: list[str] = []
    for position, subtag in enumerate(subtags[1:]):
        if position == 0 and _SCRIPT.match(subtag):
            script = subtag.title()
        elif not rest and _REGION.match(subtag) and (position == 0 or script is not None):
            rest.append(subtag.upper())
        elif _VARIANT.match(subtag):
            rest.append(subtag.lower())
        else:
            break  # an extension, private use or a malformed subtag: what follows is not kept
    return LanguageTag(language, script, tuple(rest))


def _real_script(script: str | None) -> str | None:
    """The ISO 15924 code of a text's letters; None when it has none or they are unknown."""
    return None if script in (None, NO_SCRIPT, UNKNOWN_SCRIPT) else script


def _has_words(text: str, count: int) -> bool:
    """Whether the start of `text` has at least `count` words (reads no more than the detector)."""
    return sum(1 for _ in islice(_WORD.finditer(text, 0, SAMPLE_CHARS), count)) >= count


def resolve_language(reference: LanguageTag | None, guess: LanguageGuess, text: str) -> LanguageTag | None:
    """Combine what is known beforehand (`reference`: the sender's declared language, or for a
    headline the item's language) with what detection found in `text`.

    - nothing detected: the reference is kept;
    - detection agrees on the language: the reference is kept with its region and variants ("fa-IR",
      "en-US", which matter for reading dates), but the script is the one the text is written in
      (declared "kk" with Latin text gives "kk-Latn");
    - detection names another language: it wins when the text is in a script the reference language
      is not written in and detection is more than guessing (Cyrillic text declared "tr": "tr" is
      wrong; PLAUSIBLE_DETECTION), or when it is confident on a text long enough to judge
      (CONFIDENT_DETECTION, WORDS_TO_OVERRULE); otherwise the reference is kept.
    """
    detected = parse_language_tag(guess.tag)
    text_script = _real_script(guess.script)
    if detected is None:
        return None if reference is None else _with_script(reference, text_script)
    if reference is None or detected.language == reference.language:
        base = reference or detected
        return _with_script(base, text_script or detected.script)
    foreign_script = text_script is not None and not reference.written_in(text_script)
    if (foreign_script and guess.confidence >= PLAUSIBLE_DETECTION) or (
        guess.confidence >= CONFIDENT_DETECTION and _has_words(text, WORDS_TO_OVERRULE)
    ):
        return _with_script(detected, text_script)
    return _with_script(reference, text_script)


def _with_script(tag: LanguageTag, text_script: str | None) -> LanguageTag:
    """`tag` with the script of the text, when the text has letters and the language is known to be
    written in that script (a Cyrillic text kept as "fa" does not become "fa-Cyrl"). Of a language
    whose scripts are not listed, the tag is kept as given: the detector's script names are coarser
    than tags ("Hani" for the "Hant" of "zh-Hant") and a usual script cannot be left out unknown."""
    if text_script is None or tag.language not in LANGUAGE_SCRIPTS or not tag.written_in(text_script):
        return tag
    return replace(tag, script=text_script)


def _is_blank(text: str) -> bool:
    return not text or text.isspace()  # isspace, unlike strip, does not copy a long body


class LanguageComponent:
    """Language and script of the text ("language", "script") and of the headline on its own
    ("headline_language").

    The text is identified by its body, or by its headline when the body is empty; the sender's declared
    language is combined with detection as `resolve_language` explains (agencies do mislabel, but short
    texts are easy to misjudge). The headline is identified on its own and combined the same way with the
    item's language: a headline in another script than the item's language, or a long one that detection
    is sure about, gets its own tag; otherwise it shares the item's. Tags are BCP-47 ("und" when unknown),
    scripts ISO 15924 ("Zyyy" when the text has no letters); an empty headline has no language (None).
    """

    name = "language"
    version = "1"
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ("language", "script", "headline_language")

    def __init__(self, identifier: LanguageIdentifier | None = None) -> None:
        self._identifier = identifier or RuleAndCld2Identifier()

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        return [self._one(doc) for doc in docs]

    def _one(self, doc: Doc) -> Doc:
        judged_on_headline = _is_blank(doc.body)
        main_text = doc.headline if judged_on_headline else doc.body
        guess = self._identifier.identify(main_text)
        language = resolve_language(parse_language_tag(doc.declared_language), guess, main_text)
        rendered = language.render() if language else UNDETERMINED
        if _is_blank(doc.headline):
            headline_language = None
        elif judged_on_headline:
            headline_language = rendered
        else:
            headline_language = self._headline_language(doc.headline, language)
        return replace(doc, language=rendered, script=guess.script, headline_language=headline_language)

    def _headline_language(self, headline: str, language: LanguageTag | None) -> str:
        guess = self._identifier.identify(headline)
        resolved = resolve_language(language, guess, headline)
        return resolved.render() if resolved else UNDETERMINED


# -- normalised text and lead ----------------------------------------------------------------------

# The search/matching form covers at most this many characters of headline + body. Wire stories are
# a few thousand characters; 100,000 (some 15,000 words) holds any real story whole, while a runaway
# body (a 5 MB table, a transcript) costs ~0.1 s instead of seconds (normalising runs ~1 s per MB).
# The cut is made at a white space so that no word is cut in two.
NORMALIZED_MAX_CHARS = 100_000
_LAST_SPACE_WITHIN = 200  # how far back from the cap to look for a white space
_SPACE = re.compile(r"\s")


class NormalizeComponent:
    """The search and matching form of headline + body ("normalized", `normalize_for_search`, capped at
    NORMALIZED_MAX_CHARS) and the lead that is embedded ("lead", `embedding_text`: the headline and the
    body's first sentences). Both hold U+FFFD where the text had a lone surrogate."""

    name = "normalize"
    version = "1"
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ("normalized", "lead")

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        return [
            replace(
                doc,
                normalized=without_lone_surrogates(normalize_for_search(_capped_text(doc))),
                lead=without_lone_surrogates(embedding_text(doc.headline, doc.body)),
            )
            for doc in docs
        ]


def _capped_text(doc: Doc) -> str:
    """Headline + body up to NORMALIZED_MAX_CHARS, cut at the last white space before the cap (or
    at the cap itself when the text near it has none, as in scripts written without spaces)."""
    text = text_prefix(doc, NORMALIZED_MAX_CHARS + 1)
    if len(text) <= NORMALIZED_MAX_CHARS:
        return text
    last_space: int | None = None
    # The character at index NORMALIZED_MAX_CHARS is the first one dropped: a space there is a clean cut.
    for match in _SPACE.finditer(text, NORMALIZED_MAX_CHARS - _LAST_SPACE_WITHIN):
        last_space = match.start()
    return text[: NORMALIZED_MAX_CHARS if last_space is None else last_space]


# -- dates -----------------------------------------------------------------------------------------

# Dates are looked for in the headline and the first 20,000 characters of the body: the dateline and
# the lead carry the dates a story is about, and a 5 MB body must not cost seconds (`extract_dates`
# reads no further either; the component cuts first so that a long body is never copied whole).
DATES_MAX_CHARS = 20_000


class DatesComponent:
    """Dates mentioned in headline and body ("dates"), read in the item's language and resolved against
    its reference time; an undetermined language means every language's rules are tried.

    Headline and body are read separately, because a dateline opens the body ("ASTANA, 22 November
    (Kazinform) -") and is recognised only at the start of a text; a date in the headline is always a
    mention. Offsets refer to `Doc.text` (headline, blank line, body).
    """

    name = "dates"
    version = "1"
    requires: tuple[str, ...] = ("language",)
    assigns: tuple[str, ...] = ("dates",)

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        return [self._one(doc) for doc in docs]

    def _one(self, doc: Doc) -> Doc:
        language = None if doc.language in (None, UNDETERMINED) else doc.language
        found: list[MentionedDate] = []
        if doc.headline:
            in_headline = extract_dates(doc.headline[:DATES_MAX_CHARS], language, doc.reference_time)
            found += [replace(mention, role="mention") for mention in in_headline]
        if doc.body:
            # Where the body starts in doc.text: after the headline and a blank line, if there is one.
            shift = len(doc.headline) + len("\n\n") if doc.headline else 0
            in_body = extract_dates(doc.body[:DATES_MAX_CHARS], language, doc.reference_time)
            found += [
                replace(mention, start=mention.start + shift, end=mention.end + shift) for mention in in_body
            ]
        return replace(doc, dates=tuple(found))


# -- embedding -------------------------------------------------------------------------------------


class EmbedComponent:
    """One vector per document ("vector"), the embedding of its lead, with one call to the embedder for
    the whole batch (the engine takes the batch in one call, sparing a round trip per text).

    A document whose lead has no letter or digit (empty, or nothing but punctuation, invisible or
    control characters) gets no vector (None) and no error: there is nothing to embed, and the vector
    of an empty text would make every empty item look like a near-duplicate of every other. Vectors
    are read-only float32 copies, so a document never shares memory with the batch or another one.
    """

    name = "embed"
    requires: tuple[str, ...] = ("lead",)
    assigns: tuple[str, ...] = ("vector",)

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.version = f"1+{embedder.model_id}"

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        positions = [n for n, doc in enumerate(docs) if has_content_to_embed(doc.lead)]
        vectors = self._embed([without_lone_surrogates(docs[n].lead or "") for n in positions])
        out = list(docs)
        for n, vector in zip(positions, vectors, strict=True):
            out[n] = replace(docs[n], vector=vector)
        return out

    def _embed(self, texts: list[str]) -> list[Vector]:
        if not texts:
            return []
        matrix = np.asarray(self._embedder.embed_passages(texts), dtype=np.float32)
        dim = self._embedder.dim
        if matrix.shape != (len(texts), dim):
            raise TabadolError(
                ErrorCode.MODEL_INVALID,
                path=self._embedder.model_id,
                reason=f"got vectors of shape {matrix.shape} for {len(texts)} texts of dimension {dim}",
            )
        if not np.isfinite(matrix).all():
            # Raising lets the pipeline retry document by document, so only the text that
            # produced a non-finite vector is recorded as failed.
            raise TabadolError(
                ErrorCode.MODEL_INVALID, path=self._embedder.model_id, reason="a vector is not finite"
            )
        return [_read_only(row) for row in matrix]


def has_content_to_embed(lead: str | None) -> bool:
    """Whether `lead` has a letter or a digit once control and invisible characters are gone (a lead
    of punctuation, such as the ". " that joins an invisible headline to an invisible body, says
    nothing)."""
    return bool(lead) and any(ch.isalnum() for ch in normalize_for_embedding(lead or ""))


def _read_only(row: np.ndarray) -> Vector:
    vector: Vector = np.array(row, dtype=np.float32, copy=True)
    vector.flags.writeable = False
    return vector
