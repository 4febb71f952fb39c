"""The lexical part of topic schemes: n-gram features, naive Bayes, mixing, serialisation, component.

Vectors are synthetic (random directions) so that each test controls what the embedding side says
and can check what the words add; texts are short and real.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from tabadol.enrich.doc import Doc
from tabadol.enrich.topics import TopicComponent, TopicScheme, fit_scheme
from tabadol.enrich.topics_lexical import LexicalModel, fit_lexical, ngram_buckets
from tabadol.errors import ErrorCode, TabadolError

DIM = 384

_EXAMPLES = [
    ("sport", "Futbolçylar ýaryşda ýeňiş gazandylar"),
    ("sport", "Futbol ýaryşynda milli ýygyndy ýeňdi"),
    ("sport", "Türgenler ýaryşda altyn medal gazandylar"),
    ("sport", "Футболисты выиграли матч чемпионата"),
    ("health", "Lukmanlar keselhanada näsaglara kömek etdiler"),
    ("health", "Keselhanada täze lukmançylyk enjamlary işe girizildi"),
    ("health", "Näsaglar üçin täze keselhana açyldy"),
    ("health", "Врачи больницы помогли пациентам"),
]


def _unit_rows(count: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


# Every example and query has this one vector: the embedding side cannot tell the topics apart
# (equal prototypes, a head with nothing to separate, tied neighbours), so what a scheme knows about
# topics, its words taught it.
_SAME = _unit_rows(1, seed=1)[0]


def _same_vectors(count: int) -> np.ndarray:
    return np.repeat(_SAME[None, :], count, axis=0)


@pytest.fixture(scope="module")
def scheme() -> TopicScheme:
    labels = [label for label, _ in _EXAMPLES]
    texts = [text for _, text in _EXAMPLES]
    return fit_scheme("desk", labels, _same_vectors(len(labels)), "test-model", texts=texts)


# -- features -------------------------------------------------------------------------------------


def test_ngrams_ignore_case_and_letter_variants() -> None:
    assert np.array_equal(ngram_buckets("FUTBOL Ýaryşy"), ngram_buckets("futbol ýaryşy"))
    # Arabic and Persian keyboards' yeh and kaf, and a tatweel, give the same n-grams.
    assert np.array_equal(ngram_buckets("كيف"), ngram_buckets("کیف"))
    assert np.array_equal(ngram_buckets("سـلام"), ngram_buckets("سلام"))


def test_ngrams_stay_inside_words() -> None:
    joined, apart = set(ngram_buckets("abcdef")), set(ngram_buckets("abc def"))
    assert joined != apart
    assert set(ngram_buckets("abc")) <= apart and set(ngram_buckets("def")) <= apart
    assert len(ngram_buckets("")) == 0 and len(ngram_buckets("... !!")) == 0
    buckets = ngram_buckets("a longer sentence of several words", bits=10)
    assert buckets.max() < 1024 and list(buckets) == sorted(set(buckets))


# -- the model ------------------------------------------------------------------------------------


def test_naive_bayes_learns_words_and_stems() -> None:
    texts = [text for _, text in _EXAMPLES]
    targets = np.array([0 if label == "sport" else 1 for label, _ in _EXAMPLES])
    model = fit_lexical(texts, targets, 2)
    # Unseen sentences sharing stems (ýaryş-, keselhana-) with the examples, not whole words.
    probabilities = model.probabilities(["Ýaryşlaryň netijeleri", "Keselhanalaryň lukmanlary"])
    assert probabilities.argmax(axis=1).tolist() == [0, 1]
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert model.probabilities(["?!"]).tolist() == [[0.5, 0.5]]  # no words, no evidence


def test_a_label_with_few_examples_is_not_drowned() -> None:
    texts = ["Bank kredit faiz ykdysady"] * 40 + ["Futbol ýaryşy", "Futbol oýny", "Futbol topary"]
    targets = np.array([0] * 40 + [1] * 3)
    model = fit_lexical(texts, targets, 2)
    assert model.probabilities(["Täze futbol möwsümi"]).argmax(axis=1).tolist() == [1]


def test_temperature_softens_but_keeps_the_order() -> None:
    texts = [text for _, text in _EXAMPLES]
    targets = np.array([0 if label == "sport" else 1 for label, _ in _EXAMPLES])
    sharp = fit_lexical(texts, targets, 2, temperature=1.0)
    soft = replace(sharp, temperature=40.0)
    query = ["Lukmanlar ýaryşda"]
    assert sharp.probabilities(query).argmax() == soft.probabilities(query).argmax()
    assert soft.probabilities(query).max() < sharp.probabilities(query).max()


# -- in a scheme ----------------------------------------------------------------------------------


def test_words_decide_where_the_vectors_know_nothing(scheme: TopicScheme) -> None:
    assert scheme.lexical is not None and scheme.lexical_weight > 0
    vectors = _same_vectors(2)
    texts = ["Milli ýygyndy ýaryşda ýeňdi", "Keselhanada näsaglara kömek"]
    assert scheme.best(vectors, texts) == ["sport", "health"]
    with_words = scheme.probabilities(vectors, texts)
    assert np.allclose(with_words.sum(axis=1), 1.0, atol=1e-5)
    # Without texts the scheme is the embedding classifier alone, as before.
    alone = replace(scheme, lexical=None, lexical_weight=0.0)
    assert np.array_equal(scheme.probabilities(vectors), alone.probabilities(vectors))
    assert np.allclose(alone.probabilities(vectors), 0.5, atol=1e-3)
    assert not np.allclose(with_words, alone.probabilities(vectors))


def test_texts_must_match_the_vectors(scheme: TopicScheme) -> None:
    with pytest.raises(TabadolError) as excinfo:
        scheme.classify(_same_vectors(2), ["only one text"])
    assert excinfo.value.code is ErrorCode.MODEL_INVALID
    with pytest.raises(TabadolError) as excinfo:
        fit_scheme("desk", ["a", "a", "a", "b", "b", "b"], _unit_rows(6, 2), "m", texts=["x"])
    assert excinfo.value.code is ErrorCode.TRAINING_DATA_INVALID


def test_a_bad_lexical_table_or_weight_is_refused(scheme: TopicScheme) -> None:
    assert scheme.lexical is not None
    with pytest.raises(TabadolError, match="lexical table"):
        replace(scheme, lexical=LexicalModel(scheme.lexical.log_probs[:, :1000]))
    with pytest.raises(TabadolError, match="without a lexical model"):
        replace(scheme, lexical=None)
    with pytest.raises(TabadolError, match="lexical_weight must be in 0..1"):
        replace(scheme, lexical_weight=1.5)


def test_round_trip_keeps_the_lexical_model(scheme: TopicScheme) -> None:
    data = scheme.to_bytes()
    assert data[8] == 2  # format version 2: with a lexical model
    loaded = TopicScheme.from_bytes(data)
    assert loaded.version == scheme.version and loaded.lexical is not None
    vectors, texts = _same_vectors(2), ["Futbol ýaryşy", "Täze keselhana"]
    # The table is stored as float16: scores move by far less than they differ.
    assert np.allclose(loaded.probabilities(vectors, texts), scheme.probabilities(vectors, texts), atol=2e-3)
    assert loaded.best(vectors, texts) == scheme.best(vectors, texts)
    with pytest.raises(TabadolError, match="bytes of weights"):
        TopicScheme.from_bytes(data[:-2])


def test_a_scheme_without_words_keeps_the_first_format(scheme: TopicScheme) -> None:
    plain = replace(scheme, lexical=None, lexical_weight=0.0)
    data = plain.to_bytes()
    assert data[8] == 1 and b"lexical" not in data[:2000]
    assert TopicScheme.from_bytes(data).version == plain.version


def test_component_reads_the_lead(scheme: TopicScheme) -> None:
    docs = [
        Doc(
            id=doc_id,
            headline="",
            body="",
            reference_time=datetime(2026, 1, 1, tzinfo=UTC),
            lead=lead,
            vector=vector,
        )
        for doc_id, lead, vector in (
            ("a", "Futbolçylar ýaryşda ýeňiş gazandylar", _SAME),
            ("b", "Keselhanada lukmanlar", _SAME),
        )
    ]
    out = TopicComponent(schemes=[scheme]).process(docs)
    firsts = [[t.code for t in doc.topics if t.scheme == "desk"][0] for doc in out]
    assert firsts == ["sport", "health"]
