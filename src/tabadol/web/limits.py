"""Request-body limits enforced while reading, never after.

A declared Content-Length over the limit is refused before a byte of the body is read; a body
without one (chunked upload) is counted as it streams and refused the moment it passes the limit.
Either way the server holds at most `limit` bytes of one request in memory.
"""

from __future__ import annotations

from fastapi import Request

from tabadol.errors import ErrorCode, TabadolError


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        length = int(raw)
    except ValueError:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param="Content-Length", reason="not a whole number"
        ) from None
    if length < 0:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="Content-Length", reason="negative")
    return length


async def read_body_within(request: Request, limit: int) -> bytes:
    """The whole body, or PAYLOAD_TOO_LARGE as soon as it is known to exceed `limit` bytes."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=length, limit=limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=f"more than {limit}", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)
