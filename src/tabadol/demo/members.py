"""The demo alliance: nine members, each named in all eight working languages of the hub.

The agencies are real (their own names, as they write them, are the first entry of each table); the
English desk of the Caspian news-agencies union is illustrative: the union's founding board met in
Moscow in 2024 (seed article 000), and the demo gives it an English desk there so that the English
versions of the FLORES stories have a sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEMO_LANGUAGES: tuple[str, ...] = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")


@dataclass(frozen=True, slots=True)
class DemoMember:
    code: str
    country: str  # ISO 3166-1 alpha-2
    languages: tuple[str, ...]  # working languages, BCP-47
    names: Mapping[str, str]  # one name in each of DEMO_LANGUAGES


IRNA = DemoMember(
    code="irna",
    country="IR",
    languages=("fa", "en", "ar"),
    names={
        "fa": "خبرگزاری جمهوری اسلامی (ایرنا)",
        "ar": "وكالة أنباء الجمهورية الإسلامية (إرنا)",
        "ru": "Информационное агентство Исламской Республики (ИРНА)",
        "az": "İslam Respublikası Xəbər Agentliyi (IRNA)",
        "kk": "Ислам Республикасының ақпарат агенттігі (IRNA)",
        "tk": "Yslam Respublikasynyň habarlar gullugy (IRNA)",
        "tr": "İslam Cumhuriyeti Haber Ajansı (IRNA)",
        "en": "Islamic Republic News Agency (IRNA)",
    },
)

AZERTAC = DemoMember(
    code="azertac",
    country="AZ",
    languages=("az", "en", "ru"),
    names={
        "az": "Azərbaycan Dövlət İnformasiya Agentliyi (AZƏRTAC)",
        "fa": "خبرگزاری دولتی جمهوری آذربایجان (آذرتاج)",
        "ar": "وكالة أنباء أذربيجان الحكومية (أذرتاج)",
        "ru": "Азербайджанское государственное информационное агентство (АЗЕРТАДЖ)",
        "kk": "Әзірбайжан мемлекеттік ақпарат агенттігі (AZERTAC)",
        "tk": "Azerbaýjanyň Döwlet habarlar gullugy (AZERTAC)",
        "tr": "Azerbaycan Devlet Haber Ajansı (AZERTAC)",
        "en": "Azerbaijan State News Agency (AZERTAC)",
    },
)

TASS = DemoMember(
    code="tass",
    country="RU",
    languages=("ru", "en"),
    names={
        "ru": "Информационное агентство России ТАСС",
        "fa": "خبرگزاری تاس روسیه",
        "ar": "وكالة تاس الروسية للأنباء",
        "az": "Rusiya İnformasiya Agentliyi TASS",
        "kk": "Ресейдің ТАСС ақпарат агенттігі",
        "tk": "Russiýanyň TASS habarlar gullugy",
        "tr": "Rusya Haber Ajansı TASS",
        "en": "TASS Russian News Agency",
    },
)

KAZINFORM = DemoMember(
    code="kazinform",
    country="KZ",
    languages=("kk", "ru", "en"),
    names={
        "kk": "«Казинформ» халықаралық ақпарат агенттігі",
        "fa": "خبرگزاری بین‌المللی کازینفرم",
        "ar": "وكالة كازإنفورم الدولية للأنباء",
        "ru": "Международное информационное агентство «Казинформ»",
        "az": "Kazinform Beynəlxalq İnformasiya Agentliyi",
        "tk": "«Kazinform» halkara habarlar gullugy",
        "tr": "Kazinform Uluslararası Haber Ajansı",
        "en": "Kazinform International News Agency",
    },
)

TDH = DemoMember(
    code="tdh",
    country="TM",
    languages=("tk", "ru", "en"),
    names={
        "tk": "Türkmen döwlet habarlar gullugy (TDH)",
        "fa": "خبرگزاری دولتی ترکمنستان",
        "ar": "وكالة أنباء تركمانستان الحكومية",
        "ru": "Государственное информационное агентство Туркменистана (TDH)",
        "az": "Türkmənistan Dövlət Xəbər Agentliyi (TDH)",
        "kk": "Түрікменстан мемлекеттік ақпарат агенттігі (TDH)",
        "tr": "Türkmenistan Devlet Haber Ajansı (TDH)",
        "en": "Turkmenistan State News Agency (TDH)",
    },
)

ANADOLU = DemoMember(
    code="aa",
    country="TR",
    languages=("tr", "en", "ar", "ru", "fa"),
    names={
        "tr": "Anadolu Ajansı",
        "fa": "خبرگزاری آناتولی",
        "ar": "وكالة الأناضول",
        "ru": "Агентство Анадолу",
        "az": "Anadolu Agentliyi",
        "kk": "Анадолы агенттігі",
        "tk": "Anadolu agentligi",
        "en": "Anadolu Agency",
    },
)

SANA = DemoMember(
    code="sana",
    country="SY",
    languages=("ar", "en"),
    names={
        "ar": "الوكالة العربية السورية للأنباء (سانا)",
        "fa": "خبرگزاری رسمی سوریه (سانا)",
        "ru": "Сирийское арабское информационное агентство (САНА)",
        "az": "Suriya Ərəb Xəbər Agentliyi (SANA)",
        "kk": "Сирия араб ақпарат агенттігі (SANA)",
        "tk": "Siriýa arap habarlar gullugy (SANA)",
        "tr": "Suriye Arap Haber Ajansı (SANA)",
        "en": "Syrian Arab News Agency (SANA)",
    },
)

ALKAWTHAR = DemoMember(
    code="alkawthar",
    country="IR",
    languages=("ar",),
    names={
        "ar": "قناة الكوثر",
        "fa": "شبکه الکوثر",
        "ru": "Телеканал «Аль-Каусар»",
        "az": "Əl-Kövsər telekanalı",
        "kk": "«Әл-Кәусар» телеарнасы",
        "tk": "«Al-Kawsar» telekanaly",
        "tr": "El-Kevser Televizyonu",
        "en": "Al-Kawthar TV",
    },
)

UNION_DESK = DemoMember(
    code="caspian-desk",
    country="RU",
    languages=("en", "ru"),
    names={
        "en": "Union of Caspian News Agencies, English Desk",
        "fa": "میز انگلیسی اتحادیه خبرگزاری‌های کشورهای ساحلی خزر",
        "ar": "القسم الإنجليزي لاتحاد وكالات أنباء دول بحر قزوين",
        "ru": "Англоязычная редакция Союза информагентств прикаспийских государств",
        "az": "Xəzəryanı Dövlətlərin Xəbər Agentlikləri İttifaqının ingilisdilli redaksiyası",
        "kk": "Каспий маңы мемлекеттері ақпарат агенттіктері одағының ағылшын тілді редакциясы",
        "tk": "Hazarýaka döwletleriň habarlar gulluklary birleşiginiň iňlis dilindäki redaksiýasy",
        "tr": "Hazar'a Kıyıdaş Ülkeler Haber Ajansları Birliği İngilizce Masası",
    },
)

DEMO_MEMBERS: tuple[DemoMember, ...] = (
    IRNA,
    AZERTAC,
    TASS,
    KAZINFORM,
    TDH,
    ANADOLU,
    SANA,
    ALKAWTHAR,
    UNION_DESK,
)

# Which member sends the FLORES stories in each language: the one whose main language it is.
FLORES_SENDERS: Mapping[str, DemoMember] = {
    "fa": IRNA,
    "ar": SANA,
    "ru": TASS,
    "az": AZERTAC,
    "kk": KAZINFORM,
    "tk": TDH,
    "tr": ANADOLU,
    "en": UNION_DESK,
}

# The member that owns the demo's admin key (the alliance's own desk administers the hub).
ADMIN_KEY_MEMBER = UNION_DESK
