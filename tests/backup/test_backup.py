"""Backup and restore: a full round trip, SQLite to PostgreSQL, and refusal of damaged backups."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from backup_support import Populated, RunCli, populate

import tabadol
from tabadol.backup import read_header, restore_backup, store_is_empty, write_backup
from tabadol.errors import ErrorCode, TabadolError
from tabadol.export import export_items
from tabadol.hub import Hub
from tabadol.serialize import to_jsonable


def export_text(hub: Hub) -> str:
    buffer = io.StringIO()
    export_items(hub, buffer)
    return buffer.getvalue()


def feeds_without_ids(hub: Hub) -> list[dict[str, Any]]:
    return [{k: v for k, v in to_jsonable(f).items() if k != "id"} for f in hub.storage.list_feeds()]


def audit_events(hub: Hub) -> list[tuple[Any, ...]]:
    entries = sorted(hub.storage.list_audit(limit=10_000), key=lambda e: e.id)
    return [(e.at, e.action, e.target, e.actor_member, e.actor_key_id, dict(e.detail)) for e in entries]


def test_round_trip_restores_everything(hub: Hub, second_hub: Hub, tmp_path: Path) -> None:
    populated = populate(hub)
    path = tmp_path / "hub.jsonl.gz"
    expected_audit = audit_events(hub)

    summary = write_backup(hub, path)
    assert summary.counts == {
        "member": 2,
        "signing_key": 1,  # the hub's own: every item here arrived unsigned, so the hub signed it
        "api_key": 3,
        "feed": 1,
        "subscription": 0,
        "original": 6,
        "version": 6,
        "provenance": 6,
        "fact_check": 0,
        "fact_check_match": 0,
        "take": 0,
        "audit": len(expected_audit),
    }
    header = read_header(path)
    assert header["format_version"] == 1 and header["tabadol_version"] == tabadol.__version__
    assert header["schema_version"] == hub.storage.schema_version() and header["counts"] == summary.counts
    assert header["created_at"].endswith("Z")

    restore_backup(second_hub, path)

    assert export_text(second_hub) == export_text(hub)
    assert second_hub.storage.list_members() == hub.storage.list_members()
    assert second_hub.storage.list_api_keys() == hub.storage.list_api_keys()
    assert feeds_without_ids(second_hub) == feeds_without_ids(hub)
    for item in hub.storage.iter_items():
        assert second_hub.storage.list_versions(item.id) == hub.storage.list_versions(item.id)
        assert second_hub.storage.get_original(item.original_sha256) == hub.storage.get_original(
            item.original_sha256
        )
    assert audit_events(second_hub)[: len(expected_audit)] == expected_audit
    assert audit_events(second_hub)[-1][1] == "backup.restore"
    assert_keys_work(second_hub, populated)


def assert_keys_work(hub: Hub, populated: Populated) -> None:
    assert hub.authenticate(populated.tokens["editor"]).member_code == "irna"
    assert hub.authenticate(populated.tokens["reader"]).member_code == "tass"
    revoked = hub.storage.get_api_key(populated.revoked_key_id)
    assert revoked is not None and revoked[0].revoked_at is not None


def test_restore_refuses_a_store_with_data_and_force_adds_nothing_twice(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    populate(hub)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    restore_backup(second_hub, path)
    before = (export_text(second_hub), len(second_hub.storage.list_audit(limit=10_000)))

    with pytest.raises(TabadolError) as refused:
        restore_backup(second_hub, path)
    assert refused.value.code is ErrorCode.STORE_NOT_EMPTY

    again = restore_backup(second_hub, path, force=True)
    assert again.skipped["member"] == 2 and again.skipped["feed"] == 1
    assert again.skipped["audit"] == again.counts["audit"]
    assert export_text(second_hub) == before[0]
    assert len(second_hub.storage.list_audit(limit=10_000)) == before[1] + 1  # only the restore itself
    assert sum(1 for _ in second_hub.storage.iter_versions()) == 6
    assert len(second_hub.storage.list_feeds()) == 1


def rewrite(path: Path, change: Any) -> None:
    """Decompress, let `change` edit the list of records, compress again."""
    records = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    records = change(records)
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))


def tamper_with_an_original(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    original = next(r for r in records if r["type"] == "original")
    data = bytearray(base64.b64decode(original["data"]))
    data[len(data) // 2] ^= 0x01  # one flipped bit
    original["data"] = base64.b64encode(bytes(data)).decode()
    return records


def drop_the_last_version_and_the_end(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last_version = max(i for i, r in enumerate(records) if r["type"] == "version")
    return records[:last_version]


def drop_one_member(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not (r["type"] == "member" and r["code"] == "tass")]


def damage_a_version(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    version = next(r for r in records if r["type"] == "version")
    del version["version"]["content_sha256"]
    return records


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (tamper_with_an_original, "does not match its SHA-256"),
        (drop_the_last_version_and_the_end, "truncated"),
        (drop_one_member, "refers to data not in the backup"),
        (damage_a_version, "malformed"),
    ],
)
def test_damaged_backup_is_refused_and_nothing_is_written(
    hub: Hub, second_hub: Hub, tmp_path: Path, damage: Any, reason: str
) -> None:
    populate(hub)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    rewrite(path, damage)

    with pytest.raises(TabadolError) as refused:
        restore_backup(second_hub, path)

    assert refused.value.code is ErrorCode.BACKUP_INVALID
    assert reason in refused.value.message
    assert store_is_empty(second_hub.storage)
    assert second_hub.storage.list_audit(limit=10) == []


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_gzip_is_refused(hub: Hub, second_hub: Hub, tmp_path: Path, keep: float) -> None:
    populate(hub)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])

    with pytest.raises(TabadolError) as refused:
        restore_backup(second_hub, path)
    assert refused.value.code is ErrorCode.BACKUP_INVALID
    assert store_is_empty(second_hub.storage)


def test_a_file_that_is_not_a_backup_is_refused(second_hub: Hub, tmp_path: Path) -> None:
    for name, content in [("plain.txt", b"hello"), ("other.gz", gzip.compress(b'{"type": "member"}\n'))]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(TabadolError) as refused:
            restore_backup(second_hub, path)
        assert refused.value.code is ErrorCode.BACKUP_INVALID
    assert store_is_empty(second_hub.storage)


def test_cli_backup_and_restore_report_errors_with_their_code(
    run_cli: RunCli, hub: Hub, second_database_url: str, tmp_path: Path
) -> None:
    populate(hub)
    path = tmp_path / "cli.jsonl.gz"
    written = run_cli("backup", str(path))
    assert written.exit_code == 0, written.stderr
    assert "2 member" in written.stdout

    refused = run_cli("restore", str(path))  # into the populated store itself
    assert refused.exit_code == 1
    assert refused.stderr.startswith("E505 store_not_empty: The store already holds data")

    missing = run_cli("--database", second_database_url, "restore", str(tmp_path / "none.gz"))
    assert missing.exit_code == 1 and missing.stderr.startswith("E503 backup_invalid")

    restored = run_cli("--database", second_database_url, "restore", str(path))
    assert restored.exit_code == 0, restored.stderr
    assert run_cli("--database", second_database_url, "export").stdout == run_cli("export").stdout


def test_subscriptions_are_backed_up_and_restored(tmp_path: Path, hub: Hub) -> None:
    from tabadol.backup import restore_backup, write_backup
    from tabadol.config import Settings
    from tabadol.deliver.subscriptions import build_filter
    from tabadol.hub import create_hub
    from tabadol.types import Subscription, utc_now

    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    now = utc_now()
    subscription = Subscription(
        "sub_1", "irna", "Caspian", build_filter(languages=["ru"], query="Каспий"), now, now
    )
    hub.storage.add_subscription(subscription)
    path = tmp_path / "hub.tbk.gz"
    summary = write_backup(hub, path)
    assert summary.counts["subscription"] == 1
    target = create_hub(
        Settings.from_env(
            {"TABADOL_DATABASE_URL": f"sqlite:///{tmp_path}/new.db", "TABADOL_DATA_DIR": str(tmp_path)}
        )
    )
    try:
        restore_backup(target, path)
        assert target.storage.get_subscription("sub_1") == subscription
    finally:
        target.close()


def test_the_usage_ledger_is_backed_up_and_restored(tmp_path: Path, hub: Hub) -> None:
    from tabadol.config import Settings
    from tabadol.hub import create_hub
    from tabadol.types import Take, utc_now

    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    document = json.dumps(
        {
            "uri": "urn:irna:1",
            "type": "text",
            "headlines": [{"role": "main", "value": "h"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "b"}],
        }
    ).encode()
    item_id = hub.ingest_payload("irna", document, "application/ninjs+json", via="cli").outcomes[0].item_id
    take = Take(item_id, 1, "irna", "tass", None, "fa", "ru", True, utc_now())
    hub.storage.record_take(take)
    path = tmp_path / "hub.tbk.gz"
    assert write_backup(hub, path).counts["take"] == 1
    target = create_hub(
        Settings.from_env(
            {"TABADOL_DATABASE_URL": f"sqlite:///{tmp_path}/new.db", "TABADOL_DATA_DIR": str(tmp_path)}
        )
    )
    try:
        restore_backup(target, path)
        restore_backup(target, path, force=True)  # idempotent: the take is not recorded twice
        assert target.storage.list_takes() == [take]
    finally:
        target.close()
