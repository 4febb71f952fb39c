"""Rewrite every `*.expected.json` from the current parsers: `.venv/bin/python -m tests.ingest.regen_golden`.

Review the diff before keeping it: the golden files are the specification, not a snapshot.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_golden_support import golden_cases, write_expected  # noqa: E402


def main() -> None:
    for case in golden_cases():
        write_expected(case)
        print(f"wrote {case.id} -> {case.expected_path.name}")


if __name__ == "__main__":
    main()
