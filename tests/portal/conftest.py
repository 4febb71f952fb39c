"""Fixtures for the portal tests: the whole app (API and pages) over the shared `hub`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tabadol.hub import Hub
from tabadol.web.app import create_app


@pytest.fixture
def site(hub: Hub) -> Iterator[TestClient]:
    """The app as a browser sees it: redirects are not followed, so tests see them."""
    with TestClient(create_app(hub), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
