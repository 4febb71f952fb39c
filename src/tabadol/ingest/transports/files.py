"""Files as a transport: `tabadol ingest --agency CODE FILE_OR_DIR...`.

Each file is one payload, exactly as if it had been pushed. Reading and parsing a file (about 100 µs)
costs as much as storing it, so for large batches worker processes prepare the files while this
process stores the batch before: on a 2-core machine the two halves overlap. Files are stored in the
order given (two files with one guid become consecutive versions), in batches of one commit each; a
file that fails is reported and the rest go on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.storage import open_storage
from tabadol.storage.base import IngestRequest
from tabadol.types import Decision, IngestReport

BATCH = 500
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400


@dataclass(frozen=True, slots=True)
class FileOptions:
    member_code: str
    content_type: str | None = None
    guid: str | None = None
    language: str | None = None


@dataclass
class IngestTally:
    decisions: Counter[Decision] = field(default_factory=Counter)
    files: int = 0
    failures: list[tuple[Path, TabadolError]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.files} files: {self.decisions[Decision.NEW_ITEM]} new, "
            f"{self.decisions[Decision.NEW_VERSION]} versions, "
            f"{self.decisions[Decision.DUPLICATE]} duplicates, "
            f"{self.decisions[Decision.KILL]} kills, {len(self.failures)} errors."
        )


def payload_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given, directories walked recursively; hidden files and folders are skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            found.append(path)
    return found


def default_workers(file_count: int) -> int:
    if file_count < PARALLEL_THRESHOLD:
        return 0
    return min(2, os.cpu_count() or 1)


def ingest_files(
    hub: Hub,
    files: Sequence[Path],
    options: FileOptions,
    *,
    workers: int | None = None,
    on_file: Callable[[Path, TabadolError | None], None] | None = None,
) -> IngestTally:
    """Ingest every file; `on_file` is told of each file once it is stored or has failed."""
    workers = default_workers(len(files)) if workers is None else workers
    tally = IngestTally()
    prepared = _prepare_all(hub, files, options, workers)
    while batch := list(islice(prepared, BATCH)):
        results: list[object] = [result for _, result in batch]
        ready = [(index, result) for index, result in enumerate(results) if isinstance(result, IngestRequest)]
        stored = hub.storage.ingest_many([request for _, request in ready]) if ready else []
        for (index, _), report in zip(ready, stored, strict=True):
            results[index] = report
        for (path, _), final in zip(batch, results, strict=True):
            tally.files += 1
            error = final if isinstance(final, TabadolError) else None
            if error is not None:
                tally.failures.append((path, error))
            else:
                assert isinstance(final, IngestReport)
                tally.decisions.update(outcome.decision for outcome in final.outcomes)
            if on_file is not None:
                on_file(path, error)
    return tally


# -- preparing files (in this process or in workers) ----------------------------------------------
Prepared = tuple[Path, "IngestRequest | TabadolError"]


def _prepare_all(hub: Hub, files: Sequence[Path], options: FileOptions, workers: int) -> Iterator[Prepared]:
    if workers <= 0:
        return (_prepare(hub, path, options) for path in files)
    return _prepare_in_workers(hub.settings, files, options, workers)


def _prepare_in_workers(
    settings: Settings, files: Sequence[Path], options: FileOptions, workers: int
) -> Iterator[Prepared]:
    # Results come back in file order; workers run ahead while this process stores.
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(settings,)) as pool:
        jobs = ((path, options) for path in files)
        for path, outcome in zip(files, pool.map(_prepare_in_worker, jobs, chunksize=64), strict=True):
            yield path, _error_from_wire(outcome) if isinstance(outcome, tuple) else outcome


def _prepare(hub: Hub, path: Path, options: FileOptions) -> Prepared:
    try:
        data = path.read_bytes()
    except OSError as error:
        return path, TabadolError(ErrorCode.FETCH_FAILED, url=str(path), reason=error.strerror or str(error))
    try:
        request = hub.prepare_payload(
            options.member_code,
            data,
            options.content_type,
            via="cli",
            guid=options.guid,
            language=options.language,
            limit_items=False,
        )
    except TabadolError as error:
        return path, error
    return path, request


_worker_hub: Hub | None = None


def _start_worker(settings: Settings) -> None:
    global _worker_hub
    _worker_hub = Hub(settings=settings, storage=open_storage(settings.database_url))


def _prepare_in_worker(job: tuple[Path, FileOptions]) -> IngestRequest | tuple[str, dict[str, Any]]:
    assert _worker_hub is not None
    _, result = _prepare(_worker_hub, *job)
    # A TabadolError does not survive pickling (its constructor takes a code, not a message): it
    # crosses the process boundary as its code name and fields.
    return result if isinstance(result, IngestRequest) else _error_to_wire(result)


def _error_to_wire(error: TabadolError) -> tuple[str, dict[str, Any]]:
    return error.code.name, dict(error.fields)


def _error_from_wire(wire: tuple[str, dict[str, Any]]) -> TabadolError:
    name, fields = wire
    return TabadolError(ErrorCode[name], **fields)
