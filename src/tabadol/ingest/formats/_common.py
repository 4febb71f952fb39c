"""Checks and conversions every format applies the same way, so all formats agree on the rules.

Content rules (one policy for every format):
- every item needs a headline (a format may fall back to a title, e.g. a ninjs event's `title`);
- a *text* item needs body text; a description stands in for a missing body (NTB sends short text
  items as a description only);
- a kill (pub status canceled) needs no body: kill notices carry only the identity and headline;
- other item types (picture, video, audio, graphic, event, composite...) may carry no body; their
  description, when present, becomes the searchable body text.
"""

from __future__ import annotations

from collections.abc import Iterable

from tabadol.errors import ErrorCode, ParseError
from tabadol.types import ParsedItem, PubStatus


def clean_text(value: object) -> str | None:
    """A stripped string with newlines normalised to LF, or None for anything blank or not a string."""
    if not isinstance(value, str):
        return None
    stripped = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return stripped or None


def require_headline(headline: str | None, position: int) -> str:
    if not headline:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="headline")
    return headline


def resolve_body(
    body_text: str | None,
    description: str | None,
    item_type: str,
    position: int,
    pub_status: PubStatus = PubStatus.USABLE,
) -> str:
    """Body text per the module's content rules."""
    if body_text:
        return body_text
    if description:
        return description
    if item_type == "text" and pub_status is not PubStatus.CANCELED:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="body")
    return ""


def parse_urgency(value: object, position: int) -> int | None:
    """IPTC urgency 1 (highest) .. 9 (lowest); numeric strings are accepted, 0 means unset."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(ErrorCode.INVALID_FIELD, position=position, field="urgency", reason="not a number")
    try:
        number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        raise ParseError(
            ErrorCode.INVALID_FIELD, position=position, field="urgency", reason=f"{str(value)[:20]!r}"
        ) from None
    if number == 0:
        return None
    if not 1 <= number <= 9:
        raise ParseError(
            ErrorCode.INVALID_FIELD, position=position, field="urgency", reason=f"{number} is not in 1..9"
        )
    return number


def parse_pub_status(value: object, position: int) -> PubStatus:
    """'usable' / 'withheld' / 'canceled', also as G2 qcodes ('stat:canceled') or URIs."""
    if value is None or value == "":
        return PubStatus.USABLE
    if not isinstance(value, str):
        raise ParseError(ErrorCode.INVALID_FIELD, position=position, field="pubStatus", reason="not a string")
    word = value.strip().rsplit(":", 1)[-1].rsplit("/", 1)[-1].lower()
    if word == "cancelled":  # British spelling seen on some wires
        word = "canceled"
    try:
        return PubStatus(word)
    except ValueError:
        raise ParseError(
            ErrorCode.INVALID_FIELD,
            position=position,
            field="pubStatus",
            reason=f"{value[:40]!r} is not usable, withheld or canceled",
        ) from None


def refuse_duplicate_guids(items: Iterable[ParsedItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.guid is None:
            continue
        if item.guid in seen:
            raise ParseError(ErrorCode.DUPLICATE_GUID_IN_PAYLOAD, guid=item.guid)
        seen.add(item.guid)


_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


def first_non_space_byte(data: bytes, limit: int = 4096) -> int | None:
    """The first character that is not whitespace, as an ASCII code (for cheap sniffing).

    Skips a UTF-8 BOM, and reads UTF-16/32 (with a BOM, as RFC 8259 allows JSON to be sent) so a
    wide-encoded JSON or XML document is recognised like its UTF-8 twin."""
    head = data[:limit]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    for bom, codec in _WIDE_BOMS:
        if head.startswith(bom):
            text = head[len(bom) :].decode(codec, errors="ignore").lstrip()
            return ord(text[0]) if text and text[0].isascii() else None
    stripped = head.lstrip()
    return stripped[0] if stripped else None
