"""File ingest (the CLI's transport): order, batches, errors, and preparation in worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tabadol.errors import ErrorCode
from tabadol.hub import Hub
from tabadol.ingest.transports import files as file_transport
from tabadol.ingest.transports.files import FileOptions, ingest_files, payload_files
from tabadol.types import Decision, MemberInfo


def write_wire(folder: Path) -> list[Path]:
    """60 ninjs files; file 30 is broken; files 10 and 50 carry new takes of file 5's guid."""
    folder.mkdir(parents=True)
    for n in range(60):
        uri = "urn:irna:files:5" if n in (5, 10, 50) else f"urn:irna:files:{n}"
        doc = {"uri": uri, "type": "text", "language": "fa", "headline": f"خبر {n}", "body_text": f"متن {n}"}
        data = b'{"uri": "urn:irna:files:broken", "headline": ' if n == 30 else json.dumps(doc).encode()
        (folder / f"{n:03d}.json").write_bytes(data)
    return payload_files([folder])


@pytest.mark.parametrize("workers", [0, 2])
def test_files_are_stored_in_order_with_errors_reported(
    hub: Hub, member: MemberInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(file_transport, "BATCH", 16)  # several batches, and workers running ahead
    files = write_wire(tmp_path / "wire")
    seen: list[tuple[str, str | None]] = []
    tally = ingest_files(
        hub,
        files,
        FileOptions("irna"),
        workers=workers,
        on_file=lambda path, error: seen.append((path.name, error.code.slug if error else None)),
    )
    assert [name for name, _ in seen] == [path.name for path in files]
    assert [(name, code) for name, code in seen if code] == [("030.json", "malformed_json")]
    assert tally.files == 60
    assert tally.failures[0][1].code is ErrorCode.MALFORMED_JSON
    assert tally.decisions == {Decision.NEW_ITEM: 57, Decision.NEW_VERSION: 2}
    item = hub.storage.get_item_by_guid("urn:irna:files:5")
    assert item is not None and item.version == 3 and item.headline == "خبر 50"
    assert hub.storage.count_items() == 57


def test_large_batches_use_workers_and_small_ones_do_not() -> None:
    assert file_transport.default_workers(10) == 0
    assert file_transport.default_workers(file_transport.PARALLEL_THRESHOLD) >= 1
