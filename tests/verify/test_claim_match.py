"""Reranking reviewed claims by names, numbers and negation, and the FLORES-derived evaluation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tabadol.errors import TabadolError
from tabadol.verify.claim_match import (
    DEFAULT_WEIGHTS,
    Candidate,
    MatchWeights,
    build_claim_set,
    describe_claim,
    evaluate_prepared,
    is_negated,
    name_keys,
    name_overlap,
    number_agreement,
    prepare_evaluation,
    rerank,
    review_candidates,
)
from tabadol.verify.claims import ClaimReview, Party, ReviewRating

FLORES = Path("/work/shared/data/flores_articles/dev.jsonl")


# -- names across scripts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [("Gosling", "en"), ("Гослинга", "ru"), ("گاسلینگ", "fa"), ("غوسلينغ", "ar"), ("Gosling", "tk")],
)
def test_one_name_in_four_scripts_meets(text: str, language: str) -> None:
    english = frozenset(name_keys("Ryan Gosling", "en"))
    assert name_overlap(frozenset(name_keys(text, language)), english) > 0


def test_cyrillic_is_read_with_the_language_table() -> None:
    assert name_keys("Тоқаев", "kk") == name_keys("Токаев", "ru") == name_keys("Tokayev", "en")


def test_arabic_script_words_meet_names_but_not_each_other() -> None:
    persian = frozenset(name_keys("قیمت نفت در بازار جهانی", "fa"))
    arabic = frozenset(name_keys("قيمة النفط في السوق العالمية", "ar"))
    assert persian and arabic
    assert name_overlap(persian, arabic) == 0.0  # common words are not names


def test_short_keys_meet_only_exactly_and_longer_keys_take_case_endings() -> None:
    assert name_overlap(frozenset({"prslr"}), frozenset({"prs"})) == 0.0
    assert name_overlap(frozenset(name_keys("Гослингом", "ru")), frozenset(name_keys("Gosling", "en"))) > 0


def test_entity_ids_join_the_names_and_meet_exactly() -> None:
    query = describe_claim("تهران", "fa", entity_ids=["place/tehran"])
    claim = describe_claim("Тегеран", "ru", entity_ids=["place/tehran"])
    other = describe_claim("Тегеран", "ru", entity_ids=["place/tabriz"])
    assert name_overlap(query.names, claim.names) > name_overlap(query.names, other.names)


# -- numbers and negation ---------------------------------------------------------------------------


def test_numbers_agree_in_any_digit_script() -> None:
    persian = describe_claim("قیمت نان ۳۰ درصد افزایش یافت", "fa")
    russian = describe_claim("Цена хлеба выросла на 30%", "ru")
    other = describe_claim("Цена хлеба выросла на 13%", "ru")
    assert number_agreement(persian.numbers, russian.numbers) == (1.0, 0.0)
    assert number_agreement(persian.numbers, other.numbers) == (0.0, 1.0)
    assert number_agreement(persian.numbers, frozenset()) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "language", "negated"),
    [
        ("The minister did not resign.", "en", True),
        ("The minister didn't resign.", "en", True),
        ("The minister resigned.", "en", False),
        ("Министр не ушёл в отставку.", "ru", True),
        ("Министр ушёл в отставку.", "ru", False),
        ("وزیر استعفا نداد.", "fa", True),
        ("وزیر استعفا نمی‌دهد.", "fa", True),
        ("وزیر استعفا داد.", "fa", False),
        ("الوزير لم يستقل.", "ar", True),
        ("ولا توجد وسائل نقل إضافية", "ar", True),
        ("لا يزال الوزير في منصبه.", "ar", False),  # "still": not a negation
        ("Bakan istifa etmedi.", "tr", True),
        ("Sporcularımız kazandı.", "tr", False),  # -mız is "our", not the negative suffix
        ("Yılmaz istifa etti.", "tr", False),  # a name ending like a negative verb
        ("Nazir istefa vermədi.", "az", True),
        ("Министр отставкаға кеткен жоқ.", "kk", True),
        ("Ministr işden çykmady.", "tk", True),
    ],
)
def test_negation_cues(text: str, language: str, negated: bool) -> None:
    assert is_negated(text, language) is negated


# -- the reranker -----------------------------------------------------------------------------------


def review(claim: str, language: str, verdict: str = "False") -> ClaimReview:
    slug = hashlib.sha256(claim.encode()).hexdigest()[:12]
    return ClaimReview(
        claim_reviewed=claim,
        rating=ReviewRating(verdict),
        url=f"https://factcheck.example/{slug}",
        language=language,
        author=Party("Desk"),
    )


def candidates(reviews: list[ClaimReview], similarity: float = 0.85) -> list[Candidate[ClaimReview]]:
    return [Candidate(r, describe_claim(r.claim_reviewed, r.language), similarity) for r in reviews]


def test_matching_numbers_win_at_equal_similarity() -> None:
    wrong = review("Inflation in Kazakhstan reached 21% in 2025", "en")
    right = review("Inflation in Kazakhstan reached 12% in 2025", "en")
    query = describe_claim("Инфляция в Казахстане достигла 12% в 2025 году", "ru")
    ranked = rerank(query, candidates([wrong, right]))
    assert [m.payload for m in ranked] == [right, wrong]
    assert ranked[0].parts.number_agreement == 1.0 and ranked[1].parts.number_agreement == 0.5


def test_matching_names_win_at_equal_similarity() -> None:
    wrong = review("Tokayev met Mirziyoyev in Tashkent", "en")
    right = review("Tokayev met Berdimuhamedov in Ashgabat", "en")
    query = describe_claim("Тоқаев Бердімұхамедовпен Ашхабадта кездесті", "kk")
    ranked = rerank(query, candidates([wrong, right]))
    assert ranked[0].payload == right
    assert ranked[0].parts.name_overlap > ranked[1].parts.name_overlap


def test_negation_mismatch_costs_and_the_formula_is_the_sum_of_its_parts() -> None:
    negated = review("The border with Iran was not closed", "en")
    plain = review("The border with Iran was closed", "en")
    query = describe_claim("The border with Iran was closed", "en")
    ranked = rerank(query, candidates([negated, plain]))
    assert ranked[0].payload == plain and ranked[1].parts.negation_mismatch == 1.0
    parts, w = ranked[1].parts, DEFAULT_WEIGHTS
    expected = (
        parts.similarity
        + w.names * parts.name_overlap
        + w.numbers * parts.number_agreement
        - w.number_conflict * parts.number_conflict
        - w.negation * parts.negation_mismatch
    )
    assert ranked[1].score == pytest.approx(expected)


def test_similarity_alone_with_zero_weights_keeps_retrieval_order_and_limit() -> None:
    reviews = [review(f"Claim number {n}", "en") for n in range(4)]
    cands = [
        Candidate(r, describe_claim(r.claim_reviewed, "en"), s) for r, s in zip(reviews, (0.7, 0.9, 0.9, 0.8))
    ]
    ranked = rerank(describe_claim("Claim number 3", "en"), cands, MatchWeights(0, 0, 0, 0), limit=3)
    assert [m.payload for m in ranked] == [reviews[1], reviews[2], reviews[3]]


def test_review_candidates_need_one_similarity_per_review() -> None:
    reviews = [review("Claim one", "en"), review("Claim two", "en")]
    assert [c.similarity for c in review_candidates(reviews, [0.5, 0.25])] == [0.5, 0.25]
    with pytest.raises(TabadolError):
        review_candidates(reviews, [0.5])


def test_a_persian_query_finds_the_russian_claim() -> None:
    from tabadol.enrich.embed import default_embedder

    reviews = [
        review("Землетрясение магнитудой 5,9 произошло в Тебризе, погибли 12 человек", "ru"),
        review("Цены на нефть марки Brent упали ниже 60 долларов за баррель", "ru"),
        review("Сборная Казахстана по футболу обыграла Турцию со счётом 2:1", "ru"),
    ]
    query_text = "زلزله‌ای به بزرگی ۵.۹ ریشتر در تبریز ۱۲ کشته برجای گذاشت"
    embedder = default_embedder()
    claim_vectors = embedder.embed_passages([r.claim_reviewed for r in reviews])
    query_vector = embedder.embed_queries([query_text])[0]
    ranked = rerank(
        describe_claim(query_text, "fa"), review_candidates(reviews, claim_vectors @ query_vector)
    )
    assert ranked[0].payload == reviews[0]
    assert ranked[0].parts.number_agreement == 1.0  # 5.9 and 12, from Persian digits
    assert ranked[0].parts.name_overlap > 0  # Tabriz: تبریز and Тебриз


# -- the evaluation ---------------------------------------------------------------------------------

needs_flores = pytest.mark.skipif(not FLORES.exists(), reason="FLORES articles not available")


@needs_flores
def test_claim_set_has_one_target_per_article_and_queries_in_the_other_languages() -> None:
    claim_set = build_claim_set(FLORES)
    targets = [c for c in claim_set.claims if c.is_target]
    articles = {c.article for c in targets}
    assert len(targets) == len(articles) >= 100
    claim_language = {c.article: c.language for c in targets}
    assert all(q.language != claim_language[q.article] for q in claim_set.queries)
    assert len(claim_set.queries) == 7 * len(targets)


@needs_flores
def test_evaluation_on_a_few_articles(tmp_path: Path) -> None:
    from tabadol.enrich.embed import default_embedder

    lines = FLORES.read_text(encoding="utf-8").splitlines()[:3]
    subset = tmp_path / "articles.jsonl"
    subset.write_text("\n".join(lines), encoding="utf-8")
    embedder = default_embedder()
    prepared = prepare_evaluation(subset, embedder.embed_queries, embedder.embed_passages)
    report = evaluate_prepared(prepared)
    targets = [c for c in prepared.claim_set.claims if c.is_target]
    assert targets and report.queries == len(prepared.claim_set.queries) == 7 * len(targets)
    assert report.claims == len(prepared.claim_set.claims) <= 6
    assert report.recall_at_5 == 1.0  # with at most six claims, a target missing from the top five is a bug
    assert report.recall_at_1 >= 0.8
    assert set(report.by_language) <= {"fa", "ar", "ru", "az", "kk", "tk", "tr", "en"}
