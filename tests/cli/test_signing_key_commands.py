"""`tabadol agency key CODE --signing`, `agency signing-keys`, `agency revoke-signing-key`: the private key
goes to a file only its owner can read, the public key is published, and a signature made with the file
verifies with the published key alone."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.types import MemberInfo
from tabadol.verify.provenance import (
    canonical_form,
    decode_public_key,
    decode_signature,
    encode_public_key,
    generate_key_pair,
    public_key_of,
    read_private_key,
    sign,
    signed_version,
)


def test_a_generated_pair_is_written_privately_and_published(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    path = tmp_path / "irna.pem"
    made = run_cli("agency", "key", "irna", "--signing", "--out", str(path), "--label", "IRNA desk")
    assert made.exit_code == 0, made.stderr
    key_id = made.stdout.strip()
    assert key_id.startswith("ed25519:")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listed = json.loads(run_cli("agency", "signing-keys", "--json").stdout)
    [published] = [key for key in listed if key["key_id"] == key_id]
    assert published["member"] == "irna" and published["label"] == "IRNA desk"
    # The file signs; the published key alone verifies.
    when = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def canonical_at(version: int) -> bytes:
        return canonical_form(
            uri="urn:irna:1",
            version=version,
            member="irna",
            language="fa",
            headline="خبر",
            body="متن",
            first_created=when,
            version_created=when,
        )

    raw = decode_signature(sign(read_private_key(path), canonical_at(1)))
    assert raw is not None
    assert signed_version(decode_public_key(published["public_key"]), raw, canonical_at, 1) == 1
    # Never overwrites a key file.
    again = run_cli("agency", "key", "irna", "--signing", "--out", str(path))
    assert again.exit_code != 0 and "E702" in again.stderr


def test_a_public_key_made_elsewhere_is_published_and_revoked(
    run_cli: RunCli, hub: Hub, member: MemberInfo
) -> None:
    private_pem, _ = generate_key_pair()
    public = encode_public_key(public_key_of(private_pem))
    made = run_cli("agency", "key", "irna", "--signing", "--public", public)
    assert made.exit_code == 0, made.stderr
    key_id = made.stdout.strip()
    assert run_cli("agency", "key", "irna", "--signing", "--public", public).exit_code != 0  # published once
    assert run_cli("agency", "revoke-signing-key", key_id).exit_code == 0
    [key] = [k for k in hub.storage.list_signing_keys() if k.key_id == key_id]
    assert key.revoked_at is not None  # still listed: signatures made before stay verifiable
    assert run_cli("agency", "revoke-signing-key", key_id).exit_code != 0
