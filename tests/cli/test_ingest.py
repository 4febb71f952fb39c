"""`tabadol ingest`: files and folders, one payload per file, batched commits, per-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.types import MemberInfo


def ninjs(uri: str, headline: str, body: str = "Aktau to Baku, twice a week.", **extra: object) -> str:
    doc = {"uri": uri, "type": "text", "language": "en", "headline": headline, "body_text": body, **extra}
    return json.dumps(doc, ensure_ascii=False)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def wires(tmp_path: Path) -> Path:
    """A member's outbox: ninjs, plain text (Persian), a nested folder, a hidden file, one bad file."""
    root = tmp_path / "outbox"
    write(root / "ferry.json", ninjs("urn:irna:1", "Caspian ferry line opens"))
    write(root / "tehran.txt", "نشست خبرگزاری‌های خزر در تهران\n\nنمایندگان پنج کشور ساحلی دیدار کردند.")
    write(root / "2026" / "11" / "port.json", ninjs("urn:irna:2", "Port of Amirabad expands"))
    write(root / ".draft.json", ninjs("urn:irna:3", "Not ready: a hidden draft"))
    write(root / ".cache" / "old.json", ninjs("urn:irna:4", "Inside a hidden folder"))
    write(root / "2026" / "empty.xml", b"   \n")
    return root


def test_directory_ingest_stores_good_files_and_reports_the_bad_one(
    run_cli: RunCli, hub: Hub, member: MemberInfo, wires: Path
) -> None:
    result = run_cli("ingest", "--agency", "irna", str(wires))

    assert result.exit_code == 1
    bad = wires / "2026" / "empty.xml"
    assert f"{bad}: E101 empty_body: The request body is empty." in result.stderr
    assert "4 files: 3 new, 0 versions, 0 duplicates, 0 kills, 1 errors." in result.stdout
    headlines = sorted(item.headline for item in hub.storage.iter_items())
    assert headlines == [
        "Caspian ferry line opens",
        "Port of Amirabad expands",
        "نشست خبرگزاری‌های خزر در تهران",
    ]
    for item in hub.storage.iter_items():
        assert hub.storage.get_version(item.id, 1).received_via == "cli"  # type: ignore[union-attr]


def test_reingest_is_idempotent_and_changes_become_versions(
    run_cli: RunCli, hub: Hub, member: MemberInfo, wires: Path
) -> None:
    (wires / "2026" / "empty.xml").unlink()
    first = run_cli("ingest", "--agency", "irna", str(wires))
    assert first.exit_code == 0, first.stderr
    audit_before = len(hub.storage.list_audit(limit=1000))

    again = run_cli("ingest", "--agency", "irna", str(wires))
    assert again.exit_code == 0
    assert "3 files: 0 new, 0 versions, 3 duplicates, 0 kills, 0 errors." in again.stdout
    assert hub.storage.count_items() == 3

    write(wires / "ferry.json", ninjs("urn:irna:1", "Caspian ferry line opens", "Now three times a week."))
    write(wires / "kill.json", ninjs("urn:irna:2", "Port of Amirabad expands", pubStatus="canceled"))
    changed = run_cli("ingest", "--agency", "irna", str(wires / "ferry.json"), str(wires / "kill.json"))
    assert changed.exit_code == 0, changed.stderr
    assert "2 files: 0 new, 1 versions, 0 duplicates, 1 kills, 0 errors." in changed.stdout
    ferry = hub.storage.get_item_by_guid("urn:irna:1")
    assert ferry is not None and ferry.version == 2 and ferry.body_text == "Now three times a week."
    assert len(hub.storage.list_audit(limit=1000)) > audit_before


def test_many_files_are_stored_in_batches(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tabadol.ingest.transports.files

    monkeypatch.setattr(tabadol.ingest.transports.files, "BATCH", 40)
    commits: list[int] = []
    storage_class = type(hub.storage)  # the command opens its own store of the same class
    original_ingest_many = storage_class.ingest_many
    count = 2 * 40 + 7  # three commits, the last one partial
    for n in range(count):
        write(tmp_path / "bulk" / f"{n:05d}.json", ninjs(f"urn:irna:bulk:{n}", f"Bulletin {n}"))
    write(tmp_path / "bulk" / "00050-bad.json", b"")  # a failure in the middle stops nothing

    def counting_ingest_many(self, requests):  # type: ignore[no-untyped-def]
        commits.append(len(requests))
        return original_ingest_many(self, requests)

    monkeypatch.setattr(storage_class, "ingest_many", counting_ingest_many)
    result = run_cli("ingest", "--agency", "irna", str(tmp_path / "bulk"))

    assert result.exit_code == 1
    assert f"{count + 1} files: {count} new, 0 versions, 0 duplicates, 0 kills, 1 errors." in result.stdout
    # Batches of 40 files; the bad one (sorted after 00050.json) leaves 39 payloads in the second.
    assert commits == [40, 39, 8]
    assert hub.storage.count_items() == count


def test_guid_option_names_the_item_of_a_single_file(
    run_cli: RunCli, hub: Hub, member: MemberInfo, wires: Path
) -> None:
    text_file = wires / "tehran.txt"
    result = run_cli("ingest", "--agency", "irna", "--guid", "urn:irna:tehran-meeting", str(text_file))
    assert result.exit_code == 0, result.stderr
    item = hub.storage.get_item_by_guid("urn:irna:tehran-meeting")
    assert item is not None
    original = hub.storage.get_original(item.original_sha256)
    assert original is not None and original.data == text_file.read_bytes()

    several = run_cli("ingest", "--agency", "irna", "--guid", "urn:x", str(wires))
    assert several.exit_code == 2
    assert "exactly one file" in several.stderr


def test_content_type_option_selects_the_format(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    # Starts like JSON, so sniffing takes it for a broken JSON document; the operator knows better.
    path = write(tmp_path / "note.txt", '{"wire": "broken"\n\nA plain-text note that begins with a brace.')
    sniffed = run_cli("ingest", "--agency", "irna", str(path))
    assert sniffed.exit_code == 1
    assert hub.storage.count_items() == 0

    declared = run_cli("ingest", "--agency", "irna", "--content-type", "text/plain; charset=utf-8", str(path))
    assert declared.exit_code == 0, declared.stderr
    (item,) = list(hub.storage.iter_items())
    assert item.parsed.source_format == "plaintext"
    original = hub.storage.get_original(item.original_sha256)
    assert original is not None and original.content_type == "text/plain; charset=utf-8"


def test_ingest_for_an_unknown_member_fails_before_reading(run_cli: RunCli, hub: Hub, wires: Path) -> None:
    result = run_cli("ingest", "--agency", "nobody", str(wires))
    assert result.exit_code == 1
    assert result.stderr.startswith("E303 member_not_found")
    assert hub.storage.count_items() == 0


def test_missing_file_is_reported_and_the_rest_goes_on(
    run_cli: RunCli, hub: Hub, member: MemberInfo, wires: Path
) -> None:
    missing = wires / "nowhere.json"
    result = run_cli("ingest", "--agency", "irna", str(missing), str(wires / "ferry.json"))
    assert result.exit_code == 1
    assert str(missing) in result.stderr
    assert hub.storage.count_items() == 1


def test_language_option_declares_plain_text_only(
    run_cli: RunCli, hub: Hub, member: MemberInfo, wires: Path
) -> None:
    result = run_cli(
        "ingest", "--agency", "irna", "--language", "fa", str(wires / "tehran.txt"), str(wires / "ferry.json")
    )
    assert result.exit_code == 0, result.stderr
    languages = {item.headline: item.language for item in hub.storage.iter_items()}
    assert languages == {"نشست خبرگزاری‌های خزر در تهران": "fa", "Caspian ferry line opens": "en"}
