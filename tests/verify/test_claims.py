"""ClaimReview import, authoring, JSON-LD export and feed entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.verify.claims import (
    MAX_CLAIM_CHARS,
    MAX_PAYLOAD_BYTES,
    MAX_REVIEWS,
    Claim,
    ClaimReview,
    Party,
    ReviewRating,
    claim_review_to_jsonld,
    claim_reviews_to_jsonld,
    feed_entries,
    parse_claim_reviews,
    with_member,
)

FIXTURES = Path(__file__).parent.parent / "data" / "claimreview"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def invalid_param(exc: pytest.ExceptionInfo[TabadolError]) -> str:
    assert exc.value.code is ErrorCode.INVALID_QUERY
    return str(exc.value.fields["param"])


# -- the shapes fact-checkers publish -------------------------------------------------------------


def test_single_object_with_every_field() -> None:
    [review] = parse_claim_reviews(fixture("single_object.json"))
    assert review.claim_reviewed.startswith("The northern Aral Sea")
    assert review.language == "en"
    assert review.url == "https://factcheck.example.kz/en/2026/03/aral-sea-refilled"
    assert review.date_published == datetime(2026, 3, 14, tzinfo=UTC)
    assert review.rating == ReviewRating("Mostly false", 2.0, 5.0, 1.0)
    assert review.verdict == "Mostly false"
    assert review.author == Party("Kazinform Fact Check", "https://www.inform.kz/en/factcheck")
    claim = review.item_reviewed
    assert claim.author == Party(
        "A widely shared social media account", "https://social.example.com/aral_news", "Person"
    )
    assert claim.date_published == datetime(2026, 3, 10, 3, 30, tzinfo=UTC)  # +05:00 converted to UTC
    assert claim.appearances == (
        "https://social.example.com/aral_news/status/1",
        "https://video.example.com/watch?v=aral",
    )
    assert claim.first_appearance == "https://social.example.com/aral_news/status/1"


def test_graph_with_http_context_language_object_and_member_by_host() -> None:
    [review] = parse_claim_reviews(fixture("webpage_graph.json"), members_by_host={"irna.ir": "irna"})
    assert review.language == "fa"
    assert review.claim_reviewed == "قیمت نان در تهران از امروز ۳۰ درصد افزایش یافت"
    assert review.rating.alternate_name == "نادرست"
    assert review.rating.rating_value == 1.0
    assert review.author is not None and review.author.member_code == "irna"  # www.irna.ir -> irna.ir
    assert review.item_reviewed.author == Party("کانال ناشناس")
    assert review.item_reviewed.appearances == ("https://t.example.org/channel/991",)


def test_review_embedded_in_an_article_with_prefixed_and_wrapped_values() -> None:
    [review] = parse_claim_reviews(fixture("embedded_in_article.json"))
    assert review.url == "https://tass.ru/proverka/2026-04-02-astana"
    assert review.language == "ru"  # from the value's @language
    assert review.claim_reviewed.startswith("На видео показано наводнение")
    assert review.verdict == "Ложь"
    assert review.author is not None and review.author.name == "ТАСС Проверка"
    assert review.date_published == datetime(2026, 4, 2, 9, 15, tzinfo=UTC)
    assert review.item_reviewed.date_published == datetime(2026, 4, 1, tzinfo=UTC)


def test_top_level_list_and_numeric_only_rating_and_language_detection() -> None:
    detected: list[str] = []

    def detect(text: str) -> str | None:
        detected.append(text)
        return "ar"

    turkish, arabic = parse_claim_reviews(fixture("list_of_reviews.json"), detect_language=detect)
    assert turkish.language == "tr" and turkish.verdict == "Yanlış"
    assert turkish.item_reviewed.appearances == ("https://social.example.com/p/77",)
    assert arabic.language == "ar" and detected == [arabic.claim_reviewed]  # only the undeclared one
    assert arabic.rating == ReviewRating(None, 0.0, 1.0, 0.0)
    assert arabic.verdict == "0/1"


def test_other_vocabularies_are_not_taken_for_schema_org() -> None:
    document = {
        "@context": "https://example.org/vocab",
        "@type": "ClaimReview",
        "claimReviewed": "x",
        "url": "https://a.example/1",
        "reviewRating": {"alternateName": "False"},
    }
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(json.dumps(document).encode())
    assert invalid_param(exc) == "@type"


# -- what a review cannot do without ----------------------------------------------------------------


def minimal(**changes: object) -> dict[str, object]:
    review: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factcheck.example/1",
        "claimReviewed": "A claim",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
    }
    for key, value in changes.items():
        if value is None:
            review.pop(key, None)
        else:
            review[key] = value
    return review


def parse_one(document: object) -> ClaimReview:
    [review] = parse_claim_reviews(json.dumps(document).encode())
    return review


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"claimReviewed": None}, "claimReviewed"),
        ({"claimReviewed": "   "}, "claimReviewed"),
        ({"url": None}, "url"),
        ({"reviewRating": None}, "reviewRating"),
        ({"reviewRating": {"@type": "Rating"}}, "reviewRating"),
        (
            {"reviewRating": {"ratingValue": "7", "bestRating": "5", "worstRating": "1"}},
            "reviewRating.ratingValue",
        ),
        ({"reviewRating": {"ratingValue": "high"}}, "reviewRating.ratingValue"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "/relative/path"}, "url"),
        ({"datePublished": "yesterday"}, "datePublished"),
        ({"claimReviewed": {"nested": "object"}}, "claimReviewed"),
        ({"author": {"@type": "Organization", "name": "Desk", "url": "file:///etc/passwd"}}, "author.url"),
        (
            {"itemReviewed": {"@type": "Claim", "appearance": {"url": "data:text/html,x"}}},
            "itemReviewed.appearance",
        ),
    ],
)
def test_missing_or_invalid_fields_are_named(changes: dict[str, object], param: str) -> None:
    with pytest.raises(TabadolError) as exc:
        parse_one(minimal(**changes))
    assert invalid_param(exc).startswith(param)


def test_a_malformed_language_counts_as_undeclared() -> None:
    """As on the wires (ingest/decode.language_tag): a broken declaration is no declaration."""
    assert parse_one(minimal(inLanguage="not a tag!")).language is None
    assert parse_one(minimal(inLanguage="kk_latn")).language == "kk-Latn"


def test_the_position_of_the_faulty_review_is_named() -> None:
    document = [minimal(), minimal(url=None)]
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(json.dumps(document).encode())
    assert invalid_param(exc) == "reviews[1].url"


def test_a_document_without_reviews_is_refused() -> None:
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(b'{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "x"}')
    assert invalid_param(exc) == "@type"


# -- hostile input -----------------------------------------------------------------------------------


def test_too_large_payload_is_refused_before_parsing() -> None:
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(b" " * (MAX_PAYLOAD_BYTES + 1))
    assert exc.value.code is ErrorCode.PAYLOAD_TOO_LARGE


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(b"[" * 100_000 + b"]" * 100_000)
    assert exc.value.code is ErrorCode.MALFORMED_JSON


def test_broken_and_empty_json_are_refused() -> None:
    for data, code in (
        (b"{", ErrorCode.MALFORMED_JSON),
        (b"", ErrorCode.EMPTY_BODY),
        (b"\xff\xfe\x00", None),
    ):
        with pytest.raises(TabadolError) as exc:
            parse_claim_reviews(data)
        assert code is None or exc.value.code is code


def test_too_many_reviews_are_refused() -> None:
    document = {"@context": "https://schema.org", "@graph": [minimal() for _ in range(MAX_REVIEWS + 1)]}
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(json.dumps(document).encode())
    assert exc.value.code is ErrorCode.TOO_MANY_ITEMS


def test_too_many_objects_are_refused() -> None:
    document = {"@context": "https://schema.org", "@graph": [{"a": [{}, {}]} for _ in range(40_000)]}
    with pytest.raises(TabadolError) as exc:
        parse_claim_reviews(json.dumps(document).encode())
    assert invalid_param(exc) == "@graph"


def test_overlong_claim_text_is_refused() -> None:
    with pytest.raises(TabadolError) as exc:
        parse_one(minimal(claimReviewed="x" * (MAX_CLAIM_CHARS + 1)))
    assert invalid_param(exc) == "claimReviewed"


# -- round trip, authoring, feed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["single_object.json", "webpage_graph.json", "embedded_in_article.json", "list_of_reviews.json"]
)
def test_export_reads_back_to_the_same_records(name: str) -> None:
    reviews = parse_claim_reviews(fixture(name), members_by_host={"irna.ir": "irna"})
    one_by_one = [parse_one(claim_review_to_jsonld(review)) for review in reviews]
    assert one_by_one == reviews
    together = parse_claim_reviews(json.dumps(claim_reviews_to_jsonld(reviews)).encode())
    assert together == reviews


def test_export_is_schema_org_claim_review() -> None:
    [review] = parse_claim_reviews(fixture("single_object.json"))
    document = claim_review_to_jsonld(with_member(review, "kazinform"))
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "ClaimReview"
    assert document["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Mostly false",
    }
    assert document["author"]["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "tabadol-member",
        "value": "kazinform",
    }
    assert document["itemReviewed"]["@type"] == "Claim"
    assert document["itemReviewed"]["author"]["@type"] == "Person"
    assert document["datePublished"] == "2026-03-14T00:00:00Z"
    assert parse_one(document).author == Party(
        "Kazinform Fact Check", "https://www.inform.kz/en/factcheck", member_code="kazinform"
    )


def test_authored_reviews_get_the_same_checks() -> None:
    review = ClaimReview(
        claim_reviewed="Azərbaycanda bütün məktəblər bağlanıb",
        rating=ReviewRating("Yalan"),
        url="https://azertag.az/factcheck/1",
        language="AZ",
        date_published=datetime(2026, 5, 1, 12, 0),  # naive: taken as UTC
        item_reviewed=Claim(appearances=("https://social.example.com/x",)),
    )
    assert review.language == "az"
    assert review.date_published == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert with_member(review, "azertac").author == Party("azertac", member_code="azertac")
    with pytest.raises(TabadolError):
        ClaimReview(claim_reviewed="x", rating=ReviewRating("False"), url="ftp://example.org/x")
    with pytest.raises(TabadolError):
        ReviewRating(rating_value=1.0, best_rating=1.0, worst_rating=5.0)
    with pytest.raises(TabadolError):
        Party(name="x", kind="Robot")


def test_feed_entries_newest_first_with_verdict_title() -> None:
    reviews = parse_claim_reviews(fixture("list_of_reviews.json")) + parse_claim_reviews(
        fixture("webpage_graph.json")
    )
    entries = feed_entries(reviews)
    assert [e.url for e in entries] == [
        "https://sana.sy/factcheck/1234",  # 2026-02-11
        "https://www.irna.ir/factcheck/85012345",  # 2026-02-01
        "https://www.aa.com.tr/tr/dogrulama/ornek-iddia",  # 2026-01-05
    ]
    turkish = entries[2]
    assert turkish.title == "Yanlış: Türkiye'de asgari ücret yüzde 50 artırıldı"
    item = turkish.to_json_feed_item()
    assert item["id"] == item["url"] == turkish.url
    assert item["language"] == "tr"
    assert item["date_published"] == "2026-01-05T00:00:00Z"
    assert item["authors"] == [{"name": "AA Doğrulama Masası", "url": "https://www.aa.com.tr/tr/dogrulama"}]
    assert item["tags"] == ["fact-check", "Yanlış"]
    assert "Verdict: Yanlış" in item["content_text"]
    assert parse_one(item["_claim_review"]) == reviews[0]
