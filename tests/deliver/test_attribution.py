"""Attribution lines: every wording file complete, the grammar of each language, names and fallbacks."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from tabadol.deliver.attribution import (
    ATTRIBUTION_LANGUAGES,
    FIRST_STRONG_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    TEMPLATE_FIELDS,
    _checked,
    attribution_line,
    load_wording,
    wording_for,
)
from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import MemberInfo

T0 = datetime(2026, 3, 1, tzinfo=UTC)
BIDI_CONTROLS = {"\u200e", "\u200f", "\u061c", *(chr(c) for c in range(0x202A, 0x202F))}
BIDI_CONTROLS |= {chr(c) for c in range(0x2066, 0x206A)}


def member(code: str = "irna", **names: str) -> MemberInfo:
    return MemberInfo(code=code, names=names, country="IR", languages=("fa",), created_at=T0)


IRNA = member(en="IRNA", fa="ایرنا", ar="إرنا", ru="ИРНА", tr="IRNA")


def raw_file(language: str) -> dict[str, Any]:
    source = resources.files("tabadol.deliver").joinpath("lang", language, "attribution.json")
    loaded: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return loaded


# --- the wording files --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ATTRIBUTION_LANGUAGES)
def test_every_language_has_every_template_and_names_all_eight_languages(language: str) -> None:
    raw = raw_file(language)
    assert set(raw["templates"]) == set(TEMPLATE_FIELDS)
    assert set(raw["translated_from"]) == set(ATTRIBUTION_LANGUAGES)
    assert all(value.strip() == value and value for value in raw["translated_from"].values())
    wording = load_wording(language)
    assert wording.language == language
    assert wording.right_to_left is (language in ("fa", "ar"))


@pytest.mark.parametrize("language", ATTRIBUTION_LANGUAGES)
def test_language_names_are_written_in_the_script_of_the_line(language: str) -> None:
    scripts = {"fa": "ARABIC", "ar": "ARABIC", "ru": "CYRILLIC", "kk": "CYRILLIC"}
    expected_script = scripts.get(language, "LATIN")
    for phrase in load_wording(language).translated_from.values():
        letters = [char for char in phrase if char.isalpha()]
        assert all(unicodedata.name(char).startswith(expected_script) for char in letters), phrase


@pytest.mark.parametrize("language", ATTRIBUTION_LANGUAGES)
def test_no_wording_file_carries_bidi_controls(language: str) -> None:
    text = json.dumps(raw_file(language), ensure_ascii=False)
    assert not BIDI_CONTROLS & set(text)


def test_a_broken_wording_file_is_refused_with_its_name() -> None:
    raw = raw_file("ru")
    broken = {**raw, "templates": {**raw["templates"], "translated": "— {source}, перевод"}}
    with pytest.raises(TabadolError) as caught:
        _checked("ru", broken)
    assert caught.value.code is ErrorCode.CONFIG_INVALID
    assert "deliver/lang/ru/attribution.json" in caught.value.message
    incomplete = {**raw, "translated_from": {k: v for k, v in raw["translated_from"].items() if k != "tk"}}
    with pytest.raises(TabadolError, match="lacks tk"):
        _checked("ru", incomplete)
    with pytest.raises(TabadolError, match="direction"):
        _checked("ru", {**raw, "direction": "up"})


def test_loading_a_language_without_a_file_is_an_error() -> None:
    with pytest.raises(TabadolError):
        load_wording("de")


# --- grammar of each language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        ("en", "— IRNA, translated from Russian"),
        ("ru", "— ИРНА, перевод с английского"),
        ("tr", "— IRNA, Rusçadan çevrilmiştir"),
        ("az", "— IRNA, rus dilindən tərcümə edilib"),
        ("kk", "— IRNA, орыс тілінен аударылған"),
        ("tk", "— IRNA, rus dilinden terjime edildi"),
        ("fa", "— ایرنا، ترجمه از روسی"),
        ("ar", "— إرنا، ترجمة عن الروسية"),
    ],
)
def test_translated_take_in_each_language(reader: str, expected: str) -> None:
    original = "en" if reader == "ru" else "ru"
    assert attribution_line(IRNA, original, reader, translated=True) == expected


@pytest.mark.parametrize(
    ("reader", "original", "expected"),
    [
        ("ru", "fa", "— ИРНА, перевод с персидского"),
        ("tr", "fa", "— IRNA, Farsçadan çevrilmiştir"),
        ("tr", "tk", "— IRNA, Türkmenceden çevrilmiştir"),
        ("tr", "en", "— IRNA, İngilizceden çevrilmiştir"),
        ("en", "az", "— IRNA, translated from Azerbaijani"),
        ("fa", "tr", "— ایرنا، ترجمه از ترکی استانبولی"),
        ("ar", "fa", "— إرنا، ترجمة عن الفارسية"),
    ],
)
def test_language_names_are_inflected_for_the_template(reader: str, original: str, expected: str) -> None:
    assert attribution_line(IRNA, original, reader, translated=True) == expected


@pytest.mark.parametrize("reader", ATTRIBUTION_LANGUAGES)
def test_every_pair_of_languages_yields_a_filled_line(reader: str) -> None:
    for original in ATTRIBUTION_LANGUAGES:
        line = attribution_line(IRNA, original, reader, translated=original != reader)
        assert line.startswith("— ")
        assert "{" not in line and "}" not in line
        if original != reader:
            assert load_wording(reader).translated_from[original] in line


@pytest.mark.parametrize("reader", ATTRIBUTION_LANGUAGES)
def test_a_take_that_is_not_translated_credits_only_the_source(reader: str) -> None:
    expected_name = IRNA.names.get(reader, "IRNA")
    line = attribution_line(IRNA, "fa", reader, translated=False)
    assert line.replace(FIRST_STRONG_ISOLATE, "").replace(POP_DIRECTIONAL_ISOLATE, "") == f"— {expected_name}"


# --- names and fallbacks ------------------------------------------------------------------------------


def test_name_in_the_readers_language_else_english_else_code() -> None:
    assert attribution_line(member(en="Anadolu Agency", tr="Anadolu Ajansı"), None, "tr", False) == (
        "— Anadolu Ajansı"
    )
    assert attribution_line(member(en="Anadolu Agency", tr="Anadolu Ajansı"), None, "ru", False) == (
        "— Anadolu Agency"
    )
    assert attribution_line(member("aa", tr="Anadolu Ajansı"), None, "ru", False) == "— AA"
    assert attribution_line(member("aa", ru="   "), None, "ru", False) == "— AA"


def test_regional_name_tags_match_the_primary_language() -> None:
    tass = member("tass", **{"ru-RU": "ТАСС", "en-GB": "TASS"})
    assert attribution_line(tass, None, "ru", False) == "— ТАСС"
    assert attribution_line(tass, None, "kk", False) == "— TASS"


def test_reader_tags_are_reduced_to_their_primary_language() -> None:
    assert attribution_line(IRNA, "ru-RU", "fa-IR", True) == "— ایرنا، ترجمه از روسی"
    assert attribution_line(IRNA, "RU", "TR_tr", True) == "— IRNA, Rusçadan çevrilmiştir"


def test_unknown_reader_language_gets_english_wording_and_english_name() -> None:
    agency = member(en="Islamic Republic News Agency", de="Nachrichtenagentur der Islamischen Republik")
    line = attribution_line(agency, "fa", "de", True)
    assert line == "— Islamic Republic News Agency, translated from Persian"
    assert wording_for("").language == "en"


@pytest.mark.parametrize("original", [None, "", "fr", "uz-Latn"])
def test_translated_from_an_unknown_or_unnamed_language(original: str | None) -> None:
    assert attribution_line(IRNA, original, "en", True) == "— IRNA, translated"
    assert attribution_line(IRNA, original, "ru", True) == "— ИРНА, перевод"
    assert attribution_line(IRNA, original, "fa", True) == "— ایرنا، ترجمه‌شده"


def test_translated_into_its_own_language_credits_only_the_source() -> None:
    assert attribution_line(IRNA, "en-US", "en", True) == "— IRNA"


def test_braces_in_a_name_are_printed_as_they_are() -> None:
    odd = member("odd", en="News {language} Agency")
    assert attribution_line(odd, "fa", "en", True) == "— News {language} Agency, translated from Persian"


# --- bidi -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["fa", "ar"])
def test_latin_name_in_a_right_to_left_line_is_isolated(reader: str) -> None:
    agency = member("aa", en="Anadolu Agency (AA)")
    line = attribution_line(agency, "tr", reader, True)
    assert line.startswith(f"— {FIRST_STRONG_ISOLATE}Anadolu Agency (AA){POP_DIRECTIONAL_ISOLATE}،")
    assert line.count(FIRST_STRONG_ISOLATE) == 1 and line.count(POP_DIRECTIONAL_ISOLATE) == 1
    assert attribution_line(member("tdh"), None, reader, False) == (
        f"— {FIRST_STRONG_ISOLATE}TDH{POP_DIRECTIONAL_ISOLATE}"
    )


def test_right_to_left_lines_with_native_names_carry_no_bidi_controls() -> None:
    for reader in ("fa", "ar"):
        for original in ATTRIBUTION_LANGUAGES:
            line = attribution_line(IRNA, original, reader, translated=True)
            assert not BIDI_CONTROLS & set(line), (reader, original)


def test_names_with_digits_only_are_not_isolated() -> None:
    agency = member("n24", fa="خبر ۲۴", en="News 24")
    assert attribution_line(agency, None, "fa", False) == "— خبر ۲۴"


def test_right_to_left_name_in_a_left_to_right_line_is_isolated() -> None:
    agency = member("kawthar", en="الكوثر")
    line = attribution_line(agency, "ar", "en", True)
    assert line == f"— {FIRST_STRONG_ISOLATE}الكوثر{POP_DIRECTIONAL_ISOLATE}, translated from Arabic"
    assert not BIDI_CONTROLS & set(attribution_line(IRNA, "fa", "en", True))
