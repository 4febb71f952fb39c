"""`tabadol sign` (a member signs a payload before pushing it) and the offline half of
`tabadol verify --signed` (check a signed-item document with the published keys alone)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.formats import default_registry
from tabadol.verify.provenance import (
    canonical_form_for_parsed,
    public_key_id,
    public_key_of,
    read_private_key,
    sign,
)
from tabadol.verify.signed import check_signed_document


def sign_command(
    payload: Annotated[Path, typer.Argument(help="The payload file exactly as it will be pushed.")],
    key: Annotated[Path, typer.Option(help="The member's Ed25519 private key (PEM).")],
    member: Annotated[str, typer.Option(help="The member code the hub knows the sender by.")],
    version: Annotated[
        int, typer.Option(min=1, help="The version the items become at the hub (1 for new items).")
    ] = 1,
    content_type: Annotated[str | None, typer.Option(help="Content-Type the push will declare.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: key id, signatures, items.")] = False,
) -> None:
    """Sign every item of a payload: prints the Tabadol-Signature headers to push it with."""
    from tabadol.cli import emit_json, out, reported_errors

    with reported_errors():
        private_pem = read_private_key(key)
        _, items = default_registry().parse(payload.read_bytes(), content_type)
        signed: list[dict[str, Any]] = []
        signatures: list[str] = []
        for position, item in enumerate(items, start=1):
            if not item.guid:
                raise TabadolError(ErrorCode.MISSING_FIELD, position=position, field="guid")
            canonical = canonical_form_for_parsed(item, member, version)
            signatures.append(sign(private_pem, canonical))
            signed.append({"guid": item.guid, "version": version, "signature": signatures[-1]})
        key_id = public_key_id(public_key_of(private_pem))
    if as_json:
        emit_json({"key_id": key_id, "items": signed})
        return
    out.print(f"Tabadol-Signature-Key: {key_id}", markup=False)
    out.print("Tabadol-Signature: " + ", ".join(signatures), markup=False)


def check_signed_file(signed: Path, keys: Path, as_json: bool) -> None:
    """Offline: no hub, no network. Exit 0 when the signature is valid, 1 when it is not."""
    from tabadol.cli import emit_json, out, reported_errors

    with reported_errors():
        result = check_signed_document(_read_json(signed), _read_json(keys))
    if as_json:
        emit_json(
            {
                "verified": result.status.value,
                "reason": result.reason,
                "key_id": result.key_id,
                "member": result.member,
                "uri": result.uri,
                "version": result.version,
                "headline": result.headline,
            }
        )
    else:
        out.print(f"{result.status.value}: {result.reason}", markup=False)
        out.print(f"item {result.uri} version {result.version} — {result.member}", markup=False)
        out.print(f"headline: {result.headline}", markup=False)
    if not result.valid:
        raise typer.Exit(code=1)


def _read_json(path: Path) -> Any:
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        return json.loads(data.decode("utf-8"))
    except OSError as exc:
        raise TabadolError(ErrorCode.INVALID_SIGNED_DOCUMENT, reason=f"cannot read {path}: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TabadolError(ErrorCode.INVALID_SIGNED_DOCUMENT, reason=f"{path} is not JSON: {exc}") from None
