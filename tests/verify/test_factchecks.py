"""Fact checks in the hub (verify/factchecks.py) against a real store, both backends: imports of real-
shaped and hostile JSON-LD, re-imports, who may publish for whom, authoring, the export and the Atom
feed read back, and matching across languages, for query texts, incoming items and stored items."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import tabadol.demo
from tabadol.enrich.components import EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.types import Principal, Role
from tabadol.verify.claims import claim_reviews_to_jsonld, parse_claim_reviews
from tabadol.verify.factcheck_feed import render_fact_check_atom
from tabadol.verify.factchecks import (
    ITEM_MATCH_THRESHOLD,
    TEXT_MATCH_THRESHOLD,
    AuthoredReview,
    FactChecks,
    review_id_for_url,
)

FIXTURES = Path(__file__).parent.parent / "data" / "claimreview"
FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
# FLORES article 8 (Cristina Fernández de Kirchner's candidacy): its Russian first sentence is the
# reviewed claim, its Persian text the incoming item; article 5 (the Sun) is an unrelated item.
CLAIM_ARTICLE = 8
OTHER_ARTICLE = 5

IRNA_EDITOR = Principal("irna", Role.EDITOR, key_id="k-irna")
TASS_EDITOR = Principal("tass", Role.EDITOR, key_id="k-tass")
IRNA_READER = Principal("irna", Role.READER, key_id="k-reader")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def article(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index == number:
                return dict(json.loads(line)["text"])
    raise AssertionError(number)


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip())[0]


def review_document(claim: str, url: str, language: str, verdict: str = "False") -> bytes:
    document = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        "inLanguage": language,
        "datePublished": "2026-11-20",
        "author": {"@type": "Organization", "name": "ТАСС Проверка", "url": "https://tass.ru/proverka"},
        "reviewRating": {"@type": "Rating", "alternateName": verdict},
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Blogger"}},
    }
    return json.dumps(document, ensure_ascii=False).encode()


def push(hub: Hub, member: str, guid: str, text: str, language: str) -> str:
    headline, _, body = text.partition(". ")
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body or headline}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


def enrich(hub: Hub) -> None:
    pipeline = Pipeline((LanguageComponent(), NormalizeComponent(), EmbedComponent(default_embedder())))
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()


@pytest.fixture
def desk(hub: Hub) -> FactChecks:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])
    return FactChecks(hub)


# -- import, re-import, permissions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("single_object.json", 1),
        ("webpage_graph.json", 1),
        ("embedded_in_article.json", 1),
        ("list_of_reviews.json", 2),
    ],
)
def test_real_shaped_documents_are_stored_for_the_importing_member(
    desk: FactChecks, name: str, count: int
) -> None:
    outcome = desk.import_jsonld(fixture(name), TASS_EDITOR)
    assert len(outcome.created) == count and outcome.updated == ()
    for fact_check in outcome.created:
        stored = desk.get(fact_check.id)
        assert stored.member_code == "tass"
        assert stored.review == fact_check.review
        assert stored.review.author is not None and stored.review.author.member_code == "tass"
        assert fact_check.id == review_id_for_url(fact_check.review.url)
    audit = desk.hub.storage.list_audit(5)
    assert audit[0].action == "fact_check.import" and audit[0].actor_member == "tass"


def test_reimporting_the_same_url_updates_instead_of_duplicating(desk: FactChecks) -> None:
    url = "https://tass.ru/proverka/1"
    first = desk.import_jsonld(review_document("Мосты закрыты", url, "ru", "Ложь"), TASS_EDITOR)
    again = desk.import_jsonld(review_document("Все мосты закрыты", url, "ru", "Неправда"), TASS_EDITOR)
    assert again.created == () and [f.id for f in again.updated] == [first.created[0].id]
    found, following = desk.page(10)
    assert following is None and len(found) == 1
    assert found[0].review.claim_reviewed == "Все мосты закрыты" and found[0].review.verdict == "Неправда"
    assert found[0].created_at == first.created[0].created_at


def test_hostile_documents_are_refused_and_store_nothing(desk: FactChecks) -> None:
    attacks = [
        (review_document("x", "javascript:alert(1)", "en"), ErrorCode.INVALID_QUERY),
        (
            b'{"@context": "https://schema.org", "@type": "ClaimReview"' + b"[" * 5000,
            ErrorCode.MALFORMED_JSON,
        ),
        (b"[" * 10_000 + b"]" * 10_000, ErrorCode.MALFORMED_JSON),  # too deep
        (b"", ErrorCode.EMPTY_BODY),
        (b'{"@context": "https://example.org/vocab", "@type": "ClaimReview"}', ErrorCode.INVALID_QUERY),
    ]
    for data, code in attacks:
        with pytest.raises(TabadolError) as caught:
            desk.import_jsonld(data, TASS_EDITOR)
        assert caught.value.code is code, data[:40]
    # One bad review in a batch refuses the whole batch: nothing half-imported.
    batch = json.loads(fixture("list_of_reviews.json"))
    batch[1]["url"] = "file:///etc/passwd"
    with pytest.raises(TabadolError) as caught:
        desk.import_jsonld(json.dumps(batch).encode(), TASS_EDITOR)
    assert caught.value.fields["param"] == "reviews[1].url"
    assert desk.page(10)[0] == []


def test_a_member_cannot_publish_for_another_member(desk: FactChecks) -> None:
    data = fixture("single_object.json")
    with pytest.raises(TabadolError) as caught:
        desk.import_jsonld(data, IRNA_EDITOR, member_code="tass")
    assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(TabadolError) as caught:
        desk.import_jsonld(data, IRNA_READER)
    assert caught.value.code is ErrorCode.FORBIDDEN
    # A review that names another member as its author is refused too.
    credited = json.loads(data)
    credited["author"]["identifier"] = {
        "@type": "PropertyValue",
        "propertyID": "tabadol-member",
        "value": "tass",
    }
    with pytest.raises(TabadolError) as caught:
        desk.import_jsonld(json.dumps(credited).encode(), IRNA_EDITOR)
    assert caught.value.code is ErrorCode.FORBIDDEN
    # An administrator imports for any member; another member cannot then take the URL over.
    [created] = desk.import_jsonld(data, OPERATOR, member_code="tass").created
    with pytest.raises(TabadolError) as caught:
        desk.import_jsonld(data, IRNA_EDITOR)
    assert caught.value.code is ErrorCode.FACT_CHECK_OWNED_BY_OTHER_MEMBER
    with pytest.raises(TabadolError) as caught:
        desk.delete(created.id, IRNA_EDITOR)
    assert caught.value.code is ErrorCode.FACT_CHECK_NOT_FOUND
    desk.delete(created.id, TASS_EDITOR)
    with pytest.raises(TabadolError) as caught:
        desk.get(created.id)
    assert caught.value.code is ErrorCode.FACT_CHECK_NOT_FOUND


def test_authored_review_is_a_claim_review_of_the_member(desk: FactChecks) -> None:
    fields = AuthoredReview(
        claim="در تهران همه مدارس تعطیل شده است",
        rating="نادرست",
        url="https://www.irna.ir/factcheck/1",
        claimant="یک کانال تلگرامی",
        appearances=("https://t.me/example/1",),
    )
    fact_check = desk.author(fields, IRNA_EDITOR)
    review = fact_check.review
    assert review.language == "fa"  # identified
    assert review.author is not None and (review.author.name, review.author.member_code) == ("IRNA", "irna")
    assert review.item_reviewed.author is not None and review.item_reviewed.author.name == "یک کانال تلگرامی"
    assert review.date_published is not None
    assert desk.get(fact_check.id).review == review
    with pytest.raises(TabadolError):
        desk.author(AuthoredReview(claim="x", rating="False", url="ftp://example.org/1"), IRNA_EDITOR)


# -- export and feed ----------------------------------------------------------------------------------


def test_export_read_back_gives_the_same_records(desk: FactChecks) -> None:
    for name in ("single_object.json", "webpage_graph.json", "list_of_reviews.json"):
        desk.import_jsonld(fixture(name), TASS_EDITOR)
    desk.import_jsonld(fixture("embedded_in_article.json"), IRNA_EDITOR)
    stored = desk.all()
    document = claim_reviews_to_jsonld([f.review for f in stored])
    assert parse_claim_reviews(json.dumps(document, ensure_ascii=False).encode()) == [
        f.review for f in stored
    ]
    assert {f.member_code for f in stored} == {"tass", "irna"}
    assert {f.review.author.member_code for f in stored if f.review.author} == {"tass", "irna"}


def test_pages_and_filters(desk: FactChecks) -> None:
    desk.import_jsonld(fixture("list_of_reviews.json"), TASS_EDITOR)
    desk.import_jsonld(fixture("single_object.json"), TASS_EDITOR)
    desk.import_jsonld(fixture("webpage_graph.json"), IRNA_EDITOR)
    first, cursor = desk.page(2)
    assert len(first) == 2 and cursor is not None
    rest, end = desk.page(2, cursor)
    assert len(rest) == 2 and end is None
    assert {f.id for f in first} | {f.id for f in rest} == {f.id for f in desk.all()}
    assert [f.member_code for f in desk.page(10, member_code="irna")[0]] == ["irna"]
    assert [f.review.language for f in desk.page(10, language="ar")[0]] == ["ar"]


def test_the_feed_is_valid_atom_newest_first(desk: FactChecks) -> None:
    desk.import_jsonld(fixture("list_of_reviews.json"), TASS_EDITOR)
    desk.import_jsonld(fixture("webpage_graph.json"), IRNA_EDITOR)
    body = render_fact_check_atom(
        desk.all(), "https://hub.example/api/v1/fact-checks/feed", "https://hub.example"
    )
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.id for e in feed.entries] == [
        "https://sana.sy/factcheck/1234",
        "https://www.irna.ir/factcheck/85012345",
        "https://www.aa.com.tr/tr/dogrulama/ornek-iddia",
    ]
    first = feed.entries[0]
    assert first.title.startswith("0/1: ") and first.updated.startswith("2026-02-11")
    root = etree.fromstring(body)
    atom = "{http://www.w3.org/2005/Atom}"
    for entry in root.iter(f"{atom}entry"):
        # RFC 4287 4.1.2: exactly one id, title and updated per entry.
        assert [len(entry.findall(f"{atom}{name}")) for name in ("id", "title", "updated")] == [1, 1, 1]
        review = entry.find("{https://tabadol.org/ns/feed/1}claimReview")
        assert review is not None and parse_claim_reviews(review.text.encode())[0].url == entry.findtext(
            f"{atom}id"
        )


# -- matching -----------------------------------------------------------------------------------------


def test_a_russian_review_matches_a_persian_text_of_the_same_article(desk: FactChecks) -> None:
    claim = first_sentence(article(CLAIM_ARTICLE)["ru"])
    desk.import_jsonld(review_document(claim, "https://tass.ru/proverka/8", "ru", "Ложь"), TASS_EDITOR)
    desk.import_jsonld(
        review_document(first_sentence(article(OTHER_ARTICLE)["ru"]), "https://tass.ru/proverka/5", "ru"),
        TASS_EDITOR,
    )
    persian = first_sentence(article(CLAIM_ARTICLE)["fa"])
    [match] = desk.matcher.match_text(persian)
    assert match.fact_check.review.url == "https://tass.ru/proverka/8"
    assert match.fact_check.review.verdict == "Ложь" and match.score >= TEXT_MATCH_THRESHOLD
    assert set(match.parts) >= {"similarity", "name_overlap", "number_agreement", "negation_mismatch"}
    unrelated = first_sentence(article(30)["fa"])
    assert desk.matcher.match_text(unrelated) == []


def test_an_incoming_item_gets_its_match_recorded(desk: FactChecks, hub: Hub) -> None:
    claim = first_sentence(article(CLAIM_ARTICLE)["ru"])
    [review] = desk.import_jsonld(
        review_document(claim, "https://tass.ru/proverka/8", "ru", "Ложь"), TASS_EDITOR
    ).created
    matching = push(hub, "irna", "urn:irna:8", article(CLAIM_ARTICLE)["fa"], "fa")
    unrelated = push(hub, "irna", "urn:irna:5", article(OTHER_ARTICLE)["fa"], "fa")
    enrich(hub)
    [match] = desk.matcher.item_matches(matching)
    assert match.fact_check.id == review.id and match.score >= ITEM_MATCH_THRESHOLD
    assert desk.matcher.item_matches(unrelated) == []
    # Deleting the review removes its matches.
    desk.delete(review.id, TASS_EDITOR)
    assert desk.matcher.item_matches(matching) == []


def test_a_new_review_is_matched_with_stored_recent_items(desk: FactChecks, hub: Hub) -> None:
    matching = push(hub, "irna", "urn:irna:8", article(CLAIM_ARTICLE)["fa"], "fa")
    unrelated = push(hub, "irna", "urn:irna:5", article(OTHER_ARTICLE)["fa"], "fa")
    enrich(hub)
    assert desk.matcher.item_matches(matching) == []
    claim = first_sentence(article(CLAIM_ARTICLE)["ru"])
    outcome = desk.import_jsonld(review_document(claim, "https://tass.ru/proverka/8", "ru"), TASS_EDITOR)
    assert outcome.matched_items == 1
    [match] = desk.matcher.item_matches(matching)
    assert match.fact_check.id == outcome.created[0].id
    assert desk.matcher.item_matches(unrelated) == []
