"""API-key authentication and role checks, as FastAPI dependencies.

Keys arrive as `Authorization: Bearer <token>` or `X-API-Key: <token>`. The hub resolves a token
to a Principal (one indexed read, a constant-time hash compare); the client address is carried
into the Principal so the audit log can name it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Principal, Role

Clock = Callable[[], datetime]

# auto_error=False: a missing key is answered by our own UNAUTHENTICATED error, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer tbd_...`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key, alternative header")


# Dependencies that do no I/O are `async def`: FastAPI runs plain `def` dependencies in its thread
# pool, and at thousands of pushes per second those hops cost more than the work. The one that reads
# the database (`current_principal`) stays a plain function, so it never blocks the event loop.


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def get_clock(request: Request) -> Clock:
    """The instant embargoes are judged against: the real time, unless the app was built with a clock."""
    clock: Clock = request.app.state.clock
    return clock


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_principal(
    request: Request,
    hub: Annotated[Hub, Depends(get_hub)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    token = bearer.credentials if bearer is not None else api_key
    if not token or not token.strip():
        raise TabadolError(ErrorCode.UNAUTHENTICATED)
    return hub.authenticate(token, client_address(request))


def require_admin(principal: Principal, action: str) -> None:
    if not principal.is_admin:
        raise TabadolError(ErrorCode.FORBIDDEN, action=action)


def require_writer(principal: Principal, action: str) -> None:
    """Editors and admins write; readers (subscribers) only read."""
    if principal.role is Role.READER:
        raise TabadolError(ErrorCode.FORBIDDEN, action=action)


def require_writer_for(principal: Principal, member_code: str, action: str) -> None:
    if not principal.can_write_for(member_code):
        raise TabadolError(ErrorCode.FORBIDDEN, action=action)


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    require_admin(principal, "use administrator endpoints")
    return principal


async def writer_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    require_writer(principal, "write")
    return principal


# Role checks as dependencies run before the body is validated: a reader learns it may not write,
# not that its (irrelevant) body was malformed.
AnyKey = Annotated[Principal, Depends(current_principal)]
AdminKey = Annotated[Principal, Depends(admin_principal)]
WriterKey = Annotated[Principal, Depends(writer_principal)]
HubDep = Annotated[Hub, Depends(get_hub)]
ClockDep = Annotated[Clock, Depends(get_clock)]
