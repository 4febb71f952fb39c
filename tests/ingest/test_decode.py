"""decode.py: strict charset handling, hardened XML, bounded JSON, wire dates."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import (
    decode_text,
    language_tag,
    parse_json,
    parse_wire_datetime,
    parse_xml,
)

SEED = Path("/work/shared/data/seed_articles/000_8cc19fd164d37fc4.txt")
PERSIAN = "مسکو - ایرنا -دومین نشست اعضای هیأت موسس اتحادیه خبرگزاریهای کشورهای ساحلی دریای خزر"
RUSSIAN = "Информационные агентства России и Ирана договорились"


def persian_text() -> str:
    if SEED.exists():
        first_line = SEED.read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith(PERSIAN)
        return first_line
    return PERSIAN


def persian_as_windows_1256() -> str:
    """The real Persian text as a windows-1256 sender holds it: that code page has no Persian yeh
    (U+06CC), so Persian systems write the Arabic yeh (U+064A) in its place."""
    return persian_text().replace("\u06cc", "\u064a")


def code_of(excinfo: pytest.ExceptionInfo[ParseError]) -> ErrorCode:
    return excinfo.value.code


# ------------------------------------------------------------------------------------------ text


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_bom_wins_over_a_wrong_declaration(bom: bytes, codec: str) -> None:
    text = persian_text()
    assert decode_text(bom + text.encode(codec), "windows-1251") == text


def test_windows_1256_declared_decodes_persian() -> None:
    text = persian_as_windows_1256()
    assert decode_text(text.encode("cp1256"), "windows-1256") == text


def test_cp1251_declared_decodes_russian() -> None:
    assert decode_text(RUSSIAN.encode("cp1251"), "cp1251") == RUSSIAN


def test_invalid_utf8_without_declaration_asks_sender_to_declare() -> None:
    with pytest.raises(ParseError) as excinfo:
        decode_text(persian_as_windows_1256().encode("cp1256"), None)
    assert code_of(excinfo) is ErrorCode.UNDECODABLE_TEXT
    assert "declare the charset" in excinfo.value.message


def test_cp1256_bytes_wrongly_declared_utf8_are_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        decode_text(persian_as_windows_1256().encode("cp1256"), "utf-8")
    assert code_of(excinfo) is ErrorCode.UNDECODABLE_TEXT


def test_unknown_charset_is_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        decode_text(b"abc", "x-no-such-charset")
    assert code_of(excinfo) is ErrorCode.UNDECODABLE_TEXT


def test_nul_in_text_is_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        decode_text(b"headline\x00body", None)
    assert code_of(excinfo) is ErrorCode.UNDECODABLE_TEXT


def test_html_meta_charset_is_honoured() -> None:
    text = persian_as_windows_1256()
    html = '<html><head><meta charset="windows-1256"></head><body>' + text + "</body></html>"
    assert text in decode_text(html.encode("cp1256"), None)


# ------------------------------------------------------------------------------------------- XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "' + b"x" * 50_000 + b'">]><kaboom>'
    + b"&a;" * 50_000 + b"</kaboom>"
)  # fmt: skip
XXE_FILE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"""
XXE_HTTP = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]><r>&xxe;</r>"""
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]><r/>'
)
EXTERNAL_DTD_ONLY = b"""<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "nitf-3-5.dtd"><nitf><head/></nitf>"""
UNDECLARED_ENTITY_WITH_DTD = b"""<!DOCTYPE nitf SYSTEM "http://127.0.0.1:9/nitf.dtd"><nitf>&secret;</nitf>"""


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, QUADRATIC, XXE_FILE, XXE_HTTP, PARAMETER_ENTITY],
    ids=["billion-laughs", "quadratic-blowup", "xxe-file", "xxe-http", "parameter-entity"],
)
def test_entity_attacks_are_refused(document: bytes) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(document)
    assert code_of(excinfo) is ErrorCode.XML_FORBIDDEN_CONSTRUCT


def test_external_dtd_name_is_allowed_but_never_loaded() -> None:
    root = parse_xml(EXTERNAL_DTD_ONLY)
    assert root.tag == "nitf"


def test_entity_reference_to_unloaded_dtd_is_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(UNDECLARED_ENTITY_WITH_DTD)
    assert code_of(excinfo) in (ErrorCode.XML_FORBIDDEN_CONSTRUCT, ErrorCode.MALFORMED_XML)


def test_internal_subset_without_entities_is_still_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(b"<!DOCTYPE r [<!ELEMENT r ANY>]><r/>")
    assert code_of(excinfo) is ErrorCode.XML_FORBIDDEN_CONSTRUCT


def test_truncated_xml_reports_line_and_column() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(b'<?xml version="1.0"?>\n<nitf>\n  <body><p>cut off')
    assert code_of(excinfo) is ErrorCode.MALFORMED_XML
    assert "line 3" in excinfo.value.message


def test_forbidden_control_character_in_xml_is_refused() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(b"<r>bell\x07</r>")
    assert code_of(excinfo) is ErrorCode.MALFORMED_XML
    assert "U+0007" in excinfo.value.message


def test_xml_declaration_windows_1256_is_honoured() -> None:
    text = persian_as_windows_1256()
    document = b'<?xml version="1.0" encoding="windows-1256"?>\n<r>' + text.encode("cp1256") + b"</r>"
    assert parse_xml(document).text == text


def test_content_type_charset_overrides_xml_declaration() -> None:
    text = persian_as_windows_1256()
    document = b'<?xml version="1.0" encoding="utf-8"?><r>' + text.encode("cp1256") + b"</r>"
    assert parse_xml(document, "windows-1256").text == text


def test_utf16_xml_with_bom_is_decoded() -> None:
    text = persian_text()
    document = ('<?xml version="1.0" encoding="UTF-16"?><r>' + text + "</r>").encode("utf-16")
    assert parse_xml(document).text == text


# ------------------------------------------------------------------------------------------ JSON


def test_truncated_json_reports_line_and_column() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_json(b'{\n  "uri": "urn:x",\n  "headlines": [')
    assert code_of(excinfo) is ErrorCode.MALFORMED_JSON
    assert "line 3" in excinfo.value.message


def test_deeply_nested_json_is_refused_clearly() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert code_of(excinfo) is ErrorCode.MALFORMED_JSON
    assert "deeper than 200" in excinfo.value.message


def test_nesting_inside_strings_does_not_count() -> None:
    assert parse_json(b'{"x": "' + b"[" * 500 + b'"}') == {"x": "[" * 500}


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_json_in_utf16_and_utf32_without_bom(codec: str) -> None:
    assert parse_json('{"headline": "خبر"}'.encode(codec)) == {"headline": "خبر"}


# ----------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-06-12T08:30:00+03:30", datetime(2024, 6, 12, 5, 0, tzinfo=UTC)),
        ("2024-06-12T08:30:00Z", datetime(2024, 6, 12, 8, 30, tzinfo=UTC)),
        ("2024-06-12T08:30:00", datetime(2024, 6, 12, 8, 30, tzinfo=UTC)),
        ("2024-06-12", datetime(2024, 6, 12, tzinfo=UTC)),
        ("20240612T083000+0330", datetime(2024, 6, 12, 5, 0, tzinfo=UTC)),
        ("Wed, 12 Jun 2024 10:15:00 +0400", datetime(2024, 6, 12, 6, 15, tzinfo=UTC)),
        ("Thu, 13 Jun 2024 08:00:00 GMT", datetime(2024, 6, 13, 8, 0, tzinfo=UTC)),
    ],
)
def test_wire_dates_become_aware_utc(raw: str, expected: datetime) -> None:
    parsed = parse_wire_datetime(raw, field="date", position=1)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("raw", ["yesterday", "2024-13-45", "", "32 Foo 2024", 12345])
def test_unparseable_dates_are_invalid_field(raw: object) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_wire_datetime(raw, field="versionCreated", position=2)
    assert code_of(excinfo) is ErrorCode.INVALID_FIELD
    assert excinfo.value.fields["field"] == "versionCreated"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("KK-cyrl", "kk-Cyrl"), ("fa_ir", "fa-IR"), (" ar ", "ar"), ("", None), ("%%", None)],
)
def test_language_tags_are_canonical_bcp47(raw: str, expected: str | None) -> None:
    assert language_tag(raw) == expected


@pytest.mark.parametrize("label", ["ISO-8859-1", "windows-1252", "windows-1256", "windows-1251"])
def test_utf8_mislabelled_as_a_legacy_charset_is_refused_not_garbled(label: str) -> None:
    with pytest.raises(ParseError) as excinfo:
        decode_text("Vicco von Bülow — مسکو — Москва".encode(), label)
    assert code_of(excinfo) is ErrorCode.UNDECODABLE_TEXT
    assert "declare UTF-8" in excinfo.value.message


def test_ascii_under_a_legacy_label_is_fine() -> None:
    assert decode_text(b"plain ASCII", "ISO-8859-1") == "plain ASCII"


def test_absurdly_deep_xml_is_malformed_not_a_crash() -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_xml(b"<a>" * 100_000 + b"</a>" * 100_000)
    assert code_of(excinfo) is ErrorCode.MALFORMED_XML


def test_doctype_text_inside_cdata_is_harmless() -> None:
    document = b"<rss><item><![CDATA[<!DOCTYPE html><p>x</p>]]></item></rss>"
    assert parse_xml(document).find("item").text == "<!DOCTYPE html><p>x</p>"
