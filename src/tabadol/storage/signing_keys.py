"""Signing-key rows: functions of an open connection, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from tabadol.storage import schema as t
from tabadol.types import SigningKey


def signing_key_from_row(row: Row[Any]) -> SigningKey:
    return SigningKey(
        key_id=row.key_id,
        member_code=row.member_code,
        public_key=row.public_key,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def signing_key_row(key: SigningKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "member_code": key.member_code,
        "public_key": key.public_key,
        "label": key.label,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def insert_signing_key(connection: Connection, key: SigningKey) -> bool:
    """Add a key; False (and nothing written) if a key with that id is already registered."""
    keys = t.signing_keys.c
    if connection.execute(select(keys.key_id).where(keys.key_id == key.key_id)).first() is not None:
        return False
    connection.execute(insert(t.signing_keys).values(**signing_key_row(key)))
    return True


def insert_missing_signing_keys(connection: Connection, keys: Sequence[SigningKey]) -> int:
    """Register backed-up keys as they were (revocation time included); returns how many were new.

    A key id already registered is left as it is: the id is a hash of the public key, so it is the
    same key, and whatever this store has since recorded about it (a revocation) stands.
    """
    columns = t.signing_keys.c
    wanted = sorted({key.key_id for key in keys})
    present = set(connection.execute(select(columns.key_id).where(columns.key_id.in_(wanted))).scalars())
    rows: list[dict[str, Any]] = []
    for key in keys:
        if key.key_id not in present:
            rows.append(signing_key_row(key))
            present.add(key.key_id)
    if rows:
        connection.execute(insert(t.signing_keys), rows)
    return len(rows)


def load_signing_key(connection: Connection, key_id: str) -> SigningKey | None:
    row = connection.execute(select(t.signing_keys).where(t.signing_keys.c.key_id == key_id)).first()
    return None if row is None else signing_key_from_row(row)


def load_signing_keys(connection: Connection) -> list[SigningKey]:
    keys = t.signing_keys.c
    query = select(t.signing_keys).order_by(keys.member_code.is_not(None), keys.member_code, keys.created_at)
    return [signing_key_from_row(row) for row in connection.execute(query)]


def revoke_signing_key(connection: Connection, key_id: str, now: datetime) -> bool:
    keys = t.signing_keys.c
    statement = update(t.signing_keys).where(keys.key_id == key_id, keys.revoked_at.is_(None))
    return connection.execute(statement.values(revoked_at=now)).rowcount > 0
