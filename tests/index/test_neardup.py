"""Near-duplicates: copies and light edits are linked to their source, other texts are not."""

from __future__ import annotations

import struct

import pytest

from tabadol.index import neardup
from tabadol.index.neardup import COPY_THRESHOLD, find_source, fingerprint, shingle_hashes, similarity

DISPATCH = (
    "Tehran, 23 November (IRNA) - The foreign ministers of Iran and Azerbaijan met in Baku on Sunday to "
    "discuss the new railway corridor linking the two countries to the Persian Gulf. The ministers agreed "
    "to finish the remaining 162 kilometres of track by the end of next year, and to open a joint customs "
    "post at Astara. The project, financed by a loan of 500 million dollars, will carry up to 15 million "
    "tonnes of freight a year once complete, officials said. Talks on electricity trade will follow in "
    "December, according to a statement issued after the meeting."
)
OTHER_STORY = (
    "Astana, 23 November (Kazinform) - Kazakhstan's wheat harvest reached a record 26 million tonnes this "
    "year, the agriculture ministry said on Sunday, as farmers in the northern regions finished bringing "
    "in the crop despite early snow. Exports to Central Asian neighbours and to Iran are expected to rise, "
    "and new grain terminals on the Caspian coast will open in the spring, the ministry added."
)
SAME_STORY_OWN_WORDS = (
    "Baku, 23 November (AzerTAc) - Azerbaijan and Iran will complete the Rasht-Astara railway within a "
    "year, the two countries' top diplomats announced after talks in the Azerbaijani capital. A customs "
    "checkpoint shared by both sides will be built at Astara, and Iran's electricity exports were also on "
    "the agenda."
)


def test_identical_texts_are_fully_similar() -> None:
    assert similarity(fingerprint(DISPATCH), fingerprint(DISPATCH)) == 1.0


def test_spelling_variants_case_and_spacing_are_not_edits() -> None:
    variant = DISPATCH.upper().replace(" ", "  ")
    assert similarity(fingerprint(DISPATCH), fingerprint(variant)) == 1.0
    persian = "خبرگزاری جمهوری اسلامی ایران گزارش داد که ۱۶۲ کیلومتر باقی مانده است و کار ادامه دارد"
    arabic_keyboard = persian.replace("ی", "ي").replace("ک", "ك").replace("۱۶۲", "162")
    assert similarity(fingerprint(persian), fingerprint(arabic_keyboard)) == 1.0


def test_a_republication_with_a_line_added_is_a_copy() -> None:
    republished = f"ASHGABAT (TDH) - Reported by the Iranian agency. {DISPATCH} Both sides praised the talks."
    assert similarity(fingerprint(DISPATCH), fingerprint(republished)) >= 0.95


def test_a_republication_with_the_tail_cut_is_a_copy() -> None:
    cut = DISPATCH[: DISPATCH.index(" The project")]
    score = similarity(fingerprint(cut), fingerprint(DISPATCH))
    assert score >= 0.95
    assert score == similarity(fingerprint(DISPATCH), fingerprint(cut))  # symmetric


def test_a_light_edit_stays_above_the_threshold() -> None:
    edited = (
        DISPATCH.replace("met in Baku on Sunday", "met in Baku on 23 November")
        .replace("officials said", "officials stated")
        .replace("Talks on electricity", "Negotiations on electricity")
    )
    assert COPY_THRESHOLD <= similarity(fingerprint(DISPATCH), fingerprint(edited)) < 1.0


def test_the_same_story_in_other_words_is_not_a_copy() -> None:
    assert similarity(fingerprint(DISPATCH), fingerprint(SAME_STORY_OWN_WORDS)) < 0.2
    assert similarity(fingerprint(DISPATCH), fingerprint(OTHER_STORY)) < 0.1


def test_a_short_text_is_not_a_copy_of_a_long_text_that_contains_it() -> None:
    lead_sentence = DISPATCH.split(". ")[0]
    long_text = " ".join([DISPATCH, OTHER_STORY, SAME_STORY_OWN_WORDS])
    assert similarity(fingerprint(lead_sentence), fingerprint(long_text)) < COPY_THRESHOLD


def test_short_texts_need_to_be_nearly_identical() -> None:
    headline = fingerprint("Earthquake in Tehran")
    assert similarity(headline, fingerprint("Earthquake in Tehran")) == 1.0
    assert similarity(headline, fingerprint("Earthquake in Tabriz")) < COPY_THRESHOLD


def test_empty_text_matches_nothing() -> None:
    assert shingle_hashes("  ... ") == []
    assert similarity(fingerprint(""), fingerprint("")) == 0.0
    assert find_source(fingerprint(""), [("a", fingerprint(""))]) is None


def test_a_fingerprint_of_another_format_is_never_compared() -> None:
    current = fingerprint(DISPATCH)
    other_version = struct.pack(">BB", neardup.FORMAT_VERSION + 1, neardup.SHINGLE_WORDS) + current[2:]
    assert similarity(current, other_version) == 0.0
    assert similarity(current, current[:-1]) == 0.0  # damaged: not a whole number of hashes
    assert similarity(current, b"") == 0.0


def test_long_texts_are_sampled_consistently(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a small sample size, a text and its copy with a line added still compare as copies,
    # and unrelated texts still do not.
    monkeypatch.setattr(neardup, "MAX_SHINGLES", 24)
    original = fingerprint(DISPATCH)
    assert (len(original) - 2) // 4 == 24
    extended = fingerprint(DISPATCH + " The ministers will meet again in Tehran in January next year.")
    assert similarity(original, extended) >= 0.8
    assert similarity(original, fingerprint(OTHER_STORY)) < 0.2


def test_find_source_picks_the_most_similar_earlier_item() -> None:
    edited = DISPATCH.replace("officials said", "officials stated")
    candidates = [
        ("kazinform:1", fingerprint(OTHER_STORY)),
        ("irna:1", fingerprint(DISPATCH)),
        ("azertac:1", fingerprint(SAME_STORY_OWN_WORDS)),
    ]
    found = find_source(fingerprint(edited), candidates)
    assert found is not None
    assert found[0] == "irna:1"
    assert COPY_THRESHOLD <= found[1] < 1.0


def test_find_source_prefers_the_oldest_of_equal_sources() -> None:
    copy = fingerprint(DISPATCH)
    found = find_source(copy, [("irna:1", copy), ("tdh:7", copy)])
    assert found == ("irna:1", 1.0)


def test_find_source_returns_none_without_a_copy() -> None:
    assert find_source(fingerprint(DISPATCH), [("a", fingerprint(OTHER_STORY))]) is None
    assert find_source(fingerprint(DISPATCH), []) is None
