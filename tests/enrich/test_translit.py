"""Cyrillic to Latin for kk/az/tk/ru, and the cross-script matching key."""

from __future__ import annotations

import pytest

from tabadol.enrich.translit import SUPPORTED_LANGUAGES, matching_key, to_latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Қазақстан", "Qazaqstan"),
        ("Қазақпарат", "Qazaqparat"),
        ("Ақтау", "Aqtau"),
        ("Астана", "Astana"),
        ("Алматы", "Almaty"),
        ("Өскемен", "Öskemen"),
        ("Шымкент", "Şymkent"),
        ("Қызылорда", "Qyzylorda"),
        ("Түркістан", "Türkıstan"),  # і is dotless ı, ы is y
        ("Маңғыстау", "Mañğystau"),
        ("Ұлытау", "Ūlytau"),
        ("Әзірбайжан", "Äzırbaijan"),  # й is i in the 2021 alphabet
        ("Сөйлесіп", "Söilesıp"),
        ("Ирак", "İrak"),  # capital и is dotted İ
        ("Шаһар", "Şahar"),
        # Russian-only letters follow the 2021 rules (no C or Ç in the alphabet).
        ("цирк", "sirk"),
        ("чемпионат", "şempionat"),
        ("Ютуб", "İutub"),  # ю is й+у, and й is i
        ("Ядро", "İadro"),
        ("объект", "obekt"),
        ("Шымкентке бару", "Şymkentke baru"),
    ],
)
def test_kazakh_2021(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic, "kk") == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Бакы", "Bakı"),
        ("Азәрбајҹан", "Azərbaycan"),
        ("Ҝәнҹә", "Gəncə"),  # Ҝ is g
        ("Гарабағ", "Qarabağ"),  # Г is q
        ("Хәзәр дәнизи", "Xəzər dənizi"),
        ("Шәки", "Şəki"),
        ("Ләнкәран", "Lənkəran"),
        ("Нахчыван", "Naxçıvan"),
        ("Сумгајыт", "Sumqayıt"),
        ("Һејдәр Әлијев", "Heydər Əliyev"),
        ("Илһам", "İlham"),
        ("Азәртаҹ", "Azərtac"),
        ("Түркмәнбашы", "Türkmənbaşı"),
        ("Өлкә", "Ölkə"),
        ("шоссе", "şosse"),
        ("Цирк", "Tsirk"),
        ("Ющенко", "Yuşçenko"),
    ],
)
def test_azerbaijani_cyrillic_to_latin(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic, "az") == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ашгабат", "Aşgabat"),
        ("Түркменбашы", "Türkmenbaşy"),
        ("Түркменистан", "Türkmenistan"),
        ("Азербайҗан", "Azerbaýjan"),  # җ is j
        ("журнал", "žurnal"),  # ж is ž
        ("Балкан", "Balkan"),
        ("Дашогуз", "Daşoguz"),
        ("Лебап", "Lebap"),
        ("Ахал", "Ahal"),
        ("Тәзе", "Täze"),
        ("Ватан", "Watan"),  # в is w
        ("Ер", "Ýer"),  # word-initial е is ýe
        ("Европа", "Ýewropa"),
        ("Эне", "Ene"),  # initial /e/ was written э
        ("гүнбатар", "günbatar"),
        ("Түркменистаның", "Türkmenistanyň"),
        ("Яш", "Ýaş"),
        ("Юрт", "Ýurt"),
        ("цирк", "sirk"),
    ],
)
def test_turkmen_cyrillic_to_latin(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic, "tk") == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Казахстан", "Kazakhstan"),
        ("Азербайджан", "Azerbayjan"),  # дж is the foreign /dʒ/
        ("Щукин", "Shchukin"),
        ("Пётр", "Petr"),
        ("Ташкент", "Tashkent"),
        ("Ростов-на-Дону", "Rostov-na-Donu"),
    ],
)
def test_russian_scheme(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic, "ru") == latin


@pytest.mark.parametrize(
    ("language", "text", "latin"),
    [
        ("kk", "ҚАЗАҚПАРАТ", "QAZAQPARAT"),
        ("kk", "ҚАЗАҚСТАН РЕСПУБЛИКАСЫ", "QAZAQSTAN RESPUBLİKASY"),
        ("kk", "ЯДРО", "İADRO"),  # multi-letter output inside an all-caps word
        ("kk", "Ядро", "İadro"),
        ("kk", "ТҮРКІСТАН", "TÜRKISTAN"),
        ("az", "БАКЫ", "BAKI"),
        ("az", "ЩИТ", "ŞÇİT"),
        ("tk", "ЕВРОПА", "ÝEWROPA"),
        ("tk", "Европа", "Ýewropa"),
        ("tk", "ЯШ", "ÝAŞ"),
        ("ru", "ЩУКА", "SHCHUKA"),
        ("ru", "Щ", "Shch"),  # a lone capital is a title-case word
        ("ru", "ДЖОН", "JON"),
        ("ru", "Джон", "Jon"),
        ("ru", "джаз", "jaz"),
    ],
)
def test_case_is_preserved(language: str, text: str, latin: str) -> None:
    assert to_latin(text, language) == latin


def test_language_tags_with_subtags_and_case() -> None:
    assert to_latin("Ақтау", "kk-Cyrl-KZ") == "Aqtau"
    assert to_latin("Ақтау", "KK") == "Aqtau"
    assert to_latin("Бакы", "az_Cyrl") == "Bakı"


@pytest.mark.parametrize("language", ["en", "fa", "tr", "", "und", "xx-Latn"])
def test_other_languages_are_returned_unchanged(language: str) -> None:
    text = "Ақтау — Aktau"
    assert to_latin(text, language) == text


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_non_cyrillic_is_untouched(language: str) -> None:
    text = "IRNA: خبرگزاری‌ها «خزر» ۱۴۰۳, İzmir, Ağrı 3.5% \u200b\t\x00 中文 Ελλάδα 🌍"
    assert to_latin(text, language) == text


def test_mixed_script_text_converts_only_cyrillic() -> None:
    text = "Паром «Ақтау» (Aktau) прибыл в Baku — 12:30, ایرنا"
    assert to_latin(text, "kk") == "Parom «Aqtau» (Aktau) pribyl v Baku — 12:30, ایرنا"


def test_decomposed_short_i_is_read_as_one_letter() -> None:
    # и + combining breve is й; е + combining diaeresis is ё.
    assert to_latin("Сөи\u0306лесіп", "kk") == "Söilesıp"
    assert to_latin("Пе\u0308тр", "ru") == "Petr"
    assert to_latin("и\u0306", "tk") == "ý"


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_empty_and_hostile_input(language: str) -> None:
    assert to_latin("", language) == ""
    assert matching_key("", language) == ""
    hostile = "\x00\u200b\u202eА\u200dқ\u00adтау\u2066\x7f"
    assert "\x00" in to_latin(hostile, language)  # to_latin leaves what it does not know
    assert matching_key(hostile, "kk") == "aktau"
    assert matching_key("\u200b\u200c\u200f", language) == ""


def test_no_cyrillic_letter_survives_in_a_key() -> None:
    alphabet = "аәбвгғдеёжҗзийјкқҝлмнңоөпрстуұүфхһцчҹшщъыіьэюя"
    for language in [None, "kk", "az", "tk", "ru", "en"]:
        key = matching_key(alphabet + alphabet.upper(), language)
        assert not any("\u0400" <= ch <= "\u04ff" for ch in key), (language, key)


@pytest.mark.parametrize(
    ("language", "latin", "key"),
    [
        ("kk", "Qazaqstan Aqtau ŞUKA Ýer", "kazakstan aktau shuka ier"),
        ("az", "Қazaқstan Aқtau ŞÇUKA Ýer", "kazakstan aktau shchuka ier"),
        ("tk", "Қazaқstan Aқtau ŞÇUKA Ýer", "kazakstan aktau shchuka ier"),
        ("ru", "Qazaqstan Aqtau SHCHUKA Ýer", "kazakstan aktau shchuka ier"),
    ],
)
def test_a_megabyte_is_converted_whole(language: str, latin: str, key: str) -> None:
    phrase = "Қазақстан Ақтау ЩУКА Ýer \u200b\x00\u202e 2026 خبرگزاری "
    text = (phrase * (1_000_000 // len(phrase) + 1))[:1_000_000]
    converted = to_latin(text, language)
    folded = matching_key(text, language)
    assert converted.startswith(latin + " \u200b\x00\u202e 2026 خبرگزاری ")
    assert folded.startswith(key + " 2026 خبرگزاری ")


# Names that meet: each group is one name in several scripts, alphabets and languages.
MEETING_GROUPS: list[list[tuple[str, str | None]]] = [
    [("Қазақстан", "kk"), ("Qazaqstan", "kk"), ("Qazaqstan", None), ("ҚАЗАҚСТАН", "kk")],
    [("Казахстан", "ru"), ("Kazakhstan", "en"), ("Казахстан", None)],
    [("Ақтау", "kk"), ("Aqtau", "kk"), ("Актау", "ru"), ("Aktau", "en")],
    [("Қазақпарат", "kk"), ("Qazaqparat", None), ("Kazakparat", "en")],
    [("Түркменистан", "tk"), ("Türkmenistan", "tk"), ("Туркменистан", "ru"), ("Turkmenistan", "en")],
    [
        ("Түркменбашы", "tk"),
        ("Türkmenbaşy", "tk"),
        ("Түркмәнбашы", "az"),
        ("Türkmənbaşı", "az"),
        ("Туркменбаши", "ru"),
        ("Turkmenbashi", "en"),
    ],
    [
        ("Әзербайжан", "kk"),
        ("Азербайҗан", "tk"),
        ("Azerbaýjan", "tk"),
        ("Азәрбајҹан", "az"),
        ("Azərbaycan", "az"),
        ("Азербайджан", "ru"),
        ("Azerbaijan", "en"),
        ("Azerbaycan", "tr"),
    ],
    [("Бакы", "az"), ("Bakı", "az"), ("BAKI", "az"), ("Baki", None)],
    [("Ашгабат", "tk"), ("Aşgabat", "tk"), ("Ashgabat", "en"), ("Ашгабат", "ru")],
    [("Алиев", "ru"), ("Aliyev", "en"), ("Aliev", None)],
    [("Шымкент", "kk"), ("Şymkent", "kk"), ("Шымкент", "ru"), ("Shymkent", "en")],
    [("Қызылорда", "kk"), ("Qyzylorda", "kk"), ("Кызылорда", "ru"), ("Kyzylorda", "en"), ("Kızılorda", "tr")],
    [("Жаңаөзен", "kk"), ("Jañaözen", "kk"), ("Жанаозен", "ru"), ("Zhanaozen", "en")],
    [("Хәзәр", "az"), ("Xəzər", "az")],
    [("Ирак", "kk"), ("İrak", "tr"), ("IRAK", "tr"), ("Ирак", "ru")],
]


@pytest.mark.parametrize("group", MEETING_GROUPS, ids=lambda group: group[0][0])
def test_spellings_of_one_name_meet(group: list[tuple[str, str | None]]) -> None:
    keys = {text: matching_key(text, language) for text, language in group}
    assert len(set(keys.values())) == 1, keys


# Pairs that stay apart: different names, or one name whose forms differ in more than spelling.
APART: list[tuple[tuple[str, str | None], tuple[str, str | None]]] = [
    (("Қазақстан", "kk"), ("Казахстан", "ru")),  # қ against х: documented, not folded
    (("Bakı", "az"), ("Baku", "en")),
    (("Ашгабат", "tk"), ("Ашхабад", "ru")),
    (("Əliyev", "az"), ("Aliyev", "en")),  # ə folds to e
    (("Түрікменстан", "kk"), ("Türkmenistan", "tk")),
    (("Aktau", "en"), ("Aktobe", "en")),
    (("Иран", "ru"), ("Ирак", "ru")),
    (("Şəki", "az"), ("Saki", None)),  # ş is not s
    (("Çeçen", "tr"), ("Jejen", None)),  # ç is not c
    (("Сүт", "kk"), ("Сот", "kk")),  # ü folds to u, not to o
    (("Hazar 2025", "tr"), ("Hazar 2026", "tr")),  # digits are never folded
    (("100", None), ("10", None)),  # nor collapsed
]


@pytest.mark.parametrize(("one", "other"), APART, ids=lambda pair: pair[0])
def test_different_names_stay_apart(one: tuple[str, str | None], other: tuple[str, str | None]) -> None:
    assert matching_key(*one) != matching_key(*other)


def test_key_is_stable_when_applied_again() -> None:
    for text, language in [pair for group in MEETING_GROUPS for pair in group]:
        key = matching_key(text, language)
        assert matching_key(key, language) == key, (text, key)


def test_key_normalises_white_space_and_controls() -> None:
    assert matching_key("  Ақтау\x00\nпорты\t ", "kk") == "aktau porti"
    assert matching_key("Ақ\u200cтау", "kk") == "aktau"
