"""Drop-folder transport: files placed in `<drop_dir>/<member code>/` are ingested for that member.

Members (or their SFTP/rsync jobs) copy wires into their folder; each scan ingests the files that
have finished arriving and moves them out of the way:

- stored -> `<member>/.done/<YYYY-MM-DD>/<name>`
- refused -> `<member>/.failed/<name>` with `<name>.error.json` beside it (code, number, message)

A file is moved only after the hub has committed it durably, and moved (renamed within the same
folder tree), never deleted, so a crash at any point loses nothing: at worst the file is ingested
again on the next scan, which the store recognises as a duplicate.

A file still being written must not be ingested half-copied. Writers are expected to copy under a
temporary name (`*.tmp`, `*.part`, `*~`, or a dot-name) and rename when done; for writers that do
not, a file is taken only once it has been left alone for SETTLE_SECONDS and its size and mtime did
not change while it was read.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.types import IngestReport, utc_now

log = logging.getLogger(__name__)

DONE_DIR = ".done"
FAILED_DIR = ".failed"
SETTLE_SECONDS = 1.0
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", "~")

# Only unambiguous extensions name a Content-Type. `.json` and `.xml` are left to sniffing: both
# hold several formats (ninjs or JSON Feed; NewsML-G2, NITF, RSS or Atom). No charset is ever
# added: a file's bytes declare their own encoding (XML prolog, JSON is UTF-8) or are detected.
CONTENT_TYPES: dict[str, str | None] = {
    ".txt": "text/plain",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".nitf": "application/nitf+xml",
    ".json": None,
    ".xml": None,
}

# ingested / failed: handled and moved; the others are left in place for the operator to look at.
DropStatus = Literal["ingested", "failed", "unknown_member", "misplaced", "symlink"]


@dataclass(frozen=True, slots=True)
class DropError:
    code: str  # ErrorCode slug
    message: str


@dataclass(frozen=True, slots=True)
class DropResult:
    # Paths are kept as strings so results serialise as they are (CLI `watch` prints them as JSON).
    path: str  # where the file (or, for unknown_member, the folder) was found
    member_code: str | None
    status: DropStatus
    moved_to: str | None = None
    report: IngestReport | None = None
    error: DropError | None = None


def content_type_for(path: Path) -> str | None:
    return CONTENT_TYPES.get(path.suffix.lower())


def is_candidate_name(name: str) -> bool:
    """False for hidden files and files still being copied under a temporary name."""
    return not name.startswith(".") and not name.lower().endswith(TEMP_SUFFIXES)


def scan_drop_folder(hub: Hub, drop_dir: Path, *, now: datetime | None = None) -> list[DropResult]:
    """Ingest every settled file in every member folder under `drop_dir`.

    One result per file ingested or refused, and per thing left in place for the operator (a folder
    not named after a member, a file outside member folders, a symbolic link). Files still arriving
    are left for a later scan and not reported.
    """
    if not drop_dir.is_dir():
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting="TABADOL_DROP_DIR", reason=f"{drop_dir} is not a directory"
        )
    results: list[DropResult] = []
    for entry in sorted(drop_dir.iterdir()):
        if not is_candidate_name(entry.name):
            continue
        if entry.is_dir():
            results.extend(_scan_member_folder(hub, entry, now))
        elif entry.is_file():
            # Outside any member folder nobody can say whose wire it is: leave it, report it.
            results.append(DropResult(path=str(entry), member_code=None, status="misplaced"))
    return results


def _scan_member_folder(hub: Hub, folder: Path, now: datetime | None) -> list[DropResult]:
    code = folder.name
    if hub.storage.get_member(code) is None:
        return [DropResult(path=str(folder), member_code=code, status="unknown_member")]
    results: list[DropResult] = []
    for path in sorted(folder.iterdir()):
        if not is_candidate_name(path.name):
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            # Whoever can write a member folder could link to any file the hub can read (its own
            # configuration, keys) and have it published as a wire. Links are never followed.
            results.append(DropResult(path=str(path), member_code=code, status="symlink"))
            continue
        if not stat.S_ISREG(mode):
            continue  # sub-folders, sockets, FIFOs (opening a FIFO would block the scan)
        result = ingest_dropped_file(hub, code, path, now=now)
        if result is not None:
            results.append(result)
    return results


def ingest_dropped_file(
    hub: Hub, member_code: str, path: Path, *, now: datetime | None = None
) -> DropResult | None:
    """Ingest one file and move it to .done or .failed; None if it is not ready yet."""
    try:
        data = _read_settled(path, hub.settings.max_payload_bytes)
    except FileNotFoundError:
        return None  # taken away (by its writer or another scanner) since the listing
    except TabadolError as exc:
        return _fail(path, member_code, exc, now)
    except OSError as exc:  # e.g. permissions: the operator must fix it; the file stays where it is
        log.warning("drop folder: cannot read %s: %s", path, exc)
        return None
    if data is None:
        return None
    try:
        report = hub.ingest_payload(member_code, data, content_type_for(path), via="folder", actor=OPERATOR)
    except TabadolError as exc:
        if exc.code is ErrorCode.STORAGE_UNAVAILABLE:
            raise  # the file is fine; the store is not. Leave it in place for the next scan.
        return _fail(path, member_code, exc, now)
    except Exception:
        # A parser bug: park the file in .failed (the operator can drop it again once fixed)
        # rather than retrying it, and logging the same traceback, every few seconds.
        log.exception("drop folder: unexpected failure while ingesting %s", path)
        return _fail(path, member_code, TabadolError(ErrorCode.INTERNAL), now)
    moved = _move(path, path.parent / DONE_DIR / (now or utc_now()).strftime("%Y-%m-%d"))
    log.info("drop folder: %s ingested for %s, moved to %s", path.name, member_code, moved)
    return DropResult(
        path=str(path), member_code=member_code, status="ingested", moved_to=str(moved), report=report
    )


def _read_settled(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None while a writer may still be at work on it.

    Opened with O_NOFOLLOW, so a file swapped for a symbolic link after the listing is not read.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        before = os.fstat(handle.fileno())
        if before.st_mtime > _wall_clock() - SETTLE_SECONDS:
            return None
        if before.st_size > limit:
            raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=before.st_size, limit=limit)
        data = handle.read(limit + 1)
        after = os.fstat(handle.fileno())
    unchanged = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    if not unchanged or len(data) != after.st_size:
        return None  # it changed under us: a writer is still appending
    return data


def _wall_clock() -> float:
    # File mtimes are wall-clock seconds, so they are compared with the wall clock, not monotonic.
    return time.time()


def _fail(path: Path, member_code: str, exc: TabadolError, now: datetime | None) -> DropResult:
    failed_dir = path.parent / FAILED_DIR
    failed_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(failed_dir, path.name)
    # The reason is written before the file is moved, so a file in .failed always has its reason.
    _write_error_json(target.with_name(target.name + ".error.json"), path.name, member_code, exc, now)
    moved = _move(path, failed_dir, target.name)
    log.warning("drop folder: %s for %s refused: %s", path.name, member_code, exc)
    return DropResult(
        path=str(path),
        member_code=member_code,
        status="failed",
        moved_to=str(moved),
        error=DropError(code=exc.code.slug, message=str(exc)),
    )


def _write_error_json(
    target: Path, name: str, member_code: str, exc: TabadolError, now: datetime | None
) -> None:
    document = {
        "file": name,
        "member": member_code,
        "failed_at": format_datetime(now or utc_now()),
        **exc.to_json(),
    }
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)


def _move(path: Path, directory: Path, name: str | None = None) -> Path:
    """Rename `path` into `directory` (same file system: atomic), never overwriting a file there."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name if name else _free_name(directory, path.name)
    os.replace(path, target)
    return target


def _free_name(directory: Path, name: str) -> Path:
    """`name`, or `name` with a counter before its extension if a file of that name exists.

    Only one scanner runs per drop folder (the background thread), so check-then-rename is safe.
    """
    candidate = directory / name
    stem, suffix = os.path.splitext(name)
    counter = 1
    while candidate.exists():
        candidate = directory / f"{stem}.{counter}{suffix}"
        counter += 1
    return candidate
