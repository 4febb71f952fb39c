"""Bytes -> text, safe XML, bounded JSON and wire dates: the one place where payloads are decoded.

Every format module goes through here, so the rules hold everywhere:

- A byte-order mark wins; then a declared charset (Content-Type `charset=`, the XML declaration's
  `encoding=`, an HTML `<meta charset>`) is applied strictly; with no declaration only valid UTF-8 is
  accepted. We never guess and never substitute replacement characters: a wrong guess would store
  mojibake in an archive that agencies treat as the record.
- XML is parsed by a hardened lxml parser after a textual check that refuses DTD internal subsets and
  entity declarations, so entity-expansion bombs and external entities never reach a parser.
- JSON nesting depth is bounded before `json.loads` recurses.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from tabadol.errors import ErrorCode, ParseError
from tabadol.types import ensure_utc, normalise_language_tag

MAX_JSON_DEPTH = 200

# UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\s[^>]*?\?>""")
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
_HTML_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_XML_DECLARATION_TEXT = re.compile(r"""^\s*<\?xml\s[^>]*?\?>""")
# Characters XML 1.0 forbids anywhere in a document (tab, LF and CR are allowed).
_XML_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)


# --------------------------------------------------------------------------------------------- text


def charset_from_content_type(content_type: str | None) -> str | None:
    """The `charset=` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else None


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """(codec name, BOM length) when the bytes start with a Unicode byte-order mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def declared_in_document(data: bytes) -> str | None:
    """The charset the document itself declares: XML declaration first, then an HTML meta tag."""
    head = data[:2048]
    declaration = _XML_DECLARATION.match(head)
    if declaration:
        encoding = _XML_ENCODING.search(declaration.group(0))
        return encoding.group(1).decode("ascii") if encoding else None
    meta = _HTML_META_CHARSET.search(head)
    return meta.group(1).decode("ascii") if meta else None


def decode_text(data: bytes, declared_charset: str | None) -> str:
    """Decode strictly: BOM, else the declared charset, else the document's own declaration, else UTF-8.

    NUL characters are refused: no wire text legitimately carries them, and they break storage and
    search downstream.
    """
    bom = detect_bom(data)
    if bom is not None:
        codec, length = bom
        text = _decode_strict(data[length:], codec, declared=True)
    else:
        charset = declared_charset or declared_in_document(data)
        text = _decode_strict(data, charset or "utf-8", declared=charset is not None)
    nul = text.find("\x00")
    if nul >= 0:
        raise ParseError(ErrorCode.UNDECODABLE_TEXT, encoding="text", reason=f"NUL character at offset {nul}")
    return text


def _decode_strict(data: bytes, charset: str, *, declared: bool) -> str:
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise ParseError(
            ErrorCode.UNDECODABLE_TEXT, encoding=charset, reason="this character set is unknown"
        ) from None
    if declared and _is_single_byte_legacy(codec.name) and _is_utf8_with_non_ascii(data):
        raise ParseError(
            ErrorCode.UNDECODABLE_TEXT,
            encoding=_display_name(codec.name),
            reason=(
                "the bytes are UTF-8 although the charset is declared as "
                f"{_display_name(codec.name)}; declare UTF-8 instead"
            ),
        )
    try:
        return data.decode(codec.name, errors="strict")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4].hex(" ")
        reason = f"invalid byte sequence ({bad}) at offset {exc.start}"
        if not declared:
            reason += (
                "; no charset was declared, so UTF-8 was required: declare the charset "
                "(Content-Type 'charset=' or the XML declaration's 'encoding=')"
            )
        raise ParseError(
            ErrorCode.UNDECODABLE_TEXT, encoding=_display_name(codec.name), reason=reason
        ) from None


_SINGLE_BYTE_FAMILIES = ("iso8859", "cp125", "koi8", "mac-", "cp437", "cp850", "cp866")


def _is_single_byte_legacy(codec_name: str) -> bool:
    return codec_name.startswith(_SINGLE_BYTE_FAMILIES)


def _is_utf8_with_non_ascii(data: bytes) -> bool:
    """A mislabel, not a coincidence: single-byte text in Arabic, Cyrillic or Latin script is
    practically never also valid multi-byte UTF-8, but UTF-8 sent under a legacy label always is.
    Decoding it with the label would store mojibake ('BÃ¼low'), so it is refused instead."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _display_name(codec_name: str) -> str:
    return codec_name.upper().replace("_", "-")


def unicode_family_without_bom(data: bytes) -> str | None:
    """UTF-16/32 without a BOM, recognised by where the NUL bytes of an ASCII first character fall.

    Only meaningful for formats whose first character is ASCII (JSON per RFC 4627 section 3, XML per
    Appendix F of the XML spec); it is a defined detection, not a guess.
    """
    head = data[:4]
    if len(head) < 4:
        return None
    patterns = {
        (True, True, True, False): "utf-32-be",
        (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be",
        (False, True, False, True): "utf-16-le",
    }
    return patterns.get(tuple(b == 0 for b in head))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- XML


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        encoding="utf-8",
    )


def parse_xml(data: bytes, declared_charset: str | None = None) -> etree._Element:
    """Parse untrusted XML safely; see the module docstring for what is refused and why."""
    text = _decode_xml_text(data, declared_charset)
    _refuse_forbidden_constructs(text)
    # lxml refuses str input that carries an encoding declaration; the text is already decoded, so
    # the declaration is replaced by a neutral one (same line, so error line numbers stay right).
    text = _XML_DECLARATION_TEXT.sub('<?xml version="1.0"?>', text, count=1)
    try:
        root = etree.fromstring(text.encode("utf-8"), _hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(ErrorCode.MALFORMED_XML, reason=_describe_syntax_error(exc)) from None
    if root is None:
        raise ParseError(ErrorCode.MALFORMED_XML, reason="the document has no root element")
    _refuse_entity_references(root)
    return root


def _decode_document(data: bytes, declared_charset: str | None) -> str:
    """XML and JSON alike: refuse an empty body, then decode by BOM, declaration, or the UTF-16/32
    family that the NUL pattern of a BOM-less document reveals."""
    if not data.strip():
        raise ParseError(ErrorCode.EMPTY_BODY)
    charset = declared_charset
    if charset is None and detect_bom(data) is None:
        charset = unicode_family_without_bom(data)
    return decode_text(data, charset)


def _decode_xml_text(data: bytes, declared_charset: str | None) -> str:
    text = _decode_document(data, declared_charset)
    forbidden = _XML_FORBIDDEN_CHARS.search(text)
    if forbidden:
        line = text.count("\n", 0, forbidden.start()) + 1
        column = forbidden.start() - (text.rfind("\n", 0, forbidden.start()) + 1) + 1
        code_point = f"U+{ord(forbidden.group(0)):04X}"
        raise ParseError(
            ErrorCode.MALFORMED_XML,
            reason=f"control character {code_point} is not allowed in XML (line {line}, column {column})",
        )
    return text


def _refuse_forbidden_constructs(text: str) -> None:
    """Refuse DOCTYPE internal subsets and entity declarations before any parser sees them.

    A DOCTYPE that only names an external DTD (NITF does this) is allowed: the DTD is never loaded.
    """
    # Deliberately conservative: the whole text is scanned, so a literal "<!ENTITY" even inside
    # CDATA is refused. Wire documents have no reason to carry one; a bomb has every reason to.
    if _ENTITY_DECLARATION.search(text):
        raise ParseError(ErrorCode.XML_FORBIDDEN_CONSTRUCT, construct="entity declaration <!ENTITY")
    for doctype in _DOCTYPE.finditer(text):
        if _has_internal_subset(text, doctype.end()):
            raise ParseError(ErrorCode.XML_FORBIDDEN_CONSTRUCT, construct="DOCTYPE with an internal subset")


def _has_internal_subset(text: str, start: int) -> bool:
    """Scan a DOCTYPE declaration (honouring quoted literals) for the '[' that opens a subset."""
    quote: str | None = None
    for char in text[start : start + 4096]:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "[":
            return True
        elif char == ">":
            return False
    # An unterminated or absurdly long DOCTYPE is treated as hostile rather than parsed.
    return True


def _refuse_entity_references(root: etree._Element) -> None:
    """With an external DTD named but not loaded, '&name;' stays an unresolved reference: refuse it."""
    for node in root.iter(etree.Entity):
        raise ParseError(ErrorCode.XML_FORBIDDEN_CONSTRUCT, construct=f"entity reference {node.text}")


def _describe_syntax_error(exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (0, 0)
    message = (exc.msg or str(exc)).strip()
    message = re.sub(r",? line \d+, column \d+$", "", message)
    return f"{message} (line {line}, column {column})"


# --------------------------------------------------------------------------------------------- JSON


def parse_json(data: bytes, declared_charset: str | None = None) -> Any:
    """Decode (UTF-8/16/32 per RFC 8259, BOM honoured) and load JSON with a nesting-depth limit."""
    text = _decode_document(data, declared_charset)
    depth = _max_nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ParseError(
            ErrorCode.MALFORMED_JSON,
            reason=f"nesting is deeper than {MAX_JSON_DEPTH} levels; flatten the document",
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            ErrorCode.MALFORMED_JSON, reason=f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        # json.loads accepts "\ud800" alone, but no text can hold it: it is not a character, and
        # encoding it (to store it, to index it) fails. Refused like any other undecodable text.
        raise ParseError(
            ErrorCode.MALFORMED_JSON, reason="a \\u escape encodes half of a surrogate pair, not a character"
        )
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate(value: Any) -> bool:
    """Walked only when the text holds a surrogate escape at all (valid pairs decode to one character)."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _max_nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside strings; checked before json.loads can hit the recursion limit."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


# -------------------------------------------------------------------------------- dates, languages


def parse_wire_datetime(value: object, *, field: str, position: int) -> datetime:
    """ISO 8601 or RFC 822 -> aware UTC. Naive values are UTC; date-only values are midnight UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ParseError(ErrorCode.INVALID_FIELD, position=position, field=field, reason="not a date string")
    raw = value.strip()
    parsed = _parse_iso8601(raw) or _parse_rfc822(raw)
    if parsed is None:
        raise ParseError(
            ErrorCode.INVALID_FIELD,
            position=position,
            field=field,
            reason=f"{raw[:60]!r} is neither an ISO 8601 nor an RFC 822 date",
        )
    result = ensure_utc(parsed)
    assert result is not None
    return result


def optional_datetime(value: object, *, field: str, position: int) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_wire_datetime(value, field=field, position=position)


def _parse_iso8601(raw: str) -> datetime | None:
    candidate = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc822(raw: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    # email.utils marks "-0000" (zone unknown) as naive; the wire default is UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$")


def language_tag(value: object) -> str | None:
    """A declared language as a canonical BCP-47 tag; blank or malformed declarations count as absent."""
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw or not _LANGUAGE_TAG.match(raw):
        return None
    return normalise_language_tag(raw)
