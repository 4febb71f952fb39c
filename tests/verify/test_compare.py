"""The tamper check's text core: comparison forms, word diffs and their flags."""

from __future__ import annotations

import json
import random
import re
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tabadol.demo
from tabadol.errors import ErrorCode, TabadolError
from tabadol.verify.compare import (
    NEGATION_LANGUAGES,
    Comparison,
    _matching_blocks,
    compare,
    comparison_form,
    negations,
)

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@cache
def flores() -> list[dict[str, str]]:
    lines = FLORES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


def kinds(result: Comparison) -> list[str]:
    return [change.kind for change in result.changes]


# --- comparison form ---------------------------------------------------------------------------


def test_tokens_map_back_to_their_words_in_the_original() -> None:
    text = "  «Президент»\u00a0сказал:\n«Нет!»  don’t 1,500 ۳٫۵ Ankara’da "
    form = comparison_form(text, "ru")
    assert [text[t.start : t.end] for t in form.tokens] == [t.word for t in form.tokens]
    assert form.forms == ("президент", "сказал", "нет", "don't", "1.5", "3.5", "ankara'da")  # 1,5 in Russian


def test_numbers_with_separators_are_read_for_the_language() -> None:
    assert comparison_form("1,500 people", "en").forms[0] == "1500"
    assert comparison_form("1,5 млн", "ru").forms[0] == "1.5"
    assert comparison_form("1.500 kişi", "tr").forms[0] == "1500"


def test_digits_of_every_script_are_ascii() -> None:
    assert comparison_form("۴۲ ٤٢ 42 ４２ ४२", "fa").forms == ("42",) * 5


def test_confusables_are_folded_to_the_word_majority_script_and_reported() -> None:
    form = comparison_form("The Prеsident met Pυtin in Mоscow", "en")  # Cyrillic е, Greek υ, Cyrillic о
    assert form.forms == ("the", "president", "met", "putin", "in", "moscow")
    assert form.confusable_words == ("Prеsident", "Pυtin", "Mоscow")


def test_latin_letters_in_a_cyrillic_word_are_folded() -> None:
    form = comparison_form("Мocква и Казахстан", "ru")  # Latin o
    assert form.forms[0] == "москва"
    assert form.confusable_words == ("Мocква",)


def test_a_foreign_word_is_not_a_confusable() -> None:
    form = comparison_form("Компания Google и Москва", "ru")
    assert form.confusable_words == ()
    assert "google" in form.forms


def test_zero_width_non_joiner_in_persian_is_orthography_not_evidence() -> None:
    form = comparison_form("خبرگزاری‌ها می‌گویند", "fa")
    assert form.invisible_words == ()
    assert form.forms == ("خبرگزاریها", "میگویند")


def test_invisible_characters_inside_a_latin_word_are_reported() -> None:
    form = comparison_form("Tehr\u200dan and \u200bMoscow\u200b", "en")
    assert form.forms == ("tehran", "and", "moscow")
    assert form.invisible_words == ("Tehr\u200dan",)  # around a word they are simply dropped


# --- equal texts -------------------------------------------------------------------------------


def test_persian_and_arabic_letter_variants_are_equal() -> None:
    original = "یک کارشناس گفت که کشور آماده است"
    candidate = "يک کارشناس گفت كه كشور آماده است"  # Arabic yeh and kaf
    result = compare(original, candidate, "fa")
    assert result.verdict == "verbatim"
    assert result.changes == ()


def test_whitespace_line_breaks_and_punctuation_are_equal() -> None:
    original = "The minister said: “Talks will resume on Monday.”\n\nNo date was set."
    candidate = 'The  minister said "Talks will\nresume on Monday" -- No date  was set'
    assert compare(original, candidate, "en").verdict == "verbatim"


def test_persian_digits_against_ascii_digits_are_not_a_change() -> None:
    original = "در این حادثه ۱۲ نفر زخمی شدند و ۳ نفر جان باختند"
    candidate = original.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    result = compare(original, candidate, "fa")
    assert result.verdict == "verbatim"
    assert compare("قُتل 12 شخصا", "قتل ١٢ شخصا", "ar").verdict == "verbatim"


def test_spacing_of_a_persian_word_is_not_a_change() -> None:
    assert compare("او می‌خواهد برود", "او می خواهد برود", "fa").verdict == "verbatim"


# --- changes -----------------------------------------------------------------------------------


def test_a_changed_number_is_flagged() -> None:
    original = "Officials said 25 people were injured."
    result = compare(original, "Officials said 35 people were injured.", "en")
    assert result.verdict == "altered"
    [change] = result.changes
    assert change.kind == "replace"
    assert (change.original_words, change.candidate_words) == (("25",), ("35",))
    assert change.flags == ("number",)
    assert original[slice(*change.original_span)] == "25"


def test_a_changed_persian_digit_is_flagged() -> None:
    result = compare("در این حادثه ۱۲ نفر زخمی شدند", "در این حادثه 13 نفر زخمی شدند", "fa")
    assert result.flags == ("number",)


def test_change_spans_point_at_the_original_words() -> None:
    original = "Officials said 1,500 people were injured."
    candidate = "Officials said 15,000 people were injured."
    [change] = compare(original, candidate, "en").changes
    assert original[slice(*change.original_span)] == "1,500"
    assert candidate[slice(*change.candidate_span)] == "15,000"
    assert "number" in change.flags


def test_a_changed_decimal_mark_is_a_changed_number() -> None:
    result = compare("Рост составил 1,5 процента", "Рост составил 15 процента", "ru")
    assert result.flags == ("number",)


def test_a_changed_name_is_flagged() -> None:
    result = compare(
        "The agreement was signed by Ahmadi and Petrov in Vienna.",
        "The agreement was signed by Ahmadi and Ivanov in Vienna.",
        "en",
    )
    [change] = result.changes
    assert change.candidate_words == ("Ivanov",)
    assert change.flags == ("name",)


def test_a_changed_place_name_is_flagged_in_a_script_without_case() -> None:
    result = compare("وزیر امور خارجه در تهران گفت", "وزیر امور خارجه در مسکو گفت", "fa")
    assert result.flags == ("name",)
    result = compare("قال الرئيس بشار الأسد إن", "قال الرئيس حافظ الأسد إن", "ar")
    assert result.flags == ("name",)


def test_a_changed_ordinary_word_is_not_a_name() -> None:
    result = compare("The minister said talks would resume.", "The minister hoped talks would resume.", "en")
    assert result.flags == ()
    assert compare("وزیر در تهران گفت", "وزیر در تهران نوشت", "fa").flags == ()


def test_an_added_not_is_flagged_as_negation() -> None:
    result = compare("The ministry confirmed the report.", "The ministry did not confirm the report.", "en")
    assert result.verdict == "altered"
    assert "negation" in result.flags


def test_a_contracted_negation_is_flagged() -> None:
    result = compare("He said the army was there.", "He said the army wasn't there.", "en")
    assert result.flags == ("negation",)


@pytest.mark.parametrize(
    ("language", "original", "candidate"),
    [
        ("en", "The talks were successful", "The talks were not successful"),
        ("en", "An agreement is likely", "An agreement is unlikely"),
        ("ru", "Переговоры были успешными", "Переговоры не были успешными"),
        ("ru", "Это возможно сейчас", "Это невозможно сейчас"),
        ("fa", "وزیر این خبر را تأیید کرد", "وزیر این خبر را تأیید نکرد"),
        ("fa", "دولت می‌خواهد مذاکره کند", "دولت نمی‌خواهد مذاکره کند"),
        ("fa", "این خبر درست است", "این خبر درست نیست"),
        ("ar", "قال الوزير إن الاتفاق نهائي", "قال الوزير إن الاتفاق ليس نهائيا"),
        ("ar", "وافقت الحكومة على الخطة", "لم توافق الحكومة على الخطة"),
        ("az", "Nazir bəyanat verdi", "Nazir bəyanat vermədi"),
        ("az", "Bu xəbər doğrudur", "Bu xəbər doğru deyil"),
        ("kk", "Министр мәлімдеме жасады", "Министр мәлімдеме жасамады"),
        ("kk", "Бұл ақпарат рас", "Бұл ақпарат рас емес"),
        ("kk", "Ол бұл туралы айтты", "Ол бұл туралы айтпады"),
        ("tk", "Ministr beýanat berdi", "Ministr beýanat bermedi"),
        ("tk", "Bu habar dogry", "Bu habar dogry däl"),
        ("tr", "Bakan açıklama yaptı", "Bakan açıklama yapmadı"),
        ("tr", "Heyet yarın geliyor", "Heyet yarın gelmiyor"),
        ("tr", "Bu haber doğru", "Bu haber doğru değil"),
    ],
)
def test_negation_in_each_language(language: str, original: str, candidate: str) -> None:
    result = compare(original, candidate, language)
    assert result.verdict == "altered"
    assert "negation" in result.flags, result.changes


@pytest.mark.parametrize(
    ("language", "original", "candidate"),
    [
        ("en", "The talks were successful", "The talks were productive"),
        ("tr", "Bakan açıklama yaptı", "Bakan açıklama okudu"),
        ("fa", "وزیر این خبر را تأیید کرد", "وزیر این خبر را اعلام کرد"),
        ("ru", "Переговоры были успешными", "Переговоры были долгими"),
    ],
)
def test_other_changes_are_not_negations(language: str, original: str, candidate: str) -> None:
    assert "negation" not in compare(original, candidate, language).flags


def test_language_tags_with_region_and_script_subtags() -> None:
    assert compare("Talks were held", "Talks were not held", "en-GB").flags == ("negation",)
    form = comparison_form("Qazaqstan Prezidenti", "kk-Latn")
    assert form.script == "latin"
    assert form.language == "kk"


def test_every_language_has_a_negation_list() -> None:
    for language in NEGATION_LANGUAGES:
        assert negations(language).words, language
    assert negations("de").words == frozenset()


def test_a_cyrillic_letter_in_a_latin_word_makes_a_quote_altered() -> None:
    original = "The President said the talks were useful."
    candidate = "The Prеsident said the talks were useful."  # Cyrillic е
    result = compare(original, candidate, "en")
    assert result.verdict == "altered"
    [change] = result.changes
    assert change.kind == "confusable"
    assert change.original_words == ("President",)
    assert change.candidate_words == ("Prеsident",)
    assert result.confusable_words == ("Prеsident",)
    assert result.similarity.diff_ratio == 1.0  # the words themselves match


def test_a_latin_spelt_agency_name_in_cyrillic_text_is_a_confusable() -> None:
    result = compare("ТАСС сообщил об этом", "TACC сообщил об этом", "ru")  # Latin T, A, C, C
    assert kinds(result) == ["confusable"]


def test_a_zero_width_joiner_inside_a_word_makes_a_quote_altered() -> None:
    result = compare("Talks resume in Vienna.", "Talks resume in Vie\u200dnna.", "en")
    assert result.verdict == "altered"
    [change] = result.changes
    assert change.kind == "invisible"
    assert change.flags == ("invisible",)
    assert result.invisible_words == ("Vie\u200dnna",)


def test_look_alikes_the_original_has_itself_are_not_evidence() -> None:
    original = "Компания Coca-Cola открыла завод"  # Latin brand in a Russian text
    assert compare(original, original, "ru").verdict == "verbatim"


def test_a_truncation_is_a_verbatim_quote() -> None:
    original = "First sentence here. The second sentence is quoted. And a third one ends it."
    result = compare(original, "the second sentence is quoted", "en")
    assert result.verdict == "verbatim"
    assert result.excerpt
    assert original[slice(*result.quoted_span)] == "The second sentence is quoted"
    assert result.similarity.candidate_in_original == 1.0
    assert result.similarity.original_in_candidate < 0.5


def test_a_quote_starting_with_a_common_word_is_aligned_where_it_is_quoted_from() -> None:
    original = "The mayor spoke first. Officials said the levees could breach the previously damaged walls."
    result = compare(original, "the previously damaged walls", "en")
    assert result.verdict == "verbatim"
    assert original[slice(*result.quoted_span)] == "the previously damaged walls"


def test_a_quote_with_a_changed_first_word_is_a_replace_not_an_insert() -> None:
    result = compare("Five people died in the fire. Police are investigating.", "Seven people died", "en")
    [change] = result.changes
    assert change.kind == "replace"
    assert (change.original_words, change.candidate_words) == (("Five",), ("Seven",))
    assert result.excerpt


def test_an_added_sentence_is_an_insert() -> None:
    original = "The summit opened in Baku. Leaders discussed trade."
    candidate = "The summit opened in Baku. The meeting was cancelled. Leaders discussed trade."
    result = compare(original, candidate, "en")
    [change] = result.changes
    assert change.kind == "insert"
    assert change.candidate_words == ("The", "meeting", "was", "cancelled")
    assert original[slice(*change.original_span)] == ""
    assert change.original_span[0] == original.index("Leaders")
    assert not result.excerpt


def test_a_removed_sentence_in_the_middle_is_a_delete() -> None:
    original = "The summit opened in Baku. Two delegations walked out. Leaders discussed trade."
    result = compare(original, "The summit opened in Baku. Leaders discussed trade.", "en")
    assert kinds(result) == ["delete"]
    assert result.changes[0].original_words == ("Two", "delegations", "walked", "out")


def test_unrelated_texts_score_low() -> None:
    texts = flores()
    result = compare(texts[0]["en"], texts[1]["en"], "en")
    assert result.verdict == "altered"
    assert result.similarity.diff_ratio < 0.3
    assert result.similarity.quoted_ratio < 0.5


def test_empty_texts_are_refused() -> None:
    with pytest.raises(TabadolError) as caught:
        compare("Some words", " … ", "en")
    assert caught.value.code is ErrorCode.INVALID_QUERY
    with pytest.raises(TabadolError):
        compare("", "Some words", "en")


# --- cases built from real articles -------------------------------------------------------------

NUMBER = re.compile(r"(?<![\d.,])\d+(?![\d.,])")


def with_changed_number(text: str) -> tuple[str, str]:
    match = NUMBER.search(text)
    assert match is not None
    changed = str(int(match.group()) + 1)
    return text[: match.start()] + changed + text[match.end() :], changed


def articles_with_numbers(language: str, count: int) -> list[str]:
    return [t[language] for t in flores() if NUMBER.search(t[language])][:count]


@pytest.mark.parametrize("language", NEGATION_LANGUAGES)
def test_flores_articles_are_verbatim_copies_of_themselves_in_other_spellings(language: str) -> None:
    for text in [t[language] for t in flores()[:5]]:
        respaced = re.sub(r"\s+", "\n ", text)
        assert compare(text, respaced, language).verdict == "verbatim"
        if language in ("fa", "ar"):
            digits = PERSIAN_DIGITS if language == "fa" else ARABIC_DIGITS
            assert compare(text, text.translate(digits), language).verdict == "verbatim"
            variants = text.translate(str.maketrans("یک", "يك"))
            assert compare(text, variants, language).verdict == "verbatim"


@pytest.mark.parametrize("language", NEGATION_LANGUAGES)
def test_flores_articles_with_one_changed_number(language: str) -> None:
    for text in articles_with_numbers(language, 3):
        candidate, changed = with_changed_number(text)
        result = compare(text, candidate, language)
        assert result.verdict == "altered"
        [change] = result.changes
        assert "number" in change.flags
        assert changed in "".join(change.candidate_words)


@pytest.mark.parametrize("language", NEGATION_LANGUAGES)
def test_flores_truncations_and_added_sentences(language: str) -> None:
    texts = [t[language] for t in flores()[10:14]]
    for index, text in enumerate(texts):
        words = text.split()
        middle = " ".join(words[len(words) // 4 : 3 * len(words) // 4])
        truncated = compare(text, middle, language)
        assert truncated.verdict == "verbatim"
        assert truncated.excerpt
        foreign = texts[(index + 1) % len(texts)].split()
        added = " ".join([*words[: len(words) // 2], *foreign[:8], *words[len(words) // 2 :]])
        result = compare(text, added, language)
        assert kinds(result) == ["insert"]
        assert result.similarity.candidate_in_original > 0.6


@pytest.mark.parametrize("language", ["en", "tr", "az", "tk", "ru", "kk"])
def test_flores_articles_with_a_hidden_look_alike_letter(language: str) -> None:
    swap = str.maketrans("aeo", "аео") if language not in ("ru", "kk") else str.maketrans("аео", "aeo")
    rng = random.Random(5)
    for text in [t[language] for t in flores()[20:23]]:
        words = text.split(" ")
        candidates = [i for i, word in enumerate(words) if len(word) > 4 and word != word.translate(swap)]
        index = rng.choice(candidates)
        word = words[index]
        position = next(i for i, char in enumerate(word) if char != char.translate(swap))
        words[index] = word[:position] + word[position].translate(swap) + word[position + 1 :]
        result = compare(text, " ".join(words), language)
        assert result.verdict == "altered"
        assert kinds(result) == ["confusable"]
        assert result.similarity.diff_ratio == 1.0


# --- alignment ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 6), max_size=40),
    st.lists(st.integers(0, 6), max_size=40),
)
def test_matching_blocks_are_equal_runs_in_order(a: list[int], b: list[int]) -> None:
    blocks = _matching_blocks((a, b))
    previous_a = previous_b = 0
    for i, j, size in blocks:
        assert size > 0
        assert i >= previous_a and j >= previous_b
        assert a[i : i + size] == b[j : j + size]
        previous_a, previous_b = i + size, j + size
    if a == b:
        assert sum(size for _, _, size in blocks) == len(a)


def test_a_long_body_is_compared_quickly() -> None:
    # 5,000-word bodies with a few edits, and an unrelated pair (no anchors to split on): a
    # quadratic alignment would take tens of seconds here.
    texts = [t["en"] for t in flores()]
    body = " ".join(texts[:60])
    other = " ".join(texts[60:120])
    words = body.split()
    words[100], words[2500], words[4000] = "alpha", "beta", "gamma"
    started = time.perf_counter()
    edited = compare(body, " ".join(words), "en")
    unrelated = compare(body, other, "en")
    elapsed = time.perf_counter() - started
    assert len(edited.changes) == 3
    assert unrelated.similarity.diff_ratio < 0.2
    assert elapsed < 5.0
