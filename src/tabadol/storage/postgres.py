"""PostgreSQL backend (driver pg8000), with pgvector for embeddings.

`postgresql://` and `postgres://` URLs are rewritten to `postgresql+pg8000://`; a libpq-style Unix
socket (`postgresql://user@/db?host=/run/postgresql`) is understood too. Writers serialise on
a transaction-scoped advisory lock, which holds across every hub process sharing the database (see
sql.py for why one writer at a time); reads never take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.sql import SqlStorage

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


def _create_engine(database_url: str) -> Engine:
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
    return engine


class PostgresStorage(SqlStorage):
    def __init__(self, database_url: str) -> None:
        super().__init__(_create_engine(database_url))

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
            yield connection
