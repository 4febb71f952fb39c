"""Signing keys and item provenance in backups: a restored item keeps its signature byte for byte and
its signed-item document still verifies offline (SQLite to PostgreSQL too); a backup whose provenance
does not fit its versions or keys is refused; a backup made before provenance existed still restores."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from during_backup import writes_during_backup
from fastapi.testclient import TestClient

from tabadol import backup
from tabadol.backup import restore_backup, store_is_empty, write_backup
from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub, create_hub
from tabadol.ingest.decode import parse_wire_datetime
from tabadol.storage import sql
from tabadol.types import Role
from tabadol.verify.provenance import (
    VerifyStatus,
    canonical_form,
    encode_public_key,
    generate_key_pair,
    public_key_id,
    public_key_of,
    sign,
)
from tabadol.verify.signed import check_signed_document

WHEN = "2026-11-20T10:00:00Z"
HEADLINE = "خبر امضاشده"


@dataclass(frozen=True)
class Pushed:
    """What `push_signed_and_unsigned` left on a hub: tokens and the expected offline findings."""

    tokens: dict[str, str]  # member code -> editor token
    findings: dict[tuple[str, int], VerifyStatus]  # (item id, version) -> offline check result
    revoked_key_id: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_client(hub: Hub) -> TestClient:
    from tabadol.web.app import create_app

    return TestClient(create_app(hub), raise_server_exceptions=False)


def signature_for(private_pem: bytes, guid: str, body: str, version: int) -> str:
    """What irna's own tools compute: the canonical form of docs/provenance.md, signed."""
    canonical = canonical_form(
        uri=guid,
        version=version,
        member="irna",
        language="fa",
        headline=HEADLINE,
        body=body,
        first_created=None,
        version_created=parse_wire_datetime(WHEN, field="versionCreated", position=1),
    )
    return sign(private_pem, canonical)


def push(
    client: TestClient, token: str, guid: str, body: str, signature: str | None = None
) -> tuple[str, int]:
    document = {
        "uri": guid,
        "type": "text",
        "language": "fa",
        "versionCreated": WHEN,
        "headlines": [{"role": "main", "value": HEADLINE}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
    }
    headers = {**bearer(token), "Content-Type": "application/ninjs+json"}
    if signature is not None:
        headers["Tabadol-Signature"] = signature
    response = client.post("/api/v1/items", content=json.dumps(document).encode("utf-8"), headers=headers)
    assert response.status_code in (200, 201), response.text
    [entry] = response.json()["items"]
    return str(entry["id"]), int(entry["version"])


def publish_key(client: TestClient, token: str) -> bytes:
    private_pem, public = generate_key_pair()
    response = client.post(
        "/api/v1/members/irna/signing-keys",
        json={"public_key": encode_public_key(public), "label": "desk"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return private_pem


def push_signed_and_unsigned(hub: Hub) -> Pushed:
    """irna signs with a key it later revokes (two versions of one item, and a forgery), then with
    its new key; tass pushes unsigned, so the hub signs for it."""
    hub.add_member("irna", {"en": "IRNA", "fa": "ایرنا"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    tokens = {code: hub.issue_key(code, Role.EDITOR, "desk")[1] for code in ("irna", "tass")}
    client = app_client(hub)
    findings: dict[tuple[str, int], VerifyStatus] = {}
    old_key = publish_key(client, tokens["irna"])
    for version, body in enumerate(["قیمت نفت به ۸۴ دلار رسید.", "قیمت نفت به ۸۵ دلار رسید."], start=1):
        signature = signature_for(old_key, "urn:irna:signed:1", body, version)
        findings[push(client, tokens["irna"], "urn:irna:signed:1", body, signature)] = VerifyStatus.VALID
    # Signed over one text, pushed with another: recorded as invalid, and it must stay invalid.
    forged = signature_for(old_key, "urn:irna:signed:2", "متن اصلی", 1)
    pushed = push(client, tokens["irna"], "urn:irna:signed:2", "متن دستکاری‌شده", forged)
    findings[pushed] = VerifyStatus.INVALID_SIGNATURE
    revoked_key_id = public_key_id(public_key_of(old_key))
    assert (
        client.delete(f"/api/v1/signing-keys/{revoked_key_id}", headers=bearer(tokens["irna"])).status_code
        == 204
    )
    new_key = publish_key(client, tokens["irna"])
    body = "نشست خبرگزاری‌ها در تهران برگزار شد."
    signature = signature_for(new_key, "urn:irna:signed:3", body, 1)
    findings[push(client, tokens["irna"], "urn:irna:signed:3", body, signature)] = VerifyStatus.VALID
    for guid in ("urn:tass:1", "urn:tass:2"):
        findings[push(client, tokens["tass"], guid, "Саммит открылся")] = VerifyStatus.VALID
    return Pushed(tokens=tokens, findings=findings, revoked_key_id=revoked_key_id)


def signed_documents(hub: Hub, pushed: Pushed) -> dict[tuple[str, int], bytes]:
    """Each version's signed-item document, as the bytes the hub serves."""
    client = app_client(hub)
    documents: dict[tuple[str, int], bytes] = {}
    for item_id, version in pushed.findings:
        response = client.get(
            f"/api/v1/items/{item_id}/versions/{version}/signed", headers=bearer(pushed.tokens["irna"])
        )
        assert response.status_code == 200, response.text
        documents[(item_id, version)] = response.content
    return documents


def assert_provenance_survived(source: Hub, target: Hub, pushed: Pushed) -> None:
    assert target.storage.list_signing_keys() == source.storage.list_signing_keys()
    revoked = target.storage.get_signing_key(pushed.revoked_key_id)
    assert revoked is not None and revoked.revoked_at is not None
    item_ids = {item_id for item_id, _ in pushed.findings}
    for item_id in item_ids:
        recorded = source.storage.item_provenance(item_id)
        assert recorded and target.storage.item_provenance(item_id) == recorded
    before = signed_documents(source, pushed)
    after = signed_documents(target, pushed)
    assert after == before  # byte for byte: signature, key, finding and time at receipt
    keys = app_client(target).get("/.well-known/tabadol-keys.json").json()
    for (item_id, version), expected in pushed.findings.items():
        result = check_signed_document(json.loads(after[(item_id, version)]), keys)
        assert result.status is expected, (item_id, version, result.reason)


def test_restored_items_keep_their_signatures_and_verify_offline(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    pushed = push_signed_and_unsigned(hub)
    path = tmp_path / "hub.jsonl.gz"

    summary = write_backup(hub, path)
    assert summary.counts["signing_key"] == 3  # the hub's, irna's revoked key and its new one
    assert summary.counts["provenance"] == summary.counts["version"] == len(pushed.findings)
    restore_backup(second_hub, path)

    assert_provenance_survived(hub, second_hub, pushed)
    again = restore_backup(second_hub, path, force=True)
    assert again.skipped["signing_key"] == 3 and again.skipped["provenance"] == len(pushed.findings)
    assert_provenance_survived(hub, second_hub, pushed)


def test_provenance_is_read_and_restored_in_pages(
    hub: Hub, second_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed = push_signed_and_unsigned(hub)
    monkeypatch.setattr(sql, "STREAM_BATCH", 2)
    monkeypatch.setattr(backup, "_RESTORE_CHUNK", 2)
    streamed = [(r.item_id, r.version) for r in hub.storage.iter_provenance()]
    assert streamed == sorted(pushed.findings)  # every record once, in (item id, version) order
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    restore_backup(second_hub, path)
    assert_provenance_survived(hub, second_hub, pushed)


def test_a_version_pushed_during_the_backup_is_left_out_with_its_provenance(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    pushed = push_signed_and_unsigned(hub)
    late: list[tuple[str, int]] = []

    def a_push() -> None:
        # Arrives after the versions were read, before the provenance is: signed by the hub at once.
        late.append(push(app_client(hub), pushed.tokens["tass"], "urn:tass:late", "Поздняя новость"))

    path = tmp_path / "hub.jsonl.gz"
    with writes_during_backup(hub.storage, iter_versions=a_push):
        summary = write_backup(hub, path)

    assert summary.counts["provenance"] == summary.counts["version"] == len(pushed.findings)
    restore_backup(second_hub, path)
    assert_provenance_survived(hub, second_hub, pushed)
    [(item_id, version)] = late
    assert second_hub.storage.get_version(item_id, version) is None


def test_a_key_published_during_the_backup_leaves_its_signatures_out(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    pushed = push_signed_and_unsigned(hub)
    late: list[tuple[str, int]] = []

    def a_new_key_signs_a_push() -> None:
        # Published after the keys were read, used before the versions are: the version is in the
        # backup, the key is not, so its provenance cannot be either.
        client = app_client(hub)
        private_pem = publish_key(client, pushed.tokens["irna"])
        body = "خبر دیرهنگام"
        signature = signature_for(private_pem, "urn:irna:late", body, 1)
        late.append(push(client, pushed.tokens["irna"], "urn:irna:late", body, signature))

    path = tmp_path / "hub.jsonl.gz"
    with writes_during_backup(hub.storage, list_signing_keys=a_new_key_signs_a_push):
        summary = write_backup(hub, path)

    assert summary.counts["version"] == len(pushed.findings) + 1
    assert summary.counts["provenance"] == len(pushed.findings)
    restore_backup(second_hub, path)
    [(item_id, version)] = late
    assert second_hub.storage.get_version(item_id, version) is not None
    assert second_hub.storage.item_provenance(item_id) == []
    assert len(second_hub.storage.list_signing_keys()) == len(hub.storage.list_signing_keys()) - 1
    for other in {i for i, _ in pushed.findings}:
        assert second_hub.storage.item_provenance(other) == hub.storage.item_provenance(other)


@pytest.fixture
def postgres_url(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def test_signatures_move_from_sqlite_to_postgres(tmp_path: Path, postgres_url: str) -> None:
    source = create_hub(
        Settings(database_url=f"sqlite:///{tmp_path / 'old.sqlite3'}", data_dir=tmp_path / "old")
    )
    target = create_hub(Settings(database_url=postgres_url, data_dir=tmp_path / "new"))
    try:
        pushed = push_signed_and_unsigned(source)
        path = tmp_path / "move.jsonl.gz"
        write_backup(source, path)
        restore_backup(target, path)
        assert_provenance_survived(source, target, pushed)
    finally:
        source.close()
        target.close()


# -- refused and older backups ----------------------------------------------------------------------
def rewrite(path: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Decompress, let `change` edit the list of records, compress again."""
    records = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in change(records)).encode()))


def name_an_absent_version(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    record = next(r for r in records if r["type"] == "provenance")
    record["version"] = 99
    return records


def _drop_count(records: list[dict[str, Any]], kind: str) -> None:
    """Lower `kind`'s count in the header and end line by one (one record of it is dropped)."""
    for line in (records[0], records[-1]):
        line["counts"][kind] -= 1


def drop_a_published_key(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    hub_key = next(r for r in records if r["type"] == "signing_key" and r["member_code"] is None)
    _drop_count(records, "signing_key")
    return [r for r in records if r is not hub_key]


def strip_the_vouched_member(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    record = next(r for r in records if r["type"] == "provenance" and r["signer_kind"] == "hub")
    record["signed_by_hub_for"] = None  # a hub signature that vouches for nobody means nothing
    return records


def forge_a_key_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    key = next(r for r in records if r["type"] == "signing_key")
    key["key_id"] = "ed25519:0000000000000000"
    return records


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (name_an_absent_version, "refers to a version not in the backup"),
        (drop_a_published_key, "which the backup does not publish"),
        (strip_the_vouched_member, "malformed"),
        (forge_a_key_id, "does not match its public key"),
    ],
)
def test_provenance_that_does_not_fit_the_backup_is_refused(
    hub: Hub, second_hub: Hub, tmp_path: Path, damage: Callable[..., Any], reason: str
) -> None:
    push_signed_and_unsigned(hub)
    path = tmp_path / "hub.jsonl.gz"
    write_backup(hub, path)
    rewrite(path, damage)

    with pytest.raises(TabadolError) as refused:
        restore_backup(second_hub, path)

    assert refused.value.code is ErrorCode.BACKUP_INVALID
    assert reason in refused.value.message
    assert store_is_empty(second_hub.storage)
    assert second_hub.storage.list_signing_keys() == []


def as_an_older_release_wrote_it(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for line in (records[0], records[-1]):
        del line["counts"]["signing_key"], line["counts"]["provenance"]
    return [r for r in records if r["type"] not in ("signing_key", "provenance")]


def test_a_backup_without_keys_and_provenance_still_restores(
    hub: Hub, second_hub: Hub, tmp_path: Path
) -> None:
    pushed = push_signed_and_unsigned(hub)
    path = tmp_path / "old.jsonl.gz"
    write_backup(hub, path)
    rewrite(path, as_an_older_release_wrote_it)

    restore_backup(second_hub, path)

    assert second_hub.storage.list_signing_keys() == []
    for item_id, version in pushed.findings:
        assert second_hub.storage.get_version(item_id, version) is not None
        assert second_hub.storage.item_provenance(item_id) == []
