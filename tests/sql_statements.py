"""The SQL statements a store sends to its database, recorded for tests that check how many reads a
page or a batch costs (a fixed number, whatever its size) or what a read selects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tabadol.storage.sql import SqlStorage


@contextmanager
def statements_run(storage: Any) -> Iterator[list[str]]:
    """The statements `storage` (an SqlStorage, either backend) executes inside the block, in order,
    as SQL text; transaction control the driver issues itself is not among them."""
    assert isinstance(storage, SqlStorage)
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(str(statement))

    event.listen(storage.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(storage.engine, "before_cursor_execute", record)
