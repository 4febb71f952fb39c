"""Opaque keyset cursors for item listings.

A cursor is the sort key of the last item of a page -- (version_created, id) -- as base64url JSON.
Keyset paging (WHERE key < cursor) is stable under inserts: new items sort before the cursor and
never shift later pages, so paging neither repeats nor skips an item that was already there.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime

from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime, parse_datetime

_ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def encode_cursor(version_created: datetime, item_id: str) -> str:
    raw = json.dumps([format_datetime(version_created), item_id], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises INVALID_CURSOR for anything `encode_cursor` did not make."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        when, item_id = json.loads(raw.decode("utf-8"))
        if not isinstance(when, str) or not isinstance(item_id, str) or not _ITEM_ID.match(item_id):
            raise ValueError("unexpected cursor content")
        return parse_datetime(when), item_id
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise TabadolError(ErrorCode.INVALID_CURSOR) from exc
