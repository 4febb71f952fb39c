"""Story clustering through the real hub: the FLORES articles ingested as eight members' wires in one
shuffled stream, enriched by the job queue with the default pipeline, clustered by the index stage over
the store; B-cubed precision/recall/F1 of the stories per language. Prints numbers, asserts nothing.

    .venv/bin/python bench/quality_hub.py [--flores PATH] [--seed N] [--limit N] [--database URL]

This is the production path end to end (ingest, job queue, pipeline with entities and topics, vectors in
the store, the storage-backed index stage); `quality_stories.py` measures the same decision in memory.
FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_stories import (  # noqa: E402
    DEFAULT_FLORES,
    DEFAULT_SEED,
    LANGUAGES,
    Scores,
    bcubed,
    read_articles,
    shuffled_stream,
    stream_items,
)
from tabadol.config import Settings  # noqa: E402
from tabadol.enrich.service import EnrichmentService  # noqa: E402
from tabadol.hub import create_hub  # noqa: E402
from tabadol.serialize import format_datetime  # noqa: E402

MEMBERS = {
    "fa": ("irna", "IR"),
    "ar": ("sana", "SY"),
    "ru": ("tass", "RU"),
    "az": ("azertac", "AZ"),
    "kk": ("kazinform", "KZ"),
    "tk": ("tdh", "TM"),
    "tr": ("aa", "TR"),
    "en": ("caspian-en", "AZ"),
}


def run(flores: Path, seed: int, limit: int | None, database_url: str | None) -> dict[str, Scores]:
    articles = read_articles(flores)[:limit] if limit else read_articles(flores)
    items = stream_items(articles)
    order, times = shuffled_stream(items, seed)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/quality.sqlite3"
        hub = create_hub(Settings.from_env({"TABADOL_DATABASE_URL": url, "TABADOL_DATA_DIR": folder}))
        try:
            for language, (code, country) in MEMBERS.items():
                hub.add_member(code, {"en": code.upper()}, country, [language])
            started = time.perf_counter()
            ids: dict[str, str] = {}
            for item in order:
                document = {
                    "uri": f"urn:flores:{item.item_id}",
                    "type": "text",
                    "language": item.language,
                    "versionCreated": format_datetime(times[item.item_id]),
                    "headlines": [{"role": "main", "value": item.headline}],
                    "bodies": [
                        {"role": "main", "contentType": "text/plain", "value": item.body or item.headline}
                    ],
                }
                member = MEMBERS[item.language][0]
                payload = json.dumps(document).encode()
                report = hub.ingest_payload(member, payload, "application/ninjs+json", via="cli")
                ids[item.item_id] = report.outcomes[0].item_id
            ingested = time.perf_counter()
            worker = EnrichmentService(hub.storage).worker(batch_size=32)
            worker.drain()
            enriched = time.perf_counter()
            stories = hub.storage.story_ids_of(list(ids.values()))
        finally:
            hub.close()
    print(
        f"{len(items)} items: ingest {ingested - started:.1f} s, enrichment and clustering "
        f"{enriched - ingested:.1f} s ({len(items) / (enriched - ingested):.1f} items/s)"
    )
    clusters = {item.item_id: stories.get(ids[item.item_id], f"none:{item.item_id}") for item in items}
    truth = {item.item_id: item.article_id for item in items}
    scores = {
        language: bcubed(clusters, truth, [i.item_id for i in items if i.language == language])
        for language in LANGUAGES
    }
    scores["all"] = bcubed(clusters, truth, [i.item_id for i in items])
    print(f"stories: {len(set(clusters.values()))} for {len(articles)} articles")
    return scores


def print_scores(scores: dict[str, Scores]) -> None:
    print(f"{'language':<10}{'precision':>10}{'recall':>10}{'F1':>8}{'items':>7}")
    for language, s in scores.items():
        print(f"{language:<10}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>8.4f}{s.items:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", type=Path, default=DEFAULT_FLORES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--database", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    print_scores(run(args.flores, args.seed, args.limit, args.database))


if __name__ == "__main__":
    main()
