"""The public verification page (/{lang}/verify): the tamper check's answer with its evidence, as HTML
in the reader's language and as JSON, behind the double-submit CSRF check (both backends)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from verify_support import by_class, csrf_of, enrich, flores, page, push, text_of

from tabadol.hub import Hub
from tabadol.web.portal.catalog import catalog
from tabadol.web.portal.dates import number
from tabadol.web.portal.languages import LANGUAGES

HEADLINE = "Caspian ferry line opens"
BODY = (
    "The new line will run three times a week, the ministry said. "
    "The first ship from Aktau carried 120 trucks across the sea to Baku on Monday."
)
ALTERED = "The first ship from Turkmenbashi carried 320 trucks across the sea to Baku on Monday."


@pytest.fixture
def dispatches(hub: Hub) -> dict[str, str]:
    hub.add_member("kazinform", {"en": "Kazinform", "kk": "Қазақпарат"}, "KZ", ["kk", "ru", "en"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])
    ids = {
        "ferry": push(hub, "kazinform", "urn:kazinform:ferry", HEADLINE, BODY, "en"),
        "ru7": push(hub, "tass", "urn:tass:7", *flores(7)["ru"].partition(". ")[::2], "ru"),
    }
    enrich(hub)
    return ids


def check(site: TestClient, text: str, lang: str = "en", suffix: str = "", **extra: str) -> object:
    token = csrf_of(site.get(f"/{lang}/verify").text)
    return site.post(f"/{lang}/verify{suffix}", data={"csrf_token": token, "text": text, **extra})


def test_an_altered_quote_shows_each_change_and_the_originals_signature(
    site: TestClient, dispatches: dict[str, str]
) -> None:
    answer = check(site, ALTERED)
    assert answer.status_code == 200, answer.text
    html = page(answer.text)
    [verdict] = by_class(html, "verify-verdict")
    assert "verdict-altered" in verdict.classes
    assert text_of(verdict) == catalog("en")["verify.verdict.altered"]
    [diff] = by_class(html, "verify-diff")
    changes = {
        (text_of(c.xpath(".//del")[0]), text_of(c.xpath(".//ins")[0])): set(c.classes)
        for c in by_class(diff, "diff-change")
    }
    assert "flag-number" in changes[("120", "320")]
    assert "flag-name" in changes[("Aktau", "Turkmenbashi")]
    assert "across the sea to Baku on Monday" in text_of(diff)
    flags = [text_of(f) for f in by_class(html, "verify-flag")]
    assert catalog("en")["verify.flag.number"] in flags and catalog("en")["verify.flag.name"] in flags
    [link] = by_class(html, "verify-item-link", "a")
    assert link.get("href") == f"/en/item/{dispatches['ferry']}" and text_of(link) == HEADLINE
    assert text_of(by_class(html, "verify-item-member")[0]) == "Kazinform"
    [signature] = by_class(html, "verify-signature")
    assert "signature-hub_signed" in signature.classes
    assert catalog("en")["verify.signature.hub_signed"] in text_of(signature)
    [pasted] = by_class(html, "verify-pasted")
    assert pasted.get("dir") == "auto" and text_of(pasted) == ALTERED
    assert html.xpath("//time[@datetime]")


def test_the_json_twin_carries_the_same_answer(site: TestClient, dispatches: dict[str, str]) -> None:
    answer = check(site, ALTERED, suffix=".json")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    result = answer.json()["result"]
    assert result["verdict"] == "altered" and result["item"]["id"] == dispatches["ferry"]
    assert result["signature"]["status"] == "hub_signed"
    assert result["item"]["provenance"]["signer_kind"] == "hub"
    changed = {(c["item_words"], c["text_words"]): c["flags"] for c in result["changes"]}
    assert "number" in changed[("120", "320")] and "name" in changed[("Aktau", "Turkmenbashi")]
    form = site.get("/en/verify.json").json()
    assert form["page"] == "verify" and form["result"] is None


def test_a_translation_is_labelled_with_its_score_and_links_the_original(
    site: TestClient, dispatches: dict[str, str]
) -> None:
    english = flores(7)["en"]
    result = check(site, english, suffix=".json").json()["result"]
    assert result["verdict"] == "translation" and result["item"]["id"] == dispatches["ru7"]
    html = page(check(site, english).text)
    assert "verdict-translation" in by_class(html, "verify-verdict")[0].classes
    [score] = by_class(html, "verify-score")
    assert number(result["score"], LANGUAGES["en"]) in text_of(score)
    [original] = by_class(html, "verify-original")
    assert original.get("lang") == "ru" and text_of(original)
    [link] = by_class(html, "verify-original-link", "a")
    assert link.get("href") == f"/en/item/{dispatches['ru7']}"


def test_a_verbatim_quote_shows_the_passage(site: TestClient, dispatches: dict[str, str]) -> None:
    quote = "the first ship from aktau carried 120 trucks"  # case and spacing are not changes
    html = page(check(site, quote).text)
    assert "verdict-verbatim" in by_class(html, "verify-verdict")[0].classes
    [passage] = by_class(html, "verify-quoted")
    assert text_of(passage) == "The first ship from Aktau carried 120 trucks"
    assert not by_class(html, "verify-diff")


def test_look_alike_letters_and_hidden_characters_are_shown_and_explained(
    site: TestClient, dispatches: dict[str, str]
) -> None:
    disguised = ALTERED.replace("Turkmenbashi", "Aktau").replace("320", "120")
    disguised = disguised.replace("Baku", "B\u0430ku").replace("Monday", "Mon\u200bday")
    html = page(check(site, disguised).text)
    changes = by_class(html, "verify-change")
    kinds = {c.xpath(".//ins")[0].text_content(): set(c.classes) for c in changes}
    assert "change-confusable" in kinds["B\u0430ku"]
    assert "change-invisible" in kinds["Mon⟨U+200B⟩day"]
    flags = [text_of(f) for f in by_class(html, "verify-flag")]
    assert (
        catalog("en")["verify.flag.confusable"] in flags and catalog("en")["verify.flag.invisible"] in flags
    )
    assert "U+0430 CYRILLIC SMALL LETTER A" in text_of(by_class(html, "verify-letters")[0])


def test_an_unknown_text_says_what_was_searched(site: TestClient, dispatches: dict[str, str]) -> None:
    html = page(check(site, flores(11)["en"]).text)
    assert "verdict-unknown" in by_class(html, "verify-verdict")[0].classes
    assert by_class(html, "verify-searched") and not by_class(html, "verify-item-link")


def test_the_persian_page_is_right_to_left_in_persian(site: TestClient, dispatches: dict[str, str]) -> None:
    form = site.get("/fa/verify")
    assert form.status_code == 200
    root = page(form.text)
    assert (root.get("lang"), root.get("dir")) == ("fa", "rtl")
    assert root.xpath("//textarea[@id='verify-text']")[0].get("dir") == "auto"
    assert root.xpath("//label[@for='verify-text']") and root.xpath("//label[@for='verify-language']")
    answer = page(check(site, ALTERED, lang="fa").text)
    assert answer.get("dir") == "rtl"
    assert text_of(by_class(answer, "verify-verdict")[0]) == catalog("fa")["verify.verdict.altered"]
    assert by_class(answer, "verify-item-link", "a")[0].get("href") == f"/fa/item/{dispatches['ferry']}"


def test_csrf_is_enforced_without_a_login(site: TestClient, hub: Hub) -> None:
    assert site.post("/en/verify", data={"text": ALTERED}).status_code == 403
    token = csrf_of(site.get("/en/verify").text)
    assert site.post("/en/verify", data={"csrf_token": token + "x", "text": ALTERED}).status_code == 403
    site.cookies.clear()
    refused = site.post("/en/verify", data={"csrf_token": token, "text": ALTERED})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert site.post("/en/verify.json", data={"csrf_token": token, "text": "x"}).status_code == 403


def test_an_empty_text_is_explained_and_the_choice_kept(site: TestClient, hub: Hub) -> None:
    answer = check(site, "   ", lang="ru", language="kk")
    assert answer.status_code == 422
    html = page(answer.text)
    assert catalog("ru")["verify.error.empty"] in text_of(by_class(html, "form-errors")[0])
    assert html.xpath("//textarea[@id='verify-text']")[0].get("aria-invalid") == "true"
    assert html.xpath("//select[@id='verify-language']/option[@selected]")[0].get("value") == "kk"
    assert not by_class(html, "verify-result")
