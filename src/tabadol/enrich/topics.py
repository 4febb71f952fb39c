"""Topics: IPTC Media Topics for every item, and members' own desk categories beside them.

A *topic scheme* classifies embedding vectors (the item's `Doc.vector`, multilingual-e5 over the
headline and lead), and for members' schemes the words of that lead too, into its topics, with
scores in 0..1. Up to four classifiers are combined:

* **zero-shot (prototypes)**: one unit vector per topic; a vector's cosine to each prototype,
  divided by a temperature, gives a softmax distribution. For IPTC the prototypes are the embedded
  label and description of each topic in all eight languages, so a topic that no labelled example
  covers (weather, religion, labour...) is still found, in any of the languages. For a scheme
  trained from examples they are the examples' centroids (a nearest-centroid classifier).
* **supervised head**: a class-balanced multinomial logistic regression on the same vectors
  (`topics_head`). For IPTC it is trained on SIB-200 sentences mapped to IPTC codes plus the
  topic descriptions; for a member's scheme, on the member's examples.
* **neighbours** (members' schemes only): the scheme keeps its examples' vectors, and the labels
  of the `neighbours` most similar examples, weighted by similarity, form a third distribution.
* **words** (members' schemes only): a character n-gram naive Bayes model over the examples'
  texts (`topics_lexical`), read on the item's lead (`Doc.lead`, the text its vector came from).

The vectors' distribution is `head_weight * head + knn_weight * neighbours + the rest *
prototypes`; with a lexical model the scheme's is `(1 - lexical_weight) * that + lexical_weight *
words`. Why the words: the embedding model reads Turkmen and Arabic poorly, and there a desk's own
examples in the language are the better evidence; on SIB-200 (5-fold cross-validation over the
train split) the words add 11 points in Turkmen, 3 in Arabic, 1-2 in Kazakh and Azerbaijani, and
cost Persian, Russian, Turkish and English under a point each. Why the other three: the head
separates topics that the prototypes confuse (it learns which directions of the embedding matter)
and is the most accurate single part wherever it has examples; the neighbours remember what a
linear head smooths away (a desk's recurring stories, names and places that mark a category),
which on SIB-200 adds three to nine points of accuracy to head and prototypes in every language;
the prototypes are smooth, cannot overfit, and cover topics with few or no examples. A mixture of
distributions is a distribution, so scores stay comparable between schemes. The IPTC scheme gives
its head less weight than a member's scheme and keeps no neighbours or words (see
`topics_train_iptc`): most IPTC topics have only descriptions as examples, and its head's examples
are not news.

Topics may form a tree (IPTC: "transport" under "economy, business and finance"). A topic's score
is its own probability plus its descendants', so a parent never scores below its child and the
best topic of an item is always a top-level one. An item gets its best topic and every other topic
scoring at least `min_score`, at most `max_topics` of them.

Schemes serialise to bytes (`to_bytes`/`from_bytes`: a JSON header, then raw little-endian float32
arrays, the int32 topic of each kept example and the float16 n-gram table; never pickle).
`version` is a hash of those bytes, so a retrained scheme is a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tabadol.enrich.doc import Doc, TopicScore
from tabadol.enrich.embed import Embedder, embedding_text
from tabadol.enrich.topics_head import FloatArray, IntArray, LogisticHead, fit_logistic, softmax
from tabadol.enrich.topics_lexical import LexicalModel, fit_lexical, is_valid_table
from tabadol.errors import ErrorCode, TabadolError

# -- training rules -------------------------------------------------------------------------------
MIN_LABELS = 2
MIN_EXAMPLES_PER_LABEL = 3
MAX_LABEL_CHARS = 200
_SCHEME_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_SCHEME_NAMES = frozenset({"iptc"})

# -- defaults of a member's scheme. On SIB-200 (bench/quality_topics.py) head and prototypes alone
# score within a point of each other for head weights 0.5-0.85 (0.7 of the two taken here); giving
# the neighbours half the weight adds 3-9 points in every language, and 10 neighbours did better
# than 30 or 80. ---------------------------------------------------------------------------------
DEFAULT_HEAD_WEIGHT = 0.35
DEFAULT_KNN_WEIGHT = 0.5
DEFAULT_NEIGHBOURS = 10
DEFAULT_TEMPERATURE = 0.02
# A scheme keeps at most this many example vectors (15 MB); beyond, an evenly spread subset.
MAX_EXEMPLARS = 10_000
# The lexical model's share of a member's scheme (`topics_lexical`), by 5-fold cross-validation on
# the SIB-200 train split: 0.4 adds 11 points in Turkmen and 3 in Arabic, where the embedding model
# is weak, 1-2 in Kazakh and Azerbaijani, and costs fa, ru, tr and en under a point each; 0.3 and
# 0.5 do as well on average, 0.2 leaves 6 of the Turkmen points, 0.6 costs the others 1-2 points.
DEFAULT_LEXICAL_WEIGHT = 0.4
DEFAULT_MIN_SCORE = 0.25
DEFAULT_MAX_TOPICS = 4

_MAGIC = b"TBTOPICS"
# Version 2 adds the lexical model. A scheme without one is still written as version 1, so the
# bytes, and the version, of schemes trained before it (the shipped IPTC scheme) do not change.
_FORMAT_VERSION = 2
_READABLE_VERSIONS = frozenset({1, 2})
_PREFIX = struct.Struct("<8sBI")  # magic, format version, header length


@dataclass(frozen=True, slots=True)
class SchemeTopic:
    """One topic of a scheme. For a member's scheme `code` and `label` are both the desk label."""

    code: str
    label: str
    parent: str | None = None


@dataclass(frozen=True, eq=False)  # arrays have no truth value: compare `version`s
class TopicScheme:
    """A trained classifier from embedding vectors to the topics of one scheme."""

    name: str
    topics: tuple[SchemeTopic, ...]
    prototypes: FloatArray  # (topics, dim), unit rows
    head: LogisticHead  # weights (dim, topics), bias (topics)
    model_id: str  # the embedding model the vectors must come from
    head_weight: float = DEFAULT_HEAD_WEIGHT
    temperature: float = DEFAULT_TEMPERATURE
    min_score: float = DEFAULT_MIN_SCORE
    max_topics: int = DEFAULT_MAX_TOPICS
    metadata: Mapping[str, Any] | None = None  # what it was trained from: counts, sources
    exemplars: FloatArray | None = None  # (examples, dim) example vectors for the neighbours
    exemplar_topics: IntArray | None = None  # (examples,) index of each example's topic
    knn_weight: float = 0.0
    neighbours: int = DEFAULT_NEIGHBOURS
    lexical: LexicalModel | None = None  # n-gram evidence from the text itself (`topics_lexical`)
    lexical_weight: float = 0.0

    def __post_init__(self) -> None:
        _check_scheme(self, source=f"scheme {self.name!r}")

    @property
    def dim(self) -> int:
        return int(self.prototypes.shape[1])

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(topic.code for topic in self.topics)

    @cached_property
    def version(self) -> str:
        """A hash of the serialised scheme: equal versions classify identically."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:16]

    # -- classification ----------------------------------------------------------------------------

    def probabilities(self, vectors: FloatArray, texts: Sequence[str] | None = None) -> FloatArray:
        """(n, topics) distribution; rows sum to one. With `texts` (the texts the vectors were
        embedded from) and a lexical model, `lexical_weight` of it comes from the texts' words."""
        vectors = self._checked(vectors)
        embedded = self._embedding_probabilities(vectors)
        if texts is None or self.lexical is None or self.lexical_weight == 0.0:
            return embedded
        if len(texts) != len(vectors):
            reason = f"{len(texts)} texts given for {len(vectors)} vectors"
            raise TabadolError(ErrorCode.MODEL_INVALID, path=f"topic scheme {self.name!r}", reason=reason)
        words = self.lexical.probabilities(texts)
        mixed = (1.0 - self.lexical_weight) * embedded + self.lexical_weight * words
        return mixed.astype(np.float32)

    def _embedding_probabilities(self, vectors: FloatArray) -> FloatArray:
        """The head, prototypes and neighbours mixed: what the vectors alone say."""
        zero_shot = softmax((vectors @ self.prototypes.T) / self.temperature)
        mixed = self.head_weight * self.head.probabilities(vectors)
        mixed += (1.0 - self.head_weight - self.knn_weight) * zero_shot
        if self.knn_weight > 0 and self.exemplars is not None and self.exemplar_topics is not None:
            mixed += self.knn_weight * self._neighbour_votes(vectors, self.exemplars, self.exemplar_topics)
        return mixed.astype(np.float32)

    def _neighbour_votes(self, vectors: FloatArray, exemplars: FloatArray, topics: IntArray) -> FloatArray:
        """Per vector, the topics of its most similar examples, each weighted by exp(cos / T)."""
        similarity = vectors @ exemplars.T
        k = min(self.neighbours, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        near_similarity = np.take_along_axis(similarity, nearest, axis=1)
        weights = np.exp((near_similarity - near_similarity.max(axis=1, keepdims=True)) / self.temperature)
        votes = np.zeros((len(vectors), len(self.topics)), dtype=np.float64)
        np.add.at(votes, (np.arange(len(vectors))[:, None], topics[nearest]), weights)
        return (votes / votes.sum(axis=1, keepdims=True)).astype(np.float32)

    def scores(self, vectors: FloatArray, texts: Sequence[str] | None = None) -> FloatArray:
        """(n, topics) scores: each topic's probability plus its descendants'."""
        return (self.probabilities(vectors, texts) @ self._subtree_matrix).astype(np.float32)

    def classify(self, vectors: FloatArray, texts: Sequence[str] | None = None) -> list[list[TopicScore]]:
        """For each vector (and its text, when given) its topics, best first: the best one and any
        other scoring at least `min_score`, at most `max_topics`."""
        return [self._select(row) for row in self.scores(vectors, texts)]

    def best(self, vectors: FloatArray, texts: Sequence[str] | None = None) -> list[str]:
        """The code of the single most probable topic (leaf or not) of each vector."""
        return [self.codes[i] for i in np.argmax(self.probabilities(vectors, texts), axis=1)]

    def _select(self, row: FloatArray) -> list[TopicScore]:
        # Ties go to the broader topic, so a parent is always listed before its child.
        order = sorted(range(len(self.topics)), key=lambda i: (-float(row[i]), self._depth[i]))
        chosen: list[TopicScore] = []
        for index in order[: self.max_topics]:
            score = float(row[index])
            if chosen and score < self.min_score:
                break
            topic = self.topics[index]
            chosen.append(TopicScore(self.name, topic.code, topic.label, round(min(score, 1.0), 4)))
        return chosen

    def _checked(self, vectors: FloatArray) -> FloatArray:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != self.dim:
            reason = f"vectors of shape {array.shape} given, the scheme reads {self.dim} dimensions"
            raise TabadolError(ErrorCode.MODEL_INVALID, path=f"topic scheme {self.name!r}", reason=reason)
        return array

    @cached_property
    def _subtree_matrix(self) -> FloatArray:
        """M[i, j] = 1 when topic i is topic j or one of its descendants."""
        index = {code: i for i, code in enumerate(self.codes)}
        matrix = np.zeros((len(self.topics), len(self.topics)), dtype=np.float32)
        for i, topic in enumerate(self.topics):
            matrix[i, i] = 1.0
            parent = topic.parent
            while parent is not None:
                matrix[i, index[parent]] = 1.0
                parent = self.topics[index[parent]].parent
        return matrix

    @cached_property
    def _depth(self) -> list[int]:
        return [int(column.sum()) - 1 for column in self._subtree_matrix]

    # -- serialisation -----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = {
            "name": self.name,
            "model_id": self.model_id,
            "dim": self.dim,
            "topics": [{"code": t.code, "label": t.label, "parent": t.parent} for t in self.topics],
            "head_weight": self.head_weight,
            "temperature": self.temperature,
            "min_score": self.min_score,
            "max_topics": self.max_topics,
            "metadata": dict(self.metadata or {}),
            "exemplars": 0 if self.exemplars is None else len(self.exemplars),
            "knn_weight": self.knn_weight,
            "neighbours": self.neighbours,
        }
        if self.lexical is not None:
            header["lexical"] = {"bits": self.lexical.bits, "temperature": self.lexical.temperature}
            header["lexical_weight"] = self.lexical_weight
        header_bytes = json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8")
        arrays = [self.prototypes, self.head.weights, self.head.bias]
        body = b"".join(np.ascontiguousarray(a, dtype="<f4").tobytes() for a in arrays)
        if self.exemplars is not None and self.exemplar_topics is not None:
            body += np.ascontiguousarray(self.exemplars, dtype="<f4").tobytes()
            body += np.ascontiguousarray(self.exemplar_topics, dtype="<i4").tobytes()
        if self.lexical is not None:
            body += np.ascontiguousarray(self.lexical.log_probs, dtype="<f2").tobytes()
        format_version = 1 if self.lexical is None else _FORMAT_VERSION
        return _PREFIX.pack(_MAGIC, format_version, len(header_bytes)) + header_bytes + body

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "topic scheme") -> TopicScheme:
        """Read bytes written by `to_bytes`; MODEL_INVALID (naming `source`) for anything else."""
        header, body = _split(data, source)
        try:
            topics = tuple(SchemeTopic(t["code"], t["label"], t["parent"]) for t in header["topics"])
            dim, count, examples = int(header["dim"]), len(topics), int(header.get("exemplars", 0))
            lexical_header = header.get("lexical")
            buckets = 1 << int(lexical_header["bits"]) if lexical_header else 0
            sizes = (count * dim, dim * count, count, examples * dim, examples)
            expected = 4 * sum(sizes) + 2 * count * buckets
            if len(body) != expected:
                raise ValueError(f"{len(body)} bytes of weights, expected {expected}")
            ends = np.cumsum(sizes)
            floats = np.frombuffer(body, dtype="<f4", count=int(ends[3])).astype(np.float32)
            prototypes = floats[: ends[0]].reshape(count, dim)
            weights = floats[ends[0] : ends[1]].reshape(dim, count)
            bias = floats[ends[1] : ends[2]]
            exemplars = floats[ends[2] : ends[3]].reshape(examples, dim) if examples else None
            exemplar_topics = np.frombuffer(
                body, dtype="<i4", offset=4 * int(ends[3]), count=examples
            ).astype(np.int64)
            lexical = None
            if lexical_header:
                table = np.frombuffer(body, dtype="<f2", offset=4 * int(ends[4]), count=count * buckets)
                lexical = LexicalModel(
                    table.astype(np.float32).reshape(count, buckets), float(lexical_header["temperature"])
                )
            return cls(
                name=str(header["name"]),
                topics=topics,
                prototypes=prototypes,
                head=LogisticHead(weights, bias),
                model_id=str(header["model_id"]),
                head_weight=float(header["head_weight"]),
                temperature=float(header["temperature"]),
                min_score=float(header["min_score"]),
                max_topics=int(header["max_topics"]),
                metadata=header.get("metadata") or {},
                exemplars=exemplars,
                exemplar_topics=exemplar_topics if examples else None,
                knn_weight=float(header.get("knn_weight", 0.0)),
                neighbours=int(header.get("neighbours", DEFAULT_NEIGHBOURS)),
                lexical=lexical,
                lexical_weight=float(header.get("lexical_weight", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=str(exc)) from exc

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> TopicScheme:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TabadolError(ErrorCode.MODEL_INVALID, path=str(path), reason=exc.strerror) from exc
        return cls.from_bytes(data, source=str(path))


def _split(data: bytes, source: str) -> tuple[dict[str, Any], bytes]:
    if len(data) < _PREFIX.size:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason="too short to be a topic scheme")
    magic, format_version, header_length = _PREFIX.unpack_from(data)
    if magic != _MAGIC:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason="not a topic scheme")
    if format_version not in _READABLE_VERSIONS:
        reason = f"format version {format_version}, this version reads {sorted(_READABLE_VERSIONS)}"
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=reason)
    end = _PREFIX.size + header_length
    try:
        header = json.loads(data[_PREFIX.size : end].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=f"unreadable header: {exc}") from exc
    if not isinstance(header, dict):
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason="the header is not an object")
    return header, data[end:]


def _check_scheme(scheme: TopicScheme, source: str) -> None:
    """Shapes, finiteness, a tree of known parents and sane settings, or MODEL_INVALID."""
    problems: list[str] = []
    count = len(scheme.topics)
    codes = [topic.code for topic in scheme.topics]
    if count < MIN_LABELS:
        problems.append(f"{count} topics, at least {MIN_LABELS} needed")
    if len(set(codes)) != count:
        problems.append("a topic code appears twice")
    if any(t.parent is not None and (t.parent not in codes or t.parent == t.code) for t in scheme.topics):
        problems.append("a topic names an unknown parent")
    prototypes, weights, bias = scheme.prototypes, scheme.head.weights, scheme.head.bias
    if prototypes.ndim != 2 or prototypes.shape[0] != count:
        problems.append(f"prototypes of shape {prototypes.shape} for {count} topics")
    elif weights.shape != (prototypes.shape[1], count) or bias.shape != (count,):
        problems.append(f"head of shape {weights.shape}/{bias.shape} for {count} topics")
    if not all(np.isfinite(a).all() for a in (prototypes, weights, bias)):
        problems.append("weights that are not finite numbers")
    problems.extend(_exemplar_problems(scheme))
    problems.extend(_lexical_problems(scheme))
    weights_ok = scheme.head_weight >= 0.0 and scheme.knn_weight >= 0.0
    if not (weights_ok and scheme.head_weight + scheme.knn_weight <= 1.0 + 1e-6):
        problems.append("head_weight and knn_weight must be >= 0 and add up to at most 1")
    if not (scheme.temperature > 0 and scheme.max_topics >= 1 and scheme.neighbours >= 1):
        problems.append("a temperature <= 0, max_topics < 1 or neighbours < 1")
    if not problems and _has_cycle(scheme.topics):
        problems.append("the topics' parents form a cycle")
    if problems:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason="; ".join(problems))


def _exemplar_problems(scheme: TopicScheme) -> list[str]:
    exemplars, topics = scheme.exemplars, scheme.exemplar_topics
    if exemplars is None and topics is None:
        return ["knn_weight > 0 without examples"] if scheme.knn_weight > 0 else []
    if exemplars is None or topics is None:
        return ["example vectors and their topics must come together"]
    if (
        exemplars.ndim != 2
        or exemplars.shape[1] != scheme.prototypes.shape[-1]
        or len(topics) != len(exemplars)
    ):
        return [f"example vectors of shape {exemplars.shape} with {len(topics)} topics"]
    if len(topics) and (topics.min() < 0 or topics.max() >= len(scheme.topics)):
        return ["an example names a topic the scheme does not have"]
    return [] if np.isfinite(exemplars).all() else ["example vectors that are not finite numbers"]


def _lexical_problems(scheme: TopicScheme) -> list[str]:
    if scheme.lexical is None:
        return ["lexical_weight > 0 without a lexical model"] if scheme.lexical_weight > 0 else []
    problems = []
    if not is_valid_table(scheme.lexical.log_probs, len(scheme.topics)):
        problems.append(
            f"a lexical table of shape {scheme.lexical.log_probs.shape} that is not "
            f"(topics, 2**bits) of finite log-probabilities"
        )
    if not (0.0 <= scheme.lexical_weight <= 1.0 and scheme.lexical.temperature > 0):
        problems.append("lexical_weight must be in 0..1 and the lexical temperature > 0")
    return problems


def _has_cycle(topics: Sequence[SchemeTopic]) -> bool:
    parents = {topic.code: topic.parent for topic in topics}
    for code in parents:
        seen: set[str] = set()
        current: str | None = code
        while current is not None:
            if current in seen:
                return True
            seen.add(current)
            current = parents[current]
    return False


# -- training a member's scheme -------------------------------------------------------------------


def check_scheme_name(name: str) -> None:
    if not _SCHEME_NAME.match(name) or name in RESERVED_SCHEME_NAMES:
        reason = (
            f"scheme name {name!r} must be 1-64 lower-case letters, digits, '-' or '_' "
            f"and not one of {sorted(RESERVED_SCHEME_NAMES)}"
        )
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)


def check_examples(examples: Sequence[tuple[str, str]]) -> None:
    """TRAINING_DATA_INVALID unless there are >= 2 labels, each with >= 3 non-empty examples."""
    for number, (label, text) in enumerate(examples, start=1):
        if not label.strip():
            raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"example {number} has an empty label")
        if len(label) > MAX_LABEL_CHARS:
            reason = f"example {number} has a label longer than {MAX_LABEL_CHARS} characters"
            raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)
        if not text.strip():
            raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"example {number} has an empty text")
    counts = Counter(label.strip() for label, _ in examples)
    if len(counts) < MIN_LABELS:
        reason = f"{len(counts)} distinct label(s); a scheme needs at least {MIN_LABELS}"
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)
    thin = sorted(label for label, count in counts.items() if count < MIN_EXAMPLES_PER_LABEL)
    if thin:
        listed = ", ".join(f"{label!r} ({counts[label]})" for label in thin)
        reason = f"each label needs at least {MIN_EXAMPLES_PER_LABEL} examples; too few for {listed}"
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)


def train_scheme(
    name: str,
    examples: Sequence[tuple[str, str]],
    embedder: Embedder,
) -> TopicScheme:
    """Train a scheme from (label, text) pairs: texts are embedded like items' headline and lead,
    and their words train the lexical model."""
    check_scheme_name(name)
    check_examples(examples)
    texts = [embedding_text("", text) for _, text in examples]
    vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    labels = [label.strip() for label, _ in examples]
    return fit_scheme(name, labels, vectors, embedder.model_id, texts=texts)


def fit_scheme(
    name: str,
    labels: Sequence[str],
    vectors: FloatArray,
    model_id: str,
    head_weight: float = DEFAULT_HEAD_WEIGHT,
    knn_weight: float = DEFAULT_KNN_WEIGHT,
    texts: Sequence[str] | None = None,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
) -> TopicScheme:
    """Train from labels and their already embedded texts (labels sorted for a stable layout).
    With `texts` (what was embedded), a lexical model is trained too and gets `lexical_weight`."""
    check_examples([(label, "-") for label in labels])
    if texts is not None and len(texts) != len(labels):
        reason = f"{len(texts)} texts for {len(labels)} labels"
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)
    vocabulary = sorted(set(labels))
    targets = np.array([vocabulary.index(label) for label in labels], dtype=np.int64)
    kept = _spread_subset(len(targets), MAX_EXEMPLARS)
    lexical = None if texts is None else fit_lexical(texts, targets, len(vocabulary))
    return TopicScheme(
        name=name,
        topics=tuple(SchemeTopic(label, label) for label in vocabulary),
        prototypes=class_centroids(vectors, targets, len(vocabulary)),
        head=fit_logistic(vectors, targets, len(vocabulary)),
        model_id=model_id,
        head_weight=head_weight,
        metadata={"examples": dict(sorted(Counter(labels).items()))},
        exemplars=np.ascontiguousarray(vectors[kept], dtype=np.float32),
        exemplar_topics=targets[kept],
        knn_weight=knn_weight,
        lexical=lexical,
        lexical_weight=0.0 if lexical is None else lexical_weight,
    )


def _spread_subset(count: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` of `count` items, evenly spread (deterministic)."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def class_centroids(vectors: FloatArray, targets: np.ndarray, n_classes: int) -> FloatArray:
    """The unit-length mean vector of each class."""
    centroids = np.stack([vectors[targets == c].mean(axis=0) for c in range(n_classes)])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    return (centroids / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def read_training_tsv(path: Path) -> list[tuple[str, str]]:
    """(label, text) pairs from a UTF-8 file of `label<TAB>text` lines. A first line `label<TAB>text`
    is a header; blank lines are skipped; a tab inside the text is kept. Errors name the line."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        reason = f"{path}: not UTF-8 text (byte {exc.start})"
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason) from exc
    except OSError as exc:
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"{path}: {exc.strerror}") from exc
    examples: list[tuple[str, str]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        label, tab, text = line.partition("\t")
        if number == 1 and label.strip().lower() == "label" and text.strip().lower() == "text":
            continue
        problem = _line_problem(label, tab, text)
        if problem:
            reason = f"{path}, line {number}: {problem}"
            raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=reason)
        examples.append((label.strip(), text.strip()))
    return examples


def _line_problem(label: str, tab: str, text: str) -> str | None:
    if not tab:
        return "expected two tab-separated columns, label and text"
    if not label.strip():
        return "the label is empty"
    if not text.strip():
        return "the text is empty"
    return None


def pick_schemes(available: Mapping[str, TopicScheme], names: Iterable[str]) -> list[TopicScheme]:
    """The schemes named (e.g. by `analyze --topics NAME`), UNKNOWN_TOPIC_SCHEME for a name that
    is not there."""
    picked = []
    for name in names:
        if name not in available:
            known = ", ".join(sorted(available)) or "none"
            raise TabadolError(ErrorCode.UNKNOWN_TOPIC_SCHEME, name=name, known=known)
        picked.append(available[name])
    return picked


# -- the pipeline component -----------------------------------------------------------------------


class TopicComponent:
    """Assigns `Doc.topics`: IPTC Media Topics and the topics of each extra scheme, IPTC first.

    A document without a vector (its embedding failed) keeps no topics: the failure is already
    recorded by the component that embeds. Schemes with a lexical model also read the document's
    lead (the text its vector was embedded from), so their examples and items are read alike."""

    name = "topics"
    requires: tuple[str, ...] = ("vector", "lead")
    assigns: tuple[str, ...] = ("topics",)
    _CODE_VERSION = "2"  # 2: the lead's words count in schemes with a lexical model

    def __init__(self, schemes: Sequence[TopicScheme] = (), iptc: TopicScheme | None = None) -> None:
        if iptc is None:
            # Imported here: topics_iptc builds on this module, and loads the shipped head once.
            from tabadol.enrich.topics_iptc import iptc_scheme

            iptc = iptc_scheme()
        names = [iptc.name, *(scheme.name for scheme in schemes)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            reason = f"two topic schemes are named {duplicates[0]!r}"
            raise TabadolError(ErrorCode.PIPELINE_INVALID, reason=reason)
        self.schemes: tuple[TopicScheme, ...] = (iptc, *schemes)

    @property
    def version(self) -> str:
        """Changes when the code or any scheme changes, so stale topics can be found and rebuilt."""
        schemes = "|".join(f"{scheme.name}={scheme.version}" for scheme in self.schemes)
        return f"{self._CODE_VERSION}+{hashlib.sha256(schemes.encode()).hexdigest()[:12]}"

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        with_vector = [i for i, doc in enumerate(docs) if doc.vector is not None]
        out = list(docs)
        if not with_vector:
            return out
        vectors = np.stack([np.asarray(docs[i].vector, dtype=np.float32) for i in with_vector])
        texts = [docs[i].lead or embedding_text(docs[i].headline, docs[i].body) for i in with_vector]
        per_scheme = [scheme.classify(vectors, texts) for scheme in self.schemes]
        for row, index in enumerate(with_vector):
            topics = tuple(score for scheme_topics in per_scheme for score in scheme_topics[row])
            out[index] = replace(docs[index], topics=topics)
        return out
