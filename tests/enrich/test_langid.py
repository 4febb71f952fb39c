"""Language and script identification: news text in the alliance's languages, and hostile input."""

from __future__ import annotations

import dataclasses

import pytest

from tabadol.enrich.langid import (
    NO_SCRIPT,
    UNDETERMINED,
    LanguageGuess,
    LanguageIdentifier,
    RuleAndCld2Identifier,
    identify_language,
)

# Hand-written news headlines and lead sentences: (expected tag, expected script, text).
HEADLINES = [
    ("fa", "Arab", "کشتی مسافربری خزر به بندر انزلی رسید"),
    ("fa", "Arab", "وزیر نفت ایران با همتای ترکمن خود در عشق‌آباد دیدار کرد"),
    ("fa", "Arab", "صادرات گاز ایران به ترکیه از سر گرفته شد"),
    ("ar", "Arab", "وزير النفط يبحث مع نظيره الروسي التعاون في مجال الطاقة"),
    ("ar", "Arab", "وصول أول عبارة إلى ميناء اللاذقية بعد توقف الملاحة"),
    ("ar", "Arab", "الحكومة السورية تعلن عن خطة جديدة لإعادة إعمار المدن"),
    ("ru", "Cyrl", "Паром из Актау прибыл в порт Баку"),
    ("ru", "Cyrl", "Министры энергетики обсудили поставки газа в Европу"),
    ("ru", "Cyrl", "Президент подписал указ о строительстве нового нефтепровода"),
    ("kk", "Cyrl", "Каспий арқылы жүк тасымалы артты"),
    ("kk", "Cyrl", "Ақтау портына Әзербайжаннан паром келді"),
    ("kk", "Cyrl", "Энергетика министрі мұнай өндірісі туралы айтты"),
    ("az", "Latn", "Xəzər bərəsi Bakı limanına çatdı"),
    ("az", "Latn", "Energetika nazirləri qaz tədarükünü müzakirə etdilər"),
    ("az", "Latn", "Prezident yeni neft kəmərinin tikintisi haqqında sərəncam imzalayıb"),
    ("tk", "Latn", "Hazar deňzi arkaly ýük daşamak artdy"),
    ("tk", "Latn", "Türkmenbaşy portuna Bakuwdan parom geldi"),
    ("tk", "Latn", "Energetika ministrleri gaz ibermek barada maslahatlaşdylar"),
    ("tr", "Latn", "Hazar feribotu Bakü limanına ulaştı"),
    ("tr", "Latn", "Enerji bakanları doğal gaz tedarikini görüştü"),
    ("tr", "Latn", "Cumhurbaşkanı yeni petrol boru hattı için imza attı"),
    ("en", "Latn", "Caspian ferry arrives at the port of Baku"),
    ("en", "Latn", "Energy ministers discuss gas supplies to Europe"),
    ("en", "Latn", "President signs decree on new oil pipeline"),
    # Kazakh in the 2018 (acute) and 2021 Latin alphabets.
    ("kk-Latn", "Latn", "Aqtaý portyna Ázerbaıjannan parom keldi"),
    ("kk-Latn", "Latn", "Energetıka mınıstri munaı óndirisi týraly aıtty"),
    ("kk-Latn", "Latn", "Qazaqstan men Äzırbaijan arasyndağy jük tasymaly ūlğaidy"),
]

SENTENCES = [
    (
        "fa",
        "وزیر امور خارجه ایران روز دوشنبه در سفری رسمی وارد باکو شد و با رئیس‌جمهور آذربایجان "
        "درباره همکاری‌های اقتصادی و ترانزیت کالا از طریق دریای خزر گفت‌وگو کرد.",
    ),
    (
        "ar",
        "أعلنت وزارة النقل أن العبارة الجديدة ستبدأ رحلاتها المنتظمة بين الموانئ في الأسبوع المقبل، "
        "وذلك بعد الانتهاء من أعمال الصيانة التي استمرت عدة أشهر.",
    ),
    (
        "ru",
        "По словам министра, объём перевозок через Каспийское море в этом году вырос почти на треть, "
        "а новые паромы позволят сократить время доставки грузов.",
    ),
    (
        "kk",
        "Министрдің айтуынша, биыл Каспий теңізі арқылы жүк тасымалы үштен біріне жуық өсті, ал жаңа "
        "паромдар жүк жеткізу уақытын қысқартуға мүмкіндік береді.",
    ),
    (
        "az",
        "Nazirin sözlərinə görə, bu il Xəzər dənizi vasitəsilə yükdaşımaların həcmi təxminən üçdə bir "
        "artıb, yeni bərələr isə yüklərin çatdırılma müddətini qısaldacaq.",
    ),
    (
        "tk",
        "Ministriň aýtmagyna görä, şu ýyl Hazar deňzi arkaly ýük daşamagyň möçberi takmynan üçden bir "
        "esse artdy, täze paromlar bolsa ýükleri eltmegiň wagtyny gysgaltmaga mümkinçilik berer.",
    ),
    (
        "tr",
        "Bakanın açıklamasına göre, bu yıl Hazar Denizi üzerinden yapılan taşımacılığın hacmi yaklaşık "
        "üçte bir oranında arttı ve yeni feribotlar teslimat süresini kısaltacak.",
    ),
    (
        "en",
        "According to the minister, the volume of freight shipped across the Caspian Sea has grown by "
        "almost a third this year, and the new ferries will shorten delivery times.",
    ),
    (
        "kk-Latn",
        "Mınıstrdiń aıtýynsha, bıyl Kaspıı teńizi arqyly júk tasymaly úshten birine jýyq ósti, al jańa "
        "paromdar júk jetkizý ýaqytyn qysqartýǵa múmkindik beredi.",
    ),
]


@pytest.mark.parametrize(("tag", "script", "text"), HEADLINES)
def test_headlines(tag: str, script: str, text: str) -> None:
    guess = identify_language(text)
    assert (guess.tag, guess.script) == (tag, script), guess.evidence


@pytest.mark.parametrize(("tag", "text"), SENTENCES)
def test_sentences(tag: str, text: str) -> None:
    guess = identify_language(text)
    assert guess.tag == tag, guess.evidence
    assert guess.confidence > 0.5


def test_evidence_explains_the_choice() -> None:
    guess = identify_language("Ақтау портына Әзербайжаннан паром келді")
    assert any(item.startswith("letters:") and item.endswith("-> kk") for item in guess.evidence)
    assert any(item.startswith("script:Cyrl") for item in guess.evidence)


def test_kazakh_letters_in_a_russian_name_do_not_make_russian_kazakh() -> None:
    guess = identify_language("Тоқаев провёл встречу с министрами энергетики и транспорта в Астане")
    assert guess.tag == "ru", guess.evidence


def test_persian_typed_on_an_arabic_keyboard_stays_persian() -> None:
    # Arabic yeh and kaf (ي ك) instead of the Persian ones, but Persian words and ZWNJ.
    guess = identify_language("خبرگزاري‌ها گزارش دادند كه كشتي به بندر رسيده است")
    assert guess.tag == "fa", guess.evidence


def test_azerbaijani_schwa_is_decisive_even_in_a_turkish_looking_line() -> None:
    assert identify_language("Türkiyə ile enerji anlaşması").tag == "az"


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("uk", "Міністр енергетики України заявив, що постачання газу відновлять найближчим часом."),
        ("fr", "Le ministre de l'Énergie a annoncé la reprise des livraisons de gaz vers l'Europe."),
        (
            "de",
            "Der Energieminister kündigte an, dass die Gaslieferungen nach Europa wieder aufgenommen werden.",
        ),
        ("el", "Ο υπουργός Ενέργειας ανακοίνωσε την επανέναρξη των παραδόσεων φυσικού αερίου."),
    ],
)
def test_languages_outside_the_eight_get_their_own_tag(tag: str, text: str) -> None:
    assert identify_language(text).tag == tag


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", "2026-11-23 14:05 +03:00", "!!! ... ???", "\u200f\u200e\u200b\u2060"]
)
def test_text_without_letters_is_undetermined(text: str) -> None:
    guess = identify_language(text)
    assert (guess.tag, guess.script, guess.confidence) == (UNDETERMINED, NO_SCRIPT, 0.0)


def test_a_lone_abbreviation_is_undetermined() -> None:
    assert identify_language("Dr.").tag == UNDETERMINED


def test_invisible_characters_do_not_change_the_answer() -> None:
    plain = "Министры энергетики обсудили поставки газа"
    noisy = "\u200f" + "\u200b".join(plain) + "\x00\x07\ufeff\u202e"
    assert identify_language(noisy).tag == identify_language(plain).tag == "ru"


def test_right_to_left_marks_around_persian() -> None:
    assert identify_language("\u202bصادرات گاز ایران به ترکیه از سر گرفته شد\u202c\u200f").tag == "fa"


def test_lone_surrogates_are_survived() -> None:
    assert identify_language("Министры обсудили \ud800 поставки газа").tag == "ru"


def test_mixed_scripts_majority_wins() -> None:
    text = "Министры энергетики обсудили поставки газа (Energy ministers, Baku)"
    guess = identify_language(text)
    assert (guess.tag, guess.script) == ("ru", "Cyrl")
    assert guess.confidence < identify_language("Министры энергетики обсудили поставки газа").confidence


def test_latin_names_in_a_persian_headline() -> None:
    # More Latin letters than Arabic ones, but only the Persian words carry a language.
    guess = identify_language("دیدار Sachin Tendulkar و Rahul Dravid با خبرنگاران")
    assert guess.tag == "fa", guess.evidence


def test_huge_text_reads_only_a_bounded_sample() -> None:
    body = "Ақтау портына Әзербайжаннан паром келді. " * 130_000  # about 5 MB
    guess = identify_language(body)
    assert guess.tag == "kk"


def test_leading_padding_does_not_hide_the_text() -> None:
    assert identify_language(" " * 200_000 + "Energy ministers discuss gas supplies to Europe").tag == "en"


def test_deterministic() -> None:
    texts = [text for _, _, text in HEADLINES] + [text for _, text in SENTENCES]
    first = [identify_language(text) for text in texts]
    again = [RuleAndCld2Identifier().identify(text) for text in reversed(texts)]
    assert first == list(reversed(again))


def test_guess_is_frozen_and_bounded() -> None:
    guess = identify_language("Caspian ferry arrives at the port of Baku")
    assert 0.0 <= guess.confidence <= 1.0
    assert isinstance(guess.evidence, tuple) and all(isinstance(item, str) for item in guess.evidence)
    with pytest.raises(dataclasses.FrozenInstanceError):
        guess.tag = "fr"  # type: ignore[misc]


def test_default_identifier_satisfies_the_protocol() -> None:
    identifier: LanguageIdentifier = RuleAndCld2Identifier()
    assert isinstance(identifier.identify("Паром прибыл в порт"), LanguageGuess)


def test_another_identifier_can_replace_the_default() -> None:
    class Fixed:
        def identify(self, text: str) -> LanguageGuess:
            return LanguageGuess("tk", "Latn", 1.0, ("fixed",))

    def tag_of(identifier: LanguageIdentifier, text: str) -> str:
        return identifier.identify(text).tag

    assert tag_of(Fixed(), "anything") == "tk"
    assert tag_of(RuleAndCld2Identifier(), "Hazar deňzi arkaly ýük daşamak artdy") == "tk"
