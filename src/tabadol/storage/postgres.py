"""PostgreSQL backend (driver pg8000), with pgvector for embeddings.

`postgresql://` and `postgres://` URLs are rewritten to `postgresql+pg8000://`; a libpq-style Unix
socket (`postgresql://user@/db?host=/run/postgresql`) is understood too. Writers serialise on
a transaction-scoped advisory lock, which holds across every hub process sharing the database (see
sql.py for why one writer at a time); reads never take it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pg8000.converters
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.signals import CHANNELS, PG_CHANNEL_PREFIX, Signals
from tabadol.storage.sql import SqlStorage

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the hub's writer lock ("tabadol" in ASCII, fits a signed bigint).
WRITER_LOCK_KEY = 0x74616261646F6C
# pg8000 applies one socket timeout to connecting and to every later read. It bounds how long an
# unreachable server blocks a request (then STORAGE_UNAVAILABLE), so it must also exceed the longest
# legitimate wait: a writer queued on the writer lock behind a large import.
SOCKET_TIMEOUT_SECONDS = 60
DEFAULT_PORT = 5432
# Pooled connections per hub process. The API answers from a thread pool (40 threads by default) and
# every request reads its API key. With SQLAlchemy's default (5 kept, 10 more opened on demand and
# closed when returned) concurrent pushes kept opening and closing server connections: 32 clients
# pushing spent ~10 ms of CPU per key lookup. Operators running several hub processes on one server
# must keep processes x (POOL_SIZE + POOL_OVERFLOW) under PostgreSQL's max_connections (100 by default).
POOL_SIZE = 20
POOL_OVERFLOW = 10
# The listener asks the server for news at least this often even when its socket stays quiet: a
# notification the driver's read buffer took in with an earlier reply would otherwise wait for the
# next one, and the round trip doubles as a check that the server is still there.
LISTEN_POLL_SECONDS = 5.0
# How the listener's session shows in pg_stat_activity (operators see what holds the connection).
LISTENER_APPLICATION_NAME = "tabadol-listener"
# Reconnecting after the server went away: first pause, doubling up to the last.
LISTEN_BACKOFF_SECONDS = (0.5, 30.0)


def pg8000_url(database_url: str) -> str:
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise TabadolError(ErrorCode.CONFIG_INVALID, setting="TABADOL_DATABASE_URL", reason=str(exc)) from exc
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting="TABADOL_DATABASE_URL", reason="not a postgresql:// URL"
        )
    url = url.set(drivername="postgresql+pg8000")
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, str) and socket_dir.startswith("/"):
        # libpq spells a Unix socket as ?host=/dir; pg8000 wants the socket file itself.
        socket_file = f"{socket_dir.rstrip('/')}/.s.PGSQL.{url.port or DEFAULT_PORT}"
        url = url.difference_update_query(["host"]).update_query_dict({"unix_sock": socket_file})
    return url.render_as_string(hide_password=False)


def _create_engine(database_url: str, *, for_migrations: bool = False) -> Engine:
    if for_migrations:
        # One connection, no socket timeout: a migration building an index sends nothing back until
        # the index is built (a minute or more on a large store), and the timeout, there to notice a
        # dead server during requests, would abort a healthy build.
        engine = create_engine(pg8000_url(database_url), poolclass=NullPool, connect_args={"timeout": None})
    else:
        engine = create_engine(
            pg8000_url(database_url),
            pool_pre_ping=True,  # a restarted server's dead connections are replaced, not handed out
            connect_args={"timeout": SOCKET_TIMEOUT_SECONDS},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
    # pg8000's executemany is one round trip per row (and re-parses the SQL text each time), which
    # made a batch of 500 payloads cost ~1,500 round trips. With this flag SQLAlchemy sends an
    # executemany INSERT as multi-row INSERT ... VALUES (...), (...) pages of up to
    # `insertmanyvalues_page_size` rows, as its psycopg2 dialect does by default. Same rows, same
    # order, same transaction: only the number of statements changes.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    event.listen(engine, "connect", _fast_timestamps)
    return engine


def _fast_timestamps(dbapi_connection: Any, _record: Any) -> None:
    """Read `timestamptz` values with datetime.fromisoformat instead of pg8000's strptime.

    Every row the hub reads carries several times; pg8000 parses each with `time.strptime`, which
    was the largest single cost of a feed page (a third of it). PostgreSQL's text form
    ("2026-11-23 19:01:15.123456+00") is ISO 8601; anything fromisoformat does not take (infinity,
    BC dates: values the hub never writes) goes to pg8000's own parser."""
    dbapi_connection.register_in_adapter(pg8000.converters.TIMESTAMPTZ, _timestamptz_in)


def _timestamptz_in(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        parsed: datetime | str = pg8000.converters.timestamptz_in(text)
        return parsed


class NotificationListener:
    """LISTENs on the hub's channels with a connection of its own and raises each notification as a
    signal in this process, so waiters here wake for commits made by any process.

    The connection is outside the pool (it stays in LISTEN for the process's life) and in autocommit
    (LISTEN inside a transaction takes effect only at its commit). pg8000 reads notifications only
    while it runs a statement, so the thread waits on the socket with `select` and, when the socket
    becomes readable, runs a trivial query and drains what the driver collected.
    """

    def __init__(self, engine: Engine, signals: Signals) -> None:
        self._engine = engine
        self._signals = signals
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connection: Any = None
        self._listening = False
        self._connections = 0
        # A pipe the thread selects on beside its socket, so `stop` ends the wait at once.
        self._wake: tuple[int, int] | None = None

    def start(self) -> None:
        """Start the listener thread; calling it again (or after `stop`) does nothing."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._wake = os.pipe()
            self._thread = threading.Thread(
                target=self._run, args=(self._wake[0],), name="tabadol-pg-listen", daemon=True
            )
            self._thread.start()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    @property
    def listening(self) -> bool:
        """Connected and LISTENing now."""
        return self._listening

    @property
    def connections(self) -> int:
        """How many times the listener has connected (more than once: it reconnected)."""
        return self._connections

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            thread, wake = self._thread, self._wake
        if thread is None or wake is None:
            return
        os.write(wake[1], b"x")
        thread.join(timeout=LISTEN_POLL_SECONDS * 2)
        if not thread.is_alive():
            os.close(wake[0])
            os.close(wake[1])

    def _run(self, wake_descriptor: int) -> None:
        first_pause, longest_pause = LISTEN_BACKOFF_SECONDS
        pause = first_pause
        while not self._stop.is_set():
            try:
                self._connect()
                pause = first_pause
                # Commits made while no connection listened are not announced: wake every waiter once
                # so it reads what it may have missed.
                for channel in CHANNELS:
                    self._signals.notify(channel)
                self._connections += 1
                self._listening = True
                self._listen_until_stopped(wake_descriptor)
            except Exception as exc:  # noqa: BLE001 - the server went away: reconnect after a pause
                if self._stop.is_set():
                    break
                log.warning("PostgreSQL listener lost its connection (%s); reconnecting in %.1fs", exc, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, longest_pause)
            finally:
                self._disconnect()

    def _connect(self) -> None:
        dialect = self._engine.dialect
        args, kwargs = dialect.create_connect_args(self._engine.url)
        connection = dialect.connect(*args, **{**kwargs, "application_name": LISTENER_APPLICATION_NAME})
        connection.autocommit = True
        self._connection = connection
        cursor = connection.cursor()
        for channel in CHANNELS:
            cursor.execute(f"LISTEN {PG_CHANNEL_PREFIX}{channel}")

    def _listen_until_stopped(self, wake_descriptor: int) -> None:
        connection = self._connection
        # pg8000 exposes no public handle on its socket; select needs the descriptor.
        descriptor = connection._usock.fileno()
        while not self._stop.is_set():
            select.select([descriptor, wake_descriptor], [], [], LISTEN_POLL_SECONDS)
            if self._stop.is_set():
                return
            connection.cursor().execute("SELECT 1")
            self._drain(connection)

    def _drain(self, connection: Any) -> None:
        # The driver keeps the last 100 notifications: in a burst older ones are dropped. That costs
        # nothing while each channel keeps one; otherwise its waiters find the work at their timeout.
        while connection.notifications:
            _pid, channel, _payload = connection.notifications.popleft()
            if channel.startswith(PG_CHANNEL_PREFIX):
                self._signals.notify(channel[len(PG_CHANNEL_PREFIX) :])

    def _disconnect(self) -> None:
        self._listening = False
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # Closing a connection the server already dropped fails; there is nothing left to release.
        with contextlib.suppress(Exception):
            connection.close()


class PostgresStorage(SqlStorage):
    def __init__(self, database_url: str) -> None:
        super().__init__(_create_engine(database_url))
        self._database_url = database_url
        self.listener = NotificationListener(self._engine, self.signals)

    def start_listening(self) -> None:
        """Raise this process's signals for commits made by every process (idempotent)."""
        self.listener.start()

    def close(self) -> None:
        self.listener.stop()
        super().close()

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
            yield connection

    @contextmanager
    def _migration_transaction(self) -> Iterator[Connection]:
        engine = _create_engine(self._database_url, for_migrations=True)
        try:
            with engine.begin() as connection:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
                yield connection
        finally:
            engine.dispose()
