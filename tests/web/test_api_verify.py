"""`POST /api/v1/verify` and `tabadol verify`: the tamper check's answer shape over HTTP and on the command
line (the decisions themselves are tested in tests/verify/test_tamper.py)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from web_helpers import bearer

from tabadol.hub import Hub
from tabadol.types import MemberInfo

HEADLINE = "Caspian ferry line opens between Aktau and Baku"
BODY = "The new line will run three times a week. The first ship carried 120 trucks across the sea."


def store(hub: Hub) -> str:
    document = {
        "uri": "urn:irna:ferry",
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": HEADLINE}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": BODY}],
    }
    data = json.dumps(document).encode()
    return hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id


def test_the_answer_names_the_item_and_the_changes(
    client: TestClient, hub: Hub, member: MemberInfo, reader_token: str
) -> None:
    item_id = store(hub)
    verbatim = client.post(
        "/api/v1/verify", json={"text": "The first ship carried 120 trucks"}, headers=bearer(reader_token)
    )
    assert verbatim.status_code == 200, verbatim.text
    body = verbatim.json()
    assert body["verdict"] == "verbatim" and body["item"]["id"] == item_id
    assert body["item"]["uri"] == "urn:irna:ferry" and body["item"]["href"].endswith(
        f"/api/v1/items/{item_id}"
    )
    altered = client.post(
        "/api/v1/verify",
        json={"text": "The first ship carried 320 trucks across the sea."},
        headers=bearer(reader_token),
    ).json()
    assert altered["verdict"] == "altered" and "number" in altered["diff"]["flags"]
    [change] = [c for c in altered["diff"]["changes"] if "number" in c["flags"]]
    assert (change["item_words"], change["text_words"]) == (["120"], ["320"])
    assert client.post("/api/v1/verify", json={"text": ""}, headers=bearer(reader_token)).status_code == 422
    assert client.post("/api/v1/verify", json={"text": "x"}).status_code == 401
