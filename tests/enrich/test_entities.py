"""Named entities: gazetteer linking across scripts and inflections, natasha for Russian, rules for
unknown persons and organisations, the pipeline component, and hostile text."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources

import pytest

from tabadol.enrich import entities_gazetteer
from tabadol.enrich.doc import Doc, Entity, EntityKind
from tabadol.enrich.entities import (
    MAX_TEXT_CHARS,
    DefaultRecognizer,
    EntityComponent,
    unknown_entity_id,
)
from tabadol.enrich.entities_gazetteer import GAZETTEER_FILES, Gazetteer, GazetteerEntry, default_gazetteer
from tabadol.enrich.entities_natasha import MAX_NATASHA_CHARS, NatashaRecognizer
from tabadol.enrich.pipeline import Component
from tabadol.errors import ErrorCode, TabadolError

LANGUAGES = ("en", "ru", "tr", "az", "kk", "tk", "fa", "ar")
GAZETTEER_ONLY = DefaultRecognizer(use_natasha=False)
FULL = DefaultRecognizer()


def found(text: str, language: str | None, recognizer: DefaultRecognizer = GAZETTEER_ONLY) -> list[Entity]:
    entities = recognizer.recognize(text, language)
    for entity in entities:
        assert text[entity.start : entity.end] == entity.surface
    return entities


def ids(text: str, language: str | None, recognizer: DefaultRecognizer = GAZETTEER_ONLY) -> list[str]:
    return [entity.id for entity in found(text, language, recognizer)]


# --- gazetteer data ---------------------------------------------------------------------------


def test_every_country_has_a_name_in_each_of_the_eight_languages() -> None:
    folder = resources.files("tabadol.enrich").joinpath("gazetteer")
    countries = json.loads(folder.joinpath("countries.json").read_text(encoding="utf-8"))["entities"]
    assert len(countries) >= 193
    for entity_id, entry in countries.items():
        assert entry["kind"] == "place"
        assert set(entry["names"]) == set(LANGUAGES), entity_id


def test_gazetteer_ids_are_unique_kind_prefixed_and_every_file_loads() -> None:
    gazetteer = default_gazetteer()
    prefixes = {EntityKind.PLACE: "place/", EntityKind.ORGANISATION: "org/", EntityKind.PERSON: "person/"}
    for entry in gazetteer.entries.values():
        assert entry.id.startswith(prefixes[entry.kind])
        assert "~" not in entry.id  # "~" marks ids made for names the gazetteer does not know
        assert entry.name and entry.names
    seen = 0
    folder = resources.files("tabadol.enrich").joinpath("gazetteer")
    for file_name in GAZETTEER_FILES:
        seen += len(json.loads(folder.joinpath(file_name).read_text(encoding="utf-8"))["entities"])
    assert seen == len(gazetteer.entries)


def test_a_gazetteer_rejects_duplicate_ids_and_the_version_follows_the_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = GazetteerEntry("place/x", EntityKind.PLACE, "X", {"en": ("Xland",)})
    with pytest.raises(TabadolError) as raised:
        Gazetteer([entry, entry])
    assert raised.value.code is ErrorCode.MODEL_INVALID

    before = entities_gazetteer.data_digest()
    original = entities_gazetteer._gazetteer_texts
    changed = [(name, text + " ") for name, text in original()]
    monkeypatch.setattr(entities_gazetteer, "_gazetteer_texts", lambda: changed)
    entities_gazetteer.data_digest.cache_clear()
    try:
        assert entities_gazetteer.data_digest() != before
    finally:
        monkeypatch.setattr(entities_gazetteer, "_gazetteer_texts", original)
        entities_gazetteer.data_digest.cache_clear()
    assert entities_gazetteer.data_digest() == before


def test_short_names_match_only_in_their_own_language() -> None:
    gazetteer = Gazetteer([GazetteerEntry("org/ab", EntityKind.ORGANISATION, "AB", {"tr": ("AB",)})])
    recognizer = DefaultRecognizer(gazetteer=gazetteer, use_natasha=False)
    assert [e.id for e in recognizer.recognize("AB'nin kararı", "tr")] == ["org/ab"]
    assert recognizer.recognize("AB testing", "en") == []


# --- cross-script linking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Переговоры прошли в Тегеран вчера.", "ru"),
        ("Talks were held in Tehran on Monday.", "en"),
        ("Görüşmeler Tahran şehrinde yapıldı.", "tr"),
        ("مذاکرات در تهران برگزار شد.", "fa"),
        ("جرت المحادثات في طهران أمس.", "ar"),
        ("Келіссөздер Тегеран қаласында өтті.", "kk"),
        ("Gepleşikler Tähran şäherinde geçirildi.", "tk"),
        ("Danışıqlar Tehran şəhərində keçirilib.", "az"),
    ],
)
def test_one_city_in_eight_languages_and_three_scripts_links_to_one_id(text: str, language: str) -> None:
    assert ids(text, language) == ["place/tehran"]


def test_names_link_without_a_language_and_across_languages() -> None:
    assert ids("Tehran, Тегеран, تهران", None) == ["place/tehran"] * 3
    # An English name quoted in a Turkish text still links.
    assert ids("Ajans, Tehran Times gazetesine konuştu.", "tr")[:1] == ["place/tehran"]


def test_persons_agencies_and_companies_link_across_scripts() -> None:
    assert ids("Токаев", "ru") == ids("Тоқаев", "kk") == ids("Tokayev", "en") == ids("توکایف", "fa")
    assert ids("Tokayev", "en") == ["person/kassym-jomart-tokayev"]
    assert ids("IRNA and AzerTAc", "en") == ["org/irna", "org/azertac"]
    assert ids("ایرنا", "fa") == ["org/irna"]
    assert ids("Газпром и Роснефть", "ru") == ["org/gazprom", "org/rosneft"]
    assert ids("SOCAR şirkəti", "az") == ["org/socar"]
    assert ids("Türkmengaz we BOTAŞ", "tk") == ["org/turkmengaz", "org/botas"]


def test_an_acronym_and_a_name_with_the_same_letters_are_told_apart_by_case() -> None:
    assert ids("Sanada yaşayanlar", "tr") == ["place/sanaa"]
    assert ids("SANA'nın haberine göre", "tr") == ["org/sana"]
    assert ids("OPEC and OPEC Plus", "en") == ["org/opec", "org/opec-plus"]


def test_entities_carry_the_canonical_english_name_and_the_mention() -> None:
    [entity] = found("Delegasiya Bakıda qarşılandı.", "az")
    assert (entity.id, entity.kind, entity.name, entity.surface) == (
        "place/baku",
        EntityKind.PLACE,
        "Baku",
        "Bakıda",
    )
    assert entity.source == "gazetteer"


def test_multi_word_names_win_over_their_parts() -> None:
    assert ids("Каспий теңізі", "kk") == ["place/caspian-sea"]
    assert ids("the Ministry of Foreign Affairs of Iran said", "en") == ["org/ir-mfa"]
    assert ids("Birləşmiş Millətlər Təşkilatı", "az") == ["org/un"]


# --- inflected forms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected", "surface"),
    [
        ("وصل الوفد والقاهرة تستعد", "ar", "place/cairo", "والقاهرة"),
        ("اجتماع بطهران اليوم", "ar", "place/tehran", "بطهران"),
        ("زيارة للقاهرة الأسبوع المقبل", "ar", "place/cairo", "للقاهرة"),
        ("Bakan Tahran'da konuştu.", "tr", "place/tehran", "Tahran'da"),
        ("Heyet Bakü'ye gitti.", "tr", "place/baku", "Bakü'ye"),
        ("Nümayəndə heyəti Bakıda görüşdü.", "az", "place/baku", "Bakıda"),
        ("Rusiyanın mövqeyi", "az", "place/russia", "Rusiyanın"),
        ("Форум Астанада өтті.", "kk", "place/astana", "Астанада"),
        ("Қазақстанның экспорты өсті.", "kk", "place/kazakhstan", "Қазақстанның"),
        ("АҚШ-тың елшісі келді.", "kk", "place/united-states", "АҚШ-тың"),
        ("Wekiliýet Aşgabatda boldy.", "tk", "place/ashgabat", "Aşgabatda"),
        ("Переговоры в Тегеране завершились.", "ru", "place/tehran", "Тегеране"),
        ("Делегация из Москвы прибыла.", "ru", "place/moscow", "Москвы"),
        ("Визит в Казахстан и по России", "ru", "place/russia", "России"),
        ("Iran's position", "en", "place/iran", "Iran's"),
        ("Forum Qazaqstanda ötti.", "kk", "place/kazakhstan", "Qazaqstanda"),
        ("Astanada ötken forum", "kk", "place/astana", "Astanada"),
    ],
)
def test_inflected_mentions_link_to_the_base_name(
    text: str, language: str, expected: str, surface: str
) -> None:
    matching = [e for e in found(text, language) if e.id == expected]
    assert [e.surface for e in matching] == [surface]


def test_russian_multi_word_names_decline_word_by_word() -> None:
    assert ids("в Персидском заливе", "ru") == ["place/persian-gulf"]
    assert ids("с Соединёнными Штатами", "ru") == ["place/united-states"]
    assert ids("Соединённых Штатов Америки", "ru") == ["place/united-states"]


# --- no false matches -------------------------------------------------------------------------


def test_short_and_ambiguous_names_do_not_match_inside_words_or_in_lower_case() -> None:
    assert ids("UNESCO and the Iranian delegation in Romania", "en") == ["org/unesco", "place/romania"]
    assert ids("Tarlada mısır hasadı başladı.", "tr") == []  # maize, not Egypt
    assert ids("Mısır'ın başkenti", "tr") == ["place/egypt"]
    assert ids("un accord", "en") == []
    assert ids("The UN said", "en") == ["org/un"]
    # Turkish "BM" (the UN) is not a name in an English text.
    assert ids("BM Güvenlik Konseyi", "tr") == ["org/un-security-council"]
    assert ids("the BM model", "en") == []


def test_derived_words_are_not_their_base_name() -> None:
    assert ids("İranlı yetkililer", "tr") == []  # "Iranian", an adjective, not the country
    assert ids("иранские нефтяники", "ru") == []


# --- Russian: natasha -------------------------------------------------------------------------


def test_natasha_finds_russian_persons_and_links_known_ones() -> None:
    text = "Министр Сергей Лавров встретился с Иваном Петровичем Сидоровым в Тегеране."
    entities = found(text, "ru", FULL)
    by_surface = {e.surface: e for e in entities}
    assert by_surface["Сергей Лавров"].id == "person/sergey-lavrov"
    assert by_surface["Тегеране"].id == "place/tehran"
    unknown = [e for e in entities if e.id.startswith("person/~")]
    assert len(unknown) == 1
    assert unknown[0].kind is EntityKind.PERSON
    assert unknown[0].source == "natasha"
    # natasha's normal form is the nominative, so every case of the name gives one id.
    assert unknown[0].id == unknown_entity_id(EntityKind.PERSON, "Иван Петрович Сидоров", "ru")


def test_natasha_models_load_once_and_serve_threads() -> None:
    texts = ["Владимир Путин прибыл в Астану.", "Касым-Жомарт Токаев встретил гостей в Акорде."] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda t: [e.id for e in FULL.recognize(t, "ru")], texts))
    assert results[0] == results[2] == results[4] == results[6]
    assert "person/vladimir-putin" in results[0]
    assert "person/kassym-jomart-tokayev" in results[1]


# --- rules for unknown persons and organisations ----------------------------------------------


def test_kazakh_person_with_surname_suffix_and_case_ending() -> None:
    [entity] = [e for e in found("Ол Ерлан Қошановпен кездесті.", "kk") if e.kind is EntityKind.PERSON]
    assert entity.surface == "Ерлан Қошановпен"
    assert entity.name == "Ерлан Қошанов"
    assert entity.id == "person/~erlan-koshanov"
    assert entity.source == "rules"


def test_one_unknown_person_gets_one_id_across_scripts() -> None:
    kazakh = found("Бүгін Асқар Жұмабаевтың сөзі тыңдалды.", "kk")
    russian_id = unknown_entity_id(EntityKind.PERSON, "Аскар Жумабаев", "ru")
    latin_id = unknown_entity_id(EntityKind.PERSON, "Asqar Jumabayev", "kk")
    assert [e.id for e in kazakh if e.kind is EntityKind.PERSON] == [russian_id]
    assert russian_id == latin_id


def test_unknown_ids_are_stable_kind_prefixed_slugs() -> None:
    assert unknown_entity_id(EntityKind.ORGANISATION, "Ring компаниясы", "kk") == "org/~ring-kompaniasi"
    assert unknown_entity_id(EntityKind.PERSON, "Sergey Ivanov", "en") == unknown_entity_id(
        EntityKind.PERSON, "Сергей Иванов", "ru"
    )
    symbols = unknown_entity_id(EntityKind.ORGANISATION, "«»", "ru")
    assert symbols.startswith("org/~") and len(symbols) > len("org/~")
    assert symbols == unknown_entity_id(EntityKind.ORGANISATION, "«»", "ru")


def test_patronymic_and_title_rules_outside_russian() -> None:
    assert [e.name for e in found("Бірлік Берікұлы мәлімдеді.", "kk")] == ["Бірлік Берікұлы"]
    titled = found("Cumhurbaşkanı Yardımcısı Cevdet Yılmaz açıkladı.", "tr")
    assert [(e.kind, e.surface) for e in titled] == [(EntityKind.PERSON, "Cevdet Yılmaz")]
    arabic = found("وقال الرئيس اللبناني جوزيف عون إن", "ar")
    assert [(e.kind, e.surface) for e in arabic] == [(EntityKind.PERSON, "جوزيف عون")]


def test_names_after_titles_and_initials() -> None:
    assert [e.surface for e in found("President George W. Bush said", "en")] == ["George W. Bush"]
    assert [e.surface for e in found("said Dr. Ehud Ur, professor", "en")] == ["Ehud Ur"]


def test_place_words_around_unknown_places() -> None:
    district = found("Қарасай ауданында жаңа мектеп ашылды.", "kk")
    assert [(e.kind, e.surface, e.id) for e in district] == [(EntityKind.PLACE, "Қарасай", "place/~karasai")]
    # A region named after its city is the region, not the city.
    region = found("Ол Омбы облысында тұрады.", "kk")
    assert [(e.kind, e.surface) for e in region] == [(EntityKind.PLACE, "Омбы облысында")]
    assert region[0].id != "place/omsk"


def test_organisation_head_words() -> None:
    kazakh = found("Ауыл шаруашылығы министрлігінің мәліметінше", "kk")
    assert [(e.kind, e.surface) for e in kazakh] == [
        (EntityKind.ORGANISATION, "Ауыл шаруашылығы министрлігінің")
    ]
    assert kazakh[0].name == "Ауыл шаруашылығы министрлігі"
    turkish = found("Kültür ve Turizm Bakanlığı'nın açıklaması", "tr")
    assert [(e.kind, e.surface) for e in turkish] == [
        (EntityKind.ORGANISATION, "Kültür ve Turizm Bakanlığı'nın")
    ]
    english = found("said the Ministry of Culture of Uzbekistan on Monday", "en")
    assert [(e.kind, e.surface) for e in english] == [
        (EntityKind.ORGANISATION, "Ministry of Culture of Uzbekistan")
    ]
    arabic = found("أعلنت وزارة الزراعة السورية أن", "ar")
    assert [(e.kind, e.surface) for e in arabic] == [(EntityKind.ORGANISATION, "وزارة الزراعة السورية")]
    persian = found("وزارت کشاورزی می\u200cگوید", "fa")  # the verb after the name is not part of it
    assert [(e.kind, e.surface) for e in persian] == [(EntityKind.ORGANISATION, "وزارت کشاورزی")]


def test_an_organisation_name_keeps_the_place_inside_it() -> None:
    entities = found("Атырау мұнай өңдеу зауыты жұмыс істейді", "kk")
    assert [(e.kind, e.surface) for e in entities] == [(EntityKind.ORGANISATION, "Атырау мұнай өңдеу зауыты")]


# --- hostile text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t ",
        "\x00\x01\x02\x1b[31m",
        "\u200b\u200c\u200d\u2060\ufeff",
        "\u202e\u2067\u2069\u200f",
        "'-'-'''---",
        "ـــ" * 100,
        "\U0001f600 \ud7ff \uffff \U0010ffff",
        "а\u0301" * 50,
        "İıIi" * 100,
    ],
)
@pytest.mark.parametrize("language", [None, "und", "ru", "kk", "ar", "fa", "tr", "xx-Yyyy"])
def test_hostile_text_never_raises(text: str, language: str | None) -> None:
    entities = found(text, language, FULL)  # checks every offset against the text
    if not any(ch.isalpha() for ch in text):
        assert entities == []


def test_invisible_and_direction_marks_do_not_hide_a_name() -> None:
    assert ids("\u200fطهران\u200f", "ar") == ["place/tehran"]
    assert ids("Teh\u200bran", "en") == ["place/tehran"]
    assert ids("\x00Tehran\x07", "en") == ["place/tehran"]


def test_mixed_scripts_in_one_text() -> None:
    text = "Baku (Баку, باکو) and Astana (Астана)"
    assert ids(text, "en") == ["place/baku", "place/baku", "place/baku", "place/astana", "place/astana"]


def test_huge_bodies_are_read_up_to_the_cap() -> None:
    filler = "Ничего существенного не произошло. " * (5_000_000 // 35)
    text = "Тегеран. " + filler + " Москва."
    entities = found(text, "ru", FULL)
    assert [e.id for e in entities] == ["place/tehran"]
    assert all(e.end <= MAX_TEXT_CHARS for e in entities)
    spans = NatashaRecognizer().spans("Москва. " + filler)
    assert all(span.end <= MAX_NATASHA_CHARS for span in spans)


# --- the pipeline component -------------------------------------------------------------------


def _doc(headline: str, body: str, language: str | None) -> Doc:
    return Doc(
        id="item-1",
        headline=headline,
        body=body,
        reference_time=datetime(2026, 1, 5, tzinfo=UTC),
        language=language,
    )


def test_component_contract() -> None:
    component = EntityComponent()
    assert isinstance(component, Component)
    assert component.name == "entities"
    assert component.requires == ("language",)
    assert component.assigns == ("entities",)
    code, _, data_hash = component.version.partition("+")
    assert code and len(data_hash) == 12


def test_component_reads_doc_text_and_language_and_returns_copies() -> None:
    docs = [
        _doc("Bakıda görüş", "Prezident Türkiyənin nümayəndələrini qəbul edib.", "az"),
        _doc("", "", "und"),
        _doc("Форум в Астане", "Делегации из Ирана и Турции.", "ru"),
    ]
    out = EntityComponent(DefaultRecognizer(use_natasha=False)).process(docs)
    assert len(out) == 3
    assert [e.id for e in out[0].entities] == ["place/baku", "place/turkey"]
    assert out[1].entities == ()
    assert [e.id for e in out[2].entities] == ["place/astana", "place/iran", "place/turkey"]
    for doc, result in zip(docs, out, strict=True):
        assert result == replace(doc, entities=result.entities)
        for entity in result.entities:
            assert doc.text[entity.start : entity.end] == entity.surface
    assert docs[0].entities == ()  # the input is untouched


def test_component_uses_the_recognizer_it_is_given() -> None:
    class Fixed:
        def recognize(self, text: str, language: str | None) -> list[Entity]:
            return [Entity("place/x", EntityKind.PLACE, "X", text[:1], 0, 1, language or "none")]

    [doc] = EntityComponent(Fixed()).process([_doc("Z", "", "kk")])
    assert doc.entities == (Entity("place/x", EntityKind.PLACE, "X", "Z", 0, 1, "kk"),)
