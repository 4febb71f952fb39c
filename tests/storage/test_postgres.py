"""What only the PostgreSQL backend promises: URLs, extensions, errors when the server is away."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage import open_storage
from tabadol.storage.base import Storage
from tabadol.storage.postgres import PostgresStorage, pg8000_url

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TABADOL_TEST_BACKENDS")) and "postgres" not in os.environ["TABADOL_TEST_BACKENDS"],
    reason="TABADOL_TEST_BACKENDS excludes postgres",
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://hub:s3cret@db.example:5433/tabadol",
            "postgresql+pg8000://hub:s3cret@db.example:5433/tabadol",
        ),
        ("postgres://hub:pw@localhost/tabadol", "postgresql+pg8000://hub:pw@localhost/tabadol"),
        (
            "postgresql://postgres:@/hub?host=/run/postgresql",
            "postgresql+pg8000://postgres:@/hub?unix_sock=%2Frun%2Fpostgresql%2F.s.PGSQL.5432",
        ),
        (
            "postgresql://postgres@:6000/hub?host=/tmp/pg/",
            "postgresql+pg8000://postgres@:6000/hub?unix_sock=%2Ftmp%2Fpg%2F.s.PGSQL.6000",
        ),
    ],
)
def test_urls_are_rewritten_for_pg8000(url: str, expected: str) -> None:
    assert pg8000_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "::not a url::"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(TabadolError) as caught:
        PostgresStorage(url)
    assert caught.value.code is ErrorCode.CONFIG_INVALID


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_is_storage_unavailable() -> None:
    store = open_storage(f"postgresql://hub:pw@127.0.0.1:{_closed_port()}/tabadol")
    try:
        assert not store.healthy()
        with pytest.raises(TabadolError) as caught:
            store.migrate()
        assert caught.value.code is ErrorCode.STORAGE_UNAVAILABLE
        with pytest.raises(TabadolError) as reading:
            store.get_item("it0")
        assert reading.value.code is ErrorCode.STORAGE_UNAVAILABLE
    finally:
        store.close()


def test_unknown_database_is_storage_unavailable(pg_server: object) -> None:
    store = open_storage(pg_server.url("no_such_database"))  # type: ignore[attr-defined]
    try:
        with pytest.raises(TabadolError) as caught:
            store.list_members()
        assert caught.value.code is ErrorCode.STORAGE_UNAVAILABLE
    finally:
        store.close()


@pytest.fixture
def pg_storage(pg_server: object) -> Iterator[Storage]:
    # The contract fixture `storage` is parametrised over backends; these tests need PostgreSQL only.
    cluster = pg_server
    name = cluster.checkout()  # type: ignore[attr-defined]
    store = open_storage(cluster.url(name))  # type: ignore[attr-defined]
    store.migrate()
    yield store
    store.close()
    cluster.checkin(name)  # type: ignore[attr-defined]


def test_pgvector_is_enabled(pg_storage: PostgresStorage) -> None:
    with pg_storage.engine.connect() as connection:
        extensions = set(connection.execute(text("SELECT extname FROM pg_extension")).scalars())
        assert "vector" in extensions
        # Usable, not just installed: enrichment stores embeddings in vector columns.
        distance = connection.execute(text("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")).scalar()
    assert distance == pytest.approx(1.0)


def test_text_search_has_a_trigram_index_when_pg_trgm_exists(pg_storage: PostgresStorage) -> None:
    with pg_storage.engine.connect() as connection:
        available = connection.execute(
            text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
        ).scalar()
        indexes = set(
            connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'items'")).scalars()
        )
    assert ("ix_items_search_trgm" in indexes) == bool(available)


def test_datetimes_are_timestamptz(pg_storage: PostgresStorage) -> None:
    with pg_storage.engine.connect() as connection:
        kinds: dict[str, str] = dict(
            connection.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = 'items' AND column_name IN ('version_created', 'received_at')"
                )
            ).all()
        )
    assert set(kinds.values()) == {"timestamp with time zone"}
