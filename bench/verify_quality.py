"""Tamper-check quality and latency: prints numbers, asserts nothing.

    .venv/bin/python bench/verify_quality.py [--flores PATH] [--stored 100] [--seed 7] [--cache DIR]

Quality: the first `--stored` FLORES articles are stored through a real hub (SQLite), each in two of the
eight languages, and enriched with the default embedding. Queries are derived from them, one class each:
- exact:       a sentence from inside a stored text (a quote), and the whole text      -> verbatim
- truncated:   the first 60% of a stored text                                        -> verbatim
- number:      a stored text with one digit changed                                  -> altered
- name:        a stored text with one capitalised / longest word replaced            -> altered
- negation:    a stored text with a negation word of its language inserted            -> altered
- translation: the article in a third language, not stored                           -> translation
- unrelated:   articles not stored at all, in any language                           -> unknown
For each class: recall (the expected answer naming the right item) and, for each answer, precision over
all queries. Targets: >= 0.98 on exact and altered, >= 0.95 on translations.

Latency: p50/p95 of one `check_text` over the same queries, at this store's size (the embedding of
the query text is most of it; bench/verify_latency.py measures it at 100,000 stored items).

Claim matching: the claim set is derived from the same articles (`claim_match.build_claim_set`: each
article's first sentence in one language as the reviewed claim, its second sentence in another as a
same-subject distractor, the first sentence in the seven other languages as queries); recall@1 and
recall@5 of the right claim, by embedding retrieval alone and after the reranker, overall and per query
language. Query and claim vectors are cached in `--cache` (never in the repository's tracked files).

FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import tabadol.demo
from tabadol.config import Settings
from tabadol.enrich.service import EnrichmentService
from tabadol.hub import Hub, create_hub
from tabadol.verify.claim_match import evaluate_claim_matching
from tabadol.verify.compare import negations
from tabadol.verify.tamper import check_text

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
CACHE = Path(__file__).resolve().parent / ".cache"
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
ANSWERS = ("verbatim", "altered", "translation", "unknown")
EXPECTED = {
    "exact": "verbatim",
    "truncated": "verbatim",
    "number": "altered",
    "name": "altered",
    "negation": "altered",
    "translation": "translation",
    "unrelated": "unknown",
}


def read_articles(path: Path) -> list[dict[str, str]]:
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def open_hub(folder: str) -> Hub:
    hub = create_hub(
        Settings.from_env(
            {"TABADOL_DATABASE_URL": f"sqlite:///{folder}/v.sqlite3", "TABADOL_DATA_DIR": folder}
        )
    )
    hub.add_member("desk", {"en": "Desk"}, "AZ", list(LANGUAGES))
    return hub


def push(hub: Hub, guid: str, text: str, language: str) -> str:
    headline, _, body = text.partition(". ")
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body or headline}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("desk", data, "application/ninjs+json", via="bench").outcomes[0].item_id


def sentences(text: str) -> list[str]:
    return [
        part.strip()
        for part in text.replace("؟", ".").replace("!", ".").split(". ")
        if len(part.split()) >= 6
    ]


def change_digit(text: str, rng: random.Random) -> str | None:
    positions = [i for i, char in enumerate(text) if char.isdigit()]
    if not positions:
        return None
    at = rng.choice(positions)
    digit = int(text[at]) if text[at].isascii() else 0
    return text[:at] + str((digit + rng.randint(1, 8)) % 10) + text[at + 1 :]


def change_name(text: str, rng: random.Random) -> str:
    words = text.split()
    named = [i for i, word in enumerate(words) if i and word[:1].isupper() and word.isalpha()]
    at = rng.choice(named) if named else max(range(len(words)), key=lambda i: len(words[i]))
    replacement = "Kowalczyk" if words[at].isascii() else "Мирзоев" if words[at][:1].isalpha() else "زارعی"
    words[at] = replacement
    return " ".join(words)


def add_negation(text: str, language: str, rng: random.Random) -> str:
    word = sorted(negations(language).words)[0]
    words = text.split()
    at = rng.randrange(1, len(words))
    return " ".join([*words[:at], word, *words[at:]])


def queries(
    articles: list[dict[str, str]], stored: int, rng: random.Random
) -> Iterator[tuple[str, str, str, int]]:
    """(class, text, language, article number; -1 for unrelated)."""
    for number in range(stored):
        first = LANGUAGES[number % 8]
        text = articles[number][first]
        inner = sentences(text)[1:] or [text]
        yield "exact", rng.choice(inner), first, number
        yield "exact", text, first, number
        yield "truncated", " ".join(text.split()[: max(6, int(len(text.split()) * 0.6))]), first, number
        changed = change_digit(text, rng)
        if changed is not None:
            yield "number", changed, first, number
        yield "name", change_name(text, rng), first, number
        yield "negation", add_negation(text, first, rng), first, number
        other = LANGUAGES[(number + 5) % 8]
        yield "translation", articles[number][other], other, number
    for number in range(stored, len(articles)):
        language = LANGUAGES[number % 8]
        yield "unrelated", articles[number][language], language, -1


def quality(flores: Path, stored: int, seed: int) -> None:
    articles = read_articles(flores)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        hub = open_hub(folder)
        article_of: dict[str, int] = {}
        for number in range(stored):
            for language in (LANGUAGES[number % 8], LANGUAGES[(number + 3) % 8]):
                article_of[
                    push(hub, f"urn:bench:{number}:{language}", articles[number][language], language)
                ] = number
        started = time.perf_counter()
        EnrichmentService(hub.storage).worker().drain()
        print(f"  ({len(article_of)} items stored and enriched in {time.perf_counter() - started:.0f} s)")
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        answered: Counter[str] = Counter()
        answered_right: Counter[str] = Counter()
        confusion: dict[str, Counter[str]] = defaultdict(Counter)
        delays = []
        for kind, text, language, number in queries(articles, stored, rng):
            began = time.perf_counter()
            answer = check_text(hub, text, language)
            delays.append(time.perf_counter() - began)
            correct_item = number == -1 or (
                answer.item is not None and article_of.get(answer.item.id) == number
            )
            ok = answer.verdict == EXPECTED[kind] and correct_item
            total[kind] += 1
            right[kind] += ok
            answered[answer.verdict] += 1
            answered_right[answer.verdict] += ok
            confusion[kind][answer.verdict] += 1
        hub.close()
    print("  class        queries  recall   answers given")
    for kind in EXPECTED:
        given = ", ".join(f"{verdict} {count}" for verdict, count in confusion[kind].most_common())
        print(f"  {kind:12} {total[kind]:7}  {right[kind] / max(total[kind], 1):6.3f}   {given}")
    print("  answer       given   precision")
    for verdict in ANSWERS:
        precision = answered_right[verdict] / max(answered[verdict], 1)
        print(f"  {verdict:12} {answered[verdict]:5}   {precision:6.3f}")
    q = statistics.quantiles(delays, n=100)
    print(
        f"  one check: p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms ({len(article_of)} items stored)"
    )


def claim_matching(flores: Path, cache: Path) -> None:
    report = evaluate_claim_matching(flores, cache)
    print(f"  ({report.claims} claims, {report.queries} queries)")
    print("  ranking          recall@1  recall@5")
    print(f"  embedding alone  {report.embedding_recall_at_1:8.3f}  {report.embedding_recall_at_5:8.3f}")
    print(f"  reranked         {report.recall_at_1:8.3f}  {report.recall_at_5:8.3f}")
    print("  query language   recall@1  recall@5  (reranked)")
    for language, (at_1, at_5) in report.by_language.items():
        print(f"  {language:16} {at_1:8.3f}  {at_5:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flores", type=Path, default=FLORES)
    parser.add_argument("--stored", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=CACHE, help="where claim-set vectors are cached")
    args = parser.parse_args()
    print("tamper check quality (FLORES-derived)")
    quality(args.flores, args.stored, args.seed)
    print("claim matching (FLORES-derived claim set)")
    claim_matching(args.flores, args.cache)


if __name__ == "__main__":
    sys.exit(main())
