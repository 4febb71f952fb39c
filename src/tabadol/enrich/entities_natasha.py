"""Russian named entities with natasha (slovnet NER on navec embeddings; MIT licence).

The models take a second or two to load, so they are loaded once per process, on first use, under
a lock (pipeline workers may call from several threads). Names come back normalised to the
nominative (Масудом Пезешкианом -> Масуд Пезешкиан) with natasha's morphology, so the same person
gets the same id whatever the case of the mention.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tabadol.enrich.doc import EntityKind

# natasha reads at most this much of a text. Its tagger costs about a millisecond per sentence and
# the morphology more; a wire item is rarely over 10,000 characters, and a body of megabytes (an
# appended document, a mis-sent file) would hold a pipeline worker for minutes for entities no
# reader looks for. The gazetteer still reads further (see entities.MAX_TEXT_CHARS).
MAX_NATASHA_CHARS = 20_000

_KINDS = {"PER": EntityKind.PERSON, "ORG": EntityKind.ORGANISATION, "LOC": EntityKind.PLACE}


@dataclass(frozen=True, slots=True)
class NatashaSpan:
    kind: EntityKind
    start: int
    end: int
    text: str
    normal: str


@dataclass(frozen=True)
class _Models:
    segmenter: Any
    ner: Any
    morph: Any
    vocab: Any


class NatashaRecognizer:
    """Russian PER/ORG/LOC spans with nominative forms; thread-safe, models loaded lazily once."""

    _lock = threading.Lock()
    _models: _Models | None = None

    @classmethod
    def _loaded(cls) -> _Models:
        if cls._models is None:
            with cls._lock:
                if cls._models is None:
                    cls._models = _load_models()
        return cls._models

    def spans(self, text: str) -> list[NatashaSpan]:
        text = _cap(text)
        if not text.strip():
            return []
        from natasha import Doc

        models = self._loaded()
        doc = Doc(text)
        doc.segment(models.segmenter)
        doc.tag_ner(models.ner)
        if not doc.spans:
            return []
        _tag_morph_of_sentences_with_spans(doc, models.morph)
        result = []
        for span in doc.spans:
            kind = _KINDS.get(span.type)
            if kind is None:
                continue
            span.normalize(models.vocab)
            result.append(NatashaSpan(kind, span.start, span.stop, span.text, span.normal or span.text))
        return result


def _tag_morph_of_sentences_with_spans(doc: Any, tagger: Any) -> None:
    """Morphology (needed only to normalise names) for the sentences that hold a span: it costs
    ten times the NER tagging, and most sentences of a long text name nobody."""
    from natasha.doc import inject_morph, sent_words

    sentences = [sentence for sentence in doc.sents if sentence.spans]
    markups = tagger.map([sent_words(sentence) for sentence in sentences])
    for sentence, markup in zip(sentences, markups, strict=True):
        inject_morph(sentence.tokens, markup.tokens)


def _load_models() -> _Models:
    from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

    embedding = NewsEmbedding()
    return _Models(Segmenter(), NewsNERTagger(embedding), NewsMorphTagger(embedding), MorphVocab())


def _cap(text: str) -> str:
    """The first MAX_NATASHA_CHARS characters, cut at white space so no word is halved."""
    if len(text) <= MAX_NATASHA_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_NATASHA_CHARS)
    return text[: cut if cut > 0 else MAX_NATASHA_CHARS]
