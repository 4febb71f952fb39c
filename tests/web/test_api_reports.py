"""`GET /api/v1/reports/exchange`: a real exchange over HTTP (push, subscribe, fan out, take), read as
JSON and CSV; a member sees only its own exchanges, admins everyone's; bad parameters are E307."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role

REPORT = "/api/v1/reports/exchange"
# A year around the exchange, so the test never depends on which month it runs in.
WINDOW = {"period": "year", "since": "2000-01-01", "until": "2100-01-01"}


def push(client: TestClient, token: str, guid: str, language: str, headline: str) -> str:
    response = client.post(
        "/api/v1/items",
        content=ninjs_bytes(guid=guid, language=language, headline=headline),
        headers={**bearer(token), "Content-Type": "application/ninjs+json"},
    )
    assert response.status_code in (200, 201, 202), response.text
    return str(response.json()["items"][0]["id"])


def subscribe(client: TestClient, token: str, name: str, members: list[str] | None = None) -> None:
    body = {"name": name, "filter": {"members": members or []}}
    response = client.post("/api/v1/subscriptions", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text


def take(client: TestClient, token: str, item_id: str) -> None:
    response = client.post(f"/api/v1/items/{item_id}/take", headers=bearer(token))
    assert response.status_code == 201, response.text


@pytest.fixture
def exchange(
    client: TestClient,
    hub: Hub,
    make_member: Callable[..., MemberInfo],
    issue_token: Callable[..., str],
    editor_token: str,
    tass_editor_token: str,
) -> dict[str, str]:
    """irna supplies two items to tass and azertac; tass supplies one to azertac and irna; tass
    takes one of irna's items, azertac takes tass's. Returns azertac's editor token."""
    make_member(hub, "azertac", "AZ", ("az",), {"en": "AzerTAc", "az": "AzərTAc"})
    azertac_token = issue_token(hub, "azertac", Role.EDITOR)
    subscribe(client, tass_editor_token, "from IRNA", ["irna"])
    subscribe(client, azertac_token, "everything")
    subscribe(client, editor_token, "everything")
    persian = push(client, editor_token, "urn:irna:r:1", "fa", "خبر یک")
    push(client, editor_token, "urn:irna:r:2", "en", "IRNA in English")
    russian = push(client, tass_editor_token, "urn:tass:r:1", "ru", "Новость")
    Dispatcher(hub.storage).drain()
    take(client, tass_editor_token, persian)
    take(client, azertac_token, russian)
    return {"azertac": azertac_token}


def totals(response: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    assert response.status_code == 200, response.text
    return {
        (t["source"], t["recipient"]): (t["supplied"], t["updates"], t["kills"], t["taken"], t["translated"])
        for t in response.json()["totals"]
    }


def test_each_member_sees_only_its_own_exchanges(
    client: TestClient,
    exchange: dict[str, str],
    editor_token: str,
    reader_token: str,
    tass_editor_token: str,
    admin_token: str,
) -> None:
    irna_to_tass = ("irna", "tass")
    every_pair = {
        irna_to_tass: (2, 0, 0, 1, 1),
        ("irna", "azertac"): (2, 0, 0, 0, 0),
        ("tass", "azertac"): (1, 0, 0, 1, 1),
        ("tass", "irna"): (1, 0, 0, 0, 0),
    }
    as_admin = totals(client.get(REPORT, params=WINDOW, headers=bearer(admin_token)))
    assert as_admin == every_pair
    # irna's keys (editor or reader) never see what tass supplied to azertac.
    for token in (editor_token, reader_token):
        seen = totals(client.get(REPORT, params=WINDOW, headers=bearer(token)))
        assert seen == {
            pair: every_pair[pair] for pair in (irna_to_tass, ("irna", "azertac"), ("tass", "irna"))
        }
    as_tass = totals(client.get(REPORT, params=WINDOW, headers=bearer(tass_editor_token)))
    assert set(as_tass) == {irna_to_tass, ("tass", "azertac"), ("tass", "irna")}
    narrowed = totals(client.get(REPORT, params={**WINDOW, "member": "azertac"}, headers=bearer(admin_token)))
    assert set(narrowed) == {("irna", "azertac"), ("tass", "azertac")}
    forbidden = client.get(REPORT, params={**WINDOW, "member": "tass"}, headers=bearer(editor_token))
    assert_error(forbidden, 403, "forbidden")
    assert_error(client.get(REPORT, params=WINDOW), 401, "unauthenticated")


def test_json_rows_carry_the_window_groups_names_and_counts(
    client: TestClient, exchange: dict[str, str], admin_token: str
) -> None:
    params = {**WINDOW, "group": "language", "lang": "az"}
    body = client.get(REPORT, params=params, headers=bearer(admin_token)).json()
    assert (body["since"], body["until"], body["period"], body["group"]) == (
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        "year",
        ["language"],
    )
    rows = {(r["source"], r["recipient"], r["language"]): r for r in body["rows"]}
    assert set(rows) == {
        ("irna", "tass", "fa"),
        ("irna", "tass", "en"),
        ("irna", "azertac", "fa"),
        ("irna", "azertac", "en"),
        ("tass", "azertac", "ru"),
        ("tass", "irna", "ru"),
    }
    persian = rows[("irna", "tass", "fa")]
    assert (persian["supplied"], persian["taken"], persian["translated"]) == (1, 1, 1)
    assert rows[("irna", "tass", "en")]["taken"] == 0
    assert rows[("tass", "azertac", "ru")]["recipient_name"] == "AzərTAc"


def test_csv_by_parameter_or_accept_header(client: TestClient, exchange: dict[str, str]) -> None:
    azertac = bearer(exchange["azertac"])
    by_parameter = client.get(REPORT, params={**WINDOW, "format": "csv"}, headers=azertac)
    by_accept = client.get(REPORT, params=WINDOW, headers={**azertac, "Accept": "text/csv"})
    for response in (by_parameter, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert 'filename="exchange_2000-01-01_2099-12-31.csv"' in response.headers["content-disposition"]
    assert by_parameter.content == by_accept.content
    text = by_parameter.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["source"], r["recipient"], r["supplied"], r["taken"]) for r in rows] == [
        ("irna", "azertac", "2", "0"),
        ("tass", "azertac", "1", "1"),
    ]
    assert rows[0]["period"] == rows[1]["period"] and len(rows[0]["period"]) == 4


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"period": "fortnight"}, "period"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "2026-12-01", "until": "2026-11-01"}, "since"),
        ({"group": "country"}, "group"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_parameters_are_invalid_query_naming_the_parameter(
    client: TestClient, editor_token: str, params: dict[str, str], param: str
) -> None:
    error = assert_error(
        client.get(REPORT, params=params, headers=bearer(editor_token)), 400, "invalid_query"
    )
    assert error["detail"]["param"] == param


def test_an_admin_naming_an_unknown_member_is_told_so(client: TestClient, admin_token: str) -> None:
    assert_error(
        client.get(REPORT, params={"member": "nobody"}, headers=bearer(admin_token)), 404, "member_not_found"
    )
