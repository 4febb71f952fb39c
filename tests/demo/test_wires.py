"""How the demo turns FLORES articles into wires: headlines, timing, identifiers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tabadol.demo.wires import (
    HEADLINE_LIMIT,
    first_sentence,
    flores_wires,
    headline_from,
    language_lag,
    story_moment,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "headline"),
    [
        ("The summit opened. Leaders arrived later.", "The summit opened"),
        ("U.S. President George W. Bush welcomed the announcement. Bush spoke.",
         "U.S. President George W. Bush welcomed the announcement"),
        ("Dr. Ehud Ur warned the research is early. Others agreed.",
         "Dr. Ehud Ur warned the research is early"),
        ('"We now have mice that are non-diabetic," he added. Dr. Ur warned.',
         "We now have mice that are non-diabetic, he added"),
        ("آیا این نشست برگزار شد؟ بله.", "آیا این نشست برگزار شد؟"),
        ("\u2063«Indi bizde syçanlar bar» diýdi. Ol.", "Indi bizde syçanlar bar diýdi"),
    ],
)  # fmt: skip
def test_headline_is_the_tidied_first_sentence(text: str, headline: str) -> None:
    assert headline_from(text) == headline


def test_long_first_sentence_is_cut_at_a_word_boundary() -> None:
    sentence = " ".join(["word"] * 60) + ". Second sentence."
    headline = headline_from(sentence)
    assert len(headline) <= HEADLINE_LIMIT
    assert headline.endswith("word…")


def test_text_without_a_sentence_end_is_one_sentence() -> None:
    assert first_sentence("No full stop here") == "No full stop here"


def test_story_times_are_fixed_per_article_and_within_the_week() -> None:
    assert story_moment("flores-010", NOW) == story_moment("flores-010", NOW)
    assert story_moment("flores-010", NOW) != story_moment("flores-012", NOW)
    later = NOW + timedelta(hours=5)
    assert story_moment("flores-010", later) - story_moment("flores-010", NOW) == timedelta(hours=5)
    for n in range(0, 282, 2):
        moment = story_moment(f"flores-{n:03d}", NOW)
        assert NOW - timedelta(days=7) <= moment <= NOW - timedelta(hours=1)
        assert timedelta(0) <= language_lag(f"flores-{n:03d}", "kk") < timedelta(minutes=25)


def test_flores_wires_are_ninjs_with_unique_uris_and_languages() -> None:
    wires = flores_wires(NOW)
    assert len({w.guid for w in wires}) == len(wires) == 141 * 8
    doc = json.loads(wires[0].data)
    assert doc["uri"] == wires[0].guid
    assert doc["language"] == wires[0].language
    assert doc["versioncreated"].endswith("Z")
    assert doc["headline"] and doc["body_text"] and doc["copyrightnotice"].startswith("CC BY-SA 4.0")
