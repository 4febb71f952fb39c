"""Fixtures for backup and restore: a populated hub, a second empty store, the CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backup_support import RunCli
from click.testing import Result
from typer.testing import CliRunner

from tabadol.cli import app
from tabadol.config import Settings
from tabadol.hub import Hub, create_hub


@pytest.fixture
def run_cli(settings: Settings) -> RunCli:
    """`run_cli("--database", url, "backup", path)`; TABADOL_DATA_DIR is the test's tmp_path."""
    runner = CliRunner()
    env = {"TABADOL_DATABASE_URL": settings.database_url, "TABADOL_DATA_DIR": str(settings.data_dir)}

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture
def second_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another fresh, empty database on the same backend as `database_url`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'second' / 'tabadol.sqlite3'}"
        return
    cluster = request.getfixturevalue("pg_server")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def second_hub(second_database_url: str, tmp_path: Path) -> Iterator[Hub]:
    created = create_hub(Settings(database_url=second_database_url, data_dir=tmp_path / "second-data"))
    yield created
    created.close()
