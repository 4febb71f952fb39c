"""Plain text: the first non-empty line is the headline, the rest the body.

This is how many desks file by e-mail or drop folder. Leading markdown heading marks ('## ') are
stripped from the headline; paragraphs (blank-line separated) are kept, each trimmed. No guid is
carried, so the hub derives one. Sniffed last: anything that looks like text and is not XML or JSON.
"""

from __future__ import annotations

import re

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import charset_from_content_type, decode_text
from tabadol.ingest.formats import WireFormat
from tabadol.ingest.formats._common import first_non_space_byte, resolve_body
from tabadol.types import ParsedItem

NAME = "plaintext"
_HEADING_MARKS = re.compile(r"^#+\s*")
_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n")
_STRUCTURED_STARTS = (ord("<"), ord("{"))


def sniff(data: bytes) -> bool:
    first = first_non_space_byte(data)
    if first is None or first in _STRUCTURED_STARTS:
        return False
    if first == ord("["):
        second = first_non_space_byte(data.lstrip(b"\xef\xbb\xbf").lstrip()[1:])
        if second in (ord("{"), ord("]")):
            return False  # a JSON array, not text
    # Text in an undeclared legacy charset (windows-1256, cp1251) is still text: claiming it lets
    # `parse` refuse it with UNDECODABLE_TEXT ("declare the charset"), which tells the sender what to
    # fix, rather than "unknown format". Binary data (NULs, control bytes) is not claimed.
    return _looks_like_text(data)


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


def _looks_like_text(data: bytes) -> bool:
    if data.startswith(_BOMS):
        return True
    sample = data[:8192]
    if b"\x00" in sample:
        return False
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls <= len(sample) // 100


def parse(data: bytes, content_type: str | None) -> list[ParsedItem]:
    text = decode_text(data, charset_from_content_type(content_type))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        headline = _HEADING_MARKS.sub("", line.strip()).strip()
        if headline:
            return [
                ParsedItem(
                    guid=None,
                    headline=headline,
                    body_text=resolve_body(_paragraphs("\n".join(lines[index + 1 :])), None, "text", 1),
                    source_format=NAME,
                )
            ]
    raise ParseError(ErrorCode.EMPTY_BODY)


def _paragraphs(text: str) -> str:
    """Blank-line separated paragraphs, each trimmed (line by line), joined by one blank line."""
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        lines = [line.strip() for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


FORMAT = WireFormat(name=NAME, media_types=("text/plain",), sniff=sniff, parse=parse)
