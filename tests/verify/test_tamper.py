"""The tamper check against a real store with enriched items (both backends): a quote is verbatim, a
changed number or a hidden look-alike letter is altered (with the evidence), another language's version
is a translation, an unrelated text is unknown, and embargoed or killed items are never cited."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import tabadol.demo
from tabadol.enrich.components import EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.errors import TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.serialize import format_datetime
from tabadol.types import utc_now
from tabadol.verify.tamper import answer_json, check_text

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"


def article(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if index == number:
                return dict(json.loads(line)["text"])
    raise AssertionError(number)


def push(hub: Hub, member: str, guid: str, text: str, language: str, **extra: object) -> str:
    headline, _, body = text.partition(". ")
    document = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body or headline}],
        **extra,
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


def enrich(hub: Hub) -> None:
    pipeline = Pipeline((LanguageComponent(), NormalizeComponent(), EmbedComponent(default_embedder())))
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()


@pytest.fixture
def stored(hub: Hub) -> dict[str, str]:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru", "en"])
    ids = {
        "fa3": push(hub, "irna", "urn:irna:3", article(3)["fa"], "fa"),
        "en3": push(hub, "tass", "urn:tass:3", article(3)["en"], "en"),
        "en5": push(hub, "tass", "urn:tass:5", article(5)["en"], "en"),
        "ru7": push(hub, "tass", "urn:tass:7", article(7)["ru"], "ru"),
    }
    enrich(hub)
    return ids


def test_a_quote_is_verbatim_and_names_its_item(hub: Hub, stored: dict[str, str]) -> None:
    text = article(5)["en"]
    quote = text.split(". ", 2)[1]  # a sentence from inside the body
    answer = check_text(hub, quote)
    assert (answer.verdict, answer.item and answer.item.id) == ("verbatim", stored["en5"])
    assert answer.comparison is not None and answer.comparison.excerpt
    # Spacing, case and digit scripts do not make a text altered.
    assert check_text(hub, "  " + quote.upper().replace(" ", "\n ") + " ").verdict == "verbatim"


def test_a_changed_number_or_a_hidden_letter_is_altered_with_its_evidence(
    hub: Hub, stored: dict[str, str]
) -> None:
    text = article(3)["fa"]
    digits = [char for char in text if char.isdigit()]
    assert digits, "the article needs a number for this test"
    changed = text.replace(digits[0], "9" if digits[0] != "9" else "8", 1)
    answer = answer_json(check_text(hub, changed, "fa"))
    assert answer["verdict"] == "altered" and answer["item"]["id"] == stored["fa3"]
    assert "number" in answer["diff"]["flags"]
    english = article(5)["en"]
    word = next(w for w in english.split() if "a" in w and w.isalpha() and len(w) > 4)
    spoofed = english.replace(word, word.replace("a", "\u0430", 1), 1)  # Cyrillic а
    answer = answer_json(check_text(hub, spoofed))
    assert answer["verdict"] == "altered" and answer["item"]["id"] == stored["en5"]
    assert "confusable" in answer["diff"]["flags"]


def test_another_languages_version_is_a_translation(hub: Hub, stored: dict[str, str]) -> None:
    answer = check_text(hub, article(7)["en"])  # only the Russian version is stored
    assert (answer.verdict, answer.item and answer.item.id) == ("translation", stored["ru7"])
    assert answer.score > 0


def test_an_unrelated_text_is_unknown(hub: Hub, stored: dict[str, str]) -> None:
    assert check_text(hub, article(11)["en"]).verdict == "unknown"
    with pytest.raises(TabadolError):
        check_text(hub, "   ")


def test_embargoed_and_killed_items_are_never_cited(hub: Hub, stored: dict[str, str]) -> None:
    later = format_datetime(utc_now() + timedelta(hours=1))
    secret = article(13)["en"]
    push(hub, "tass", "urn:tass:13", secret, "en", embargoed=later)
    killed = push(hub, "tass", "urn:tass:17", article(17)["en"], "en")
    enrich(hub)
    hub.kill_item(killed, OPERATOR, "withdrawn")
    assert check_text(hub, secret).item is None
    answer = check_text(hub, article(17)["en"])
    assert answer.item is None or answer.item.id != killed
