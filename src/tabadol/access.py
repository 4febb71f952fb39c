"""API keys: issuing, hashing and checking.

A key reads `tbd_<key id>_<secret>`. The key id is public (it names the key in logs and the audit
log); the secret is 32 random bytes. Only SHA-256 of the secret is stored. A slow password hash
(argon2, bcrypt) protects low-entropy passwords against guessing; a 256-bit random secret cannot be
guessed, and a fast hash keeps every authenticated push cheap (thousands per second).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "tbd"


def new_key_id() -> str:
    return secrets.token_hex(8)


def new_token(key_id: str) -> str:
    return f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) or None if the token is not of our shape."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
