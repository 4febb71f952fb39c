"""Newsroom accounts: passwords, sessions, login throttling. No web framework here.

- Passwords are hashed with scrypt (memory-hard; Python's standard library), a random salt each,
  and compared in constant time. The hash string names its parameters, so they can be raised later
  without invalidating existing accounts.
- A session is a random 256-bit token in an HttpOnly cookie; the hub stores only its SHA-256, so a
  copy of the database lets nobody log in. Sessions slide: each use extends them up to
  SESSION_IDLE, never past SESSION_MAX from login. Each session has its own CSRF token.
- Throttling: after MAX_FAILURES_PER_USER failed logins for one username, or
  MAX_FAILURES_PER_ADDRESS from one address, within FAILURE_WINDOW, logins are refused (even with
  the right password) until the window passes. The failures live in the database, so every hub
  process counts the same ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tabadol.errors import ErrorCode, TabadolError
from tabadol.storage.base import Storage
from tabadol.types import Principal, Role, WebSession, WebUser, utc_now

SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=7)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 30
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # scrypt of a megabyte "password" is a denial of service, not a login
USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_HASH_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    _check_password(password)
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_PASSWORD_CHARS:
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_HASH_BYTES, maxmem=64 * 1024 * 1024
    )


def _check_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise TabadolError(
            ErrorCode.INVALID_ACCOUNT,
            reason=f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- accounts -------------------------------------------------------------------------------------


def create_account(
    storage: Storage,
    member_code: str,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    actor: Principal,
) -> WebUser:
    """A newsroom account for a member (administrators only, or the local operator)."""
    if not actor.is_admin:
        raise TabadolError(ErrorCode.FORBIDDEN, action="create newsroom accounts")
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise TabadolError(
            ErrorCode.INVALID_ACCOUNT,
            reason="a username is 2-64 lowercase letters, digits, '.', '_' or '-', starting with a letter",
        )
    if storage.get_member(member_code) is None:
        raise TabadolError(ErrorCode.MEMBER_NOT_FOUND, code=member_code)
    user = WebUser(
        id="wu" + secrets.token_hex(10),
        username=username,
        member_code=member_code,
        role=role,
        display_name=display_name.strip() or username,
        created_at=utc_now(),
    )
    if not storage.add_web_user(user, hash_password(password)):
        raise TabadolError(ErrorCode.ACCOUNT_EXISTS, username=username)
    return user


# -- sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login:
    session: WebSession
    token: str  # goes into the cookie; never stored


def log_in(
    storage: Storage, username: str, password: str, remote_addr: str | None, now: datetime | None = None
) -> Login:
    """Check the password (throttled) and open a session. One error for every failure: a wrong
    username and a wrong password look the same from outside."""
    now = now or utc_now()
    username = username.strip().lower()[:64]
    by_user, by_address = storage.count_login_failures(username, remote_addr, now - FAILURE_WINDOW)
    if by_user >= MAX_FAILURES_PER_USER or by_address >= MAX_FAILURES_PER_ADDRESS:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TabadolError(ErrorCode.LOGIN_THROTTLED, minutes=minutes)
    found = storage.get_web_user(username)
    # The hash is computed even for an unknown user, so timing does not tell which usernames exist.
    stored = found[1] if found is not None else _DUMMY_HASH
    matches = password_matches(password, stored)
    if found is None or not matches or found[0].disabled_at is not None:
        storage.record_login_failure(username, remote_addr, now)
        raise TabadolError(ErrorCode.LOGIN_FAILED)
    token = secrets.token_urlsafe(32)
    session = WebSession(
        token_sha256=token_digest(token),
        user=found[0],
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_IDLE,
        remote_addr=remote_addr,
    )
    storage.add_web_session(session)
    return Login(session, token)


def session_for(storage: Storage, token: str | None, now: datetime | None = None) -> WebSession | None:
    """The live session a cookie's token opens, extended by this use; None when there is none."""
    if not token or len(token) > 128:
        return None
    now = now or utc_now()
    session = storage.get_web_session(token_digest(token), now)
    if session is None:
        return None
    # Slide the expiry forward, at most once a minute (a write per request would serialise readers),
    # and never past the session's absolute end.
    extended = min(now + SESSION_IDLE, session.created_at + SESSION_MAX)
    if extended - session.expires_at > timedelta(minutes=1):
        storage.extend_web_session(session.token_sha256, extended)
    return session


def log_out(storage: Storage, token: str | None) -> None:
    if token:
        storage.end_web_session(token_digest(token))


_DUMMY_HASH = hash_password("not a real password, only for timing")
