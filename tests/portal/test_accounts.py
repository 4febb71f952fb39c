"""Newsroom accounts: scrypt passwords, sessions that slide and end, throttled logins, and one
answer for every failed login (an unknown user and a wrong password look alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo, Principal, Role, utc_now
from tabadol.web.portal import accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def leila(hub: Hub, member: MemberInfo) -> None:
    accounts.create_account(hub.storage, "irna", "leila", PASSWORD, Role.EDITOR, "Leila", OPERATOR)


def test_passwords_are_salted_scrypt_and_checked() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert accounts.password_matches(PASSWORD, first)
    assert not accounts.password_matches(PASSWORD + "!", first)
    assert not accounts.password_matches(PASSWORD, "garbage")
    with pytest.raises(TabadolError) as short:
        accounts.hash_password("short")
    assert short.value.code is ErrorCode.INVALID_ACCOUNT


def test_only_administrators_create_accounts_and_usernames_are_unique(
    hub: Hub, member: MemberInfo, leila: None
) -> None:
    editor = Principal("irna", Role.EDITOR)
    with pytest.raises(TabadolError) as refused:
        accounts.create_account(hub.storage, "irna", "other", PASSWORD, Role.EDITOR, "", editor)
    assert refused.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(TabadolError) as taken:
        accounts.create_account(hub.storage, "irna", "Leila", PASSWORD, Role.READER, "", OPERATOR)
    assert taken.value.code is ErrorCode.ACCOUNT_EXISTS
    with pytest.raises(TabadolError) as bad:
        accounts.create_account(hub.storage, "irna", "no spaces", PASSWORD, Role.READER, "", OPERATOR)
    assert bad.value.code is ErrorCode.INVALID_ACCOUNT


def test_a_login_opens_a_session_that_logout_ends(hub: Hub, leila: None) -> None:
    login = accounts.log_in(hub.storage, "leila", PASSWORD, "10.0.0.1")
    session = accounts.session_for(hub.storage, login.token)
    assert session is not None and session.user.username == "leila" and session.user.role is Role.EDITOR
    assert hub.storage.get_web_session(login.token, utc_now()) is None  # only the digest is stored
    assert accounts.session_for(hub.storage, login.token + "x") is None
    accounts.log_out(hub.storage, login.token)
    assert accounts.session_for(hub.storage, login.token) is None


def test_sessions_slide_but_never_past_their_end(hub: Hub, leila: None) -> None:
    start = utc_now()
    login = accounts.log_in(hub.storage, "leila", PASSWORD, None, now=start)
    later = start + accounts.SESSION_IDLE - timedelta(minutes=5)
    assert accounts.session_for(hub.storage, login.token, now=later) is not None  # and extended
    assert accounts.session_for(hub.storage, login.token, now=later + timedelta(hours=6)) is not None
    idle = later + timedelta(hours=6) + accounts.SESSION_IDLE + timedelta(minutes=1)
    assert accounts.session_for(hub.storage, login.token, now=idle) is None
    assert accounts.session_for(hub.storage, login.token, now=start + accounts.SESSION_MAX) is None


def test_failed_logins_are_alike_and_throttled(hub: Hub, leila: None) -> None:
    for attempt in range(accounts.MAX_FAILURES_PER_USER):
        username = "leila" if attempt % 2 else "nobody"
        with pytest.raises(TabadolError) as failed:
            accounts.log_in(hub.storage, username, "wrong password", "10.0.0.2")
        assert failed.value.code is ErrorCode.LOGIN_FAILED
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        with pytest.raises(TabadolError):
            accounts.log_in(hub.storage, "leila", "wrong password", "10.0.0.3")
    with pytest.raises(TabadolError) as throttled:
        accounts.log_in(hub.storage, "leila", PASSWORD, "10.0.0.4")  # even the right password
    assert throttled.value.code is ErrorCode.LOGIN_THROTTLED
    later = utc_now() + accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert (
        accounts.log_in(hub.storage, "leila", PASSWORD, "10.0.0.4", now=later).session.user.username
        == "leila"
    )


def test_disabling_an_account_ends_its_sessions(hub: Hub, leila: None) -> None:
    login = accounts.log_in(hub.storage, "leila", PASSWORD, None)
    assert hub.storage.disable_web_user("leila", utc_now())
    assert accounts.session_for(hub.storage, login.token) is None
    with pytest.raises(TabadolError) as refused:
        accounts.log_in(hub.storage, "leila", PASSWORD, None)
    assert refused.value.code is ErrorCode.LOGIN_FAILED


def test_a_new_password_ends_the_accounts_sessions(hub: Hub, leila: None) -> None:
    login = accounts.log_in(hub.storage, "leila", PASSWORD, None)
    assert hub.storage.set_web_user_password("leila", accounts.hash_password("another long password"))
    assert accounts.session_for(hub.storage, login.token) is None
    again = accounts.log_in(hub.storage, "leila", "another long password", None)
    assert again.session.user.username == "leila"
