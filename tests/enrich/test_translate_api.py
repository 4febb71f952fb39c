"""Machine translation over HTTP with a real CTranslate2 model folder (the tiny copy model the
translation tests build): made on first request, labelled, stored apart from the item, served again
from the store; without a backend the hub answers 503 and is otherwise unaffected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_translate import build_copy_model

from tabadol.enrich.translate_ct2 import CTranslate2Translator
from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role
from tabadol.web.app import create_app

ENGLISH = json.dumps(
    {
        "uri": "urn:irna:tr:1",
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": "Wires arrive in many formats every day."}],
        "bodies": [
            {"role": "main", "contentType": "text/plain", "value": "the ferry line opens in the port."}
        ],
    }
).encode()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_copy_model(
        tmp_path_factory.mktemp("ct2") / "copy", "sentencepiece.model", {"model_id": "copy-1"}
    )


def pushed(client: TestClient, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/ninjs+json"}
    response = client.post("/api/v1/items", content=ENGLISH, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["items"][0]["id"])


def test_translation_is_made_once_labelled_and_kept_apart(
    hub: Hub, member: MemberInfo, issue_token: Callable[..., str], model_dir: Path
) -> None:
    token = issue_token(hub, member.code, Role.EDITOR)
    translator = CTranslate2Translator(model_dir, intra_threads=1)
    with TestClient(create_app(hub, translator=translator)) as client:
        item_id = pushed(client, token)
        auth = {"Authorization": f"Bearer {token}"}
        first = client.get(f"/api/v1/items/{item_id}/translation", params={"to": "ru"}, headers=auth)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["machine_translation"] is True
        assert "Machine translation en→ru" in body["label"] and "copy-1" in body["label"]
        assert body["backend"] == "ctranslate2" and body["target_language"] == "ru"
        assert (
            body["headline"] == "Wires arrive in many formats every day."
        )  # the copy model gives its input back
        again = client.get(f"/api/v1/items/{item_id}/translation", params={"to": "ru"}, headers=auth).json()
        assert again["created_at"] == body["created_at"]  # served from the store
        # The item itself is untouched: one version, the original bytes.
        assert [
            v["version"]
            for v in client.get(f"/api/v1/items/{item_id}/versions", headers=auth).json()["versions"]
        ] == [1]
        assert client.get(f"/api/v1/items/{item_id}/original", headers=auth).content == ENGLISH


def test_without_a_backend_translation_is_unavailable(
    hub: Hub, member: MemberInfo, issue_token: Callable[..., str]
) -> None:
    token = issue_token(hub, member.code, Role.EDITOR)
    with TestClient(create_app(hub, translator=None)) as client:
        item_id = pushed(client, token)
        response = client.get(
            f"/api/v1/items/{item_id}/translation",
            params={"to": "ru"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "translation_unavailable"
