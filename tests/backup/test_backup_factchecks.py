"""Fact checks and their matches with items in backups: restored exactly (record, times, the claim's
vector and model), so a restored hub matches texts against them without embedding a claim again
(SQLite to PostgreSQL too); a backup whose fact checks or matches do not fit it is refused; a backup
made before fact checks were backed up still restores."""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from during_backup import writes_during_backup

import tabadol.demo
from tabadol import backup
from tabadol.backup import restore_backup, store_is_empty, write_backup
from tabadol.config import Settings
from tabadol.enrich.components import EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub, create_hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.storage import sql
from tabadol.storage.claims import StoredClaimMatch
from tabadol.types import Principal, Role, utc_now
from tabadol.verify.factchecks import AuthoredReview, ClaimMatcher, FactChecks

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
# FLORES article 8 (Cristina Fernández de Kirchner's candidacy): its Russian first sentence is the
# reviewed claim and its Persian text an incoming item that matches it; article 5 (the Sun) is the
# subject of a second review and of an item that matches neither.
CLAIM_ARTICLE = 8
OTHER_ARTICLE = 5
TASS_EDITOR = Principal("tass", Role.EDITOR, key_id="k-tass")
IRNA_EDITOR = Principal("irna", Role.EDITOR, key_id="k-irna")


@dataclass(frozen=True)
class Desk:
    """What `publish_and_match` left on a hub."""

    claim_review_id: str  # the review the Persian item matched
    matched_item_id: str
    other_item_id: str
    persian_claim: str  # the Persian first sentence of the claim's article


def article(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index == number:
                return dict(json.loads(line)["text"])
    raise AssertionError(number)


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip())[0]


def review_document(claim: str, url: str, verdict: str = "Ложь") -> bytes:
    document = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        "inLanguage": "ru",
        "datePublished": "2026-11-20",
        "author": {"@type": "Organization", "name": "ТАСС Проверка", "url": "https://tass.ru/proverka"},
        "reviewRating": {"@type": "Rating", "alternateName": verdict},
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Blogger"}},
    }
    return json.dumps(document, ensure_ascii=False).encode()


def push(hub: Hub, guid: str, text: str) -> str:
    headline, _, body = text.partition(". ")
    document = {
        "uri": guid,
        "type": "text",
        "language": "fa",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body or headline}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id


def enrich(hub: Hub) -> None:
    pipeline = Pipeline((LanguageComponent(), NormalizeComponent(), EmbedComponent(default_embedder())))
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()


def publish_reviews(hub: Hub) -> str:
    """Two members, three reviews (two imported by tass, one authored by irna); the claim's id."""
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])
    desk = FactChecks(hub)
    claim = first_sentence(article(CLAIM_ARTICLE)["ru"])
    [review] = desk.import_jsonld(review_document(claim, "https://tass.ru/proverka/8"), TASS_EDITOR).created
    other = first_sentence(article(OTHER_ARTICLE)["ru"])
    desk.import_jsonld(review_document(other, "https://tass.ru/proverka/5", "Неправда"), TASS_EDITOR)
    desk.author(
        AuthoredReview(
            claim="در تهران همه مدارس تعطیل شده است",
            rating="نادرست",
            url="https://www.irna.ir/factcheck/1",
            claimant="یک کانال تلگرامی",
        ),
        IRNA_EDITOR,
    )
    return review.id


def publish_and_match(hub: Hub) -> Desk:
    """The reviews, then two Persian items, enriched: the claim's article is matched with its review
    by the enrichment itself, the other article with none."""
    review_id = publish_reviews(hub)
    matched = push(hub, "urn:irna:8", article(CLAIM_ARTICLE)["fa"])
    other = push(hub, "urn:irna:5", article(OTHER_ARTICLE)["fa"])
    enrich(hub)
    [match] = hub.storage.item_claim_matches(matched)
    assert match.review_id == review_id
    assert hub.storage.item_claim_matches(other) == []
    return Desk(review_id, matched, other, first_sentence(article(CLAIM_ARTICLE)["fa"]))


def reviews_as_stored(hub: Hub) -> list[tuple[Any, ...]]:
    """Every review's fields, its vector as the bytes stored (arrays do not compare with ==)."""
    return [
        (
            r.id,
            r.member_code,
            r.url,
            dict(r.record),
            r.claim_text,
            r.language,
            r.rating,
            r.date_published,
            r.created_at,
            r.updated_at,
            r.model,
            None if r.vector is None else r.vector.astype("<f4").tobytes(),
        )
        for r in hub.storage.iter_claim_reviews()
    ]


def assert_fact_checks_survived(source: Hub, target: Hub, desk: Desk) -> None:
    expected = reviews_as_stored(source)
    assert len(expected) == 3 and all(row[-1] for row in expected)  # every claim embedded
    assert reviews_as_stored(target) == expected
    assert list(target.storage.iter_claim_matches()) == list(source.storage.iter_claim_matches())
    restored = ClaimMatcher(target.storage).item_matches(desk.matched_item_id)
    assert [(m.fact_check.id, m.parts) for m in restored] == [
        (m.fact_check.id, m.parts) for m in ClaimMatcher(source.storage).item_matches(desk.matched_item_id)
    ]
    assert restored[0].fact_check.review.verdict == "Ложь"
    assert target.storage.item_claim_matches(desk.other_item_id) == []
    # The restored vectors are searched as they are: a text stating the claim finds its review.
    [found] = ClaimMatcher(target.storage).match_text(desk.persian_claim)
    assert found.fact_check.id == desk.claim_review_id
    assert FactChecks(target).all() == FactChecks(source).all()


def test_fact_checks_and_matches_survive_a_restore(hub: Hub, second_hub: Hub, tmp_path: Path) -> None:
    desk = publish_and_match(hub)
    path = tmp_path / "hub.jsonl.gz"

    summary = write_backup(hub, path)
    assert summary.counts["fact_check"] == 3 and summary.counts["fact_check_match"] == 1
    restore_backup(second_hub, path)

    assert_fact_checks_survived(hub, second_hub, desk)
    again = restore_backup(second_hub, path, force=True)
    assert again.skipped["fact_check"] == 3 and again.skipped["fact_check_match"] == 1
    assert_fact_checks_survived(hub, second_hub, desk)


# -- paging and what arrives during a backup (matches written directly: no model needed) ------------
def items_with_matches(hub: Hub, review_ids: list[str]) -> list[StoredClaimMatch]:
    """Three items, each recorded as matching every review (as the index stage would record them)."""
    matches: list[StoredClaimMatch] = []
    for number in range(3):
        item_id = push(hub, f"urn:irna:page:{number}", f"خبر شماره {number}. متن خبر.")
        for position, review_id in enumerate(review_ids):
            score = round(0.9 + position / 100, 4)
            parts = {"score": score, "similarity": 0.93, "name_overlap": 0.5}
            matches.append(StoredClaimMatch(item_id, review_id, 1, score, parts, utc_now()))
    hub.storage.add_claim_matches(matches)
    return matches


def test_fact_checks_and_matches_are_read_and_restored_in_pages(
    hub: Hub, second_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_reviews(hub)
    review_ids = sorted(r.id for r in hub.storage.iter_claim_reviews())
    written = items_with_matches(hub, review_ids)
    monkeypatch.setattr(sql, "STREAM_BATCH", 2)
    monkeypatch.setattr(backup, "_RESTORE_CHUNK", 2)
    streamed = [(m.item_id, m.review_id) for m in hub.storage.iter_claim_matches()]
    assert streamed == sorted((m.item_id, m.review_id) for m in written)  # each once, in key order
    assert [r.id for r in hub.storage.iter_claim_reviews()] == review_ids
    path = tmp_path / "hub.jsonl.gz"

    assert write_backup(hub, path).counts["fact_check_match"] == 9
    restore_backup(second_hub, path)

    assert reviews_as_stored(second_hub) == reviews_as_stored(hub)
    assert list(second_hub.storage.iter_claim_matches()) == list(hub.storage.iter_claim_matches())
    again = restore_backup(second_hub, path, force=True)
    assert again.skipped["fact_check"] == 3 and again.skipped["fact_check_match"] == 9
    assert len(list(second_hub.storage.iter_claim_matches())) == 9


def test_what_arrives_during_the_backup_is_left_out_when_it_does_not_fit(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    publish_reviews(hub)
    review_ids = sorted(r.id for r in hub.storage.iter_claim_reviews())
    items_with_matches(hub, review_ids)
    late: dict[str, str] = {}

    def a_new_desk_publishes_a_review() -> None:
        # A member added after the members were read publishes a review before reviews are read.
        hub.add_member("sana", {"en": "SANA"}, "SY", ["ar"])
        document = review_document("Все мосты Дамаска закрыты", "https://sana.sy/factcheck/1")
        sana = Principal("sana", Role.EDITOR, key_id="k-sana")
        [review] = FactChecks(hub).import_jsonld(document, sana).created
        late["review"] = review.id

    def a_matched_push() -> None:
        # Pushed after the versions were read, matched before the matches are.
        item_id = push(hub, "urn:irna:late", "خبر دیرهنگام. متن.")
        late["item"] = item_id
        match = StoredClaimMatch(item_id, review_ids[0], 1, 0.95, {"score": 0.95}, utc_now())
        hub.storage.add_claim_matches([match])

    path = tmp_path / "hub.jsonl.gz"
    with writes_during_backup(
        hub.storage, list_members=a_new_desk_publishes_a_review, iter_versions=a_matched_push
    ):
        summary = write_backup(hub, path)

    assert summary.counts["fact_check"] == 3 and summary.counts["fact_check_match"] == 9
    restore_backup(second_hub, path)
    assert second_hub.storage.get_claim_review(late["review"]) is None
    assert second_hub.storage.item_claim_matches(late["item"]) == []
    assert len(list(second_hub.storage.iter_claim_matches())) == 9


@pytest.fixture
def postgres_url(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def test_fact_checks_move_from_sqlite_to_postgres(tmp_path: Path, postgres_url: str) -> None:
    source = create_hub(
        Settings(database_url=f"sqlite:///{tmp_path / 'old.sqlite3'}", data_dir=tmp_path / "old")
    )
    target = create_hub(Settings(database_url=postgres_url, data_dir=tmp_path / "new"))
    try:
        desk = publish_and_match(source)
        path = tmp_path / "move.jsonl.gz"
        write_backup(source, path)
        restore_backup(target, path)
        assert_fact_checks_survived(source, target, desk)
    finally:
        source.close()
        target.close()


# -- refused and older backups ----------------------------------------------------------------------
def rewrite(path: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Decompress, let `change` edit the list of records, compress again."""
    records = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in change(records)).encode()))


def first(records: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(r for r in records if r["type"] == kind)


def drop_the_matched_review(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    named = first(records, "fact_check_match")["review_id"]
    for line in (records[0], records[-1]):
        line["counts"]["fact_check"] -= 1
    return [r for r in records if not (r["type"] == "fact_check" and r["id"] == named)]


def name_an_absent_version(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first(records, "fact_check_match")["item_version"] = 99
    return records


def credit_an_absent_member(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first(records, "fact_check")["member_code"] = "sana"
    return records


def forge_an_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first(records, "fact_check")["id"] = "0" * 32
    return records


def swap_the_record(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reviews = [r for r in records if r["type"] == "fact_check"]
    reviews[0]["record"] = reviews[1]["record"]
    return records


def cut_the_vector(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    record = first(records, "fact_check")
    record["vector"] = base64.b64encode(base64.b64decode(record["vector"])[:-1]).decode()
    return records


def break_the_record(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    del first(records, "fact_check")["record"]["claimReviewed"]
    return records


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (drop_the_matched_review, "names a fact check not in the backup"),
        (name_an_absent_version, "refers to a version not in the backup"),
        (credit_an_absent_member, "belongs to a member not in the backup"),
        (forge_an_id, "does not match its URL"),
        (swap_the_record, "holds the record of another URL"),
        (cut_the_vector, "is not float32s of a named model"),
        (break_the_record, "malformed"),
    ],
)
def test_fact_checks_that_do_not_fit_the_backup_are_refused(
    hub: Hub, second_hub: Hub, tmp_path: Path, damage: Callable[..., Any], reason: str
) -> None:
    publish_reviews(hub)
    items_with_matches(hub, sorted(r.id for r in hub.storage.iter_claim_reviews()))
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    rewrite(path, damage)

    with pytest.raises(TabadolError) as refused:
        restore_backup(second_hub, path)

    assert refused.value.code is ErrorCode.BACKUP_INVALID
    assert reason in refused.value.message
    assert store_is_empty(second_hub.storage)
    assert list(second_hub.storage.iter_claim_reviews()) == []


def as_an_older_release_wrote_it(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for line in (records[0], records[-1]):
        del line["counts"]["fact_check"], line["counts"]["fact_check_match"]
    return [r for r in records if r["type"] not in ("fact_check", "fact_check_match")]


def test_a_backup_without_fact_checks_still_restores(hub: Hub, second_hub: Hub, tmp_path: Path) -> None:
    publish_reviews(hub)
    matches = items_with_matches(hub, sorted(r.id for r in hub.storage.iter_claim_reviews()))
    path = tmp_path / "old.jsonl.gz"
    write_backup(hub, path)
    rewrite(path, as_an_older_release_wrote_it)

    summary = restore_backup(second_hub, path)

    assert summary.counts.get("fact_check") is None
    assert list(second_hub.storage.iter_claim_reviews()) == []
    assert list(second_hub.storage.iter_claim_matches()) == []
    for match in matches:
        assert second_hub.storage.get_version(match.item_id, 1) is not None
