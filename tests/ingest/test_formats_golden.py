"""Every golden input parses to exactly its expected file; every built-in format has >= 3 cases."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from ingest_golden_support import GoldenCase, actual_result, golden_cases

from tabadol.ingest.formats import builtin_formats, default_registry

CASES = golden_cases()
ACCEPTED = [
    c
    for c in CASES
    if c.expected_path.exists() and isinstance(json.loads(c.expected_path.read_text("utf-8")), list)
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case_matches_expected(case: GoldenCase) -> None:
    assert case.expected_path.exists(), f"run `python -m tests.ingest.regen_golden` and review {case.id}"
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert actual_result(case) == expected


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_sniffing_finds_the_golden_format_for_accepted_items(case: GoldenCase) -> None:
    assert default_registry().choose(case.input_path.read_bytes(), None).name == case.format_name


def test_every_builtin_format_has_at_least_three_golden_cases() -> None:
    counts = Counter(case.format_name for case in CASES)
    for fmt in builtin_formats():
        assert counts[fmt.name] >= 3, f"format {fmt.name!r} has {counts[fmt.name]} golden cases"


def test_golden_directories_are_named_after_registered_formats() -> None:
    names = {fmt.name for fmt in builtin_formats()}
    assert {case.format_name for case in CASES} <= names
