"""Migration 14: people who log in to the newsroom, their sessions, and failed logins (throttling).

The tables are frozen here as released (not imported from schema.py).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, ForeignKey, Index, Integer, MetaData, String, Table, Text

from tabadol.storage.schema import UTCDateTime

metadata = MetaData()

members = Table("members", metadata, Column("code", String(32), primary_key=True))

web_users = Table(
    "web_users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("member_code", String(32), ForeignKey("members.code"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    Index("ix_web_users_member", "member_code"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("web_users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("remote_addr", String(64)),
    Index("ix_web_sessions_user", "user_id"),
    Index("ix_web_sessions_expires", "expires_at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("remote_addr", String(64)),
    Index("ix_login_failures_user", "username", "at"),
    Index("ix_login_failures_addr", "remote_addr", "at"),
)


def apply(connection: Connection) -> None:
    web_users.create(connection)
    web_sessions.create(connection)
    login_failures.create(connection)
