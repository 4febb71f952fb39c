"""The lexical part of a topic scheme: character n-grams of the words, counted per topic.

The embedding model reads some of the alliance's languages poorly (Turkmen above all, and Arabic
less well than Persian), and then the words themselves are the better evidence: a desk's examples in
that language name the same teams, ministries and diseases its new items do. This model sees them.

Features: every word of `normalize_for_search(text)` (so spelling variants, case and Persian/Arabic
letter forms meet), padded as `<word>`, cut into character n-grams of 3 to 6 characters (within a
word only: affixes and stems of Turkic and Slavic inflection share n-grams, which whole-word
features would miss), each hashed with CRC-32 into 2**18 buckets and counted once per text. On
SIB-200 (below) 3-6 characters did 1 point better than 2-5 and 4 better than 1-4; 2**16 buckets
cost 2.4 points; n-grams of `translit.matching_key` (one Latin form for Cyrillic and Latin text)
instead of, or beside, the search form did not help.

Model: complement naive Bayes (Rennie et al., ICML 2003). Per topic, the smoothed distribution of
the n-gram buckets of the examples of every *other* topic (add-`alpha`); a text's score for a topic
is minus the log-likelihood of its buckets under that complement: the less the rest of the scheme
explains the text, the more it belongs to the topic. Each complement pools many topics' examples,
so its estimate is steadier than one small topic's own, and there is no prior, so a big label does
not drown a small one (the same balance as the logistic head). It trains in one counting pass, is
exact and deterministic. On SIB-200 (5-fold cross-validation over the train split of the eight
languages) it scored 69% alone against 68% for plain multinomial naive Bayes and 61% for a
logistic regression on the same features that took a hundred times longer to train, and mixed
with the embedding classifier it gave one point more than plain naive Bayes on average.
Its scores are far too confident to be read as probabilities, so they are divided by a
`temperature` (chosen by the same cross-validation) before the softmax, which makes them mixable
with the embedding classifier's distribution.

The table is stored as float16: log-probabilities of about -8 to -16 lose at most 0.008 each, and
after the temperature the scores move by a few thousandths.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tabadol.enrich.normalize import normalize_for_search
from tabadol.enrich.topics_head import FloatArray, IntArray, softmax

DEFAULT_BITS = 18
NGRAM_MIN, NGRAM_MAX = 3, 6
DEFAULT_ALPHA = 0.1
# Chosen by 5-fold cross-validation on the SIB-200 train split (bench/quality_topics.py --cv), with
# the lexical weight: 10 is as good on average, 5 costs 3 points, 40 costs Turkmen 1-2 points.
DEFAULT_TEMPERATURE = 20.0
# A text is read up to this many characters: a lead is a few hundred; a whole body is not needed.
MAX_TEXT_CHARS = 4000
_WORD = re.compile(r"[^\W_]+")


def ngram_buckets(text: str, bits: int = DEFAULT_BITS) -> IntArray:
    """The sorted distinct hash buckets of the character n-grams of the words of `text`."""
    mask = (1 << bits) - 1
    grams: set[str] = set()
    for word in _WORD.findall(normalize_for_search(text[:MAX_TEXT_CHARS])):
        padded = f"<{word}>"
        for size in range(NGRAM_MIN, NGRAM_MAX + 1):
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    buckets = {zlib.crc32(gram.encode("utf-8")) & mask for gram in grams}
    return np.array(sorted(buckets), dtype=np.int64)


@dataclass(frozen=True, eq=False)  # arrays have no truth value
class LexicalModel:
    """Per topic, the log-probabilities of n-gram buckets under its complement (topics, 2**bits), and
    the softmax temperature."""

    log_probs: FloatArray
    temperature: float = DEFAULT_TEMPERATURE

    @property
    def bits(self) -> int:
        return int(self.log_probs.shape[1]).bit_length() - 1

    @property
    def topic_count(self) -> int:
        return int(self.log_probs.shape[0])

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """(n, topics): minus the summed log-probability of each text's buckets under each topic's
        complement (higher is more likely)."""
        table = self.log_probs
        rows = [-table[:, ngram_buckets(text, self.bits)].sum(axis=1, dtype=np.float64) for text in texts]
        return np.stack(rows) if rows else np.zeros((0, self.topic_count))

    def probabilities(self, texts: Sequence[str]) -> FloatArray:
        """(n, topics) distribution; a text without any word gets the uniform one."""
        return softmax(self.scores(texts) / self.temperature)


def fit_lexical(
    texts: Sequence[str],
    targets: IntArray,
    n_classes: int,
    bits: int = DEFAULT_BITS,
    alpha: float = DEFAULT_ALPHA,
    temperature: float = DEFAULT_TEMPERATURE,
) -> LexicalModel:
    """Count each text's buckets once under its topic; each topic's complement is every other
    topic's counts, smoothed and normalised."""
    counts = np.zeros((n_classes, 1 << bits), dtype=np.float64)
    for text, target in zip(texts, targets, strict=True):
        counts[int(target), ngram_buckets(text, bits)] += 1.0
    complements = counts.sum(axis=0, keepdims=True) - counts + alpha
    log_probs = np.log(complements) - np.log(complements.sum(axis=1, keepdims=True))
    return LexicalModel(log_probs.astype(np.float32), temperature)


def is_valid_table(log_probs: FloatArray, n_classes: int) -> bool:
    """A (topics, 2**bits) table of finite, non-positive numbers."""
    shape_ok = log_probs.ndim == 2 and log_probs.shape[0] == n_classes and log_probs.shape[1] >= 2
    power_of_two = shape_ok and (log_probs.shape[1] & (log_probs.shape[1] - 1)) == 0
    return bool(power_of_two and np.isfinite(log_probs).all() and (log_probs <= 0).all())
