"""Numbers: one canonical form whatever the digits, separators, language and scale words."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tabadol.enrich.doc import Doc
from tabadol.enrich.numbers import MAX_NUMBERS, NumbersComponent, canonical, extract_numbers
from tabadol.enrich.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("4,500 tonnes", "en", ("4500",)),
        ("4 500 тонн", "ru", ("4500",)),
        ("4.500 ton", "tr", ("4500",)),
        ("۴٬۵۰۰ تن", "fa", ("4500",)),
        ("٤٬٥٠٠ طن", "ar", ("4500",)),
        ("4\u202f500 tonnes", "en", ("4500",)),  # a narrow no-break space groups digits in any language
        ("1,234,567 people", "en", ("1234567",)),
        ("1.234.567 kişi", "tr", ("1234567",)),
        ("1 234 567 адам", "kk", ("1234567",)),
    ],
)
def test_thousands_separators(text: str, language: str, expected: tuple[str, ...]) -> None:
    assert extract_numbers(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("3.5 degrees", "en", ("3.5",)),
        ("3,5 градуса", "ru", ("3.5",)),
        ("3,5 derece", "tr", ("3.5",)),
        ("۳٫۵ درجه", "fa", ("3.5",)),
        ("۳/۵ درجه", "fa", ("3.5",)),  # Persian writes decimals with a slash
        ("1,234.5 and 1.234,5", "en", ("1234.5",)),  # two marks: the last is the decimal one
        ("0.50 and 4.0", "en", ("0.5", "4")),
    ],
)
def test_decimal_marks(text: str, language: str, expected: tuple[str, ...]) -> None:
    assert extract_numbers(text, language) == expected


def test_a_lone_separator_before_three_digits_follows_the_language() -> None:
    assert extract_numbers("1,500", "en") == ("1500",)
    assert extract_numbers("1,500", "ru") == ("1.5",)
    assert extract_numbers("1.500", "tr") == ("1500",)
    assert extract_numbers("1.500", "en") == ("1.5",)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("$1.5bn deal", "en", ("1500000000",)),
        ("1.5 million", "en", ("1500000",)),
        ("1,5 млн рублей", "ru", ("1500000",)),
        ("1,5 миллиона", "ru", ("1500000",)),
        ("۱٫۵ میلیون", "fa", ("1500000",)),
        ("1,5 milyon", "tr", ("1500000",)),
        ("2 bin kişi", "tr", ("2000",)),
        ("2 bina", "tr", ("2",)),  # two buildings, not two thousand
        ("5 min nəfər", "az", ("5000",)),
        ("3 مليارات", "ar", ("3000000000",)),
    ],
)
def test_scale_words(text: str, language: str, expected: tuple[str, ...]) -> None:
    assert extract_numbers(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("rose 12%", "en"),
        ("rose 12 percent", "en"),
        ("выросла на 12 процентов", "ru"),
        ("%12 arttı", "tr"),
        ("yüzde 12 arttı", "tr"),
        ("12 faiz artıb", "az"),
        ("12 göterim ösdi", "tk"),
        ("12 пайызға өсті", "kk"),
        ("۱۲ درصد افزایش", "fa"),
        ("١٢٪", "ar"),
        ("12 في المائة", "ar"),
    ],
)
def test_percentages(text: str, language: str) -> None:
    assert extract_numbers(text, language) == ("12%",)


def test_malformed_groupings_are_read_as_separate_numbers() -> None:
    assert extract_numbers("23.11.2026 at 10:30", "ru") == ("23", "11", "2026", "10", "30")
    assert extract_numbers("۱۴۰۳/۰۸/۲۳", "fa") == ("1403", "8", "23")
    assert extract_numbers("in 2013 100 people", "en") == ("2013", "100")
    assert extract_numbers("1,5", "en") == ("1", "5")  # a comma before one digit is not English


def test_numbers_glued_to_words_and_suffixes() -> None:
    assert extract_numbers("2013-nji ýylda 4 aýlyk", "tk") == ("2013", "4")
    assert extract_numbers("2013'te", "tr") == ("2013",)
    assert extract_numbers("COVID-19, a 4-month-old", "en") == ("19", "4")
    assert extract_numbers("в 1990-х годах", "ru") == ("1990",)


def test_unique_in_order_of_first_mention_without_leading_zeros() -> None:
    assert extract_numbers("007, 7, 12 and 7 again", "en") == ("7", "12")
    assert extract_numbers("no numbers here", "en") == ()


def test_one_article_in_eight_languages_gives_the_same_numbers() -> None:
    versions = {
        "en": "The 4-month-old mice, 1,500 of them, cost $2.5 million, up 12%.",
        "ru": "4-месячные мыши, 1 500 особей, обошлись в 2,5 млн долларов, на 12% больше.",
        "kk": "4 айлық тышқандар, 1 500 дана, 2,5 миллион доллар тұрды, 12 пайызға қымбат.",
        "tr": "4 aylık fareler, 1.500 tane, 2,5 milyon dolara mal oldu, yüzde 12 artış.",
        "az": "4 aylıq siçanlar, 1 500 ədəd, 2,5 milyon dollara başa gəldi, 12 faiz artım.",
        "tk": "4 aýlyk syçanlar, 1 500 sany, 2,5 million dollar boldy, 12 göterim köp.",
        "fa": "موش‌های ۴ ماهه، ۱٬۵۰۰ عدد، ۲٫۵ میلیون دلار هزینه داشتند، ۱۲ درصد بیشتر.",
        "ar": "الفئران البالغة ٤ أشهر، ١٬٥٠٠ منها، كلفت ٢٫٥ مليون دولار، بزيادة ١٢٪.",
    }
    for language, text in versions.items():
        assert extract_numbers(text, language) == ("4", "1500", "2500000", "12%"), language


def test_canonical_form() -> None:
    assert canonical(Decimal("4.50")) == "4.5"
    assert canonical(Decimal("1.5") * 10**6) == "1500000"
    assert canonical(Decimal("0.000")) == "0"
    assert canonical(Decimal("12"), percent=True) == "12%"


def test_a_table_of_numbers_is_capped() -> None:
    table = " ".join(str(n) for n in range(1000, 1000 + MAX_NUMBERS * 2))
    assert len(extract_numbers(table, "en")) == MAX_NUMBERS


def test_component_fills_numbers_in_the_detected_language() -> None:
    when = datetime(2026, 11, 23, tzinfo=UTC)
    docs = [
        Doc("a", "Цены выросли", "на 1,500 рубля", when, declared_language="ru"),
        Doc("b", "Prices rose", "by 1,500 dollars", when, declared_language="ru", language="en"),
    ]
    component = NumbersComponent()
    out = Pipeline((component,)).run(docs)
    assert [d.numbers for d in out] == [("1.5",), ("1500",)]
    assert (component.name, component.requires, component.assigns) == ("numbers", (), ("numbers",))
    assert out[0].headline == docs[0].headline and not out[0].errors
