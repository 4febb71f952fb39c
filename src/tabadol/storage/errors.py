"""Turning database driver errors into the hub's stable error codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from tabadol.errors import ErrorCode, TabadolError

# Errors that mean "the database cannot be reached or is overloaded": callers may retry later.
_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


def describe(exc: BaseException) -> str:
    """One line naming the driver's complaint (the driver message, never the SQL or parameters)."""
    original = getattr(exc, "orig", None) or exc
    fields = original.args[0] if original.args else None
    if isinstance(fields, dict) and isinstance(fields.get("M"), str):
        # pg8000 carries the server's error as a dict of protocol fields; "M" is the message.
        return str(fields["M"])
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


@contextmanager
def driver_errors() -> Iterator[None]:
    """Re-raise SQLAlchemy/driver errors as TabadolError; the original stays as `__cause__`."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise TabadolError(ErrorCode.STORAGE_UNAVAILABLE, reason=describe(exc)) from exc
    except DBAPIError as exc:
        # No statement means the error came while connecting (unknown database, refused login).
        if exc.connection_invalidated or exc.statement is None:
            raise TabadolError(ErrorCode.STORAGE_UNAVAILABLE, reason=describe(exc)) from exc
        raise TabadolError(ErrorCode.INTERNAL, reason=describe(exc)) from exc
    except SQLAlchemyError as exc:
        raise TabadolError(ErrorCode.INTERNAL, reason=describe(exc)) from exc
