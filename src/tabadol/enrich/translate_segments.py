"""Cutting a text into sentences for translation, and putting the translations back in place.

Translation models are trained on sentences and lose the thread on long inputs (and have a hard limit on
input length), so a body is translated sentence by sentence. The whitespace between sentences is kept
verbatim, so paragraphs and line breaks of the original survive in the translation.

A sentence ends at terminal punctuation (Latin, Arabic and Urdu/Persian forms), optionally followed by
closing quotes or brackets, before whitespace; a line break always ends one. Abbreviations ("U.S.") may
cut a sentence in two: the halves are still translated, only with a little less context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_TERMINAL = frozenset(".!?؟۔…")
_CLOSERS = frozenset("\"'»”’)]")
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Segmented:
    """A text as `sentences` and the `gaps` around them: gaps[0] leads, gaps[i + 1] follows sentence i."""

    sentences: tuple[str, ...]
    gaps: tuple[str, ...]

    def rebuild(self, sentences: Sequence[str]) -> str:
        if len(sentences) != len(self.sentences):
            raise ValueError(f"{len(sentences)} sentences given for {len(self.sentences)}")
        parts = [self.gaps[0]]
        for sentence, gap in zip(sentences, self.gaps[1:], strict=True):
            parts.append(sentence)
            parts.append(gap)
        return "".join(parts)


def split_sentences(text: str) -> Segmented:
    """Split `text` into non-empty sentences; `rebuild(result.sentences) == text` always holds."""
    sentences: list[str] = []
    gaps: list[str] = []
    start = 0
    pending_gap = ""
    for match in _WHITESPACE_RUN.finditer(text):
        if match.start() == 0:
            pending_gap = match.group()
            start = match.end()
            continue
        at_end = match.end() == len(text)
        if not at_end and not _ends_sentence(text[start : match.start()], match.group()):
            continue
        gaps.append(pending_gap)
        sentences.append(text[start : match.start()])
        pending_gap = match.group()
        start = match.end()
    if start < len(text):
        gaps.append(pending_gap)
        sentences.append(text[start:])
        pending_gap = ""
    gaps.append(pending_gap)
    return Segmented(tuple(sentences), tuple(gaps))


def _ends_sentence(sentence: str, gap: str) -> bool:
    if "\n" in gap:
        return True
    stripped = sentence.rstrip("".join(_CLOSERS))
    return bool(stripped) and stripped[-1] in _TERMINAL


def translate_by_sentence(
    texts: Sequence[str], translate_sentences: Callable[[list[str]], list[str]]
) -> list[str]:
    """Translate every sentence of every text in one call (one batch for the model), then rebuild each
    text with its original whitespace. Texts with no sentences (empty or blank) come back unchanged."""
    segmented = [split_sentences(text) for text in texts]
    flat = [sentence for seg in segmented for sentence in seg.sentences]
    translated = translate_sentences(flat) if flat else []
    if len(translated) != len(flat):
        raise ValueError(f"{len(translated)} translations returned for {len(flat)} sentences")
    out: list[str] = []
    position = 0
    for seg in segmented:
        count = len(seg.sentences)
        out.append(seg.rebuild(translated[position : position + count]))
        position += count
    return out
