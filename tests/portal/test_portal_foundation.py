"""The portal's foundation: languages and their strings, the language choice at `/`, error pages in
the reader's language and direction, security headers, and the sanitising of agency HTML."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tabadol.web.portal.catalog import catalog, missing_keys, placeholders
from tabadol.web.portal.languages import LANGUAGES, negotiate
from tabadol.web.portal.security import sanitise_html


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_language_has_every_string_with_the_same_placeholders(code: str) -> None:
    assert missing_keys(code) == []
    english = catalog("en")
    for key, text in catalog(code).items():
        assert key in english, f"{code}: {key} is not in English"
        assert placeholders(text) == placeholders(english[key]), f"{code}: {key}"
        assert text.strip(), f"{code}: {key} is empty"


def test_accept_language_and_the_remembered_choice() -> None:
    assert negotiate("fa-IR,fa;q=0.9,en;q=0.8") == "fa"
    assert negotiate("de-DE, ru;q=0.7, en;q=0.9") == "en"
    assert negotiate("az-Latn-AZ") == "az"
    assert negotiate("de, fr") == "en"
    assert negotiate("en;q=0, kk;q=0.1") == "kk"
    assert negotiate(None) == "en"
    assert negotiate("en", remembered="ar") == "ar"
    assert negotiate("ru", remembered="xx") == "ru"


def test_root_redirects_to_the_readers_language(site: TestClient) -> None:
    chosen = site.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/ru/"
    assert "Accept-Language" in chosen.headers["vary"]
    site.cookies.set("tabadol_lang", "fa")
    remembered = site.get("/", headers={"Accept-Language": "ru"})
    assert remembered.headers["location"] == "/fa/"


@pytest.mark.parametrize(("code", "direction"), [("fa", "rtl"), ("ar", "rtl"), ("kk", "ltr"), ("en", "ltr")])
def test_error_pages_speak_the_readers_language(site: TestClient, code: str, direction: str) -> None:
    page = site.get(f"/{code}/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert f'<html lang="{code}" dir="{direction}">' in page.text
    assert catalog(code)["error.not_found"] in page.text
    for other in LANGUAGES:  # the language switcher links the same page in every language
        assert f'href="/{other}/no-such-page"' in page.text


def test_api_errors_stay_json(site: TestClient) -> None:
    missing = site.get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    twin = site.get("/en/no-such-page.json")
    assert twin.status_code == 404 and twin.json()["error"]["code"] == "not_found"


def test_pages_carry_the_security_headers(site: TestClient) -> None:
    page = site.get("/en/no-such-page")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    css = site.get(re.search(r'href="(/static/portal\.css\?v=\w+)"', page.text).group(1))  # type: ignore[union-attr]
    assert css.status_code == 200 and "inset-inline-start" in css.text
    assert "content-security-policy" not in {h.lower() for h in site.get("/api/v1/health").headers}


def test_agency_html_is_reduced_to_the_allow_list() -> None:
    dirty = (
        '<p onclick="steal()">Text <a href="javascript:alert(1)">x</a> <a href="https://irna.ir/n/1">ok</a></p>'
        "<script>alert(1)</script><style>p{}</style><iframe src=//evil></iframe>"
        '<img src=x onerror=alert(1)><p dir="rtl" lang="fa">متن</p>'
    )
    clean = sanitise_html(dirty)
    for forbidden in ("onclick", "javascript:", "<script", "<style", "<iframe", "onerror", "<img"):
        assert forbidden not in clean
    assert '<a href="https://irna.ir/n/1" rel="noopener noreferrer nofollow">ok</a>' in clean
    assert '<p dir="rtl" lang="fa">متن</p>' in clean
