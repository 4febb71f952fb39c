"""The tamper check: is this text what a member sent, an altered version of it, a translation of it, or
none of these? Evidence, never a judgement of anyone's viewpoint.

    text ──► language (the enrichment's identifier) ──► candidates:
                 words: items containing one of three runs of the text's consecutive words (the
                        most distinctive, not overlapping: one changed word cannot hide the source);
                        when a run is in many items, also the items containing the whole text
             ──► same language: word-level comparison (verify/compare.py) with each candidate
             ──► the answer, when one is the text's source; else more candidates:
                 meaning: the nearest item vectors (multilingual embedding), in any language
             ──► same language: word-level comparison with each new candidate
                 other languages: embedding similarity
             ──► the answer

Answers:
- `verbatim`: the text is an authentic item's text, or a contiguous excerpt of it (a quote), up to
  spacing, digit scripts, Persian/Arabic letter variants and case;
- `altered`: most of its words come from one authentic item, but words were added, removed or changed
  (the diff calls out numbers, names, negations, look-alike letters and hidden characters);
- `translation`: it says what an item in another language says (the match score is the cosine of the
  two texts' embeddings, each with its language's mean vector taken out);
- `unknown`: no authentic item is close enough.

Thresholds are module constants, chosen on a tamper set built from FLORES (bench/verify_quality.py
measures precision and recall per answer): `SOURCE_CONTAINMENT` — the share of the text's words that
must be found in one item for it to be that item's (altered) text; `TRANSLATION_SIMILARITY` — the
embedding cosine above which a text in another language is taken as a translation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from tabadol.deliver.render.ninjs import item_href, ninjs_uri
from tabadol.enrich.embed import Embedder, default_embedder, embedding_text
from tabadol.enrich.langid import RuleAndCld2Identifier
from tabadol.enrich.normalize import normalize_for_search
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.index.centroids import prior_centroids
from tabadol.types import Item, ItemQuery, PubStatus, utc_now
from tabadol.verify.compare import Comparison, compare
from tabadol.verify.provenance import RecordedProvenance, recorded_provenance_json

# A text is one item's (possibly altered) text when this share of its words is found in the item.
SOURCE_CONTAINMENT = 0.6
# Cosine of the language-centred embeddings above which a text in another language counts as a
# translation. Raw cosines of this model put every pair of texts high (translations 0.82-0.92, unrelated
# texts up to 0.88); with each language's mean vector taken out, translations stay at 0.36-0.75 and
# unrelated texts fall below 0.30 (99th percentile) on FLORES.
TRANSLATION_SIMILARITY = 0.36
MAX_TEXT_CHARS = 20_000
NEAREST = 20
RUNS = 3
WORDS_PER_RUN = 4
HITS_PER_RUN = 8


@dataclass(frozen=True, slots=True)
class TamperAnswer:
    verdict: str  # verbatim | altered | translation | unknown
    item: Item | None
    score: float  # same language: the aligned share of the quoted part; translation: the cosine
    language: str | None  # the text's language as identified
    comparison: Comparison | None  # verbatim/altered: the word-level evidence
    considered: int  # candidate items examined


def check_text(
    hub: Hub,
    text: str,
    language: str | None = None,
    embedder: Embedder | None = None,
    now: datetime | None = None,
) -> TamperAnswer:
    """The tamper check of `text` against the hub's readable items (see the module docstring)."""
    text = text.strip()
    if not text:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="text", reason="it is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="text", reason=f"over {MAX_TEXT_CHARS} characters")
    now = now or utc_now()
    language = _primary(language) or _primary(RuleAndCld2Identifier().identify(text).tag)
    # A source found by its words answers without the embedding (the slowest step of a check): the
    # nearest vectors are only needed for translations and for sources whose phrases were all changed.
    whole = normalize_for_search(text)
    found, crowded = _by_words(hub, whole, now)
    candidates = {item.id: item for item in found}
    best = _best_source(_same_language(candidates.values(), language), text, language)
    if crowded and (best is None or best[1].verdict != "verbatim"):
        # A run in HITS_PER_RUN items or more (a sentence many items share) may have missed the item
        # the text was taken from among older ones: the whole text finds it, and it comes before one
        # that merely shares most words. Only then: without an index (PostgreSQL without pg_trgm)
        # every look-up is a scan of the items. (Not crowded, every item holding a run was found.)
        quoting = {item.id: item for item in _search(hub, whole, now) if item.id not in candidates}
        candidates.update(quoting)
        best = _best_source(_same_language(quoting.values(), language), text, language) or best
    if best is not None:
        return _source_answer(best, language, len(candidates))
    # Embedded as items are (the start of the text, prepared the same way), so cosines compare.
    vector = (embedder or default_embedder()).embed_passages([embedding_text("", text)])[0]
    nearest = _nearest(hub, vector, now)
    unseen = {item.id: item for item, _, _ in nearest if item.id not in candidates}
    candidates.update(unseen)
    best = _best_source(_same_language(unseen.values(), language), text, language)
    if best is not None:
        return _source_answer(best, language, len(candidates))
    query = _centred(vector, language)
    others = sorted(
        (
            (float(query @ _centred(item_vector, _primary(item.language))), item)
            for item, item_vector, _ in nearest
            if _primary(item.language) != language
        ),
        key=lambda pair: -pair[0],
    )
    if others and others[0][0] >= TRANSLATION_SIMILARITY:
        score, item = others[0]
        return TamperAnswer("translation", item, score, language, None, len(candidates))
    return TamperAnswer("unknown", None, 0.0, language, None, len(candidates))


def _source_answer(best: tuple[Item, Comparison], language: str | None, considered: int) -> TamperAnswer:
    """The answer naming a same-language source: verbatim or altered, with the comparison."""
    item, comparison = best
    return TamperAnswer(
        comparison.verdict, item, comparison.similarity.quoted_ratio, language, comparison, considered
    )


def _primary(tag: str | None) -> str | None:
    if not tag or tag == "und":
        return None
    return tag.split("-", 1)[0].lower()


def _same_language(items: Iterable[Item], language: str | None) -> list[Item]:
    """The items in the text's language (every item when the language is unknown)."""
    return [item for item in items if language is None or _primary(item.language) == language]


def _best_source(items: Sequence[Item], text: str, language: str | None) -> tuple[Item, Comparison] | None:
    best: tuple[tuple[float, float], Item, Comparison] | None = None
    for item in items:
        comparison = compare(f"{item.headline}\n\n{item.body_text}", text, language)
        similarity = comparison.similarity
        if similarity.candidate_in_original < SOURCE_CONTAINMENT:
            continue
        key = (similarity.candidate_in_original, similarity.quoted_ratio)
        if best is None or key > best[0]:
            best = (key, item, comparison)
    return None if best is None else (best[1], best[2])


def _nearest(hub: Hub, vector: Any, now: datetime) -> list[tuple[Item, Any, float]]:
    """The readable items nearest by embedding: (item, its vector, raw cosine)."""
    found: list[tuple[Item, Any, float]] = []
    for entry, score in hub.storage.nearest(vector, NEAREST):
        item = _readable(hub, entry.item_id, now)
        if item is not None:
            found.append((item, entry.vector, float(score)))
    return found


def _centred(vector: Any, language: str | None) -> np.ndarray:
    """The vector with its language's mean taken out (index/centroids.py), L2-normalised: what is left
    is what the text says, not which language says it."""
    centroid = prior_centroids().get(language or "")
    centred = np.asarray(vector, dtype=np.float64) - (centroid if centroid is not None else 0.0)
    norm = float(np.linalg.norm(centred))
    return centred / norm if norm else centred


def _by_words(hub: Hub, whole: str, now: datetime) -> tuple[list[Item], bool]:
    """Items containing one of a few runs of the text's consecutive words (`whole`: the text in the
    search form, which the store's text search matches): the most distinctive runs (longest words),
    not overlapping, so one changed or added word spoils at most one of them. With them, whether a run
    shorter than the whole text filled its HITS_PER_RUN (more items may hold it)."""
    found: dict[str, Item] = {}
    crowded = False
    for phrase in _distinctive_runs(whole.split()):
        hits = _search(hub, phrase, now)
        crowded = crowded or (phrase != whole and len(hits) >= HITS_PER_RUN)
        for item in hits:
            found.setdefault(item.id, item)
    return list(found.values()), crowded


def _search(hub: Hub, phrase: str, now: datetime) -> list[Item]:
    """The newest readable, usable items containing `phrase` (at most HITS_PER_RUN)."""
    query = ItemQuery(text=phrase, now=now, pub_statuses=(PubStatus.USABLE,))
    return list(hub.list_items(query, HITS_PER_RUN).items)


def _distinctive_runs(words: Sequence[str]) -> list[str]:
    # Short texts get shorter runs, so that RUNS of them fit without overlapping.
    size = min(WORDS_PER_RUN, max(2, len(words) // RUNS))
    if len(words) <= size:
        return [" ".join(words)] if words else []
    ranked = sorted(
        range(len(words) - size + 1),
        key=lambda start: -sum(len(word) for word in words[start : start + size]),
    )
    chosen: list[int] = []
    for start in ranked:
        if all(abs(start - other) >= size for other in chosen):
            chosen.append(start)
            if len(chosen) == RUNS:
                break
    return [" ".join(words[start : start + size]) for start in sorted(chosen)]


def _readable(hub: Hub, item_id: str, now: datetime) -> Item | None:
    try:
        item = hub.readable_item(item_id, now)
    except TabadolError:
        return None
    return None if item.pub_status is PubStatus.CANCELED else item


def answer_json(
    answer: TamperAnswer, base_url: str = "", provenance: RecordedProvenance | None = None
) -> dict[str, Any]:
    """The answer as `POST /api/v1/verify` and `tabadol verify --json` print it; `provenance` is the
    cited item's current version's (see `cited_provenance`), shown so the reader sees whether the
    authentic text's signature holds."""
    item = None
    if answer.item is not None:
        found = answer.item
        item = {
            "id": found.id,
            "uri": ninjs_uri(found.guid, found.member_code),
            "member": found.member_code,
            "language": found.language,
            "version": found.version,
            "headline": found.headline,
            "href": item_href(base_url, found.id),
            "provenance": recorded_provenance_json(provenance),
        }
    return {
        "verdict": answer.verdict,
        "item": item,
        "score": round(answer.score, 4),
        "language": answer.language,
        "diff": None if answer.comparison is None else diff_json(answer.comparison),
        "considered": answer.considered,
    }


def cited_provenance(hub: Hub, answer: TamperAnswer) -> RecordedProvenance | None:
    """The provenance of the cited item's current version, or None (no item, or none recorded)."""
    if answer.item is None:
        return None
    found = answer.item
    return next((p for p in hub.storage.item_provenance(found.id) if p.version == found.version), None)


def diff_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "excerpt": comparison.excerpt,
        "flags": list(comparison.flags),
        "confusable_words": list(comparison.confusable_words),
        "invisible_words": list(comparison.invisible_words),
        "similarity": {
            "text_in_item": round(comparison.similarity.candidate_in_original, 4),
            "item_in_text": round(comparison.similarity.original_in_candidate, 4),
            "quoted_ratio": round(comparison.similarity.quoted_ratio, 4),
        },
        "changes": [
            {
                "kind": str(change.kind),
                "item_words": list(change.original_words),
                "text_words": list(change.candidate_words),
                "item_span": list(change.original_span),
                "text_span": list(change.candidate_span),
                "flags": list(change.flags),
            }
            for change in comparison.changes
        ],
    }
