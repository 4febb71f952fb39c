"""Latency of the portal's pages at 100,000 stored items, on SQLite and PostgreSQL: prints numbers,
asserts nothing.

    .venv/bin/python bench/portal.py [--backend sqlite|postgres|both] [--items 100000]
        [--requests 40] [--seed 7] [--demo DIR] [--cache DIR] [--rebuild]

Measured, each `--requests` times after one warm-up request (p50, p95, max):
- home:          GET /{lang}/ (the day's stories ranked by corroboration, by topic and country), in
                 en, fa and ru in turn;
- story:         GET /{lang}/story/{id} of a random story of the last two days (side-by-side versions,
                 timeline, signatures);
- search page:   GET /{lang}/search?q=... (words and meaning), a query made of two or three words of a
                 stored sentence, in its language;
- search query:  the search page's query alone (pages/search_data.search: word match, the query's
                 embedding and nearest neighbours, facets, the page of hits), without rendering; in
                 "both" mode and in "words" mode (no embedding), on other queries than the page's
                 (whose embeddings the process remembers);
- topic page:    GET /en/topic/{code} (the newest items of the topic and its narrower topics), for the
                 topic most items have and for the one fewest have (the store's item facets decide
                 which; the counts are printed): a common topic is found by reading the items newest
                 first, a rare one from the facet index (storage/facets.py);
- country page:  GET /en/country/{iso} for the Caspian country most items name and for the country
                 fewest items name;
- country index: GET /en/countries (every country with its count of readable items);
- item page:     GET /en/item/{id} of a random item of the last two days (provenance, versions,
                 related items, topics and countries);
- digest page:   GET /{lang}/digest (today's ranked stories), in en, fa and ru in turn.
Pages are requested in-process through the whole application (FastAPI, middleware, templates; an
ASGI test client, no network), with the clock set just after the newest item.
Targets: p95 < 200 ms for pages, < 50 ms for the search query.

The store (what is loaded, exactly):
1. the items and their vectors of bench/verify_latency.py (its builder and its cache, shared): real
   FLORES-200 sentences in the eight languages through the real ingest path, one a minute from
   2026-01-01 (100,000 items span 69 days), six members, a vector per item;
2. stories, as the enrichment's index stage stores them (`stories`, `story_items`): an item joins the
   story of the items of the same FLORES article (for a random combination of sentences: the article
   of its headline) that arrived in the same three hours, so the same article reported in several
   languages by several members is one cross-lingual story, and most stories have one to three items;
3. the `topics` and `entities` enrichment rows of every item (the two the public pages group by),
   copied from the really enriched demo (`tabadol demo`, then `tabadol enrich --wait`): each item
   gets the rows the pipeline made for the same article in the same language. The other components'
   rows (language, dates, numbers, normalised text, embedding record) are not loaded: no page reads
   them, and the search text is written by ingest;
4. the item facets derived from those rows (`item_facets`, migration 16: topics and countries), by
   the migration's own backfill, as the enrichment would have written them with the rows. A cached
   store made before a migration gets it when opened: the bench migrates it first and prints the
   migrations applied and how long they took (migration 16 at 100,000 items: the facets backfilled
   from the enrichment rows in about 7 s on SQLite, 22 s on PostgreSQL).
The enriched demo is built once into `--demo` (default bench/.cache/portal-demo; minutes of CPU). The
loaded store is cached beside verify_latency's (a copy of it plus 2. to 4.), so a re-run skips all
building; `--rebuild` builds the portal's copy again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from starlette.datastructures import QueryParams  # noqa: E402

import verify_latency as store_builder  # noqa: E402
from tabadol.enrich.embed import default_embedder  # noqa: E402
from tabadol.hub import Hub  # noqa: E402
from tabadol.storage import index as index_rows  # noqa: E402
from tabadol.storage import open_storage  # noqa: E402
from tabadol.storage import schema as t  # noqa: E402
from tabadol.storage.migrations import v016_item_facets  # noqa: E402
from tabadol.web.app import create_app  # noqa: E402
from tabadol.web.portal.languages import LANGUAGES  # noqa: E402
from tabadol.web.portal.pages.public_places import CASPIAN  # noqa: E402
from tabadol.web.portal.pages.search import read_form  # noqa: E402
from tabadol.web.portal.pages.search_data import search  # noqa: E402

CACHE = store_builder.CACHE
DEMO = CACHE / "portal-demo"
PAGE_COMPONENTS = ("topics", "entities")
BATCH = 5000
# Bumped whenever the way the portal's additions are made changes, so an older copy is not reused.
PORTAL_FORMAT = 2
HOME_LANGUAGES = ("en", "fa", "ru")
# Items of one article within this window form a story: with ~127 articles and an item a minute, most
# stories get one to three items, some more, as on a real wire.
STORY_WINDOW_MINUTES = 180


# -- the enriched demo -----------------------------------------------------------------------------


def enriched_demo(folder: Path) -> Path:
    """The demo's SQLite database after `tabadol demo` and `tabadol enrich --wait` (built if absent)."""
    database = folder / "tabadol.sqlite3"
    if (folder / "ready").exists():
        return database
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "TABADOL_DATA_DIR": str(folder), "TABADOL_DATABASE_URL": f"sqlite:///{database}"}
    started = time.perf_counter()
    for args in (("demo",), ("enrich", "--wait")):
        subprocess.run(
            [sys.executable, "-m", "tabadol", *args], env=env, check=True, stdout=subprocess.DEVNULL
        )
    (folder / "ready").write_text(f"built in {time.perf_counter() - started:.0f} s\n")
    print(f"  enriched demo built    {time.perf_counter() - started:8.0f} s   ({folder})")
    return database


def demo_rows(database: Path, flores: Path) -> dict[tuple[int, str], list[tuple[str, str, str]]]:
    """(FLORES article number, language) -> the demo's (component, version, data) rows for the pages.
    The demo's guids name the article by its id ("flores-004"), the bench's corpus by its line."""
    lines = [
        json.loads(line)["article_id"]
        for line in flores.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    number_of = {article_id: number for number, article_id in enumerate(lines)}
    found: dict[tuple[int, str], list[tuple[str, str, str]]] = {}
    marks = ",".join("?" * len(PAGE_COMPONENTS))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT i.guid, i.language, e.component, e.component_version, e.data FROM enrichments e "
            f"JOIN items i ON i.id = e.item_id WHERE i.guid LIKE '%:flores-%' AND e.component IN ({marks}) "
            "AND e.error IS NULL",
            PAGE_COMPONENTS,
        ).fetchall()
    for guid, language, component, version, data in rows:
        article = number_of[guid.rsplit(":", 1)[1]]
        found.setdefault((article, language), []).append((component, version, data))
    return found


# -- the portal's additions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded:
    stories: int
    multi_item_stories: int
    enrichment_rows: int
    items_with_rows: int
    seconds: float


def headline_article(corpus: store_builder.Corpus, spec: store_builder.ItemSpec) -> int:
    return spec.article if spec.article is not None else corpus.sentences[spec.sentence_ids[0]].article


def add_portal_data(
    hub: Hub,
    corpus: store_builder.Corpus,
    specs: list[store_builder.ItemSpec],
    rows: dict[tuple[int, str], list[tuple[str, str, str]]],
) -> Loaded:
    """Stories and the pages' enrichment rows for every stored item (see the module's docstring)."""
    started = time.perf_counter()
    now = store_builder.BASE_TIME + timedelta(minutes=len(specs))
    with hub.storage.index_transaction() as connection:
        ids = {
            int(guid.rsplit(":", 1)[1]): item_id
            for item_id, guid in connection.execute(
                select(t.items.c.id, t.items.c.guid).where(t.items.c.guid.like("urn:bench:verify:%"))
            )
        }
    groups: dict[tuple[int, int], list[tuple[str, datetime]]] = {}
    enrichments: list[dict[str, Any]] = []
    with_rows = 0
    for number, spec in enumerate(specs):
        item_id = ids[number]
        at = store_builder.BASE_TIME + timedelta(minutes=number)
        article = headline_article(corpus, spec)
        groups.setdefault((article, number // STORY_WINDOW_MINUTES), []).append((item_id, at))
        copied = rows.get((article, spec.language), [])
        with_rows += bool(copied)
        enrichments.extend(
            {
                "item_id": item_id,
                "component": component,
                "component_version": version,
                "item_version": 1,
                "data": data,
                "error": None,
                "updated_at": now,
            }
            for component, version, data in copied
        )
    stories: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for group in groups.values():
        story_id = index_rows.new_story_id()
        times = [at for _, at in group]
        stories.append(
            {
                "id": story_id,
                "created_at": min(times),
                "first_seen": min(times),
                "last_seen": max(times),
                "item_count": len(group),
                "merged_into": None,
                "updated_at": max(times),
            }
        )
        members.extend(
            {"item_id": item_id, "story_id": story_id, "score": 1.0, "joined_at": at} for item_id, at in group
        )
    for table, values in ((t.stories, stories), (t.story_items, members), (t.enrichments, enrichments)):
        for start in range(0, len(values), BATCH):
            with hub.storage.index_transaction() as connection:
                connection.execute(insert(table), values[start : start + BATCH])
    with hub.storage.index_transaction() as connection:  # the rows came in by the side door
        v016_item_facets.backfill(connection)
    return Loaded(
        stories=len(stories),
        multi_item_stories=sum(1 for group in groups.values() if len(group) > 1),
        enrichment_rows=len(enrichments),
        items_with_rows=with_rows,
        seconds=time.perf_counter() - started,
    )


# -- the store ----------------------------------------------------------------------------------------


@contextmanager
def portal_store(
    name: str, args: argparse.Namespace, corpus: store_builder.Corpus, digest: str
) -> Iterator[Hub]:
    """The hub on the portal's copy of verify_latency's store, built (and cached) if needed."""
    model = default_embedder().model_id
    key = store_builder._digest(store_builder.BUILD_FORMAT, name, args.items, args.seed, digest, model)
    source = args.cache / f"verify-latency-{name}-{key}"
    folder = args.cache / f"portal-{name}-{key}-{PORTAL_FORMAT}"
    specs = store_builder.item_specs(corpus, args.items, random.Random(args.seed))
    done = folder / "portal.json"
    if args.rebuild or not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        if in_use(source):  # a running PostgreSQL's files cannot be copied consistently
            build_items(name, folder, corpus, specs, digest)
        else:
            if not (source / "built.json").exists():
                build_items(name, source, corpus, specs, digest)
            started = time.perf_counter()
            shutil.copytree(source, folder)  # verify_latency's store stays as it is
            print(f"  copied the item store  {time.perf_counter() - started:8.0f} s   (from {source.name})")
        rows = demo_rows(enriched_demo(args.demo), args.flores)
        with store_builder.database(name, folder) as url:
            hub = store_builder.open_hub(url, folder)
            try:
                loaded = add_portal_data(hub, corpus, specs, rows)
            finally:
                hub.close()
        done.write_text(json.dumps(asdict(loaded)))
    summary = json.loads(done.read_text())
    several = summary["multi_item_stories"]
    print(
        f"  stories                {summary['stories']:8}   ({several} with several items)\n"
        f"  enrichment rows        {summary['enrichment_rows']:8}   (topics and entities of "
        f"{summary['items_with_rows']} items; loaded in {summary['seconds']:.0f} s)"
    )
    with store_builder.database(name, folder) as url:
        migrate(url)
        hub = store_builder.open_hub(url, folder)
        try:
            yield hub
        finally:
            hub.close()


def migrate(url: str) -> None:
    """Bring a cached store to the newest schema, saying what it took (a store cached before
    migration 16 gets its item facets here, from its enrichment rows)."""
    storage = open_storage(url)
    try:
        started = time.perf_counter()
        applied = storage.migrate()
    finally:
        storage.close()
    if applied:
        print(f"  migrated {applied}".ljust(25) + f"{time.perf_counter() - started:8.1f} s")


def in_use(folder: Path) -> bool:
    """A PostgreSQL server is running on the store's data directory (another bench is using it)."""
    return (folder / "pg" / "postmaster.pid").exists()


def build_items(
    name: str,
    folder: Path,
    corpus: store_builder.Corpus,
    specs: list[store_builder.ItemSpec],
    digest: str,
) -> None:
    """verify_latency's store, built as it builds it (and left where it looks for it)."""
    shutil.rmtree(folder, ignore_errors=True)
    with store_builder.database(name, folder) as url:
        hub = store_builder.open_hub(url, folder)
        try:
            vectors = store_builder.sentence_vectors(corpus, default_embedder(), folder.parent, digest)
            started = time.perf_counter()
            store_builder.build_store(hub, corpus, specs, vectors)
            built = time.perf_counter() - started
        finally:
            hub.close()
    (folder / "built.json").write_text(json.dumps({"items": len(specs), "build_seconds": round(built, 1)}))
    print(f"  item store built       {built:8.0f} s   ({len(specs)} items, ingest + vectors)")


# -- measuring --------------------------------------------------------------------------------------


def timed(label: str, count: int, call: Callable[[int], Any]) -> None:
    call(-1)  # warm-up: templates compiled, the model and (SQLite) the vector index loaded
    delays = []
    for number in range(count):
        began = time.perf_counter()
        call(number)
        delays.append(time.perf_counter() - began)
    p50, p95 = store_builder.quantiles(delays)
    print(f"  {label:22} {len(delays):6}   {p50 * 1000:6.0f}   {p95 * 1000:6.0f}   {max(delays) * 1000:6.0f}")


def recent_stories(hub: Hub, since: datetime, count: int, rng: random.Random) -> list[str]:
    with hub.storage.index_transaction() as connection:
        found = [
            row.id
            for row in connection.execute(
                select(t.stories.c.id).where(
                    t.stories.c.last_seen >= since, t.stories.c.merged_into.is_(None)
                )
            )
        ]
    return rng.sample(sorted(found), min(count, len(found)))


def search_queries(
    corpus: store_builder.Corpus, specs: list[store_builder.ItemSpec], count: int, rng: random.Random
) -> list[tuple[str, str]]:
    """(language, two or three consecutive words of a stored item's sentence)."""
    queries: list[tuple[str, str]] = []
    while len(queries) < count:
        spec = rng.choice(specs)
        words = [
            w.strip(".,;:!?«»\"'()") for w in corpus.sentences[rng.choice(spec.sentence_ids)].text.split()
        ]
        words = [w for w in words if len(w) > 3]
        if len(words) >= 3:
            start = rng.randrange(len(words) - 2)
            queries.append((spec.language, " ".join(words[start : start + rng.randint(2, 3)])))
    return queries


def measure(
    hub: Hub, corpus: store_builder.Corpus, specs: list[store_builder.ItemSpec], args: argparse.Namespace
) -> None:
    now = store_builder.BASE_TIME + timedelta(minutes=len(specs), seconds=30)
    rng = random.Random(args.seed + 2)
    stories = recent_stories(hub, now - timedelta(days=2), args.requests + 1, rng)
    queries = search_queries(corpus, specs, args.requests + 1, rng)
    app = create_app(hub, clock=lambda: now, translator=None)
    print("  what                   count   p50 ms   p95 ms   max ms")
    with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:

        def get(path: str) -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

        timed("home page", args.requests, lambda n: get(f"/{HOME_LANGUAGES[n % len(HOME_LANGUAGES)]}/"))
        timed("story page", args.requests, lambda n: get(f"/en/story/{stories[n]}"))
        timed(
            "search page",
            args.requests,
            lambda n: client.get(f"/{queries[n][0]}/search", params={"q": queries[n][1]}).raise_for_status(),
        )
        # Not the page's queries: their embeddings are remembered now (enrich.embed.query_vector), and
        # the query alone is measured as a new search.
        queries = search_queries(corpus, specs, args.requests + 1, random.Random(args.seed + 3))
        members = hub.storage.list_members()
        for mode in ("both", "words"):
            forms = [read_form(QueryParams({"q": q, "mode": mode}))[0] for _, q in queries]

            def query(n: int, forms: list[Any] = forms) -> None:
                search(hub, forms[n], LANGUAGES[queries[n][0]], now, members)

            timed(f"search query ({mode})", args.requests, query)
        facet_pages(hub, now, args.requests, rng, get)


def facet_pages(hub: Hub, now: datetime, count: int, rng: random.Random, get: Callable[[str], None]) -> None:
    """The pages that list or count items by topic or country, the item page and the digest page."""
    topics = hub.storage.facet_counts("topic", now)
    countries = hub.storage.facet_counts("country", now)
    common, rare = max(topics, key=topics.__getitem__), min(topics, key=topics.__getitem__)
    caspian = max(CASPIAN, key=lambda code: countries.get(code, 0))
    scarce = min(countries, key=countries.__getitem__)
    print(
        f"  (topics {common} in {topics[common]} items, {rare} in {topics[rare]}; countries "
        f"{caspian} in {countries.get(caspian, 0)}, {scarce} in {countries[scarce]})"
    )
    for label, code in (("common", common), ("rare", rare)):
        timed(f"topic page ({label})", count, lambda n, code=code: get(f"/en/topic/{code.split(':')[1]}"))
    for label, code in (("Caspian", caspian), ("rare", scarce)):
        timed(f"country page ({label})", count, lambda n, code=code: get(f"/en/country/{code}"))
    timed("country index", count, lambda n: get("/en/countries"))
    items = recent_items(hub, now - timedelta(days=2), count + 1, rng)
    timed("item page", count, lambda n: get(f"/en/item/{items[n]}"))
    timed("digest page", count, lambda n: get(f"/{HOME_LANGUAGES[n % len(HOME_LANGUAGES)]}/digest"))


def recent_items(hub: Hub, since: datetime, count: int, rng: random.Random) -> list[str]:
    with hub.storage.index_transaction() as connection:
        found = list(
            connection.execute(select(t.items.c.id).where(t.items.c.version_created >= since)).scalars()
        )
    return rng.sample(sorted(found), min(count, len(found)))


# -- running ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--flores", type=Path, default=store_builder.FLORES)
    parser.add_argument(
        "--demo", type=Path, default=DEMO, help="where the enriched demo is (built if absent)"
    )
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--rebuild", action="store_true", help="load the portal's copy of the store again")
    args = parser.parse_args()
    corpus = store_builder.read_corpus(args.flores)
    digest = hashlib.sha256(args.flores.read_bytes()).hexdigest()
    print(f"tabadol portal latency: {os.cpu_count()} CPUs, {args.items} items, {args.requests} requests each")
    specs = store_builder.item_specs(corpus, args.items, random.Random(args.seed))
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        print(f"[{name}]")
        with portal_store(name, args, corpus, digest) as hub:
            print(f"  items stored           {hub.storage.count_items():8}")
            measure(hub, corpus, specs, args)


if __name__ == "__main__":
    main()
