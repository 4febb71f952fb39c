"""Fixtures for the storage tests (builders live in storage_helpers.py)."""

from __future__ import annotations

import pytest
from storage_helpers import MakeRequest, add_member, build_request

from tabadol.storage.base import Storage
from tabadol.types import MemberInfo


@pytest.fixture
def members(storage: Storage) -> tuple[MemberInfo, MemberInfo]:
    """Two members: "irna" (fa) and "tass" (ru)."""
    return add_member(storage, "irna", "IR", ("fa",)), add_member(storage, "tass", "RU", ("ru",))


@pytest.fixture
def make_request() -> MakeRequest:
    return build_request
