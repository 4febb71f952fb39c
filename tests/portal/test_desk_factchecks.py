"""The newsroom's verification desk (/{lang}/newsroom/desk): the check for logged-in members, and
fact-check authoring, editing, deleting and importing through verify/factchecks.py; an authored review
is in the public API and on the public verification page (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from verify_support import by_class, csrf_of, first_sentence, flores, log_in, page, text_of

from tabadol.hub import Hub
from tabadol.types import MemberInfo, Role
from tabadol.web.portal.catalog import catalog

CLAIMREVIEWS = Path(__file__).parent.parent / "data" / "claimreview"
LIST = "/en/newsroom/desk/factchecks"
REVIEW_URL = "https://tass.ru/proverka/8"


@pytest.fixture
def tass(hub: Hub) -> MemberInfo:
    return hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])


def review_fields(csrf: str, **changes: str) -> dict[str, str]:
    fields = {
        "csrf_token": csrf,
        "claim": first_sentence(flores(8)["ru"]),
        "rating": "Ложь",
        "url": REVIEW_URL,
        "language": "ru",
        "reviewer_name": "ТАСС Проверка",
        "reviewer_url": "https://tass.ru/proverka",
        "claimant": "",
    }
    return {**fields, **changes}


def test_the_desk_needs_a_login(site: TestClient, hub: Hub) -> None:
    for path in ("/en/newsroom/desk", LIST, "/fa/newsroom/desk/factchecks/x/edit"):
        answer = site.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].split("?")[0].endswith("/newsroom/login")


def test_an_authored_review_is_published_and_shown_on_the_verify_page(
    site: TestClient, hub: Hub, tass: MemberInfo
) -> None:
    csrf = log_in(site, hub, "tass", "mariam")
    listing = site.get(LIST)
    assert listing.status_code == 200
    html = page(listing.text)
    assert by_class(html, "factcheck-none") and html.xpath("//label[@for='review-claim']")
    exports = {a.get("href") for a in html.xpath("//a[@href]")}
    assert (
        "/api/v1/fact-checks.jsonld?member=tass" in exports
        and "/api/v1/fact-checks/feed?member=tass" in exports
    )
    saved = site.post(LIST, data=review_fields(csrf))
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{LIST}?done=created"
    shown = page(site.get(saved.headers["location"]).text)
    assert text_of(by_class(shown, "form-notice")[0]) == catalog("en")["desk.notice.created"]
    [item] = by_class(shown, "desk-factcheck")
    assert text_of(by_class(item, "factcheck-rating")[0]) == "Ложь"
    published = site.get("/api/v1/fact-checks").json()["fact_checks"]
    assert [(f["url"], f["member"], f["rating"]) for f in published] == [(REVIEW_URL, "tass", "Ложь")]
    assert published[0]["reviewer"]["name"] == "ТАСС Проверка"
    # A reader of the public page pastes a Persian text stating the claim, without logging in.
    site.cookies.clear()
    token = csrf_of(site.get("/en/verify").text)
    answer = site.post("/en/verify", data={"csrf_token": token, "text": first_sentence(flores(8)["fa"])})
    assert answer.status_code == 200, answer.text
    [check] = by_class(page(answer.text), "verify-factcheck")
    assert text_of(by_class(check, "factcheck-rating")[0]) == "Ложь"
    assert by_class(check, "factcheck-link", "a")[0].get("href") == REVIEW_URL
    assert "ТАСС Проверка" in text_of(by_class(check, "factcheck-reviewer")[0])


def test_edit_keeps_the_url_and_delete_removes(site: TestClient, hub: Hub, tass: MemberInfo) -> None:
    csrf = log_in(site, hub, "tass", "mariam")
    assert site.post(LIST, data=review_fields(csrf)).status_code == 303
    [review] = site.get("/api/v1/fact-checks").json()["fact_checks"]
    edit = site.get(f"{LIST}/{review['id']}/edit")
    assert edit.status_code == 200
    form = page(edit.text)
    assert form.xpath("//input[@id='review-url']")[0].get("readonly") is not None
    assert form.xpath("//input[@id='review-rating']")[0].get("value") == "Ложь"
    changed = review_fields(csrf, rating="Неправда", url="https://elsewhere.example/x")
    saved = site.post(f"{LIST}/{review['id']}", data=changed)
    assert saved.status_code == 303 and saved.headers["location"] == f"{LIST}?done=updated"
    [updated] = site.get("/api/v1/fact-checks").json()["fact_checks"]
    assert (updated["id"], updated["url"], updated["rating"]) == (review["id"], REVIEW_URL, "Неправда")
    assert site.post(f"{LIST}/{review['id']}/delete", data={"csrf_token": "wrong"}).status_code == 403
    deleted = site.post(f"{LIST}/{review['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{LIST}?done=deleted"
    assert site.get("/api/v1/fact-checks").json()["fact_checks"] == []
    assert site.get(f"{LIST}/{review['id']}/edit").status_code == 404


def test_another_members_review_is_not_found_to_the_desk(
    site: TestClient, hub: Hub, tass: MemberInfo, member: MemberInfo
) -> None:
    csrf = log_in(site, hub, "tass", "mariam")
    assert site.post(LIST, data=review_fields(csrf)).status_code == 303
    [review] = site.get("/api/v1/fact-checks").json()["fact_checks"]
    other = log_in(site, hub, "irna", "leila")
    assert site.get(f"{LIST}/{review['id']}/edit").status_code == 404
    assert site.post(f"{LIST}/{review['id']}/delete", data={"csrf_token": other}).status_code == 404
    taken = site.post(LIST, data=review_fields(other))
    assert taken.status_code == 422
    assert catalog("en")["desk.error.owned"] in text_of(by_class(page(taken.text), "form-errors")[0])
    assert len(site.get("/api/v1/fact-checks").json()["fact_checks"]) == 1


def test_errors_are_explained_and_the_typing_kept(site: TestClient, hub: Hub, tass: MemberInfo) -> None:
    csrf = log_in(site, hub, "tass", "mariam")
    answer = site.post("/ru/newsroom/desk/factchecks", data=review_fields(csrf, claim=" ", url="ftp://x"))
    assert answer.status_code == 422
    html = page(answer.text)
    errors = text_of(by_class(html, "form-errors")[0])
    assert catalog("ru")["desk.error.claim"] in errors and catalog("ru")["desk.error.url"] in errors
    assert html.xpath("//input[@id='review-url']")[0].get("value") == "ftp://x"
    assert html.xpath("//input[@id='review-url']")[0].get("aria-invalid") == "true"
    assert html.xpath("//input[@id='review-rating']")[0].get("value") == "Ложь"
    assert site.post(LIST, data=review_fields("not-the-token")).status_code == 403
    assert site.get("/api/v1/fact-checks").json()["fact_checks"] == []


def test_import_a_claimreview_file(site: TestClient, hub: Hub, member: MemberInfo) -> None:
    csrf = log_in(site, hub, "irna", "leila")
    data = (CLAIMREVIEWS / "list_of_reviews.json").read_bytes()
    files = {"file": ("reviews.json", data, "application/ld+json")}
    done = site.post(f"{LIST}/import", data={"csrf_token": csrf}, files=files)
    assert done.status_code == 303 and done.headers["location"] == f"{LIST}?done=imported&count=2"
    shown = page(site.get(done.headers["location"]).text)
    assert len(by_class(shown, "desk-factcheck")) == 2
    assert "2" in text_of(by_class(shown, "form-notice")[0])
    bad = site.post(
        f"{LIST}/import", data={"csrf_token": csrf}, files={"file": ("x.json", b"{}", "application/json")}
    )
    assert bad.status_code == 422
    assert catalog("en")["desk.error.import"] in text_of(by_class(page(bad.text), "form-errors")[0])


def test_a_readers_account_reads_but_does_not_write(site: TestClient, hub: Hub, member: MemberInfo) -> None:
    csrf = log_in(site, hub, "irna", "reza", Role.READER)
    listing = page(site.get(LIST).text)
    assert not listing.xpath("//form[contains(@class, 'desk-author-form')]")
    assert site.post(LIST, data=review_fields(csrf, url="https://irna.ir/f/1")).status_code == 403


def test_the_desk_checks_texts_in_the_readers_language(
    site: TestClient, hub: Hub, member: MemberInfo
) -> None:
    csrf = log_in(site, hub, "irna", "leila")
    form = page(site.get("/ar/newsroom/desk").text)
    assert form.get("dir") == "rtl" and form.xpath("//textarea[@id='verify-text']")
    answer = site.post("/ar/newsroom/desk", data={"csrf_token": csrf, "text": flores(11)["en"]})
    assert answer.status_code == 200, answer.text
    verdict = by_class(page(answer.text), "verify-verdict")[0]
    assert text_of(verdict) == catalog("ar")["verify.verdict.unknown"]
    twin = site.post("/ar/newsroom/desk.json", data={"csrf_token": csrf, "text": flores(11)["en"]})
    assert twin.json()["result"]["verdict"] == "unknown" and twin.json()["user"]["member"] == "irna"
    assert site.post("/ar/newsroom/desk", data={"csrf_token": "x", "text": "y"}).status_code == 403
