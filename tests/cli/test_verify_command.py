"""`tabadol verify --text ... --json`: the tamper check from the command line."""

from __future__ import annotations

import json

from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.types import MemberInfo


def test_verify_prints_the_verdict_as_json(run_cli: RunCli, hub: Hub, member: MemberInfo) -> None:
    document = {
        "uri": "urn:irna:1",
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": "Tehran hosts Caspian summit"}],
        "bodies": [
            {"role": "main", "contentType": "text/plain", "value": "Leaders of five states met on Tuesday."}
        ],
    }
    hub.ingest_payload("irna", json.dumps(document).encode(), "application/ninjs+json", via="test")
    result = run_cli("verify", "--text", "Leaders of five states did not meet on Tuesday.", "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verdict"] == "altered" and answer["item"]["uri"] == "urn:irna:1"
    assert "negation" in answer["diff"]["flags"]
    plain = run_cli("verify", "--text", "Leaders of five states met on Tuesday.")
    assert plain.exit_code == 0 and plain.stdout.startswith("verbatim")
