"""JSON round-trips for the typed records (storage columns, export, backup).

Datetimes are written as ISO 8601 UTC with a trailing 'Z'; enums as their values; tuples as lists.
`parsed_item_from_json(parsed_item_to_json(x)) == x` for every ParsedItem.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from tabadol.types import ParsedItem, PubStatus, Subject


def format_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# Exact types that are JSON values already (subclasses such as str enums are not included).
_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


def to_jsonable(value: Any) -> Any:
    """Dataclasses, datetimes, enums, paths, mappings and sequences -> plain JSON values."""
    if type(value) in _JSON_SCALARS:  # most values: no further checks
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        raise TypeError("bytes are not JSON; encode them first")
    return value


_PARSED_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(ParsedItem))


def parsed_item_to_json(item: ParsedItem) -> dict[str, Any]:
    """`to_jsonable(item)`, without the generic dataclass walk: it runs for every incoming item
    (the content fingerprint) and every stored version, and most fields are plain strings."""
    values = ((name, getattr(item, name)) for name in _PARSED_ITEM_FIELDS)
    return {name: value if type(value) in _JSON_SCALARS else to_jsonable(value) for name, value in values}


_DATETIME_FIELDS = ("first_created", "version_created", "embargoed_until")


def parsed_item_from_json(data: Mapping[str, Any]) -> ParsedItem:
    known = {f.name for f in dataclasses.fields(ParsedItem)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    for name in _DATETIME_FIELDS:
        if values.get(name):
            values[name] = parse_datetime(values[name])
    values["pub_status"] = PubStatus(values.get("pub_status", "usable"))
    values["subjects"] = tuple(Subject(**s) for s in values.get("subjects", ()))
    values["keywords"] = tuple(values.get("keywords", ()))
    values["extra"] = dict(values.get("extra", {}))
    return ParsedItem(**values)
