"""Story clustering and cross-lingual retrieval on FLORES articles: prints numbers, asserts nothing.

    .venv/bin/python bench/quality_stories.py [--flores PATH] [--seed N] [--seeds N]

bench/quality.py calls `story_report(path)` and `retrieval_report(path)` and prints them with
`print_story_report` and `print_retrieval_report`.

(a) Stories: every article in all eight languages is one member's wire (141 articles x 8 languages on
the shared set), all in one shuffled stream received over `STREAM_HOURS` hours, clustered online by
`tabadol.index.stories.StoryIndex`. Reported: B-cubed precision, recall and F1 per language (over the
items of that language, each judged against its whole cluster) and overall. Target (issue 3): F1 >= 0.95
in every language.
(b) Retrieval: for each pair of languages X -> Y, is the nearest Y article (cosine of the embeddings)
of an X article the same article? Reported per source language (averaged over the seven targets), with
the X -> en and en -> X figures.

An article has no headline: its first sentence is used as the headline and the rest as the body, and the
embedded text is `embedding_text(headline, body)`, as for a real item. Each item's features are what the
hub derives: numbers (enrich/numbers.py), day-precision dates (enrich/dates.py), name keys
(`index.stories.name_keys`) and, when `tabadol.enrich.entities` is present and works, entity ids.
Embeddings and entity ids are cached under /tmp/tabadol-cache/stories (keyed by the model or component
version and the texts), never in the repository.

FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from tabadol.enrich.dates import extract_dates
from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import Embedder, default_embedder, embedding_text
from tabadol.enrich.numbers import extract_numbers
from tabadol.index.stories import StoryFeatures, StoryIndex, StoryParams, name_keys

DEFAULT_FLORES = Path("/work/shared/data/flores_articles/dev.jsonl")
CACHE_DIR = Path("/tmp/tabadol-cache/stories")
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
STREAM_START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
STREAM_HOURS = 8.0
DEFAULT_SEED = 20261123
# The first sentence ends at . ! ? … or the Arabic question mark, after optional closing quotes.
_FIRST_SENTENCE_END = re.compile(r"(?<=[.!?…؟])[\"'»”’)\]]*\s+")


@dataclass(frozen=True)
class Article:
    article_id: str
    texts: dict[str, str]


@dataclass(frozen=True)
class StreamItem:
    item_id: str
    article_id: str
    language: str
    headline: str
    body: str


def read_articles(path: Path) -> list[Article]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Article(row["article_id"], row["text"]) for row in rows]


def headline_and_body(text: str) -> tuple[str, str]:
    parts = _FIRST_SENTENCE_END.split(text.strip(), maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def stream_items(articles: Sequence[Article]) -> list[StreamItem]:
    items = []
    for article in articles:
        for language in LANGUAGES:
            text = article.texts.get(language)
            if text:
                headline, body = headline_and_body(text)
                items.append(
                    StreamItem(
                        f"{language}:{article.article_id}", article.article_id, language, headline, body
                    )
                )
    return items


# -- embeddings, cached ---------------------------------------------------------------------------


def embed_items(items: Sequence[StreamItem], embedder: Embedder | None = None) -> dict[str, np.ndarray]:
    """Passage vectors of every item's headline and lead, from the cache when it has them."""
    model = embedder or default_embedder()
    texts = [embedding_text(item.headline, item.body) for item in items]
    key = hashlib.sha256(json.dumps([model.model_id, texts], ensure_ascii=False).encode()).hexdigest()[:24]
    path = CACHE_DIR / f"{key}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = model.embed_passages(texts)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return {item.item_id: vectors[i] for i, item in enumerate(items)}


# -- entity ids, when the recognizer is there -----------------------------------------------------


def entity_ids(items: Sequence[StreamItem]) -> dict[str, tuple[str, ...]] | None:
    """The entity recognizer's ids for every item (cached like the embeddings), or None if
    `tabadol.enrich.entities` is absent or fails: the benchmark then runs without entities."""
    try:
        module = importlib.import_module("tabadol.enrich.entities")
        component = module.EntityComponent()
        texts = [f"{item.headline}\n\n{item.body}" for item in items]
        key = hashlib.sha256(json.dumps([component.version, texts], ensure_ascii=False).encode()).hexdigest()
        path = CACHE_DIR / f"entities-{key[:24]}.json"
        if path.exists():
            cached: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
            return {item_id: tuple(ids) for item_id, ids in cached.items()}
        docs = [
            Doc(item.item_id, item.headline, item.body, STREAM_START, item.language, language=item.language)
            for item in items
        ]
        found = {doc.id: tuple(dict.fromkeys(e.id for e in doc.entities)) for doc in component.process(docs)}
    except Exception as error:  # noqa: BLE001 - absent or unusable: the benchmark runs without entities
        print(f"(entities not used: {error!r})")
        return None
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    return found


# -- (a) story clustering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    items: int


@dataclass(frozen=True)
class StoryReport:
    per_language: dict[str, Scores]
    overall: Scores
    stories: int
    articles: int
    merges: int
    with_entities: bool


def features_for(
    items: Sequence[StreamItem],
    vectors: dict[str, np.ndarray],
    times: dict[str, datetime],
    entities: dict[str, tuple[str, ...]] | None,
) -> list[StoryFeatures]:
    out = []
    for item in items:
        text = f"{item.headline}\n\n{item.body}"
        when = times[item.item_id]
        dates: tuple[date, ...] = tuple(
            dict.fromkeys(d.date for d in extract_dates(text, item.language, when) if d.precision == "day")
        )
        out.append(
            StoryFeatures(
                item_id=item.item_id,
                member=f"agency-{item.language}",
                language=item.language,
                time=when,
                vector=vectors[item.item_id],
                numbers=extract_numbers(text, item.language),
                entity_ids=entities.get(item.item_id, ()) if entities else (),
                dates=dates,
                names=name_keys(text, item.language),
            )
        )
    return out


def shuffled_stream(items: Sequence[StreamItem], seed: int) -> tuple[list[StreamItem], dict[str, datetime]]:
    """Items in a random order, received at random times over `STREAM_HOURS` hours (in that order)."""
    rng = random.Random(seed)
    order = list(items)
    rng.shuffle(order)
    offsets = sorted(rng.uniform(0, STREAM_HOURS * 3600) for _ in order)
    return order, {
        item.item_id: STREAM_START + timedelta(seconds=s) for item, s in zip(order, offsets, strict=True)
    }


def bcubed(clusters: dict[str, str], truth: dict[str, str], items: Sequence[str]) -> Scores:
    """B-cubed precision and recall of `items`, each judged against its whole cluster and class."""
    cluster_members: dict[str, list[str]] = defaultdict(list)
    class_members: dict[str, list[str]] = defaultdict(list)
    for item_id, cluster in clusters.items():
        cluster_members[cluster].append(item_id)
        class_members[truth[item_id]].append(item_id)
    precision = recall = 0.0
    for item_id in items:
        same_cluster = cluster_members[clusters[item_id]]
        correct = sum(1 for other in same_cluster if truth[other] == truth[item_id])
        precision += correct / len(same_cluster)
        recall += correct / len(class_members[truth[item_id]])
    n = len(items)
    p, r = (precision / n, recall / n) if n else (float("nan"), float("nan"))
    return Scores(p, r, 2 * p * r / (p + r) if p + r else 0.0, n)


def story_report(
    flores: Path = DEFAULT_FLORES,
    seed: int = DEFAULT_SEED,
    params: StoryParams | None = None,
    articles: Sequence[Article] | None = None,
    use_entities: bool = True,
) -> StoryReport:
    chosen = list(articles) if articles is not None else read_articles(flores)
    items = stream_items(chosen)
    vectors = embed_items(items)
    order, times = shuffled_stream(items, seed)
    entities = entity_ids(items) if use_entities else None
    index = StoryIndex(params or StoryParams())
    merges = 0
    for features in features_for(order, vectors, times, entities):
        merges += len(index.add(features).merge_story_ids)
    clusters = {item.item_id: index.story_of(item.item_id) for item in items}
    truth = {item.item_id: item.article_id for item in items}
    per_language = {
        language: bcubed(clusters, truth, [i.item_id for i in items if i.language == language])
        for language in LANGUAGES
    }
    overall = bcubed(clusters, truth, [i.item_id for i in items])
    return StoryReport(per_language, overall, len(index.stories()), len(chosen), merges, entities is not None)


# -- (b) cross-lingual retrieval ------------------------------------------------------------------


@dataclass(frozen=True)
class RetrievalReport:
    """(source, target) -> accuracy, on raw vectors and on language-centred vectors (each language's
    mean vector over the set taken away, as `Background.centre` does with the stream's centroids)."""

    matrix: dict[tuple[str, str], float]
    centred: dict[tuple[str, str], float]

    def from_language(self, source: str, centred: bool = False) -> float:
        table = self.centred if centred else self.matrix
        return float(np.mean([table[(source, t)] for t in LANGUAGES if t != source]))

    def to_language(self, target: str, centred: bool = False) -> float:
        table = self.centred if centred else self.matrix
        return float(np.mean([table[(s, target)] for s in LANGUAGES if s != target]))


def _accuracy_matrix(by_language: dict[str, np.ndarray]) -> dict[tuple[str, str], float]:
    matrix = {}
    for source in LANGUAGES:
        for target in LANGUAGES:
            if source != target:
                nearest = (by_language[source] @ by_language[target].T).argmax(axis=1)
                matrix[(source, target)] = float((nearest == np.arange(len(nearest))).mean())
    return matrix


def _centred(vectors: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


def retrieval_report(flores: Path = DEFAULT_FLORES) -> RetrievalReport:
    articles = [a for a in read_articles(flores) if all(a.texts.get(lang) for lang in LANGUAGES)]
    items = stream_items(articles)
    vectors = embed_items(items)
    by_language = {
        lang: np.stack([vectors[f"{lang}:{a.article_id}"] for a in articles]) for lang in LANGUAGES
    }
    centred = {lang: _centred(v) for lang, v in by_language.items()}
    return RetrievalReport(_accuracy_matrix(by_language), _accuracy_matrix(centred))


# -- printing -------------------------------------------------------------------------------------


def print_story_report(report: StoryReport, label: str = "") -> None:
    print(
        f"Stories{label}: {report.articles} articles, {report.overall.items} items"
        f" -> {report.stories} stories, "
        f"{report.merges} merges, entities {'used' if report.with_entities else 'not available'}"
    )
    print(f"{'lang':6}{'items':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for language, s in [*report.per_language.items(), ("all", report.overall)]:
        print(f"{language:6}{s.items:7d}{s.precision:8.3f}{s.recall:8.3f}{s.f1:8.3f}")


def print_retrieval_report(report: RetrievalReport) -> None:
    print("Cross-lingual retrieval accuracy (is the nearest article by cosine the same article?)")
    print("raw vectors | language-centred vectors")
    header = f"{'X->any':>8}{'any->X':>8}{'X->en':>8}{'en->X':>8}"
    print(f"{'lang':6}{header} |{header}")
    for lang in LANGUAGES:
        cells = []
        for table, centred in ((report.matrix, False), (report.centred, True)):
            to_en = table.get((lang, "en"), float("nan"))
            from_en = table.get(("en", lang), float("nan"))
            cells.append(
                f"{report.from_language(lang, centred):8.3f}{report.to_language(lang, centred):8.3f}"
                f"{to_en:8.3f}{from_en:8.3f}"
            )
        print(f"{lang:6}{cells[0]} |{cells[1]}")


def print_robustness(flores: Path, seed: int, runs: int) -> None:
    """Other shuffles of the full set, and of random halves of it: the figures should barely move."""
    articles = read_articles(flores)
    for run in range(1, runs):
        half = random.Random(seed + run).sample(articles, len(articles) // 2)
        for label, chosen in (("all", articles), ("half", half)):
            report = story_report(flores, seed + run, articles=chosen)
            worst = min(report.per_language, key=lambda k: report.per_language[k].f1)
            print(
                f"seed {seed + run} {label:4}: F1 overall {report.overall.f1:.3f}, "
                f"lowest {worst} {report.per_language[worst].f1:.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flores", type=Path, default=DEFAULT_FLORES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--seeds", type=int, default=3, help="runs in all, the others for robustness")
    args = parser.parse_args()
    print_story_report(story_report(args.flores, args.seed))
    print_robustness(args.flores, args.seed, args.seeds)
    print()
    print_retrieval_report(retrieval_report(args.flores))


if __name__ == "__main__":
    main()
