"""Writes that land while a backup is being written: between one of the backup's reads and the next.

A backup reads the store one kind of record at a time, without one transaction around it all, so
the tests make a write land right after a chosen read and check that the backup leaves out, whole,
what it can no longer carry consistently (a review of a member read too late, a version signed with
a key read too late, a match of a version read too late).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

Write = Callable[[], None]


@contextmanager
def writes_during_backup(storage: object, **after_read: Write) -> Iterator[None]:
    """Within the block, each named reader of `storage` (`list_members=write`, `iter_versions=...`)
    makes its write land once, right after its first read: when a list has been read, or after an
    iterator's last row. The readers are themselves again when the block ends."""
    with pytest.MonkeyPatch.context() as patch:
        for reader, write in after_read.items():
            patch.setattr(storage, reader, _then(getattr(storage, reader), write))
        yield


def _then(read: Callable[..., Any], write: Write) -> Callable[..., Any]:
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True  # before writing: the write may use the same reader (adding a member lists them)
            write()

    def read_then_write(*args: Any, **kwargs: Any) -> Any:
        rows = read(*args, **kwargs)
        if isinstance(rows, list):
            once()
            return rows
        return _rows_then(rows, once)

    return read_then_write


def _rows_then(rows: Iterable[Any], after: Write) -> Iterator[Any]:
    yield from rows
    after()
