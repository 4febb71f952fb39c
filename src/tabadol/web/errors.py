"""One JSON shape for every error the API returns: `{"error": {code, number, message, detail}}`.

TabadolErrors carry their own code and status. Framework errors (unknown route, wrong method,
parameter validation) and unexpected exceptions are translated into the same shape here, so a
client never has to parse two kinds of error body, and no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tabadol.errors import ErrorCode, TabadolError

log = logging.getLogger("tabadol.web")

# Request parts whose validation failures are the client's query, not its body.
_PARAMETER_LOCATIONS = frozenset({"query", "path", "header", "cookie"})


def error_response(error: TabadolError, headers: dict[str, str] | None = None) -> JSONResponse:
    if error.http_status == 401:  # RFC 9110: a 401 names the scheme the client should use
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="tabadol"'}
    return JSONResponse(error.to_json(), status_code=error.http_status, headers=headers)


def _answer(request: Request, error: TabadolError, headers: dict[str, str] | None = None) -> Response:
    """The portal renders errors on its pages as pages (app.state.error_page); the API answers JSON."""
    page = getattr(request.app.state, "error_page", None)
    rendered = page(request, error) if page is not None else None
    if rendered is not None:
        return rendered
    return error_response(error, headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TabadolError, _on_tabadol_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_tabadol_error(request: Request, exc: TabadolError) -> Response:
    return _answer(request, exc)


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    return _answer(request, validation_error(exc.errors()))


def validation_error(errors: Any) -> TabadolError:
    """The first problem FastAPI found, as INVALID_QUERY (parameters) or INVALID_REQUEST_BODY (body)."""
    first = next(iter(errors), None) or {}
    location = tuple(str(part) for part in first.get("loc", ()))
    reason = str(first.get("msg", "invalid value"))
    where = location[0] if location else "body"
    field_path = ".".join(location[1:])
    if where in _PARAMETER_LOCATIONS:
        return TabadolError(ErrorCode.INVALID_QUERY, param=field_path or where, reason=reason)
    detail = f"'{field_path}': {reason}" if field_path else reason
    if first.get("type") == "json_invalid":
        return TabadolError(ErrorCode.MALFORMED_JSON, reason=detail)
    return TabadolError(ErrorCode.INVALID_REQUEST_BODY, reason=detail)


async def _on_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 404:
        return _answer(request, TabadolError(ErrorCode.NOT_FOUND, path=request.url.path), headers)
    if exc.status_code == 405:
        error = TabadolError(ErrorCode.METHOD_NOT_ALLOWED, method=request.method, path=request.url.path)
        return error_response(error, headers)
    log.warning("unmapped HTTP error %s on %s %s", exc.status_code, request.method, request.url.path)
    return error_response(TabadolError(ErrorCode.INTERNAL), headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # Logged in full for operators; the client learns only that nothing was applied.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, TabadolError(ErrorCode.INTERNAL))
