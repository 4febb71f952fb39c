"""The fact-check match threshold, measured: prints numbers, asserts nothing.

    .venv/bin/python bench/factcheck_threshold.py [--articles PATH] [--cache DIR]

The claim set is `claim_match.build_claim_set` over the FLORES articles: reviewed claims are the
first sentence of each article in one language plus, as a same-subject distractor, its second
sentence in another; the queries are the first sentence in each other language. Two ways of asking
are measured, as the hub asks them (verify/factchecks.py):

- text:  a query text embedded with `embed_queries` (POST /api/v1/fact-checks/match, `tabadol
         factcheck match`, the fact checks of POST /api/v1/verify);
- item:  an incoming item, by the vector the enrichment already made of it (`embed_passages` of
         `embedding_text`: headline and lead), here the article's text in the query's language.

Each query is asked twice: with every claim stored (a match: the answer must be its article's
claim) and with its article's claim taken out (no match: anything answered is a false alarm; the
same-subject distractor stays, so this is the hard case). An item's lead states the article's second
sentence too, so for items either claim of the article is right and the no-match case takes out
both. For each threshold on the reranked score the table gives the share of the first kind answered
correctly (recall), the share of the second kind answered at all (false alarms), and precision over
every answer given.

FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tabadol.enrich.embed import default_embedder, embedding_text
from tabadol.verify.claim_match import (
    RETRIEVAL_DEPTH,
    Candidate,
    ClaimText,
    _cached_embed,
    _read_articles,
    build_claim_set,
    describe_claim,
    rerank,
)

DEFAULT_ARTICLES = Path(__file__).resolve().parents[1] / "src/tabadol/demo/data/flores/dev.jsonl"
THRESHOLDS = [round(0.80 + 0.01 * n, 2) for n in range(16)]


def best(
    similarities: np.ndarray, query: ClaimText, claims: Sequence[ClaimText], excluded: frozenset[int]
) -> tuple[int, float] | None:
    """The reranked top claim (index, score) among the embedding's nearest, leaving some out."""
    order = [int(i) for i in np.argsort(-similarities, kind="stable") if int(i) not in excluded]
    candidates = [Candidate(i, claims[i], float(similarities[i])) for i in order[:RETRIEVAL_DEPTH]]
    ranked = rerank(query, candidates)
    return (ranked[0].payload, ranked[0].score) if ranked else None


def measure(
    name: str,
    query_vectors: np.ndarray,
    claim_vectors: np.ndarray,
    claim_set: object,
    query_texts: Sequence[str],
    whole_article: bool,
) -> None:
    """`whole_article`: the query holds the article's lead, which states the distractor (its second
    sentence) too, so either claim of the article is a right answer, and the no-match case takes out
    both."""
    claims = claim_set.claims  # type: ignore[attr-defined]
    queries = claim_set.queries  # type: ignore[attr-defined]
    described = [describe_claim(c.text, c.language) for c in claims]
    target_of = {c.article: n for n, c in enumerate(claims) if c.is_target}
    of_article: dict[str, frozenset[int]] = {}
    for n, c in enumerate(claims):
        of_article[c.article] = of_article.get(c.article, frozenset()) | {n}
    positives: list[tuple[bool, float]] = []
    negatives: list[float] = []
    similarities = query_vectors @ claim_vectors.T
    for row, query in enumerate(queries):
        text = describe_claim(query_texts[row], query.language)
        right = of_article[query.article] if whole_article else frozenset({target_of[query.article]})
        found = best(similarities[row], text, described, frozenset())
        if found is not None:
            positives.append((found[0] in right, found[1]))
        other = best(similarities[row], text, described, right)
        if other is not None:
            negatives.append(other[1])
    print(f"\n{name}: {len(queries)} queries, {len(claims)} claims")
    print("threshold  recall  false_alarms  precision")
    for threshold in THRESHOLDS:
        right = sum(1 for ok, score in positives if ok and score >= threshold)
        wrong = sum(1 for ok, score in positives if not ok and score >= threshold)
        alarms = sum(1 for score in negatives if score >= threshold)
        answered = right + wrong + alarms
        precision = right / answered if answered else 1.0
        print(
            f"{threshold:9.2f}  {right / len(positives):6.3f}  {alarms / len(negatives):12.3f}"
            f"  {precision:9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tabadol-cache"))
    args = parser.parse_args()
    embedder = default_embedder()
    claim_set = build_claim_set(args.articles)
    model = embedder.model_id
    claim_texts = [embedding_text("", c.text) for c in claim_set.claims]
    claim_vectors = _cached_embed(claim_texts, embedder.embed_passages, args.cache, f"{model}:fc-passage")
    query_texts = [q.text for q in claim_set.queries]
    text_vectors = _cached_embed(query_texts, embedder.embed_queries, args.cache, f"{model}:fc-query")
    measure("text (embed_queries)", text_vectors, claim_vectors, claim_set, query_texts, False)
    articles = {str(a["article_id"]): a["text"] for a in _read_articles(args.articles)}
    item_texts = [embedding_text("", articles[q.article][q.language]) for q in claim_set.queries]
    item_vectors = _cached_embed(item_texts, embedder.embed_passages, args.cache, f"{model}:fc-item")
    measure(
        "item (embed_passages of headline and lead)", item_vectors, claim_vectors, claim_set, item_texts, True
    )


if __name__ == "__main__":
    main()
