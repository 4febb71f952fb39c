"""Search normalisation: every spelling a sender may use reaches one comparable form."""

from __future__ import annotations

import pytest

from tabadol.enrich.normalize import normalize_for_search as norm


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("كيف", "کیف"),  # Arabic kaf and yeh / Persian keheh and yeh
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("أحمد", "احمد"),  # hamza on alef
        ("إيران", "ايران"),
        ("آذربایجان", "اذربایجان"),  # alef madda
        ("مسؤول", "مسوول"),  # hamza on waw
        ("خبرگزاری‌ها", "خبرگزاریها"),  # ZWNJ dropped by many writers
        ("مُحَمَّد", "محمد"),  # vowel marks and shadda
        ("خـــزر", "خزر"),  # tatweel
        ("۱۴۰۳", "1403"),  # Persian digits
        ("٢٠٢٦", "2026"),  # Arabic-Indic digits
        ("ТАСС", "тасс"),  # Cyrillic case
        ("İSTANBUL", "istanbul"),  # Turkish dotted capital I
        ("ISPARTA", "ıspartA"),  # dotless i: either spelling matches
        ("Қазақпарат", "қазақпарат"),
        ("Aktau\u200e to  Baku\u200f", "aktau to baku"),  # direction marks, spaces
        ("ﻻ", "لا"),  # presentation forms (NFKC)
    ],
)
def test_spellings_meet(one: str, other: str) -> None:
    assert norm(one) == norm(other)


@pytest.mark.parametrize(
    ("one", "other"), [("کیف", "کیک"), ("й", "и"), ("ş", "s"), ("ё", "е"), ("1403", "1404")]
)
def test_different_words_stay_different(one: str, other: str) -> None:
    assert norm(one) != norm(other)


def test_idempotent_on_mixed_text() -> None:
    text = "IRNA — ایرنا: خبرگزاری‌های «خزر» در ۱۴۰۳ و ТАСС; İzmir\u200b"
    assert norm(norm(text)) == norm(text)
