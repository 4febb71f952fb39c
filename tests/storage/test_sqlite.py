"""What only the SQLite backend promises: durability settings, file handling, crash safety."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text
from storage_helpers import add_member

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage
from tabadol.storage.sqlite import SQLiteStorage

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TABADOL_TEST_BACKENDS")) and "sqlite" not in os.environ["TABADOL_TEST_BACKENDS"],
    reason="TABADOL_TEST_BACKENDS excludes sqlite",
)


def test_connections_are_durable_and_enforce_foreign_keys(tmp_path: Path) -> None:
    store = SQLiteStorage(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        store.migrate()
        with store.engine.connect() as connection:
            pragma = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragma["journal_mode"] == "wal"
        assert pragma["synchronous"] == 2  # FULL
        assert pragma["foreign_keys"] == 1
        assert int(pragma["busy_timeout"] or 0) >= 5000
    finally:
        store.close()


def test_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "tabadol" / "hub.sqlite3"
    store = open_storage(f"sqlite:///{path}")
    try:
        store.migrate()
        assert path.is_file()
    finally:
        store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_databases_are_refused(url: str) -> None:
    with pytest.raises(TabadolError) as caught:
        open_storage(url)
    assert caught.value.code is ErrorCode.CONFIG_INVALID


def test_unusable_location_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    with pytest.raises(TabadolError) as caught:
        open_storage(f"sqlite:///{blocker / 'hub.sqlite3'}")
    assert caught.value.code is ErrorCode.STORAGE_UNAVAILABLE


def test_corrupt_file_is_reported_without_driver_errors(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = open_storage(f"sqlite:///{path}")
    try:
        assert not store.healthy()
        with pytest.raises(TabadolError):
            store.migrate()
    finally:
        store.close()


def test_acknowledged_ingest_survives_sigkill(tmp_path: Path) -> None:
    """A process is killed right after ingest returns; the item must be there on reopening."""
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    setup = open_storage(url)
    setup.migrate()
    add_member(setup, "irna")
    setup.close()
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from storage_helpers import build_request
        from tabadol.storage import open_storage
        from tabadol.types import ParsedItem
        store = open_storage({url!r})
        item = ParsedItem(guid="urn:crash:1", headline="Survives", body_text="x", source_format="ninjs")
        store.ingest(build_request("irna", item))
        print("acknowledged", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "acknowledged", result.stderr
    assert result.returncode == -9
    reopened = open_storage(url)
    try:
        item = reopened.get_item_by_guid("urn:crash:1")
        assert item is not None and item.headline == "Survives"
    finally:
        reopened.close()


def test_wal_mode_is_persistent_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = open_storage(f"sqlite:///{path}")
    store.migrate()
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
