"""The alliance's fact checks in the hub: stored, authored, exported, and matched with texts and items.

    JSON-LD ────► parse_claim_reviews ──┐
    plain fields ──► ClaimReview ───────┴► credited to a member ─► claim embedded ─► stored
                                                                 └► matched with recent items
    a text, an item ─► embedding retrieval over the claims ─► claim_match.rerank ─► matches

A member's editors import and author their own member's reviews; administrators any member's. A
review is identified by its URL (the review's page): importing the same URL again updates the stored
review instead of adding a second one, and a URL already published by another member is refused.

Claims are embedded as items are (`embed_passages` of `embedding_text`, Persian/Arabic normalised
by the embedder), so the vector an incoming item already has is compared with them as it is. A query
text is embedded with `embed_queries`, as the reranker's weights were derived (verify/claim_match.py).
Reviews are few next to items, so they are searched in process: one matrix of their vectors per
store, reloaded when a review is added, changed or removed.

The thresholds below are measured, not guessed (bench/factcheck_threshold.py; claim set:
claim_match.build_claim_set over the 141 FLORES articles in tabadol/demo/data/flores/dev.jsonl, 238
reviewed claims, 833 queries in the seven other languages; each query asked once with its claim
stored and once without it, the same-subject distractor staying). See docs/factchecks.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tabadol.deliver.render.ninjs import item_href
from tabadol.enrich.embed import Embedder, default_embedder, embedding_text
from tabadol.enrich.langid import RuleAndCld2Identifier
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.storage.claims import StoredClaimMatch, StoredClaimReview
from tabadol.storage.cursor import decode_cursor, encode_cursor
from tabadol.types import Item, Principal, PubStatus, utc_now
from tabadol.verify.claim_match import (
    RETRIEVAL_DEPTH,
    Candidate,
    ClaimMatch,
    ClaimText,
    describe_claim,
    rerank,
    score_parts,
)
from tabadol.verify.claims import (
    Claim,
    ClaimReview,
    Party,
    ReviewRating,
    claim_review_to_jsonld,
    parse_claim_reviews,
    with_member,
)

log = logging.getLogger(__name__)

# Reranked score at or above which a text is answered with a review, measured with
#   .venv/bin/python bench/factcheck_threshold.py
# On the "text" table (a query sentence, `embed_queries`), 0.89 answers 62% of the queries whose claim
# is stored with the right review, raises a false alarm on 4.7% of those whose claim is not (the same
# article's other sentence, on the same subject, stays as a trap) and 91% of its answers are right;
# 0.86 would answer 83% at 70% precision, 0.92 37% at 97%. Raw cosines of this model are high for any
# two texts on one subject, so the threshold sits high.
TEXT_MATCH_THRESHOLD = 0.89
# The same for an incoming item, by the vector the enrichment made of its headline and lead ("item"
# table; either claim of the article the lead states counts as right): 0.87 records a right match for
# 50% of the items, a false one for 1.1% of those with no reviewed claim, 97% precision; 0.85 would
# give 64% at 82%. Items are many, so false alarms weigh more here than recall.
ITEM_MATCH_THRESHOLD = 0.87
MAX_MATCHES = 5
# A new review is matched with the items of this many days before it (and any later ones).
RECENT_ITEMS = timedelta(days=30)
RECENT_ITEM_CANDIDATES = 50
MAX_QUERY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class FactCheck:
    """A stored review: the ClaimReview and who published it in the hub."""

    id: str
    member_code: str
    review: ClaimReview
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FactCheckMatch:
    fact_check: FactCheck
    parts: dict[str, float]

    @property
    def score(self) -> float:
        return self.parts["score"]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    created: tuple[FactCheck, ...]
    updated: tuple[FactCheck, ...]
    matched_items: int  # stored items newly matched with the imported reviews


@dataclass(frozen=True, slots=True)
class AuthoredReview:
    """A review written in the hub from plain fields (POST /api/v1/fact-checks/author)."""

    claim: str
    rating: str
    url: str
    language: str | None = None
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    reviewer_name: str | None = None
    reviewer_url: str | None = None
    claimant: str | None = None
    claim_date: datetime | None = None
    appearances: tuple[str, ...] = ()
    date_published: datetime | None = None


def review_id_for_url(url: str) -> str:
    """A review's id: derived from its URL, so the same review imported twice is one row."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def _not_found(review_id: str) -> TabadolError:
    return TabadolError(ErrorCode.FACT_CHECK_NOT_FOUND, review_id=review_id)


def _detect_language(text: str) -> str | None:
    tag = RuleAndCld2Identifier().identify(text).tag
    return None if tag == "und" else tag


# -- the in-process search over the reviews' claims ----------------------------------------------


@dataclass
class _ClaimMatrix:
    stamp: tuple[int, datetime | None]
    ids: list[str]
    matrix: np.ndarray


_MATRICES: weakref.WeakKeyDictionary[Any, _ClaimMatrix] = weakref.WeakKeyDictionary()
_MATRICES_LOCK = threading.Lock()


def _claim_matrix(storage: Any, model: str) -> _ClaimMatrix:
    """The vectors of every stored claim, cached per store until the reviews change."""
    stamp = storage.claim_reviews_stamp()
    with _MATRICES_LOCK:
        cached = _MATRICES.get(storage)
    if cached is not None and cached.stamp == stamp:
        return cached
    rows = storage.claim_review_vectors(model) if stamp[0] else []
    dim = rows[0][1].shape[0] if rows else 0
    matrix = np.stack([vector for _, vector in rows]) if rows else np.zeros((0, dim), dtype=np.float32)
    fresh = _ClaimMatrix(stamp, [review_id for review_id, _ in rows], matrix)
    with _MATRICES_LOCK:
        _MATRICES[storage] = fresh
    return fresh


@dataclass
class ClaimMatcher:
    """Matches texts and items with the stored reviews' claims (no hub needed: the enrichment hook
    has only the store). `model` is the embedding model whose vectors are compared."""

    storage: Any
    embedder: Embedder = field(default_factory=default_embedder)
    model: str | None = None

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = self.embedder.model_id

    def _claims(self) -> _ClaimMatrix:
        return _claim_matrix(self.storage, self.model or self.embedder.model_id)

    def match_text(
        self, text: str, language: str | None = None, limit: int = MAX_MATCHES
    ) -> list[FactCheckMatch]:
        """The reviews whose claim the text states, best first (see TEXT_MATCH_THRESHOLD)."""
        text = text.strip()
        if not text:
            raise TabadolError(ErrorCode.INVALID_QUERY, param="text", reason="it is empty")
        if len(text) > MAX_QUERY_CHARS:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="text", reason=f"over {MAX_QUERY_CHARS} characters"
            )
        claims = self._claims()
        if not claims.ids:
            return []
        vector = self.embedder.embed_queries([text])[0]
        query = describe_claim(text, language or _detect_language(text))
        return self._matches(query, vector, claims, TEXT_MATCH_THRESHOLD)[:limit]

    def match_item(self, item: Item, lead: str, language: str | None, vector: Any, now: datetime) -> int:
        """Record the item's matches with the reviews (replacing earlier ones: its text may have
        changed); returns how many. `lead` and `vector` are what the enrichment embedded."""
        claims = self._claims()
        if not claims.ids:  # no reviews, hence no matches either (a removed review takes its own along)
            return 0
        query = describe_claim(lead, language)
        found = self._matches(query, np.asarray(vector, dtype=np.float32), claims, ITEM_MATCH_THRESHOLD)
        rows = [_match_row(item, m.fact_check.id, m.parts, now) for m in found[:MAX_MATCHES]]
        self.storage.replace_item_claim_matches(item.id, rows)
        return len(rows)

    def item_matches(self, item_id: str) -> list[FactCheckMatch]:
        """The recorded matches of an item, best first."""
        rows = self.storage.item_claim_matches(item_id)
        stored = self.storage.claim_reviews([row.review_id for row in rows])
        return [
            FactCheckMatch(fact_check_of(stored[row.review_id]), dict(row.parts))
            for row in rows
            if row.review_id in stored
        ]

    def match_recent_items(self, fact_check: FactCheck, vector: np.ndarray, now: datetime) -> int:
        """Match a new or changed review with the stored items of the last RECENT_ITEMS (and later)."""
        review = fact_check.review
        claim = describe_claim(review.claim_reviewed, review.language)
        rows: list[StoredClaimMatch] = []
        for entry, similarity in self.storage.nearest(
            vector, RECENT_ITEM_CANDIDATES, since=now - RECENT_ITEMS
        ):
            item = self.storage.get_item(entry.item_id)
            if item is None or item.pub_status is PubStatus.CANCELED or entry.model != self.model:
                continue
            lead = embedding_text(item.headline, item.body_text)
            parts = score_parts(describe_claim(lead, entry.language), claim, float(similarity))
            if parts.score >= ITEM_MATCH_THRESHOLD:
                rows.append(_match_row(item, fact_check.id, _score_dict(parts), now))
        if rows:
            self.storage.add_claim_matches(rows)
        return len(rows)

    def _matches(
        self, query: ClaimText, vector: np.ndarray, claims: _ClaimMatrix, threshold: float
    ) -> list[FactCheckMatch]:
        similarities = claims.matrix @ vector
        top = [claims.ids[i] for i in np.argsort(-similarities, kind="stable")[:RETRIEVAL_DEPTH]]
        score_of = dict(zip(claims.ids, similarities.tolist(), strict=True))
        stored = self.storage.claim_reviews(top)
        candidates = [
            Candidate(stored[i], describe_claim(stored[i].claim_text, stored[i].language), score_of[i])
            for i in top
            if i in stored
        ]
        return [
            FactCheckMatch(fact_check_of(m.payload), _parts(m))
            for m in rerank(query, candidates)
            if m.score >= threshold
        ]


# -- the service ----------------------------------------------------------------------------------


@dataclass
class FactChecks:
    """The fact-check desk's operations over a hub (API, CLI and the enrichment hook share it)."""

    hub: Hub
    embedder: Embedder = field(default_factory=default_embedder)

    @property
    def storage(self) -> Any:
        return self.hub.storage

    @property
    def matcher(self) -> ClaimMatcher:
        return ClaimMatcher(self.hub.storage, self.embedder)

    # -- writing -------------------------------------------------------------------------------
    def import_jsonld(
        self, data: bytes, actor: Principal, member_code: str | None = None, now: datetime | None = None
    ) -> ImportOutcome:
        """Store every ClaimReview of a JSON-LD document for `member_code` (default: the actor's
        member); see the module doc for who may and what re-importing does."""
        member = self._member_for(actor, member_code)
        reviews = parse_claim_reviews(data, detect_language=_detect_language)
        return self._store(reviews, member, actor, "fact_check.import", now or utc_now())

    def author(
        self,
        fields: AuthoredReview,
        actor: Principal,
        member_code: str | None = None,
        now: datetime | None = None,
    ) -> FactCheck:
        """Store a review written from plain fields; the same checks as an import."""
        member = self._member_for(actor, member_code)
        info = self.hub.get_member(member)
        reviewer = Party(
            name=fields.reviewer_name or info.names.get("en") or next(iter(info.names.values()), member),
            url=fields.reviewer_url,
        )
        review = ClaimReview(
            claim_reviewed=fields.claim,
            rating=ReviewRating(
                alternate_name=fields.rating or None,
                rating_value=fields.rating_value,
                best_rating=fields.best_rating,
                worst_rating=fields.worst_rating,
            ),
            url=fields.url,
            language=fields.language or _detect_language(fields.claim),
            author=reviewer,
            date_published=fields.date_published or (now or utc_now()),
            item_reviewed=Claim(
                author=Party(name=fields.claimant) if fields.claimant else None,
                date_published=fields.claim_date,
                appearances=fields.appearances,
            ),
        )
        outcome = self._store([review], member, actor, "fact_check.author", now or utc_now())
        return (outcome.created or outcome.updated)[0]

    def delete(self, review_id: str, actor: Principal) -> None:
        stored = self.storage.get_claim_review(review_id)
        if stored is None or not actor.can_write_for(stored.member_code):
            # Another member's review is "not found" to the key, as for signing keys.
            raise _not_found(review_id)
        if not self.storage.delete_claim_review(review_id):
            raise _not_found(review_id)
        self.hub.audit(
            actor, "fact_check.delete", review_id, {"member": stored.member_code, "url": stored.url}
        )

    def _member_for(self, actor: Principal, member_code: str | None) -> str:
        member = member_code or actor.member_code
        if member is None:
            raise TabadolError(
                ErrorCode.INVALID_QUERY, param="member", reason="say which member publishes it"
            )
        self.hub.get_member(member)  # MEMBER_NOT_FOUND for an unknown code
        if not actor.can_write_for(member):
            raise TabadolError(ErrorCode.FORBIDDEN, action=f"publish fact checks for member '{member}'")
        return member

    def _store(
        self, reviews: Sequence[ClaimReview], member: str, actor: Principal, action: str, now: datetime
    ) -> ImportOutcome:
        credited = [self._credited(review, member) for review in reviews]
        ids = [review_id_for_url(review.url) for review in credited]
        existing = self.storage.claim_reviews(ids)
        for review_id, review in zip(ids, credited, strict=True):
            owner = existing.get(review_id)
            if owner is not None and owner.member_code != member:
                raise TabadolError(
                    ErrorCode.FACT_CHECK_OWNED_BY_OTHER_MEMBER, url=review.url[:200], owner=owner.member_code
                )
        vectors = self.embedder.embed_passages([embedding_text("", r.claim_reviewed) for r in credited])
        rows = [
            StoredClaimReview(
                id=review_id,
                member_code=member,
                url=review.url,
                record=claim_review_to_jsonld(review),
                claim_text=review.claim_reviewed,
                language=review.language,
                rating=review.verdict,
                date_published=review.date_published,
                created_at=existing[review_id].created_at if review_id in existing else now,
                updated_at=now,
                model=self.embedder.model_id,
                vector=np.asarray(vector, dtype=np.float32),
            )
            for review_id, review, vector in zip(ids, credited, vectors, strict=True)
        ]
        new_flags = self.storage.save_claim_reviews(rows)  # one transaction: all or none
        created: list[FactCheck] = []
        updated: list[FactCheck] = []
        matched = 0
        matcher = self.matcher
        for row, review, is_new in zip(rows, credited, new_flags, strict=True):
            fact_check = FactCheck(row.id, member, review, row.created_at, now)
            (created if is_new else updated).append(fact_check)
            matched += matcher.match_recent_items(fact_check, np.asarray(row.vector, dtype=np.float32), now)
        detail: dict[str, object] = {"member": member, "created": len(created), "updated": len(updated)}
        self.hub.audit(actor, action, ",".join(ids)[:500], detail)
        return ImportOutcome(tuple(created), tuple(updated), matched)

    @staticmethod
    def _credited(review: ClaimReview, member: str) -> ClaimReview:
        """The review credited to `member`; one that names another member as its author is refused
        (a member publishes its own desk's reviews)."""
        named = review.author.member_code if review.author else None
        if named is not None and named != member:
            raise TabadolError(
                ErrorCode.FORBIDDEN, action=f"publish a fact check of member '{named}' as '{member}'"
            )
        return with_member(review, member)

    # -- reading -------------------------------------------------------------------------------
    def get(self, review_id: str) -> FactCheck:
        stored = self.storage.get_claim_review(review_id)
        if stored is None:
            raise _not_found(review_id)
        return fact_check_of(stored)

    def page(
        self,
        limit: int,
        cursor: str | None = None,
        member_code: str | None = None,
        language: str | None = None,
    ) -> tuple[list[FactCheck], str | None]:
        """A page of reviews, newest first, and the cursor of the next page (None at the end)."""
        before = decode_cursor(cursor) if cursor else None
        rows = self.storage.list_claim_reviews(limit + 1, member_code, language, before)
        more = len(rows) > limit
        rows = rows[:limit]
        following = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
        return [fact_check_of(row) for row in rows], following

    def all(self, member_code: str | None = None) -> list[FactCheck]:
        out: list[FactCheck] = []
        cursor: str | None = None
        while True:
            found, cursor = self.page(500, cursor, member_code)
            out.extend(found)
            if cursor is None:
                return out


def _parts(match: ClaimMatch[Any]) -> dict[str, float]:
    return _score_dict(match.parts)


def _score_dict(parts: Any) -> dict[str, float]:
    return {
        "score": round(parts.score, 4),
        "similarity": round(parts.similarity, 4),
        "name_overlap": round(parts.name_overlap, 4),
        "number_agreement": round(parts.number_agreement, 4),
        "number_conflict": round(parts.number_conflict, 4),
        "negation_mismatch": round(parts.negation_mismatch, 4),
    }


def _match_row(item: Item, review_id: str, parts: dict[str, float], now: datetime) -> StoredClaimMatch:
    return StoredClaimMatch(item.id, review_id, item.version, parts["score"], parts, now)


def fact_check_of(stored: StoredClaimReview) -> FactCheck:
    """The stored JSON-LD read back into a ClaimReview (it was written by claim_review_to_jsonld)."""
    data = json.dumps(dict(stored.record), ensure_ascii=False).encode("utf-8")
    review = parse_claim_reviews(data)[0]
    return FactCheck(stored.id, stored.member_code, review, stored.created_at, stored.updated_at)


# -- the hook the enrichment calls --------------------------------------------------------------


def match_enriched_item(
    storage: Any, item: Item, lead: str | None, language: str | None, vector: Any, model: str
) -> int:
    """Called by the index stage once an item's vector is stored: records the item's fact-check
    matches. Cheap when the hub holds no reviews (one count). Never raises: a failure here must not
    cost the item its place in the index; it is logged."""
    if vector is None or not lead:
        return 0
    try:
        return ClaimMatcher(storage, model=model).match_item(item, lead, language, vector, utc_now())
    except Exception:  # noqa: BLE001 - logged; the item keeps its index entry and story
        log.exception("fact-check matching failed on %s", item.id)
        return 0


# -- JSON ---------------------------------------------------------------------------------------


def fact_check_json(fact_check: FactCheck, base_url: str = "") -> dict[str, Any]:
    review = fact_check.review
    return {
        "id": fact_check.id,
        "member": fact_check.member_code,
        "url": review.url,
        "claim": review.claim_reviewed,
        "language": review.language,
        "rating": review.verdict,
        "reviewer": _party_json(review.author),
        "claimant": _party_json(review.item_reviewed.author),
        "date_published": format_datetime(review.date_published) if review.date_published else None,
        "created_at": format_datetime(fact_check.created_at),
        "updated_at": format_datetime(fact_check.updated_at),
        "href": f"{base_url}/api/v1/fact-checks/{fact_check.id}",
        "claim_review": claim_review_to_jsonld(review),
    }


def match_json(match: FactCheckMatch, base_url: str = "") -> dict[str, Any]:
    """A match as a desk sees it: the rating, the reviewer, the link, the score and why."""
    review = match.fact_check.review
    return {
        "id": match.fact_check.id,
        "claim": review.claim_reviewed,
        "language": review.language,
        "rating": review.verdict,
        "reviewer": _party_json(review.author),
        "member": match.fact_check.member_code,
        "url": review.url,
        "date_published": format_datetime(review.date_published) if review.date_published else None,
        "score": match.score,
        "parts": match.parts,
        "href": f"{base_url}/api/v1/fact-checks/{match.fact_check.id}",
    }


def _party_json(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"name": party.name, "url": party.url, "member": party.member_code}


def item_fact_checks_href(base_url: str, item_id: str) -> str:
    return f"{item_href(base_url, item_id)}/fact-checks"
