"""Moving a hub from SQLite to PostgreSQL: back up one, restore into the other, same export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backup_support import populate
from click.testing import Result
from typer.testing import CliRunner

from tabadol.cli import app
from tabadol.config import Settings
from tabadol.demo.loader import add_demo_members, send_wires
from tabadol.demo.wires import flores_wires, seed_wires
from tabadol.hub import create_hub
from tabadol.types import utc_now


@pytest.fixture
def postgres_url(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def tabadol(*args: str, data_dir: Path) -> Result:
    result = CliRunner().invoke(
        app, list(args), env={"TABADOL_DATA_DIR": str(data_dir)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result


def test_sqlite_backup_restored_into_postgres_exports_identically(tmp_path: Path, postgres_url: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'old' / 'tabadol.sqlite3'}"
    source = create_hub(Settings(database_url=sqlite_url, data_dir=tmp_path))
    populated = populate(source)
    # Real multilingual wires too (RTL Persian and Arabic, Cyrillic, Turkic Latin): the seed articles
    # as plain text and ten FLORES stories in all eight languages.
    add_demo_members(source)
    send_wires(source, seed_wires() + flores_wires(utc_now())[:80], utc_now())
    source.close()
    backup = tmp_path / "move.jsonl.gz"

    tabadol("--database", sqlite_url, "backup", str(backup), data_dir=tmp_path)
    tabadol("--database", postgres_url, "restore", str(backup), data_dir=tmp_path)

    old_export = tabadol("--database", sqlite_url, "export", data_dir=tmp_path).stdout
    new_export = tabadol("--database", postgres_url, "export", data_dir=tmp_path).stdout
    assert len(old_export.splitlines()) == 4 + 5 + 80
    assert new_export == old_export

    moved = create_hub(Settings(database_url=postgres_url, data_dir=tmp_path))
    try:
        assert moved.authenticate(populated.tokens["editor"]).member_code == "irna"
        assert len(moved.storage.list_members()) == 9  # irna and tass were there before the demo members
    finally:
        moved.close()
