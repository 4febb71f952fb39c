"""`tabadol sign` and `tabadol verify --signed`: a member signs a payload file, the hub checks the
signature on ingest, and the signed-item document verifies offline, with the keys file alone."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.types import DeclaredSignature, MemberInfo
from tabadol.verify.keys import key_json
from tabadol.verify.provenance import VerifyStatus
from tabadol.verify.signed import signed_document
from tabadol.web.api.provenance import canonical_of

DOCUMENT = {
    "uri": "urn:irna:signed:1",
    "type": "text",
    "language": "en",
    "versionCreated": "2026-11-20T10:00:00Z",
    "headlines": [{"role": "main", "value": "Caspian ports handle 12 million tonnes"}],
    "bodies": [{"role": "main", "contentType": "text/plain", "value": "Cargo rose by 12 percent."}],
}


def test_sign_then_ingest_then_verify_offline(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    key_file = tmp_path / "irna.pem"
    made = run_cli("agency", "key", "irna", "--signing", "--out", str(key_file))
    assert made.exit_code == 0, made.stderr
    payload = tmp_path / "item.json"
    payload.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    signed = run_cli("sign", str(payload), "--key", str(key_file), "--member", "irna", "--json")
    assert signed.exit_code == 0, signed.stderr
    answer = json.loads(signed.stdout)
    [entry] = answer["items"]
    report = hub.ingest_payload(
        "irna",
        payload.read_bytes(),
        "application/ninjs+json",
        via="test",
        signatures=[DeclaredSignature(entry["signature"], answer["key_id"])],
    )
    [outcome] = report.outcomes
    [recorded] = hub.storage.item_provenance(outcome.item_id)
    assert recorded.provenance.verified is VerifyStatus.VALID

    item = hub.storage.get_item(outcome.item_id)
    assert item is not None
    version = hub.storage.get_version(item.id, 1)
    assert version is not None
    document_file = tmp_path / "signed.json"
    document_file.write_text(
        json.dumps(signed_document(recorded, canonical_of(item, version))), encoding="utf-8"
    )
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": [key_json(k) for k in hub.storage.list_signing_keys()]}))

    valid = run_cli("verify", "--signed", str(document_file), "--keys", str(keys_file), "--json")
    assert valid.exit_code == 0, valid.stdout + valid.stderr
    assert json.loads(valid.stdout)["verified"] == "valid"

    # One digit changed in the document: exit status 1, reported as an invalid signature.
    tampered = json.loads(document_file.read_text())
    tampered["canonical"]["body"] = "Cargo rose by 13 percent."
    document_file.write_text(json.dumps(tampered), encoding="utf-8")
    invalid = run_cli("verify", "--signed", str(document_file), "--keys", str(keys_file))
    assert invalid.exit_code == 1
    assert invalid.stdout.startswith("invalid_signature")


def test_verify_signed_refuses_what_is_not_a_signed_document(run_cli: RunCli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"type": "something else"}')
    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": []}')
    result = run_cli("verify", "--signed", str(junk), "--keys", str(keys))
    assert result.exit_code != 0 and "E705" in result.stderr
    alone = run_cli("verify", "--signed", str(junk))
    assert alone.exit_code == 2
