"""`tabadol factcheck import|author|list|match|export|delete`: the operator publishes for a named member,
an export imports back to the same reviews, and a text in another language finds the review."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_support import RunCli

import tabadol.demo
from tabadol.hub import Hub
from tabadol.types import MemberInfo
from tabadol.verify.claims import parse_claim_reviews

FIXTURES = Path(__file__).parent.parent / "data" / "claimreview"
FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"


def first_sentence(number: int, language: str) -> str:
    with FLORES.open(encoding="utf-8") as lines:
        text = json.loads(lines.readlines()[number])["text"][language]
    return re.split(r"(?<=[.!?؟])\s+", text.strip())[0]


def test_import_list_export_and_import_back(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    imported = run_cli("factcheck", "import", str(FIXTURES / "list_of_reviews.json"), "--member", "irna")
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout.startswith("2 created, 0 updated")
    again = run_cli("factcheck", "import", str(FIXTURES / "list_of_reviews.json"), "--member", "irna")
    assert again.stdout.startswith("0 created, 2 updated")
    unknown = run_cli("factcheck", "import", str(FIXTURES / "single_object.json"), "--member", "nobody")
    assert unknown.exit_code == 1 and "E303" in unknown.stderr
    listed = json.loads(run_cli("factcheck", "list", "--json").stdout)
    assert sorted(f["language"] for f in listed) == ["ar", "tr"]
    table = run_cli("factcheck", "list").stdout.splitlines()
    assert table[0].split("\t") == ["id", "member", "language", "rating", "claim", "url"] and len(table) == 3
    out = tmp_path / "reviews.jsonld"
    exported = run_cli("factcheck", "export", "--out", str(out))
    assert exported.exit_code == 0, exported.stderr
    reviews = parse_claim_reviews(out.read_bytes())
    assert sorted(r.url for r in reviews) == sorted(f["url"] for f in listed)
    assert parse_claim_reviews(run_cli("factcheck", "export").stdout.encode()) == reviews
    for fact_check in listed:
        assert run_cli("factcheck", "delete", fact_check["id"]).exit_code == 0
    assert json.loads(run_cli("factcheck", "list", "--json").stdout) == []
    back = run_cli("factcheck", "import", str(out), "--member", "irna")
    assert back.exit_code == 0 and back.stdout.startswith("2 created")
    assert parse_claim_reviews(run_cli("factcheck", "export").stdout.encode()) == reviews


def test_author_and_match_across_languages(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    claim = first_sentence(8, "ru")
    authored = run_cli(
        "factcheck", "author", "--member", "irna", "--claim", claim, "--rating", "Ложь",
        "--url", "https://www.irna.ir/factcheck/8", "--claimant", "A. Blogger",
    )  # fmt: skip
    assert authored.exit_code == 0, authored.stderr
    fact_check = json.loads(authored.stdout)
    assert fact_check["language"] == "ru" and fact_check["member"] == "irna"
    matched = run_cli("factcheck", "match", "--text", first_sentence(8, "fa"), "--json")
    assert matched.exit_code == 0, matched.stderr
    [match] = json.loads(matched.stdout)["matches"]
    assert (match["id"], match["rating"], match["url"]) == (
        fact_check["id"],
        "Ложь",
        "https://www.irna.ir/factcheck/8",
    )
    nothing = run_cli("factcheck", "match", "--text", first_sentence(30, "fa"))
    assert nothing.exit_code == 0 and nothing.stdout.strip() == "No reviewed claim matches."
    refused = run_cli(
        "factcheck",
        "author",
        "--member",
        "irna",
        "--claim",
        "x",
        "--rating",
        "False",
        "--url",
        "javascript:x",
    )
    assert refused.exit_code == 1 and "E307" in refused.stderr
