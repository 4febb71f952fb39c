"""Dates in text and datelines: realistic wire sentences in the 8 languages, partial and relative
dates, datelines, tricky non-dates and hostile input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabadol.enrich.dates import MENTION_SCAN_LIMIT, MentionedDate, extract_dates

# Monday 23 November 2026, 09:00 UTC (= 2 Azar 1405).
REFERENCE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# 1 Farvardin (Nowruz) of the years the tests use, from the official Iranian calendar.
NOWRUZ = {1402: date(2023, 3, 21), 1403: date(2024, 3, 20), 1404: date(2025, 3, 21), 1405: date(2026, 3, 21)}


def solar(year: int, month: int, day: int) -> date:
    """The Gregorian day of a Solar Hijri date, computed independently of the code under test:
    Nowruz of the year, then six months of 31 days and five of 30."""
    days_before = (month - 1) * 31 if month <= 7 else 6 * 31 + (month - 7) * 30
    return NOWRUZ[year] + timedelta(days=days_before + day - 1)


def found(text: str, language: str | None) -> list[tuple[str, date, str, str]]:
    return [(m.surface, m.date, m.calendar, m.precision) for m in extract_dates(text, language, REFERENCE)]


# -- Full dates in words, one realistic sentence per case ----------------------------------------

FULL_DATES = [
    ("en", "The summit opened on 12 March 2026 in Baku.", "12 March 2026", date(2026, 3, 12)),
    (
        "en",
        "Elections are set for November 30, 2026, officials said.",
        "November 30, 2026",
        date(2026, 11, 30),
    ),
    ("en", "The accord was signed on the 5th of June 2024.", "5th of June 2024", date(2024, 6, 5)),
    ("ru", "Встреча прошла 12 марта 2026 года в Москве.", "12 марта 2026", date(2026, 3, 12)),
    ("ru", "Договор подписан 1 сентября 2025 г. в Ашхабаде.", "1 сентября 2025", date(2025, 9, 1)),
    ("kk", "2026 жылғы 23 қарашада Астанада форум өтті.", "2026 жылғы 23 қарашада", date(2026, 11, 23)),
    ("kk", "Келісім 5 мамыр 2025 жылы қол қойылды.", "5 мамыр 2025", date(2025, 5, 5)),
    ("az", "Prezident 5 mart 2025-ci ildə Bakıda nitq söylədi.", "5 mart 2025", date(2025, 3, 5)),
    ("az", "Sammit 2026-cı il noyabrın 23-də başladı.", "2026-cı il noyabrın 23-də", date(2026, 11, 23)),
    (
        "tk",
        "Maslahat 2026-njy ýylyň 23-nji noýabrynda geçirildi.",
        "2026-njy ýylyň 23-nji noýabrynda",
        date(2026, 11, 23),
    ),
    ("tk", "Forum 12 iýun 2025 ýylda Aşgabatda boldy.", "12 iýun 2025", date(2025, 6, 12)),
    ("tr", "Zirve 23 Kasım 2026'da Ankara'da toplandı.", "23 Kasım 2026", date(2026, 11, 23)),
    ("tr", "Anlaşma 1 Ağustos 2025 tarihinde imzalandı.", "1 Ağustos 2025", date(2025, 8, 1)),
    (
        "ar",
        "وصل الوفد في 23 تشرين الثاني/نوفمبر 2026 إلى دمشق.",
        "23 تشرين الثاني/نوفمبر 2026",
        date(2026, 11, 23),
    ),
    ("ar", "افتتح المعرض في 5 يناير 2026 بالقاهرة.", "5 يناير 2026", date(2026, 1, 5)),
    ("ar", "وقعت الاتفاقية في ٥ أيار ٢٠٢٥.", "٥ أيار ٢٠٢٥", date(2025, 5, 5)),
    ("ar", "عقد الاجتماع في 3 كانون الأول 2025.", "3 كانون الأول 2025", date(2025, 12, 3)),
    ("fa", "نشست در ۲۳ نوامبر ۲۰۲۶ در تهران برگزار می‌شود.", "۲۳ نوامبر ۲۰۲۶", date(2026, 11, 23)),
    ("fa", "قرارداد در ۱۰ مه ۲۰۲۵ امضا شد.", "۱۰ مه ۲۰۲۵", date(2025, 5, 10)),
]


@pytest.mark.parametrize(("language", "text", "surface", "expected"), FULL_DATES)
def test_full_gregorian_dates_in_words(language: str, text: str, surface: str, expected: date) -> None:
    assert found(text, language) == [(surface, expected, "gregorian", "day")]


def test_offsets_point_into_the_original_text() -> None:
    text = "وصل الوفد في 23 تشرين الثاني/نوفمبر 2026 إلى دمشق."
    (mention,) = extract_dates(text, "ar", REFERENCE)
    assert text[mention.start : mention.end] == mention.surface
    assert mention.role == "mention"


# -- Solar Hijri ------------------------------------------------------------------------------------


def test_the_independent_conversion_agrees_with_a_known_date() -> None:
    assert solar(1403, 9, 2) == date(2024, 11, 22)  # 2 Azar 1403


@pytest.mark.parametrize(
    ("text", "surface", "expected", "precision"),
    [
        ("رئیس‌جمهور روز ۲ آذر ۱۴۰۳ به باکو سفر کرد.", "۲ آذر ۱۴۰۳", solar(1403, 9, 2), "day"),
        ("طبق بخشنامه ۱۴۰۳/۰۸/۲۳ عمل شد.", "۱۴۰۳/۰۸/۲۳", solar(1403, 8, 23), "day"),
        ("این قرارداد ۱۵ مهر امضا شد.", "۱۵ مهر", solar(1405, 7, 15), "day"),
        ("صادرات در اسفند ۱۴۰۲ افزایش یافت.", "اسفند ۱۴۰۲", solar(1402, 12, 1), "month"),
        ("قیمت‌ها در آذرماه ثابت ماند.", "آذرماه", solar(1405, 9, 1), "month"),
        ("در سال ۱۴۰۲ تولید رشد کرد.", "۱۴۰۲", solar(1402, 1, 1), "year"),
        ("جلسه ۳۰ اسفند ۱۴۰۳ برگزار شد.", "۳۰ اسفند ۱۴۰۳", solar(1403, 12, 30), "day"),
    ],
)
def test_solar_hijri_dates(text: str, surface: str, expected: date, precision: str) -> None:
    assert found(text, "fa") == [(surface, expected, "solar_hijri", precision)]


def test_impossible_solar_day_is_not_a_date() -> None:
    # 1404 is not a leap year: Esfand has 29 days.
    assert found("جلسه ۳۰ اسفند ۱۴۰۴ برگزار شد.", "fa") == []


# -- Partial dates (no year) and month/year precision ---------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "surface", "expected", "precision"),
    [
        ("en", "Talks resume Jan. 5 in Geneva.", "Jan. 5", date(2027, 1, 5), "day"),  # 43 days ahead
        ("en", "The pipeline opened in May.", "May", date(2026, 5, 1), "month"),
        ("en", "Output fell in March 2025.", "March 2025", date(2025, 3, 1), "month"),
        ("ru", "Переговоры прошли в марте.", "марте", date(2026, 3, 1), "month"),
        ("ru", "Закон вступит в силу 1 января.", "1 января", date(2027, 1, 1), "day"),
        ("ru", "Саммит пройдёт 2 декабря.", "2 декабря", date(2026, 12, 2), "day"),
        (
            "ru",
            "Саммит состоялся 2 марта.",
            "2 марта",
            date(2026, 3, 2),
            "day",
        ),  # 2 March 2027: 99 days ahead
        ("kk", "Наурыз айында егіс басталады.", "Наурыз", date(2026, 3, 1), "month"),
        ("kk", "Наурызда егіс басталды.", "Наурызда", date(2026, 3, 1), "month"),
        ("az", "Martın 8-də bayram qeyd olundu.", "Martın 8-də", date(2026, 3, 8), "day"),
        ("az", "Martda ixrac artdı.", "Martda", date(2026, 3, 1), "month"),
        ("tk", "Maýda gurluşyk tamamlandy.", "Maýda", date(2026, 5, 1), "month"),
        ("tr", "Fuar Mart'ta açıldı.", "Mart'ta", date(2026, 3, 1), "month"),
        ("tr", "Hasat mayısta başladı.", "mayısta", date(2026, 5, 1), "month"),
        ("tr", "Aralık ayında seçim yapılacak.", "Aralık", date(2026, 12, 1), "month"),
        ("ar", "يزور الوفد في شهر آب دمشق.", "آب", date(2026, 8, 1), "month"),
        ("ar", "التقى الوزيران في 5 آذار.", "5 آذار", date(2026, 3, 5), "day"),
    ],
)
def test_partial_dates(language: str, text: str, surface: str, expected: date, precision: str) -> None:
    assert found(text, language) == [(surface, expected, "gregorian", precision)]


@pytest.mark.parametrize(
    ("language", "text", "surface", "expected"),
    [
        ("en", "Trade grew in 2025, the ministry said.", "2025", date(2025, 1, 1)),
        ("en", "Exports doubled since 2019 and keep growing.", "2019", date(2019, 1, 1)),
        ("ru", "В 2025 году товарооборот вырос.", "2025", date(2025, 1, 1)),
        ("kk", "2024 жылы экспорт өсті.", "2024", date(2024, 1, 1)),
        ("az", "2024-cü ildə ixrac artdı.", "2024", date(2024, 1, 1)),
        ("tk", "2024-nji ýylda eksport artdy.", "2024", date(2024, 1, 1)),
        ("tr", "2024 yılında ihracat arttı.", "2024", date(2024, 1, 1)),
        ("ar", "ارتفعت الصادرات عام 2024.", "2024", date(2024, 1, 1)),
        ("fa", "در سال ۲۰۲۴ صادرات افزایش یافت.", "۲۰۲۴", date(2024, 1, 1)),
    ],
)
def test_years_with_a_year_word(language: str, text: str, surface: str, expected: date) -> None:
    assert found(text, language) == [(surface, expected, "gregorian", "year")]


# -- Relative words and weekdays (reference: Monday 23 November 2026) ---------------------------

YESTERDAY, TODAY, TOMORROW = date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)


@pytest.mark.parametrize(
    ("language", "text", "surface", "expected"),
    [
        ("en", "Yesterday the minister arrived.", "Yesterday", YESTERDAY),
        ("en", "The deal was signed on Friday.", "Friday", date(2026, 11, 20)),
        ("en", "Voting starts on Wednesday.", "Wednesday", date(2026, 11, 25)),
        ("ru", "Вчера в Кремле прошла встреча.", "Вчера", YESTERDAY),
        ("ru", "Переговоры прошли в пятницу.", "пятницу", date(2026, 11, 20)),
        ("ru", "Послезавтра откроется форум.", "Послезавтра", date(2026, 11, 25)),
        ("fa", "وزیر دیروز به مسکو رفت.", "دیروز", YESTERDAY),
        ("fa", "نشست سه‌شنبه برگزار می‌شود.", "سه‌شنبه", TOMORROW),
        ("fa", "نماز جمعه برگزار شد.", None, None),  # "Friday prayers", not a date
        ("fa", "روز جمعه بازار بسته است.", "جمعه", date(2026, 11, 20)),
        ("ar", "أعلن الرئيس يوم الاثنين عن خطة.", "الاثنين", TODAY),
        ("ar", "وصل الوفد أمس إلى بغداد.", "أمس", YESTERDAY),
        ("kk", "Кеше Астанада жиын өтті.", "Кеше", YESTERDAY),
        ("kk", "Сәрсенбі күні сайлау өтеді.", "Сәрсенбі", date(2026, 11, 25)),
        ("az", "Dünən Bakıda görüş keçirildi.", "Dünən", YESTERDAY),
        ("az", "Bu gün sammit başlayır.", "Bu gün", TODAY),
        ("tk", "Düýn Aşgabatda maslahat geçirildi.", "Düýn", YESTERDAY),
        ("tr", "Bakan yarın Bakü'ye gidecek.", "yarın", TOMORROW),
        ("tr", "Toplantı pazartesi günü yapıldı.", "pazartesi", TODAY),
    ],
)
def test_relative_words(language: str, text: str, surface: str | None, expected: date | None) -> None:
    expected_found = [] if surface is None else [(surface, expected, "gregorian", "day")]
    assert found(text, language) == expected_found


def test_weekday_restating_a_date_is_not_repeated() -> None:
    assert found("The vote took place on Monday, 23 November 2026.", "en") == [
        ("23 November 2026", date(2026, 11, 23), "gregorian", "day")
    ]
    assert found("وصل الوفد أمس الأحد إلى دمشق", "ar") == [("أمس", YESTERDAY, "gregorian", "day")]


def test_different_days_side_by_side_are_both_kept() -> None:
    surfaces = [
        m.surface for m in extract_dates("Bakan dün, pazartesi günü ise bugün konuştu.", "tr", REFERENCE)
    ]
    assert surfaces == ["dün", "pazartesi", "bugün"]


def test_reference_is_read_in_utc() -> None:
    # 01:00 in Baku on 23 November is still 22 November in UTC.
    baku = datetime(2026, 11, 23, 1, 0, tzinfo=timezone(timedelta(hours=4)))
    assert extract_dates("Yesterday", "en", baku)[0].date == date(2026, 11, 21)
    naive = datetime(2026, 11, 23, 1, 0)
    assert extract_dates("Yesterday", "en", naive)[0].date == YESTERDAY


# -- Numeric dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Filed on 2026-11-23 at noon.", [("2026-11-23", date(2026, 11, 23))]),
        ("ru", "Заявление от 23.11.2026 принято.", [("23.11.2026", date(2026, 11, 23))]),
        ("ru", "Срок: 03.04.2026.", [("03.04.2026", date(2026, 4, 3))]),  # day first
        ("tr", "Karar 23/11/2026 tarihinde açıklandı.", [("23/11/2026", date(2026, 11, 23))]),
        ("en-US", "Due 03/04/2026 per the notice.", [("03/04/2026", date(2026, 3, 4))]),
        ("en", "Due 03/04/2026 per the notice.", []),  # ambiguous between UK and US readings
        ("en", "Due 23/04/2026 per the notice.", [("23/04/2026", date(2026, 4, 23))]),
        (
            None,
            "Ref. 2026-11-23 and 23.11.2026.",
            [("2026-11-23", date(2026, 11, 23)), ("23.11.2026", date(2026, 11, 23))],
        ),
        ("ar", "صدر القرار بتاريخ ٢٠٢٦/١١/٢٣.", [("٢٠٢٦/١١/٢٣", date(2026, 11, 23))]),
        ("de", "Am 23.11.2026 in Berlin.", [("23.11.2026", date(2026, 11, 23))]),  # unknown language
        ("ru", "Дата 31.02.2026 неверна.", []),
    ],
)
def test_numeric_dates(language: str | None, text: str, expected: list[tuple[str, date]]) -> None:
    assert [(s, d) for s, d, _, _ in found(text, language)] == expected


# -- Datelines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "surface", "expected", "calendar"),
    [
        ("en", "MOSCOW, Nov 23 (TASS) - Russia and Kazakhstan signed...", "Nov 23", TODAY, "gregorian"),
        ("en", "BAKU, November 23. /AZERTAC/. The President received...", "November 23", TODAY, "gregorian"),
        (
            "fa",
            "تهران- ایرنا- ۲ آذر ۱۴۰۳ - وزیر امور خارجه گفت...",
            "۲ آذر ۱۴۰۳",
            solar(1403, 9, 2),
            "solar_hijri",
        ),
        ("ru", "Астана. 23 ноября. КАЗИНФОРМ - Глава государства...", "23 ноября", TODAY, "gregorian"),
        (None, "Астана. 23 ноября. КАЗИНФОРМ - Глава государства...", "23 ноября", TODAY, "gregorian"),
        ("ru", "Баку, 23 ноября 2026, АЗЕРТАДЖ. Президент...", "23 ноября 2026", TODAY, "gregorian"),
        (
            "ar",
            "دمشق-سانا، 22 تشرين الثاني 2026 - أكد الرئيس...",
            "22 تشرين الثاني 2026",
            YESTERDAY,
            "gregorian",
        ),
        ("tr", "ANKARA (AA) - 23 Kasım 2026 - Dışişleri Bakanı...", "23 Kasım 2026", TODAY, "gregorian"),
    ],
)
def test_datelines(language: str | None, text: str, surface: str, expected: date, calendar: str) -> None:
    first = extract_dates(text, language, REFERENCE)[0]
    assert (first.surface, first.date, first.calendar, first.role) == (
        surface,
        expected,
        calendar,
        "dateline",
    )


def test_only_the_first_date_can_be_the_dateline() -> None:
    mentions = extract_dates("MOSCOW, Nov 23 (TASS) - The treaty of 12 March 2026 holds.", "en", REFERENCE)
    assert [m.role for m in mentions] == ["dateline", "mention"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "On 12 March 2026 the minister said the deal would hold."),
        ("en", "The minister said on 23 November (Monday) that the deal holds."),
        ("en", "Yesterday, the minister said the deal would hold."),
        ("ru", "Президент Казахстана заявил 23 ноября, что визит состоится."),
        ("en", "x" * 130 + ", Nov 23 (TASS) - late."),
    ],
)
def test_dates_in_the_body_are_not_datelines(language: str, text: str) -> None:
    mentions = extract_dates(text, language, REFERENCE)
    assert mentions and all(m.role == "mention" for m in mentions)


# -- False positives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "You may go now, and they may not."),
        ("en", "May I ask a question?"),
        ("en", "They march on the capital."),
        ("en", "Thousands joined the march 12 days ago."),  # lower-case: the noun, not the month
        ("en", "The score was 2-1 at half-time and 3-0 later."),
        ("en", "Call +7 495 123-45-67 or 8-800-555-35-35."),
        ("en", "In 2025 cases were reported across 12 regions."),
        ("en", "Version 1.2.3 was installed on 192.168.10.12."),
        ("en", "Some 1,500 delegates and 2026 observers came."),
        ("en", "Pi is 3.14159 and the time was 12:30."),
        ("en", "Flight SU 1234 landed at gate 12."),
        ("en", "The report 12/11 was filed."),
        ("ru", "Марта пришла домой в 12 часов."),
        ("ru", "В Москве 15 человек пострадали."),
        ("tr", "Bu aralıkta fiyatlar yükseldi."),
        ("tr", "Ocakta yemek pişirildi."),
        ("tr", "Kasım Bey ile Nisan Hanım geldi."),
        ("tr", "Ekim yapıldı, 12 tarla sürüldü."),
        ("kk", "Қазанда жиын өтті."),
        ("kk", "Қазан қаласында 12 адам жиналды."),
        ("fa", "او می‌گوید که ۱۲ نفر آمدند."),
        ("fa", "مه غلیظ شهر را پوشاند."),
        ("fa", "تیر شلیک شد و مهر و محبت ماند."),
        ("fa", "۵ می‌شود اگر ۲ و ۳ را جمع کنیم."),
        ("ar", "ذهب أبي في آب الماضي؟ لا."),
        ("ar", "قتل 12 شخصا وأصيب 2026 آخرون."),
        ("az", "Bazar günü 12 nəfər gəldi."),
        (None, "1234567890 ٢٠٢٦١١٢٣ 12 12 12 2026"),
        ("en", "The city was founded on 5 March 1850."),  # outside the years the hub resolves
        ("fa", "این سند ۲ نوامبر ۱۴۰۳ است."),  # Gregorian month, Solar year
    ],
)
def test_tricky_non_dates(language: str | None, text: str) -> None:
    assert found(text, language) == []


# -- Hostile input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01\x02", "\u200f\u200e\u200c", "٢٠٢٦", "0" * 1000])
@pytest.mark.parametrize("language", [None, "fa", "en", "xx-Yyyy"])
def test_degenerate_input(text: str, language: str | None) -> None:
    assert extract_dates(text, language, REFERENCE) == []


def test_huge_text_is_scanned_only_at_its_start() -> None:
    filler = "Lorem ipsum dolor sit amet, 12 to 3. " * 140_000  # about 5 MB
    text = "Signed on 12 March 2026. " + filler + " Then on 5 June 2026."
    assert len(text) > 5_000_000
    mentions = extract_dates(text, None, REFERENCE)
    assert [m.surface for m in mentions] == ["12 March 2026"]
    assert all(m.end <= MENTION_SCAN_LIMIT for m in mentions)


def test_invisible_and_direction_marks_around_dates() -> None:
    text = "\u200fتهران\u200f- ۲\u200c آذر\u200f ۱۴۰۳\u200e گزارش"
    (mention,) = extract_dates(text, "fa", REFERENCE)
    assert mention.date == solar(1403, 9, 2)
    assert text[mention.start : mention.end] == mention.surface
    assert found("Signed 12\u200b March\x0b2026.", "en") == [
        ("12\u200b March\x0b2026", date(2026, 3, 12), "gregorian", "day")
    ]


def test_language_tags_are_read_as_bcp47() -> None:
    assert found("Встреча 12 марта 2026 года.", "ru-RU") == found("Встреча 12 марта 2026 года.", "RU")
    assert found("Встреча 12 марта 2026 года.", "de") == []


_PIECES = st.sampled_from(
    [
        "12",
        "٢٣",
        "۱۴۰۳",
        "2026",
        "марта",
        "March",
        "آذر",
        "/",
        ".",
        "-",
        " ",
        "\u200f",
        "\u200c",
        "İ",
        "Kasım'da",
        "вчера",
        "on",
        "Monday",
        "تشرين الثاني",
        "\x00",
        "\n",
        ",",
        "(TASS)",
        "في",
    ]
)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=30), language=st.sampled_from([None, "fa", "ar", "ru", "en", "tr"]))
def test_arbitrary_input_keeps_the_contract(pieces: list[str], language: str | None) -> None:
    text = "".join(pieces)
    mentions = extract_dates(text, language, REFERENCE)
    assert mentions == extract_dates(text, language, REFERENCE)  # deterministic
    for n, mention in enumerate(mentions):
        assert isinstance(mention, MentionedDate)
        assert text[mention.start : mention.end] == mention.surface
        assert mention.role == "mention" or n == 0
        if n:
            assert mentions[n - 1].end <= mention.start
