"""Migrations: they produce schema.py's tables, record themselves, and fail atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text

import tabadol.storage.sql as sql_module
from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage, schema
from tabadol.storage.base import Storage
from tabadol.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from tabadol.storage.sql import SqlStorage


def test_versions_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == LATEST_VERSION


def test_migrated_database_matches_schema_py(storage: Storage) -> None:
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as connection:
        inspector = inspect(connection)
        for table in schema.metadata.sorted_tables:
            columns = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert set(columns) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                assert columns[column.name]["nullable"] == column.nullable, f"{table.name}.{column.name}"
            indexes = {index["name"] for index in inspector.get_indexes(table.name)}
            assert {index.name for index in table.indexes} <= indexes, table.name


def test_applied_migrations_are_recorded(storage: Storage) -> None:
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as connection:
        rows = connection.execute(text("SELECT version, name FROM schema_migrations ORDER BY version")).all()
    assert [(row.version, row.name) for row in rows] == [(m.version, m.name) for m in MIGRATIONS]


def _broken(connection: Connection) -> None:
    connection.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
    connection.execute(text("SELECT * FROM no_such_table"))


def test_a_failing_migration_is_reported_and_rolled_back(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(storage, SqlStorage)
    broken = Migration(LATEST_VERSION + 1, "broken on purpose", _broken)
    monkeypatch.setattr(sql_module, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(TabadolError) as caught:
        storage.migrate()
    assert caught.value.code is ErrorCode.MIGRATION_FAILED
    assert caught.value.fields["version"] == LATEST_VERSION + 1
    assert storage.schema_version() == LATEST_VERSION
    with storage.engine.connect() as connection:
        assert not inspect(connection).has_table("half_done")
    monkeypatch.setattr(sql_module, "MIGRATIONS", MIGRATIONS)
    assert storage.migrate() == []


def test_blank_database_gets_every_migration(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'blank.sqlite3'}"
    else:
        cluster = request.getfixturevalue("pg_server")
        url = cluster.url(cluster.create_database(migrated=False))
    store = open_storage(url)
    try:
        assert store.schema_version() == 0
        assert store.migrate() == [m.version for m in MIGRATIONS]
        assert store.schema_version() == LATEST_VERSION
        assert store.migrate() == []
    finally:
        store.close()
