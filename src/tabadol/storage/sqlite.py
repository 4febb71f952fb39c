"""SQLite backend: the embedded default (one file, no server).

Durability and concurrency settings, applied to every connection:
- WAL journal: readers never block the writer nor each other.
- synchronous=FULL: a commit is fsynced before it returns, so an acknowledged item survives a crash,
  SIGKILL or power loss (NORMAL could lose the last commits on power loss in WAL mode).
- foreign_keys=ON: SQLite does not enforce them otherwise.
- busy_timeout: another process holding the write lock makes us wait, not fail at once.

Left at SQLite's defaults on purpose: cache_size and temp_store (a 32 MiB cache and in-memory temp
storage made no measurable difference to batched ingest of 20,000 items, bench/ingest.py, and the
cache would be per pooled connection), and mmap_size (an I/O error on a mapped page kills the process
with SIGBUS instead of raising an error we can report).

One writer: a process-wide lock serialises write transactions, which begin with BEGIN IMMEDIATE so
the database write lock is taken before anything is read (no deadlock-prone lock upgrades between
processes sharing the file). Reads run concurrently in deferred transactions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Container, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import index
from tabadol.storage.index import Neighbour
from tabadol.storage.sql import SqlStorage
from tabadol.storage.vectors import InProcessVectorIndex
from tabadol.types import IndexEntry

BUSY_TIMEOUT_MS = 30_000
# Pooled connections. The API answers from a thread pool (40 threads by default) and every request
# reads (its API key, at least). SQLAlchemy's default (5 kept, 10 more at most) made readers queue
# for a connection: 30 threads reading one row took 555 us of CPU per read against 206 us with 40
# connections. Connections are opened only when needed, so a quiet hub holds few.
POOL_SIZE = 40
POOL_OVERFLOW = 20
_WRITE_OPTION = "tabadol_write"
_PRAGMAS = (
    # First, so that switching to WAL waits for another process's lock instead of failing.
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


def sqlite_path(database_url: str) -> Path:
    """The file behind sqlite:///PATH; in-memory databases are refused (each connection would get its own)."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise TabadolError(
            ErrorCode.CONFIG_INVALID,
            setting="TABADOL_DATABASE_URL",
            reason="SQLite needs a file: sqlite:///PATH/TO/tabadol.sqlite3",
        )
    return Path(database)


def _create_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control from the driver, so BEGIN (IMMEDIATE) and SAVEPOINT are ours.
        dbapi_connection.isolation_level = None
        for pragma in _PRAGMAS:
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class SQLiteStorage(SqlStorage):
    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TabadolError(
                ErrorCode.STORAGE_UNAVAILABLE, reason=f"cannot create {path.parent}: {exc}"
            ) from exc
        self.path = path
        self._writer = threading.Lock()
        super().__init__(_create_engine(path))

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self._writer, self._engine.connect() as connection:
            connection = connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def start_listening(self) -> None:
        """Nothing to do: SQLite has no cross-process signal (storage/signals.py)."""

    # -- vectors: searched in process (storage/vectors.py) ----------------------------------------
    def nearest(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[tuple[IndexEntry, float]]:
        vectors = self.memory_index()
        # Ask for a few more than needed: entries removed by another process are dropped below.
        found = vectors.search(vector, limit + 8, since, until, languages, exclude)
        entries = self.index_entries([item_id for item_id, _ in found])
        kept = _still_indexed(vectors, found, entries, limit)
        return [(entries[item_id], score) for item_id, score in kept]

    def neighbours(
        self,
        vector: Any,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[Neighbour]:
        vectors = self.memory_index()
        found = vectors.search(vector, limit + 8, since, until, languages, exclude)
        # Checked against the table by id and member only, not by reading whole entries.
        with self._read() as connection:
            members = index.live_members(connection, [item_id for item_id, _ in found])
        return [
            Neighbour(item_id, members[item_id], score)
            for item_id, score in _still_indexed(vectors, found, members, limit)
        ]


def _still_indexed(
    vectors: InProcessVectorIndex, found: Sequence[tuple[str, float]], present: Container[str], limit: int
) -> list[tuple[str, float]]:
    """The first `limit` of `found` whose entry the table still has; the others (removed by another
    process: a kill) leave the in-process index."""
    out: list[tuple[str, float]] = []
    for item_id, score in found:
        if item_id not in present:
            vectors.remove(item_id)
            continue
        out.append((item_id, score))
    return out[:limit]
