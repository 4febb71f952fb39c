"""Newsroom accounts, sessions and failed logins: functions of an open connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from tabadol.storage import schema as t
from tabadol.types import Role, WebSession, WebUser


def web_user_from_row(row: Row[Any] | Any) -> WebUser:
    return WebUser(
        id=row.id,
        username=row.username,
        member_code=row.member_code,
        role=Role(row.role),
        display_name=row.display_name,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def insert_web_user(connection: Connection, user: WebUser, password_hash: str) -> bool:
    """Add an account; False (nothing written) when the username is taken."""
    users = t.web_users.c
    taken = connection.execute(select(users.id).where(users.username == user.username)).first()
    if taken is not None:
        return False
    connection.execute(
        insert(t.web_users).values(
            id=user.id,
            username=user.username,
            member_code=user.member_code,
            role=user.role.value,
            display_name=user.display_name,
            password_hash=password_hash,
            created_at=user.created_at,
            disabled_at=user.disabled_at,
        )
    )
    return True


def load_web_user(connection: Connection, username: str) -> tuple[WebUser, str] | None:
    """An account and its password hash, by username."""
    row = connection.execute(select(t.web_users).where(t.web_users.c.username == username)).first()
    return None if row is None else (web_user_from_row(row), row.password_hash)


def load_web_users(connection: Connection, member_code: str | None) -> list[WebUser]:
    users = t.web_users.c
    query = select(t.web_users).order_by(users.member_code, users.username)
    if member_code is not None:
        query = query.where(users.member_code == member_code)
    return [web_user_from_row(row) for row in connection.execute(query)]


def set_password_hash(connection: Connection, username: str, password_hash: str) -> bool:
    """Change a password and end the account's sessions: whoever knew the old one is logged out."""
    users = t.web_users.c
    row = connection.execute(select(users.id).where(users.username == username)).first()
    if row is None:
        return False
    connection.execute(update(t.web_users).where(users.id == row.id).values(password_hash=password_hash))
    connection.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == row.id))
    return True


def disable_web_user(connection: Connection, username: str, now: datetime) -> bool:
    """Disable an account and end its sessions at once."""
    users = t.web_users.c
    row = connection.execute(
        select(users.id).where(users.username == username, users.disabled_at.is_(None))
    ).first()
    if row is None:
        return False
    connection.execute(update(t.web_users).where(users.id == row.id).values(disabled_at=now))
    connection.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == row.id))
    return True


def insert_session(connection: Connection, session: WebSession) -> None:
    connection.execute(
        insert(t.web_sessions).values(
            token_sha256=session.token_sha256,
            user_id=session.user.id,
            csrf_token=session.csrf_token,
            created_at=session.created_at,
            expires_at=session.expires_at,
            remote_addr=session.remote_addr,
        )
    )


def load_session(connection: Connection, token_sha256: str, now: datetime) -> WebSession | None:
    """A live session of an enabled account, or None."""
    sessions, users = t.web_sessions.c, t.web_users.c
    query = (
        select(
            sessions.token_sha256,
            sessions.csrf_token,
            sessions.created_at.label("session_created_at"),
            sessions.expires_at,
            sessions.remote_addr,
            users.id,
            users.username,
            users.member_code,
            users.role,
            users.display_name,
            users.created_at,
            users.disabled_at,
        )
        .join_from(t.web_sessions, t.web_users, users.id == sessions.user_id)
        .where(sessions.token_sha256 == token_sha256, sessions.expires_at > now, users.disabled_at.is_(None))
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    return WebSession(
        token_sha256=row.token_sha256,
        user=web_user_from_row(row),
        csrf_token=row.csrf_token,
        created_at=row.session_created_at,
        expires_at=row.expires_at,
        remote_addr=row.remote_addr,
    )


def extend_session(connection: Connection, token_sha256: str, expires_at: datetime) -> None:
    statement = update(t.web_sessions).where(t.web_sessions.c.token_sha256 == token_sha256)
    connection.execute(statement.values(expires_at=expires_at))


def delete_session(connection: Connection, token_sha256: str) -> None:
    connection.execute(delete(t.web_sessions).where(t.web_sessions.c.token_sha256 == token_sha256))


def delete_expired(connection: Connection, now: datetime, failures_before: datetime) -> None:
    connection.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at <= now))
    connection.execute(delete(t.login_failures).where(t.login_failures.c.at < failures_before))


def insert_login_failure(
    connection: Connection, username: str, remote_addr: str | None, now: datetime
) -> None:
    connection.execute(insert(t.login_failures).values(at=now, username=username, remote_addr=remote_addr))


def count_login_failures(
    connection: Connection, username: str, remote_addr: str | None, since: datetime
) -> tuple[int, int]:
    """(failures for this username, failures from this address) since `since`."""
    failures = t.login_failures.c
    by_user = select(func.count()).where(failures.username == username, failures.at >= since)
    user_count = int(connection.execute(by_user).scalar_one())
    if remote_addr is None:  # no address to count by (a local socket): the username's count decides
        return user_count, 0
    by_addr = select(func.count()).where(failures.remote_addr == remote_addr, failures.at >= since)
    return user_count, int(connection.execute(by_addr).scalar_one())
