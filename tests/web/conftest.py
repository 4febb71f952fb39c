"""Fixtures for the HTTP API tests: an app over the shared `hub`, a movable clock, a second member.

The shared fixtures (tests/conftest.py) give the hub, the member "irna" and its editor, reader and
admin tokens; here a second member "tass" with its own editor exists so ownership can be tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import MovableClock, bearer, ninjs_bytes

from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role
from tabadol.web.app import create_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def client(hub: Hub, clock: MovableClock) -> Iterator[TestClient]:
    # raise_server_exceptions=False: the client sees what a real one would (a 500 JSON body).
    with TestClient(create_app(hub, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tass(hub: Hub) -> MemberInfo:
    return hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])


@pytest.fixture
def tass_editor_token(hub: Hub, tass: MemberInfo, issue_token: Callable[..., str]) -> str:
    return issue_token(hub, tass.code, Role.EDITOR)


@pytest.fixture
def push(client: TestClient, editor_token: str) -> Callable[..., Any]:
    """Push a ninjs document as irna's editor and return the response."""

    def _push(token: str | None = None, content_type: str = "application/ninjs+json", **kwargs: Any) -> Any:
        headers = {**bearer(token or editor_token), "Content-Type": content_type}
        return client.post("/api/v1/items", content=ninjs_bytes(**kwargs), headers=headers)

    return _push
