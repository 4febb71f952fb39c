"""The built-in components: language (declared vs detected), normalize, dates, embed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest

from tabadol.enrich.components import (
    DATES_MAX_CHARS,
    NORMALIZED_MAX_CHARS,
    DatesComponent,
    EmbedComponent,
    LanguageComponent,
    LanguageTag,
    NormalizeComponent,
    parse_language_tag,
    resolve_language,
    text_prefix,
)
from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import E5Embedder, default_embedder, embedding_text
from tabadol.enrich.langid import LanguageGuess
from tabadol.enrich.normalize import normalize_for_search
from tabadol.enrich.pipeline import run_component
from tabadol.errors import ErrorCode, TabadolError

REFERENCE = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

PERSIAN = "وزیر نفت ایران با همتای ترکمن خود در عشق‌آباد دیدار کرد و درباره صادرات گاز گفتگو کردند"
RUSSIAN = "Президент подписал указ о строительстве нового нефтепровода между Актау и Баку в этом году"
ARABIC = "وزير النفط يبحث مع نظيره الروسي التعاون في مجال الطاقة في دمشق يوم الأحد"
KAZAKH_LATIN = "Aqtau portyna Ázerbaıjannan parom keldi. Energetıka mınıstri munaı óndirisi týraly aıtty."
TURKISH_HEADLINE = "Hazar feribotu Bakü limanına ulaştı"
ENGLISH = "The minister said on Monday that the talks in Tehran would continue next week."


def make_doc(headline: str = "", body: str = "", declared: str | None = None, **fields: Any) -> Doc:
    return Doc(
        id="doc-1",
        headline=headline,
        body=body,
        reference_time=REFERENCE,
        declared_language=declared,
        **fields,
    )


def language_of(headline: str = "", body: str = "", declared: str | None = None) -> Doc:
    (doc,) = LanguageComponent().process([make_doc(headline, body, declared)])
    return doc


# -- language tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fa", "fa"),
        ("FA-ir", "fa-IR"),
        ("kk_latn", "kk-Latn"),
        ("kk-Cyrl", "kk"),  # the usual script is not named
        ("en-US", "en-US"),
        ("per", "fa"),
        ("kaz-KZ", "kk-KZ"),
        ("az-Latn-AZ", "az-AZ"),
        ("az-Cyrl-AZ", "az-Cyrl-AZ"),  # a script subtag the sender gave is kept
        ("sr-Latn-RS", "sr-Latn-RS"),
        ("en-GB-oxendict", "en-GB-oxendict"),
        ("en-US-x-wire", "en-US"),  # private use dropped
        ("de-419", "de-419"),
        (" ru ", "ru"),
    ],
)
def test_declared_tags_are_read_in_canonical_form(raw: str, expected: str) -> None:
    tag = parse_language_tag(raw)
    assert tag is not None and tag.render() == expected


@pytest.mark.parametrize("raw", [None, "", "und", "UND-Latn", "xx-Qaai", "Persian", "f", "1a", "фа", "-fa"])
def test_missing_undetermined_or_malformed_tags_are_none(raw: str | None) -> None:
    assert parse_language_tag(raw) is None


def _guess(tag: str, script: str, confidence: float) -> LanguageGuess:
    return LanguageGuess(tag=tag, script=script, confidence=confidence)


EIGHT_WORDS = "one two three four five six seven eight"


@pytest.mark.parametrize(
    ("declared", "guess", "text", "expected"),
    [
        # agreement: the declared tag (region included) wins, with the text's script
        ("fa-IR", _guess("fa", "Arab", 0.99), EIGHT_WORDS, "fa-IR"),
        ("kk", _guess("kk-Latn", "Latn", 0.95), EIGHT_WORDS, "kk-Latn"),
        ("kk-Latn", _guess("kk", "Cyrl", 0.95), EIGHT_WORDS, "kk"),
        # nothing detected: the declared tag is kept
        ("tk", _guess("und", "Zyyy", 0.0), "", "tk"),
        (None, _guess("und", "Zyyy", 0.0), "", None),
        # disagreement: confident detection on a long text wins
        ("fa", _guess("ru", "Cyrl", 0.95), EIGHT_WORDS, "ru"),
        ("az", _guess("tr", "Latn", 0.95), EIGHT_WORDS, "tr"),
        # ...not when unsure
        ("az", _guess("tr", "Latn", 0.6), EIGHT_WORDS, "az"),
        # ...nor on a short text in a script the declared language is written in
        ("az", _guess("tr", "Latn", 0.99), "four words only here", "az"),
        ("kk", _guess("ru", "Cyrl", 0.99), "four words only here", "kk"),
        # ...but a text in a script the declared language is not written in is evidence enough
        ("ru", _guess("fa", "Arab", 0.9), "two words", "fa"),
        ("tr", _guess("ru", "Cyrl", 0.3), "Паром", "ru"),
        # ...unless detection is barely guessing (a name or an acronym)
        ("fa", _guess("eo", "Latn", 0.2), "IRNA", "fa"),
        # a language known in several scripts keeps its tag in its other script when unsure
        ("kk", _guess("fa", "Arab", 0.5), "four words only here", "kk-Arab"),
        # ...and a declaration stands when detection finds nothing, whatever the script
        ("fa", _guess("und", "Cyrl", 0.0), "four words only here", "fa"),
        # nothing declared: detection as it is
        (None, _guess("kk-Latn", "Latn", 0.3), "x", "kk-Latn"),
        (None, _guess("uk", "Cyrl", 0.9), EIGHT_WORDS, "uk"),
    ],
)
def test_declared_and_detected_languages_combine(
    declared: str | None, guess: LanguageGuess, text: str, expected: str | None
) -> None:
    resolved = resolve_language(parse_language_tag(declared), guess, text)
    assert (resolved.render() if resolved else None) == expected


def test_a_language_of_unlisted_scripts_keeps_its_tag_as_given() -> None:
    assert resolve_language(None, _guess("hi", "Deva", 0.9), EIGHT_WORDS) == LanguageTag("hi")
    declared = parse_language_tag("zh-Hant-TW")
    assert resolve_language(declared, _guess("zh-Hant", "Hani", 0.9), EIGHT_WORDS) == declared


# -- LanguageComponent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "body", "language", "script"),
    [
        (None, PERSIAN, "fa", "Arab"),
        ("fa-IR", PERSIAN, "fa-IR", "Arab"),
        (None, RUSSIAN, "ru", "Cyrl"),
        ("fa", RUSSIAN, "ru", "Cyrl"),  # a mislabelled wire: the text is plainly Russian
        ("kk", KAZAKH_LATIN, "kk-Latn", "Latn"),
        (None, KAZAKH_LATIN, "kk-Latn", "Latn"),
        ("ar-SY", ARABIC, "ar-SY", "Arab"),
        ("Persian", ARABIC, "ar", "Arab"),  # an unreadable declaration is ignored
        ("en_us", ENGLISH, "en-US", "Latn"),
    ],
)
def test_language_and_script_of_the_body(declared: str | None, body: str, language: str, script: str) -> None:
    doc = language_of("", body, declared)
    assert (doc.language, doc.script, doc.headline_language) == (language, script, None)


def test_a_short_headline_only_item_keeps_its_declared_neighbour_language() -> None:
    doc = language_of(TURKISH_HEADLINE, "", "az")
    assert (doc.language, doc.headline_language) == ("az", "az")


def test_a_headline_only_item_without_declaration_is_detected() -> None:
    doc = language_of("Паром из Актау прибыл в порт Баку", "", None)
    assert (doc.language, doc.script, doc.headline_language) == ("ru", "Cyrl", "ru")


def test_a_headline_in_the_body_language_shares_its_tag() -> None:
    doc = language_of("کشتی مسافربری خزر به بندر انزلی رسید", PERSIAN, "fa-IR")
    assert (doc.language, doc.headline_language) == ("fa-IR", "fa-IR")


def test_a_headline_in_another_script_gets_its_own_language() -> None:
    doc = language_of("Breaking: oil deal signed", ARABIC, "ar")
    assert (doc.language, doc.headline_language) == ("ar", "en")


@pytest.mark.parametrize("headline", ["IRNA", "COVID-19", "BRICS"])
def test_an_acronym_headline_in_another_script_keeps_the_item_language(headline: str) -> None:
    doc = language_of(headline, PERSIAN, "fa")
    assert (doc.language, doc.headline_language) == ("fa", "fa")


def test_a_kazakh_headline_in_cyrillic_over_a_latin_body() -> None:
    doc = language_of("Ақтау портына Әзербайжаннан паром келді", KAZAKH_LATIN, "kk")
    assert (doc.language, doc.headline_language) == ("kk-Latn", "kk")


def test_no_text_keeps_the_declared_language_and_has_no_script() -> None:
    doc = language_of("", "", "TR")
    assert (doc.language, doc.script, doc.headline_language) == ("tr", "Zyyy", None)
    doc = language_of("  ", "\n", None)
    assert (doc.language, doc.script, doc.headline_language) == ("und", "Zyyy", None)


def test_language_processes_a_batch_in_order() -> None:
    docs = [make_doc("", text) for text in (PERSIAN, RUSSIAN, ENGLISH)]
    assert [doc.language for doc in LanguageComponent().process(docs)] == ["fa", "ru", "en"]


# -- text_prefix -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "body"), [("", ""), ("Head", ""), ("", "Body text"), ("Head", "Body text")]
)
@pytest.mark.parametrize("limit", [0, 1, 4, 5, 6, 7, 100])
def test_text_prefix_is_the_start_of_the_text(headline: str, body: str, limit: int) -> None:
    doc = make_doc(headline, body)
    assert text_prefix(doc, limit) == doc.text[:limit]


# -- NormalizeComponent ----------------------------------------------------------------------------


def test_normalized_text_and_lead() -> None:
    doc = make_doc("Паром  прибыл", "Первое предложение. Второе предложение.\n\nТретье.")
    (out,) = NormalizeComponent().process([doc])
    assert (
        out.normalized
        == normalize_for_search(doc.text)
        == "паром прибыл первое предложение. второе предложение. третье."
    )
    assert out.lead == embedding_text(doc.headline, doc.body)


def test_persian_spellings_normalise_alike() -> None:
    arabic_keyboard = make_doc("", "خبرگزاري ايرنا ٢٠٢٦")
    persian_keyboard = make_doc("", "خبرگزاری ایرنا ۲۰۲۶")
    out = NormalizeComponent().process([arabic_keyboard, persian_keyboard])
    assert out[0].normalized == out[1].normalized == "خبرگزاری ایرنا 2026"


def test_lone_surrogates_become_replacement_characters() -> None:
    (out,) = NormalizeComponent().process([make_doc("a\ud800b", "c\udfffd")])
    assert out.normalized == "a\ufffdb c\ufffdd" and out.lead == "a\ufffdb. c\ufffdd"
    out.lead.encode("utf-8")  # what the model's engine and the database need


def test_a_long_text_is_normalised_up_to_the_cap_at_a_word_boundary() -> None:
    body = " ".join(f"w{n:06d}" for n in range(30_000))  # 240,000 characters of 7-letter words
    (out,) = NormalizeComponent().process([make_doc("Head", body)])
    assert out.normalized is not None
    assert NORMALIZED_MAX_CHARS - 200 <= len(out.normalized) <= NORMALIZED_MAX_CHARS
    assert normalize_for_search(f"Head\n\n{body}").startswith(out.normalized)
    last_word = out.normalized.rsplit(" ", 1)[-1]
    assert len(last_word) == 7 and last_word.startswith("w")


def test_a_long_text_without_spaces_is_cut_at_the_cap() -> None:
    (out,) = NormalizeComponent().process([make_doc("", "x" * (NORMALIZED_MAX_CHARS * 2))])
    assert out.normalized == "x" * NORMALIZED_MAX_CHARS


# -- DatesComponent --------------------------------------------------------------------------------


def dates_of(headline: str, body: str, language: str | None) -> Doc:
    (doc,) = DatesComponent().process([make_doc(headline, body, language=language)])
    return doc


def test_dates_are_read_in_the_item_language_with_offsets_into_the_text() -> None:
    doc = dates_of(
        "Указ подписан", "АСТАНА, 22 ноября. Президент подписал указ, сообщили 3 декабря 2025 года.", "ru"
    )
    assert [(m.date, m.role) for m in doc.dates] == [
        (date(2026, 11, 22), "dateline"),
        (date(2025, 12, 3), "mention"),
    ]
    for mention in doc.dates:
        assert doc.text[mention.start : mention.end] == mention.surface


def test_an_undetermined_language_tries_every_language() -> None:
    body = "The talks resumed on 22 November 2026 in Tehran."
    assert [m.date for m in dates_of("", body, "und").dates] == [date(2026, 11, 22)]
    assert [m.date for m in dates_of("", body, None).dates] == [date(2026, 11, 22)]


def test_a_dateline_after_the_headline_is_a_dateline_and_headline_dates_are_mentions() -> None:
    doc = dates_of("22 ноября 2026", "МОСКВА, 21 ноября. /ТАСС/. Переговоры продолжатся.", "ru")
    assert [(m.date, m.role) for m in doc.dates] == [
        (date(2026, 11, 22), "mention"),
        (date(2026, 11, 21), "dateline"),
    ]
    assert [doc.text[m.start : m.end] for m in doc.dates] == [m.surface for m in doc.dates]


def test_dates_in_a_body_without_headline_keep_their_offsets() -> None:
    doc = dates_of("", "ТЕГЕРАН, 21 ноября. Переговоры продолжатся.", "ru")
    assert [(m.start, m.surface, m.role) for m in doc.dates] == [(9, "21 ноября", "dateline")]


def test_dates_beyond_the_cap_are_not_read() -> None:
    filler = "Nothing happened that day. " * (DATES_MAX_CHARS // 27 + 10)
    doc = dates_of("Talks", f"The talks began on 5 March 2026. {filler} They ended on 9 March 2026.", "en")
    assert [m.date for m in doc.dates] == [date(2026, 3, 5)]


# -- EmbedComponent --------------------------------------------------------------------------------


@dataclass
class CountingEmbedder:
    """The real embedder, with a record of the batches it was asked to embed."""

    inner: E5Embedder = field(default_factory=default_embedder)
    batches: list[list[str]] = field(default_factory=list)
    returned: list[np.ndarray] = field(default_factory=list)
    model_id: str = E5Embedder.model_id
    dim: int = E5Embedder.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        vectors = self.inner.embed_passages(texts)
        self.returned.append(vectors.copy())
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)


def with_leads(*leads: str | None) -> list[Doc]:
    return [make_doc(lead=lead) for lead in leads]


LEADS = ("Паром прибыл в порт Баку.", "", "کشتی به بندر انزلی رسید", None, "\u200b\x00. ")


@pytest.fixture(scope="module")
def embedded() -> tuple[CountingEmbedder, list[Doc]]:
    """One batch through the embedding component (embedding costs time: shared by the tests below)."""
    embedder = CountingEmbedder()
    return embedder, EmbedComponent(embedder).process(with_leads(*LEADS))


def test_one_embedder_call_per_batch_for_the_leads_with_content(
    embedded: tuple[CountingEmbedder, list[Doc]],
) -> None:
    embedder, out = embedded
    assert embedder.batches == [["Паром прибыл в порт Баку.", "کشتی به بندر انزلی رسید"]]
    # Nothing to embed: no vector, no error.
    assert [(out[n].vector, out[n].errors) for n in (1, 3, 4)] == [(None, ())] * 3


def test_each_document_gets_the_vector_of_its_own_lead(embedded: tuple[CountingEmbedder, list[Doc]]) -> None:
    embedder, out = embedded
    (returned,) = embedder.returned
    assert out[0].vector is not None and out[2].vector is not None
    np.testing.assert_array_equal(out[0].vector, returned[0])
    np.testing.assert_array_equal(out[2].vector, returned[1])
    assert float(out[0].vector @ out[2].vector) < 0.999  # two different texts, two different vectors


def test_vectors_are_unit_length_read_only_copies(embedded: tuple[CountingEmbedder, list[Doc]]) -> None:
    _, out = embedded
    first, second = out[0].vector, out[2].vector
    assert first is not None and second is not None
    assert first.dtype == np.float32 and first.shape == (384,)
    assert abs(float(np.linalg.norm(first)) - 1.0) < 1e-5
    assert not first.flags.writeable and not np.shares_memory(first, second)
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_a_batch_with_nothing_to_embed_does_not_call_the_model() -> None:
    embedder = CountingEmbedder()
    out = EmbedComponent(embedder).process(with_leads("", None))
    assert embedder.batches == [] and [doc.vector for doc in out] == [None, None]


def test_the_version_names_the_model() -> None:
    component = EmbedComponent(default_embedder())
    assert component.version.endswith(E5Embedder.model_id) and component.version != E5Embedder.model_id


@dataclass
class DamagedEmbedder(CountingEmbedder):
    """The real embedder with one kind of damage done to its output (the guards must catch it)."""

    damage: str = "nan"

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = super().embed_passages(texts).copy()
        if self.damage == "short":
            return vectors[:-1]
        for n, text in enumerate(texts):
            if "poison" in text:
                vectors[n, 0] = np.nan
        return vectors


def test_a_wrong_number_of_vectors_is_refused() -> None:
    with pytest.raises(TabadolError) as caught:
        EmbedComponent(DamagedEmbedder(damage="short")).process(with_leads("one"))
    assert caught.value.code is ErrorCode.MODEL_INVALID


def test_a_non_finite_vector_fails_only_its_document() -> None:
    out = run_component(EmbedComponent(DamagedEmbedder()), with_leads("fine text", "poison text"))
    assert [doc.vector is not None for doc in out] == [True, False]
    assert [len(doc.errors) for doc in out] == [0, 1]
    assert "not finite" in out[1].errors[0].error


def test_turkmen_is_respelled_for_the_embedding_model_and_nothing_else_is() -> None:
    from tabadol.enrich.embed import looks_turkmen, normalize_for_embedding

    turkmen = "Türkiýäniň üç tarapy deňizler bilen gurşalýar"
    assert normalize_for_embedding(turkmen) == "Türkiyenin üç tarapı denizler bilen gurşalyar"
    assert not looks_turkmen(normalize_for_embedding(turkmen))  # applying it twice changes nothing
    english = "The minister met Ýusup Ýakubow and other officials in the capital on Monday morning."
    assert normalize_for_embedding(english) == english
    kazakh_latin = "Qazaqstan Prezidenti Ästanada säýkes keledi dep aitty"
    assert normalize_for_embedding(kazakh_latin) == kazakh_latin
