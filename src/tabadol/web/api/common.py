"""Small helpers shared by the routers: absolute URLs and per-request member lookups."""

from __future__ import annotations

from fastapi import Request

from tabadol.hub import Hub
from tabadol.types import MemberInfo

API_PREFIX = "/api/v1"


def split_values(values: list[str]) -> tuple[str, ...]:
    """Repeatable parameters also accept comma lists: ?member=irna,tass&member=kazinform."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def base_url(request: Request) -> str:
    """Scheme and host the client used, so links in documents point back to this server."""
    return str(request.base_url).rstrip("/")


class MemberLookup:
    """Members named by the items of one response, each read once (a page often repeats a member)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._members: dict[str, MemberInfo | None] = {}

    def get(self, code: str) -> MemberInfo | None:
        if code not in self._members:
            self._members[code] = self._hub.storage.get_member(code)
        return self._members[code]
