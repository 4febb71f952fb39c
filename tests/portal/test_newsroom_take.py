"""Take/republish from the newsroom: the original untouched, the attribution line in the user's
language, the take recorded in the usage ledger as the API records it; readers cannot take."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from newsroom_support import add_account, add_members, form_csrf, log_in, page, push

from tabadol.deliver.attribution import attribution_line
from tabadol.hub import OPERATOR, Hub
from tabadol.types import Role
from tabadol.web.portal.catalog import catalog

BODY = "Паромное сообщение между Актау и Баку откроется в декабре.\n\nПервый рейс назначен на 10 декабря."


@pytest.fixture
def tass_item(hub: Hub) -> str:
    add_members(hub)
    return push(hub, "tass", "urn:tass:ferry", "Новая паромная линия", "ru", body=BODY, urgency=3)


def take_form(site: TestClient, path: str) -> tuple[str, str]:
    html = page(site.get(path))
    form = html.xpath("//form[@class='take-form']")[0]
    return form.get("action"), str(form.xpath(".//input[@name='csrf_token']/@value")[0])


@pytest.mark.parametrize(("lang", "source_name"), [("fa", "تاس"), ("en", "TASS")])
def test_an_editor_takes_an_item_with_the_attribution_in_their_language(
    site: TestClient, hub: Hub, tass_item: str, lang: str, source_name: str
) -> None:
    add_account(hub, "leila")
    assert log_in(site, "leila", lang=lang).status_code == 303
    path = f"/{lang}/newsroom/item/{tass_item}"
    html = page(site.get(path))
    assert html.get("lang") == lang
    # The original text, untouched, in its own language and direction.
    body = html.xpath("//div[contains(@class,'take-body')]")[0]
    assert body.get("lang") == "ru" and body.get("dir") == "auto"
    assert [p.text for p in body.xpath("./p")] == BODY.split("\n\n")
    assert html.xpath("//textarea[@id='original-text']")[0].text.strip().endswith(BODY)
    expected = attribution_line(hub.get_member("tass"), "ru", lang, True)
    assert source_name in expected
    line = html.xpath("//input[@id='attribution-line']")[0]
    assert line.get("value") == expected and line.get("lang") == lang and line.get("readonly") is not None
    assert line.get("dir") == ("rtl" if lang == "fa" else "ltr")
    assert html.xpath("//label[@for='attribution-line']") and html.xpath("//label[@for='take-language']")
    twin = site.get(f"{path}.json").json()
    assert twin["attribution"] == expected and twin["item"]["body_text"] == BODY and twin["take"] is None

    action, csrf = take_form(site, path)
    answer = site.post(action, data={"csrf_token": csrf, "language": lang})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/{lang}/newsroom/item/{tass_item}?taken={lang}#take"

    takes = hub.storage.list_takes("irna")
    assert len(takes) == 1
    recorded = takes[0]
    assert (recorded.item_id, recorded.item_version, recorded.source_member, recorded.taker_member) == (
        tass_item, 1, "tass", "irna",
    )  # fmt: skip
    assert recorded.reader_language == lang and recorded.item_language == "ru" and recorded.translated
    assert recorded.key_id == "web:leila"
    audit = [entry for entry in hub.storage.list_audit() if entry.action == "item.take"]
    assert audit[0].actor_key_id == "web:leila" and audit[0].target == tass_item
    assert audit[0].detail == {"version": 1, "taker": "irna", "language": lang}

    after = page(site.get(answer.headers["location"].split("#")[0]))
    assert after.xpath("string(//p[@class='take-confirmation'])") == catalog(lang)["newsroom.item.taken_now"]
    assert after.xpath("//input[@id='attribution-line']/@value") == [expected]
    assert after.xpath("//p[@class='take-record']")


def test_the_attribution_follows_the_chosen_republication_language(
    site: TestClient, hub: Hub, tass_item: str
) -> None:
    add_account(hub, "leila")
    log_in(site, "leila", lang="fa")
    action, csrf = take_form(site, f"/fa/newsroom/item/{tass_item}")
    answer = site.post(action, data={"csrf_token": csrf, "language": "en"})
    html = page(site.get(answer.headers["location"].split("#")[0]))
    english = attribution_line(hub.get_member("tass"), "ru", "en", True)
    assert html.xpath("//input[@id='attribution-line']/@value") == [english]
    assert hub.storage.list_takes("irna")[0].reader_language == "en"


def test_a_take_without_the_csrf_token_is_refused(site: TestClient, hub: Hub, tass_item: str) -> None:
    add_account(hub, "leila")
    log_in(site, "leila")
    assert site.post(f"/en/newsroom/item/{tass_item}/take", data={"language": "en"}).status_code == 403
    assert (
        site.post(
            f"/en/newsroom/item/{tass_item}/take", data={"csrf_token": "forged", "language": "en"}
        ).status_code
        == 403
    )
    assert hub.storage.list_takes("irna") == []


def test_a_reader_sees_the_item_but_cannot_take_it(site: TestClient, hub: Hub, tass_item: str) -> None:
    add_account(hub, "reza", Role.READER)
    assert log_in(site, "reza").status_code == 303
    html = page(site.get(f"/en/newsroom/item/{tass_item}"))
    assert not html.xpath("//form[@class='take-form']")
    assert html.xpath("string(//p[@class='take-reader-only'])") == catalog("en")["newsroom.item.reader_only"]
    assert html.xpath("//input[@id='attribution-line']")  # reading and copying is allowed
    csrf = form_csrf(site, "/en/newsroom/wire")  # the session's token, from the logout form
    refused = site.post(f"/en/newsroom/item/{tass_item}/take", data={"csrf_token": csrf, "language": "en"})
    assert refused.status_code == 403
    assert hub.storage.list_takes("irna") == []


def test_killed_and_own_items_cannot_be_taken(site: TestClient, hub: Hub, tass_item: str) -> None:
    add_account(hub, "leila")
    log_in(site, "leila")
    own = push(hub, "irna", "urn:irna:1", "خبر ایرنا", "fa")
    csrf = form_csrf(site, "/en/newsroom/wire")
    assert not page(site.get(f"/en/newsroom/item/{own}")).xpath("//form[@class='take-form']")
    assert site.post(f"/en/newsroom/item/{own}/take", data={"csrf_token": csrf}).status_code == 403

    hub.kill_item(tass_item, OPERATOR, "wrong date")
    killed = page(site.get(f"/en/newsroom/item/{tass_item}"))
    assert killed.xpath("//p[@class='kill-warning']") and not killed.xpath("//form[@class='take-form']")
    assert site.post(f"/en/newsroom/item/{tass_item}/take", data={"csrf_token": csrf}).status_code == 403
    assert hub.storage.list_takes("irna") == []


def test_the_verbatim_original_downloads_untouched(site: TestClient, hub: Hub, tass_item: str) -> None:
    add_account(hub, "leila")
    log_in(site, "leila")
    item = hub.readable_item(tass_item)
    stored = hub.storage.get_original(item.original_sha256)
    assert stored is not None
    html = page(site.get(f"/en/newsroom/item/{tass_item}"))
    assert html.xpath("string(//code[@class='original-sha256'])") == item.original_sha256
    download = site.get(html.xpath("//a[@class='original-download']/@href")[0])
    assert download.status_code == 200 and download.content == stored.data
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/octet-stream"


def test_the_item_page_needs_a_login(site: TestClient, tass_item: str) -> None:
    for path in (f"/en/newsroom/item/{tass_item}", f"/en/newsroom/item/{tass_item}/original"):
        assert site.get(path).status_code == 303
    assert site.get(f"/en/newsroom/item/{tass_item}.json").status_code == 303
