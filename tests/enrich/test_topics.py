"""Topic schemes: the IPTC taxonomy and shipped head, training, serialisation, the pipeline component.

Most tests use synthetic vectors (clusters around random unit directions), which exercise the
classifier exactly and cost nothing; a few at the end embed short texts with the real model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Component, check_order
from tabadol.enrich.topics import (
    MIN_EXAMPLES_PER_LABEL,
    SchemeTopic,
    TopicComponent,
    TopicScheme,
    check_examples,
    fit_scheme,
    pick_schemes,
    read_training_tsv,
    train_scheme,
)
from tabadol.enrich.topics_head import LogisticHead, fit_logistic
from tabadol.enrich.topics_iptc import HEAD_RESOURCE, head_npz_bytes, iptc_scheme, scheme_from_head
from tabadol.enrich.topics_taxonomy import iptc_taxonomy, parse_taxonomy, read_data_file
from tabadol.enrich.topics_train_iptc import SIB_TO_IPTC, embedded_sib_examples, read_sib_split
from tabadol.errors import ErrorCode, TabadolError

DIM = 384
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")


def _directions(count: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(count, DIM))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _cluster(direction: np.ndarray, count: int, seed: int, spread: float = 0.6) -> np.ndarray:
    """Unit vectors scattered around `direction` (cosine to it about 0.85)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(count, DIM)) * spread / np.sqrt(DIM)
    vectors = direction + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _desk_data(per_label: int = 12) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    directions = dict(zip(("economy", "sport", "culture"), _directions(3), strict=True))
    labels = [label for label in directions for _ in range(per_label)]
    vectors = np.vstack([_cluster(d, per_label, seed=i) for i, d in enumerate(directions.values())])
    return labels, vectors, directions


@pytest.fixture(scope="module")
def desk_scheme() -> TopicScheme:
    labels, vectors, _ = _desk_data()
    return fit_scheme("desk", labels, vectors, "test-model")


def _error_code(excinfo: pytest.ExceptionInfo[TabadolError]) -> ErrorCode:
    return excinfo.value.code


# -- the taxonomy ---------------------------------------------------------------------------------


def test_taxonomy_has_the_17_top_level_media_topics_and_real_codes() -> None:
    taxonomy = iptc_taxonomy()
    top_level = [t.code for t in taxonomy.topics if t.parent is None]
    assert top_level == [f"medtop:{n:02d}000000" for n in range(1, 18)]
    assert all(re.fullmatch(r"medtop:\d{8}", code) for code in taxonomy.codes)
    assert taxonomy.topic("medtop:15000000").label == "sport"
    # The second-level topics the brief names, with their real codes and parents.
    expected = {
        "medtop:20000337": ("transport", "medtop:04000000"),
        "medtop:20000256": ("energy and resource", "medtop:04000000"),
        "medtop:20000563": ("travel and tourism", "medtop:10000000"),
        "medtop:20000373": ("international trade", "medtop:20000344"),
        "medtop:20000038": ("culture", "medtop:01000000"),
    }
    for code, (label, parent) in expected.items():
        assert (taxonomy.topic(code).label, taxonomy.topic(code).parent) == (label, parent)


def test_taxonomy_speaks_all_eight_languages() -> None:
    taxonomy = iptc_taxonomy()
    assert set(taxonomy.languages) == set(LANGUAGES)
    for topic in taxonomy.topics:
        for lang in LANGUAGES:
            assert topic.labels[lang].strip() and len(topic.descriptions[lang]) > 20, (topic.code, lang)
    assert taxonomy.topic("medtop:11000000").label_in("ru") == "политика"
    assert taxonomy.topic("medtop:11000000").label_in("kk-Cyrl") == "саясат"
    assert taxonomy.topic("medtop:11000000").label_in("xx") == "politics"
    assert len(taxonomy.description_texts()) == len(taxonomy.topics) * len(LANGUAGES)


def test_taxonomy_with_an_unknown_parent_is_refused() -> None:
    data = b'{"scheme": "x", "languages": ["en"], "topics": [{"code": "a", "parent": "b", '
    data += b'"labels": {"en": "A"}, "descriptions": {"en": "A things"}}]}'
    with pytest.raises(TabadolError) as excinfo:
        parse_taxonomy(data, "test.json")
    assert _error_code(excinfo) is ErrorCode.MODEL_INVALID
    assert "unknown parent" in excinfo.value.message


# -- the logistic head ----------------------------------------------------------------------------


def test_logistic_head_separates_clusters_and_is_deterministic() -> None:
    labels, vectors, _ = _desk_data()
    targets = np.array([("economy", "sport", "culture").index(label) for label in labels])
    first = fit_logistic(vectors, targets, 3, steps=200)
    second = fit_logistic(vectors, targets, 3, steps=200)
    assert np.array_equal(first.weights, second.weights)
    probabilities = first.probabilities(vectors)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (np.argmax(probabilities, axis=1) == targets).all()


def test_class_weighting_keeps_a_small_label_alive() -> None:
    big, small = _directions(2, seed=3)
    vectors = np.vstack([_cluster(big, 200, seed=1, spread=1.2), _cluster(small, 4, seed=2, spread=1.2)])
    targets = np.array([0] * 200 + [1] * 4)
    head = fit_logistic(vectors, targets, 2, steps=200)
    fresh = _cluster(small, 20, seed=9, spread=1.2)
    assert (np.argmax(head.probabilities(fresh), axis=1) == 1).mean() >= 0.9


# -- schemes: classification ----------------------------------------------------------------------


def test_scheme_classifies_new_vectors_with_sorted_scores(desk_scheme: TopicScheme) -> None:
    _, _, directions = _desk_data()
    fresh = np.vstack([_cluster(d, 5, seed=100 + i) for i, d in enumerate(directions.values())])
    results = desk_scheme.classify(fresh)
    assert [r[0].code for r in results] == ["economy"] * 5 + ["sport"] * 5 + ["culture"] * 5
    for topics in results:
        assert 1 <= len(topics) <= desk_scheme.max_topics
        scores = [t.score for t in topics]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert all(t.scheme == "desk" for t in topics)
        assert all(t.score >= desk_scheme.min_score for t in topics[1:])


def test_a_vector_between_two_topics_gets_both(desk_scheme: TopicScheme) -> None:
    _, _, directions = _desk_data()
    between = directions["economy"] + directions["sport"]
    topics = desk_scheme.classify((between / np.linalg.norm(between)).astype(np.float32))[0]
    assert {t.code for t in topics[:2]} == {"economy", "sport"}


def test_a_child_topic_adds_to_its_parent_and_follows_it() -> None:
    directions = _directions(3, seed=11)
    topics = (
        SchemeTopic("econ", "economy"),
        SchemeTopic("energy", "energy", "econ"),
        SchemeTopic("sport", "sport"),
    )
    scheme = TopicScheme(
        name="tree",
        topics=topics,
        prototypes=directions.astype(np.float32),
        head=LogisticHead(np.zeros((DIM, 3), np.float32), np.zeros(3, np.float32)),
        model_id="test-model",
        head_weight=0.0,
    )
    energy_vector = _cluster(directions[1], 1, seed=5, spread=0.1)
    probabilities = scheme.probabilities(energy_vector)[0]
    scores = scheme.scores(energy_vector)[0]
    assert scores[0] == pytest.approx(probabilities[0] + probabilities[1], abs=1e-5)
    assert scheme.best(energy_vector) == ["energy"]
    assert [t.code for t in scheme.classify(energy_vector)[0]][:2] == ["econ", "energy"]


def test_neighbours_vote_with_the_labels_of_the_nearest_examples() -> None:
    # One "sport" example sits among the economy examples (a sports-business story): a vector next
    # to it is sport for the neighbours, however economy-like it is for head and prototypes.
    economy, sport = _directions(2, seed=21)
    odd_one = _cluster(economy, 1, seed=50, spread=0.3)
    vectors = np.vstack([_cluster(economy, 10, 1), _cluster(sport, 10, 2), odd_one])
    labels = ["economy"] * 10 + ["sport"] * 11
    scheme = fit_scheme("desk", labels, vectors, "m")
    assert replace(scheme, knn_weight=0.0).best(odd_one) == ["economy"]
    assert scheme.best(odd_one) == ["sport"]  # a labelled example is remembered
    only_neighbours = replace(scheme, head_weight=0.0, knn_weight=1.0, neighbours=1)
    assert only_neighbours.best(odd_one) == ["sport"]
    assert only_neighbours.probabilities(odd_one)[0].tolist() == [0.0, 1.0]
    several = replace(scheme, head_weight=0.0, knn_weight=1.0, neighbours=5)
    assert 0.0 < several.probabilities(odd_one)[0, 1] < 1.0
    assert np.allclose(scheme.probabilities(vectors).sum(axis=1), 1.0, atol=1e-5)


def test_examples_naming_unknown_topics_are_refused(desk_scheme: TopicScheme) -> None:
    assert desk_scheme.exemplar_topics is not None
    with pytest.raises(TabadolError) as excinfo:
        replace(desk_scheme, exemplar_topics=desk_scheme.exemplar_topics + 5)
    assert "a topic the scheme does not have" in excinfo.value.message
    with pytest.raises(TabadolError, match="add up to at most 1"):
        replace(desk_scheme, head_weight=0.8, knn_weight=0.5)


def test_vectors_of_another_size_are_refused(desk_scheme: TopicScheme) -> None:
    with pytest.raises(TabadolError) as excinfo:
        desk_scheme.classify(np.zeros((2, 768), dtype=np.float32))
    assert _error_code(excinfo) is ErrorCode.MODEL_INVALID


def test_a_parent_cycle_is_refused() -> None:
    with pytest.raises(TabadolError) as excinfo:
        TopicScheme(
            name="loop",
            topics=(SchemeTopic("a", "a", "b"), SchemeTopic("b", "b", "a")),
            prototypes=_directions(2).astype(np.float32),
            head=LogisticHead(np.zeros((DIM, 2), np.float32), np.zeros(2, np.float32)),
            model_id="m",
        )
    assert "cycle" in excinfo.value.message


# -- schemes: serialisation -----------------------------------------------------------------------


def test_bytes_round_trip_keeps_every_score_and_the_version(desk_scheme: TopicScheme) -> None:
    data = desk_scheme.to_bytes()
    assert data.startswith(b"TBTOPICS")
    loaded = TopicScheme.from_bytes(data)
    assert loaded.version == desk_scheme.version
    assert loaded.codes == desk_scheme.codes and loaded.model_id == "test-model"
    assert dict(loaded.metadata or {}) == {"examples": {"culture": 12, "economy": 12, "sport": 12}}
    vectors = _desk_data()[1]
    assert np.array_equal(loaded.probabilities(vectors), desk_scheme.probabilities(vectors))


def test_version_changes_with_the_weights(desk_scheme: TopicScheme) -> None:
    other = replace(desk_scheme, head=LogisticHead(desk_scheme.head.weights * 2, desk_scheme.head.bias))
    assert other.version != desk_scheme.version
    assert replace(desk_scheme, min_score=0.5).version != desk_scheme.version


def test_file_round_trip(tmp_path: Path, desk_scheme: TopicScheme) -> None:
    path = tmp_path / "desk.topics"
    desk_scheme.save(path)
    assert TopicScheme.load(path).version == desk_scheme.version


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda data: b"PICKLE!!" + data[8:], "not a topic scheme"),
        (lambda data: data[:5], "too short"),
        (lambda data: data[:8] + b"\x07" + data[9:], "format version 7"),
        (lambda data: data[:-4], "bytes of weights"),
        (lambda data: data[:13] + b"\xff" + data[14:], "unreadable header"),
    ],
)
def test_damaged_bytes_are_refused(desk_scheme: TopicScheme, mangle: object, reason: str) -> None:
    assert callable(mangle)
    with pytest.raises(TabadolError) as excinfo:
        TopicScheme.from_bytes(mangle(desk_scheme.to_bytes()), source="desk.topics")
    assert _error_code(excinfo) is ErrorCode.MODEL_INVALID
    assert reason in excinfo.value.message and "desk.topics" in excinfo.value.message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TabadolError) as excinfo:
        TopicScheme.load(tmp_path / "absent.topics")
    assert _error_code(excinfo) is ErrorCode.MODEL_INVALID


# -- training data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("examples", "reason"),
    [
        ([("economy", "a text")] * 5, "1 distinct label"),
        ([("economy", "t")] * 5 + [("sport", "t")] * 2, "too few for 'sport' (2)"),
        ([("economy", "t")] * 5 + [("sport", "  ")] * 5, "example 6 has an empty text"),
        ([("", "t")] + [("sport", "t")] * 5, "example 1 has an empty label"),
    ],
)
def test_bad_training_data_is_refused_with_a_reason(examples: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(TabadolError) as excinfo:
        check_examples(examples)
    assert _error_code(excinfo) is ErrorCode.TRAINING_DATA_INVALID
    assert reason in excinfo.value.message


@pytest.mark.parametrize("name", ["iptc", "Desk", "", "desk news", "x" * 65])
def test_bad_scheme_names_are_refused(name: str) -> None:
    examples = [(label, "text") for label in ("a", "b") for _ in range(MIN_EXAMPLES_PER_LABEL)]
    with pytest.raises(TabadolError) as excinfo:
        train_scheme(name, examples, default_embedder())
    assert _error_code(excinfo) is ErrorCode.TRAINING_DATA_INVALID


def test_read_training_tsv(tmp_path: Path) -> None:
    path = tmp_path / "desk.tsv"
    path.write_text("label\ttext\neconomy\tOil prices rose\n\nsport\tA goal\twith a tab\n", encoding="utf-8")
    assert read_training_tsv(path) == [("economy", "Oil prices rose"), ("sport", "A goal\twith a tab")]


def test_read_training_tsv_without_header_and_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "desk.tsv"
    path.write_bytes("\ufeffполитика\tПарламент принял закон\r\n".encode())
    assert read_training_tsv(path) == [("политика", "Парламент принял закон")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("economy\tOil\nno tab here\n", "line 2: expected two tab-separated columns"),
        ("economy\tOil\n\n\t orphan text\n", "line 3: the label is empty"),
        ("label\ttext\nsport\t \n", "line 2: the text is empty"),
    ],
)
def test_read_training_tsv_names_the_bad_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "desk.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TabadolError) as excinfo:
        read_training_tsv(path)
    assert _error_code(excinfo) is ErrorCode.TRAINING_DATA_INVALID
    assert reason in excinfo.value.message


def test_read_training_tsv_refuses_non_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "desk.tsv"
    path.write_bytes("economy\tНефть".encode("cp1251"))
    with pytest.raises(TabadolError, match="not UTF-8"):
        read_training_tsv(path)
    with pytest.raises(TabadolError, match="no such file"):
        read_training_tsv(tmp_path / "absent.tsv")


def test_pick_schemes(desk_scheme: TopicScheme) -> None:
    assert pick_schemes({"desk": desk_scheme}, ["desk"]) == [desk_scheme]
    with pytest.raises(TabadolError) as excinfo:
        pick_schemes({"desk": desk_scheme}, ["sports-desk"])
    assert _error_code(excinfo) is ErrorCode.UNKNOWN_TOPIC_SCHEME
    assert "desk" in excinfo.value.message


# -- the shipped IPTC scheme ----------------------------------------------------------------------


def test_shipped_iptc_head_loads_and_matches_the_taxonomy() -> None:
    scheme = iptc_scheme()
    assert scheme.name == "iptc" and scheme.codes == iptc_taxonomy().codes
    assert scheme.model_id == default_embedder().model_id
    assert scheme.dim == default_embedder().dim
    assert len(read_data_file(HEAD_RESOURCE)) < 2_000_000
    assert scheme.exemplars is None and scheme.knn_weight == 0.0
    assert TopicScheme.from_bytes(scheme.to_bytes()).version == scheme.version


def test_a_head_for_another_taxonomy_is_refused() -> None:
    taxonomy = iptc_taxonomy()
    edited = replace(taxonomy, sha256="0" * 64)
    with pytest.raises(TabadolError) as excinfo:
        scheme_from_head(read_data_file(HEAD_RESOURCE), edited, "iptc_head.npz")
    assert "another version of the taxonomy" in excinfo.value.message


def test_head_npz_round_trip_gives_the_same_scheme() -> None:
    taxonomy = iptc_taxonomy()
    count = len(taxonomy.topics)
    rng = np.random.default_rng(1)
    trained = TopicScheme(
        name="iptc",
        topics=tuple(SchemeTopic(t.code, t.label, t.parent) for t in taxonomy.topics),
        prototypes=_directions(count).astype(np.float32),
        head=LogisticHead(rng.normal(size=(DIM, count)).astype(np.float32), np.zeros(count, np.float32)),
        model_id="test-model",
        head_weight=0.3,
        temperature=0.05,
        metadata={"sib200_examples": 12},
    )
    loaded = scheme_from_head(head_npz_bytes(trained, taxonomy), taxonomy, "test.npz")
    assert loaded.version == trained.version


def test_sib_rows_are_read_and_mapped_to_iptc(tmp_path: Path) -> None:
    rows = [
        ("1", "sports", "The team won the final"),
        ("2", "geography", "The river flows into the sea"),
        ("3", "travel", "Book the hotel early"),
    ]
    (tmp_path / "en.train.tsv").write_text(
        "index_id\tcategory\ttext\n" + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8"
    )
    assert read_sib_split(tmp_path / "en.train.tsv")[1] == ("geography", "The river flows into the sea")
    vectors, codes, languages = embedded_sib_examples(tmp_path, default_embedder(), cache=tmp_path / "cache")
    assert codes == [SIB_TO_IPTC["sports"], SIB_TO_IPTC["travel"]] and languages == ["en"]
    assert vectors.shape == (2, DIM)
    again, _, _ = embedded_sib_examples(tmp_path, default_embedder(), cache=tmp_path / "cache")
    assert np.array_equal(again, vectors)
    with pytest.raises(TabadolError, match="no \\*.train.tsv files"):
        embedded_sib_examples(tmp_path / "cache", default_embedder(), cache=None)


# -- the pipeline component -----------------------------------------------------------------------


class _Embed:
    """The smallest component that assigns `vector`, for checking the pipeline order."""

    name, version, requires, assigns = "embed", "1", (), ("vector", "lead")

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        return list(docs)


def _doc(doc_id: str, vector: np.ndarray | None) -> Doc:
    return Doc(
        id=doc_id, headline="h", body="b", reference_time=datetime(2026, 1, 1, tzinfo=UTC), vector=vector
    )


def test_component_contract(desk_scheme: TopicScheme) -> None:
    component = TopicComponent(schemes=[desk_scheme])
    assert isinstance(component, Component)
    assert (component.name, component.requires, component.assigns) == (
        "topics",
        ("vector", "lead"),
        ("topics",),
    )
    check_order([_Embed(), component])
    with pytest.raises(TabadolError) as excinfo:
        check_order([component])
    assert _error_code(excinfo) is ErrorCode.PIPELINE_INVALID


def test_component_version_follows_its_schemes(desk_scheme: TopicScheme) -> None:
    plain = TopicComponent()
    with_desk = TopicComponent(schemes=[desk_scheme])
    retrained = TopicComponent(schemes=[replace(desk_scheme, min_score=0.4)])
    assert len({plain.version, with_desk.version, retrained.version}) == 3
    assert TopicComponent(schemes=[desk_scheme]).version == with_desk.version


def test_component_refuses_two_schemes_of_one_name(desk_scheme: TopicScheme) -> None:
    with pytest.raises(TabadolError) as excinfo:
        TopicComponent(schemes=[desk_scheme, desk_scheme])
    assert _error_code(excinfo) is ErrorCode.PIPELINE_INVALID


def test_component_assigns_iptc_then_member_topics(desk_scheme: TopicScheme) -> None:
    _, _, directions = _desk_data()
    sport_vector = _cluster(directions["sport"], 1, seed=42)[0]
    docs = [_doc("a", sport_vector), _doc("b", None)]
    out = TopicComponent(schemes=[desk_scheme]).process(docs)
    assert [d.id for d in out] == ["a", "b"]
    schemes = [t.scheme for t in out[0].topics]
    assert schemes[0] == "iptc" and "desk" in schemes
    assert schemes == sorted(schemes, key=lambda s: s != "iptc")  # IPTC first, then the member's
    assert [t.code for t in out[0].topics if t.scheme == "desk"][0] == "sport"
    assert 1 <= sum(s == "iptc" for s in schemes) <= 4
    assert out[1] == docs[1] and out[1].topics == ()
    assert docs[0].topics == ()  # the input is not changed


# -- with the real embedding model ----------------------------------------------------------------

_HEADLINES = [
    ("medtop:15000000", "Футбол: «Зенит» обыграл «Спартак» со счётом 2:1 и вышел в лидеры чемпионата"),
    ("medtop:15000000", "Türkiye milli güreş takımı Avrupa Şampiyonası'nda üç altın madalya kazandı"),
    ("medtop:11000000", "انتخابات ریاست جمهوری با حضور نامزدهای احزاب مختلف برگزار شد"),
    ("medtop:07000000", "Министерство здравоохранения сообщило о вакцинации против гриппа в больницах"),
    (
        "medtop:04000000",
        "Oil and gas exports lifted the trade surplus as the central bank held interest rates",
    ),
    ("medtop:17000000", "Ауа райы: Алматыда ертең қар жауып, температура минус онға дейін төмендейді"),
]


@pytest.fixture(scope="module")
def headline_vectors() -> np.ndarray:
    return default_embedder().embed_passages([text for _, text in _HEADLINES])


def test_iptc_top_level_topics_of_clear_headlines(headline_vectors: np.ndarray) -> None:
    results = iptc_scheme().classify(headline_vectors)
    for (expected, text), topics in zip(_HEADLINES, results, strict=True):
        assert topics[0].code == expected, (text, topics)
        assert all(t.scheme == "iptc" for t in topics)


def test_trained_desk_scheme_with_the_real_model() -> None:
    examples = [
        ("markets", "Oil prices rose three percent on Monday"),
        ("markets", "The central bank kept its key rate unchanged"),
        ("markets", "Биржевой индекс вырос на фоне роста цен на нефть"),
        ("sport", "The national team won the football match 2-0"),
        ("sport", "Güreşçimiz olimpiyat şampiyonu oldu"),
        ("sport", "Теннисист вышел в финал турнира"),
    ]
    scheme = train_scheme("desk", examples, default_embedder())
    assert scheme.lexical is not None and scheme.lexical_weight > 0  # the examples' words are kept
    texts = ["Нефть подорожала на биржах", "Futbolçy ýaryşda ýeňiş gazandy"]
    vectors = default_embedder().embed_passages(texts)
    assert scheme.best(vectors) == ["markets", "sport"]
    assert scheme.best(vectors, texts) == ["markets", "sport"]
