"""Golden cases for the format parsers: `tests/data/formats/<format>/<name>.<ext>` beside
`<name>.expected.json` (the ParsedItem list, or `{"error": "<code slug>"}`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabadol.errors import ParseError
from tabadol.ingest.formats import default_registry
from tabadol.serialize import parsed_item_to_json

GOLDEN_ROOT = Path(__file__).resolve().parents[1] / "data" / "formats"
EXPECTED_SUFFIX = ".expected.json"


@dataclass(frozen=True)
class GoldenCase:
    format_name: str
    input_path: Path

    @property
    def expected_path(self) -> Path:
        return self.input_path.with_name(self.input_path.stem + EXPECTED_SUFFIX)

    @property
    def id(self) -> str:
        return f"{self.format_name}/{self.input_path.name}"


def golden_cases() -> list[GoldenCase]:
    cases = []
    for directory in sorted(p for p in GOLDEN_ROOT.iterdir() if p.is_dir()):
        for path in sorted(directory.iterdir()):
            if path.is_file() and not path.name.endswith(EXPECTED_SUFFIX):
                cases.append(GoldenCase(directory.name, path))
    return cases


def actual_result(case: GoldenCase) -> Any:
    """What the format's parser makes of the case's bytes, in the expected-file shape."""
    parse = default_registry().get(case.format_name).parse
    try:
        items = parse(case.input_path.read_bytes(), None)
    except ParseError as error:
        return {"error": error.code.slug}
    return [parsed_item_to_json(item) for item in items]


def write_expected(case: GoldenCase) -> None:
    text = json.dumps(actual_result(case), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    case.expected_path.write_text(text, encoding="utf-8")
