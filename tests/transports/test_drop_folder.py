from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.ingest.transports.folder import content_type_for, is_candidate_name, scan_drop_folder

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NINJS = {
    "uri": "urn:irna:drop:1",
    "type": "text",
    "language": "fa",
    "headline": "خبر فوری",
    "body_text": "متن خبر.",
}
JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "AzerTAc",
    "items": [{"id": "urn:azertac:1", "title": "Xəbər", "content_text": "Mətn."}],
}
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    b"<link>https://tass.example/</link><description>d</description>"
    b"<item><guid>urn:tass:1</guid><title>Novosti</title><description>Tekst</description></item>"
    b"</channel></rss>"
)


@pytest.fixture
def drop(hub: Hub, make_member, tmp_path: Path) -> Path:
    for code, country, language in (("irna", "IR", "fa"), ("azertac", "AZ", "az"), ("tass", "RU", "ru")):
        make_member(hub, code, country, (language,))
    root = tmp_path / "drop"
    (root / "irna").mkdir(parents=True)
    return root


def place(path: Path, data: bytes, age_seconds: float = 30.0) -> Path:
    """Write a file as a finished copy: last modified `age_seconds` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_a_good_file_is_ingested_and_moved_to_done(hub: Hub, drop: Path) -> None:
    data = json.dumps(NINJS, ensure_ascii=False).encode()
    source = place(drop / "irna" / "story.json", data)

    [result] = scan_drop_folder(hub, drop, now=NOW)

    assert result.status == "ingested" and result.member_code == "irna" and result.error is None
    assert result.moved_to == str(drop / "irna" / ".done" / "2026-03-01" / "story.json")
    assert not source.exists() and Path(result.moved_to).read_bytes() == data
    item = hub.storage.get_item_by_guid("urn:irna:drop:1")
    assert item is not None and item.member_code == "irna" and item.headline == "خبر فوری"
    assert hub.storage.list_versions(item.id)[0].received_via == "folder"
    original = hub.storage.get_original(item.original_sha256)
    assert original is not None and original.data == data  # verbatim


def test_formats_are_recognised_from_extension_and_content(hub: Hub, drop: Path) -> None:
    place(drop / "azertac" / "feed.json", json.dumps(JSON_FEED, ensure_ascii=False).encode())
    place(drop / "tass" / "wire.xml", RSS)
    place(drop / "irna" / "note.txt", "خبر کوتاه\n\nمتن کامل خبر.".encode())

    results = scan_drop_folder(hub, drop, now=NOW)

    assert sorted(r.status for r in results) == ["ingested"] * 3
    assert hub.storage.get_item_by_guid("urn:azertac:1") is not None
    assert hub.storage.get_item_by_guid("urn:tass:1") is not None
    [text_result] = [r for r in results if r.member_code == "irna"]
    assert text_result.report is not None
    item = hub.storage.get_item(text_result.report.outcomes[0].item_id)
    assert item is not None and item.headline == "خبر کوتاه"
    original = hub.storage.get_original(item.original_sha256)
    assert original is not None and original.content_type == "text/plain"  # no charset assumed


def test_content_type_guesses() -> None:
    assert content_type_for(Path("a.TXT")) == "text/plain"
    assert content_type_for(Path("a.rss")) == "application/rss+xml"
    assert content_type_for(Path("a.json")) is None  # ninjs or JSON Feed: sniffed
    assert content_type_for(Path("a.xml")) is None  # NewsML-G2, NITF, RSS or Atom: sniffed
    assert content_type_for(Path("a")) is None


def test_a_bad_file_goes_to_failed_with_its_reason(hub: Hub, drop: Path) -> None:
    source = place(drop / "irna" / "broken.xml", b"<rss><channel><item><title>cut")

    [result] = scan_drop_folder(hub, drop, now=NOW)

    assert result.status == "failed" and result.error is not None
    assert result.moved_to == str(drop / "irna" / ".failed" / "broken.xml")
    assert not source.exists() and Path(result.moved_to).exists()
    reason = json.loads((drop / "irna" / ".failed" / "broken.xml.error.json").read_text(encoding="utf-8"))
    assert reason["file"] == "broken.xml" and reason["member"] == "irna"
    assert reason["error"]["code"] == result.error.code == "malformed_xml"
    assert reason["error"]["number"] == f"E{ErrorCode.MALFORMED_XML.number}"
    assert reason["error"]["message"]
    assert reason["failed_at"] == "2026-03-01T12:00:00Z"
    assert hub.storage.count_items() == 0


def test_an_oversize_file_is_refused_without_being_read(hub: Hub, drop: Path) -> None:
    small = replace(hub, settings=replace(hub.settings, max_payload_bytes=100))
    place(drop / "irna" / "huge.txt", b"word " * 100)
    [result] = scan_drop_folder(small, drop, now=NOW)
    assert result.status == "failed" and result.error is not None
    assert result.error.code == "payload_too_large"


@pytest.mark.parametrize(
    "name", [".hidden.json", "story.json.tmp", "story.json.part", "story.json~", "x.PART"]
)
def test_hidden_and_temporary_files_are_left_alone(hub: Hub, drop: Path, name: str) -> None:
    path = place(drop / "irna" / name, json.dumps(NINJS).encode())
    assert scan_drop_folder(hub, drop, now=NOW) == []
    assert path.exists() and hub.storage.count_items() == 0
    assert not is_candidate_name(name)


def test_a_file_still_being_written_is_left_for_a_later_scan(hub: Hub, drop: Path) -> None:
    path = place(drop / "irna" / "story.json", json.dumps(NINJS).encode(), age_seconds=0)
    assert scan_drop_folder(hub, drop, now=NOW) == []
    assert path.exists() and hub.storage.count_items() == 0

    settled = time.time() - 5
    os.utime(path, (settled, settled))  # the writer has finished
    [result] = scan_drop_folder(hub, drop, now=NOW)
    assert result.status == "ingested"


def test_an_unknown_member_folder_is_reported_and_left_in_place(hub: Hub, drop: Path) -> None:
    path = place(drop / "nobody" / "story.json", json.dumps(NINJS).encode())
    [result] = scan_drop_folder(hub, drop, now=NOW)
    assert result.status == "unknown_member" and result.member_code == "nobody"
    assert result.path == str(drop / "nobody")
    assert path.exists() and hub.storage.count_items() == 0


def test_a_file_outside_member_folders_is_reported_and_left_in_place(hub: Hub, drop: Path) -> None:
    path = place(drop / "story.json", json.dumps(NINJS).encode())
    [result] = scan_drop_folder(hub, drop, now=NOW)
    assert result.status == "misplaced" and result.path == str(path)
    assert path.exists()


def test_a_second_file_of_the_same_name_never_overwrites_the_first(hub: Hub, drop: Path) -> None:
    first = json.dumps(NINJS).encode()
    second = json.dumps({**NINJS, "headline": "Updated"}).encode()
    place(drop / "irna" / "story.json", first)
    scan_drop_folder(hub, drop, now=NOW)
    place(drop / "irna" / "story.json", second)
    [result] = scan_drop_folder(hub, drop, now=NOW)

    done = drop / "irna" / ".done" / "2026-03-01"
    assert result.moved_to == str(done / "story.1.json")
    assert (done / "story.json").read_bytes() == first
    assert (done / "story.1.json").read_bytes() == second
    item = hub.storage.get_item_by_guid("urn:irna:drop:1")
    assert item is not None and item.version == 2


def test_processed_files_are_not_scanned_again(hub: Hub, drop: Path) -> None:
    place(drop / "irna" / "good.json", json.dumps(NINJS).encode())
    place(drop / "irna" / "bad.xml", b"<rss><channel>")
    assert len(scan_drop_folder(hub, drop, now=NOW)) == 2
    assert scan_drop_folder(hub, drop, now=NOW) == []


def test_a_missing_drop_folder_is_a_configuration_error(hub: Hub, tmp_path: Path) -> None:
    with pytest.raises(TabadolError) as caught:
        scan_drop_folder(hub, tmp_path / "absent")
    assert caught.value.code is ErrorCode.CONFIG_INVALID


def test_symbolic_links_are_never_followed(hub: Hub, drop: Path, tmp_path: Path) -> None:
    secret = place(tmp_path / "hub-secrets.txt", b"database password")
    link = drop / "irna" / "innocent.txt"
    link.symlink_to(secret)

    [result] = scan_drop_folder(hub, drop, now=NOW)

    assert result.status == "symlink" and result.path == str(link)
    assert link.is_symlink() and secret.read_bytes() == b"database password"
    assert hub.storage.count_items() == 0


def test_sub_folders_inside_a_member_folder_are_not_descended(hub: Hub, drop: Path) -> None:
    nested = place(drop / "irna" / "archive" / "old.json", json.dumps(NINJS).encode())
    assert scan_drop_folder(hub, drop, now=NOW) == []
    assert nested.exists()


def test_results_serialise_to_json(hub: Hub, drop: Path) -> None:
    from tabadol.serialize import to_jsonable

    place(drop / "irna" / "story.json", json.dumps(NINJS).encode())
    place(drop / "irna" / "bad.xml", b"<rss>")
    encoded = json.loads(json.dumps([to_jsonable(r) for r in scan_drop_folder(hub, drop, now=NOW)]))
    assert {entry["status"] for entry in encoded} == {"ingested", "failed"}


def test_a_file_that_grows_while_being_read_is_left_for_a_later_scan(
    hub: Hub, drop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tabadol.ingest.transports import folder

    path = place(drop / "irna" / "story.json", json.dumps(NINJS).encode())
    real_fstat = os.fstat
    calls: list[int] = []

    def growing(descriptor: int) -> os.stat_result:
        # A writer appends between the two looks: the second stat sees a bigger file.
        found = real_fstat(descriptor)
        calls.append(1)
        if len(calls) % 2 == 1:
            return found
        fields = list(found)
        fields[6] = found.st_size + 4096  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(folder.os, "fstat", growing)
    assert scan_drop_folder(hub, drop, now=NOW) == []
    assert path.exists() and hub.storage.count_items() == 0

    monkeypatch.setattr(folder.os, "fstat", real_fstat)
    [result] = scan_drop_folder(hub, drop, now=NOW)
    assert result.status == "ingested"
