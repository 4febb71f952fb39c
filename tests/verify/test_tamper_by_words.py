"""The tamper check answers from the word search alone when it finds the source (the text is not
embedded), also when the text's runs are shared by more items than one look-up returns; the embedding
is still asked for when the words find no source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

import numpy as np

from tabadol.enrich.embed import Embedder
from tabadol.hub import Hub
from tabadol.serialize import format_datetime
from tabadol.types import utc_now
from tabadol.verify.tamper import HITS_PER_RUN, check_text

SHARED = "Паромная линия между портами Актау и Баку откроется весной следующего года."
OWN = "Перевозчик обещает ежедневные рейсы круглый год и новые паромы для грузовиков."
SENTENCES = (
    "Правительство утвердило программу строительства дорог в западных областях.",
    "Министерство финансов сообщило о росте поступлений налогов в первом квартале.",
    "Синоптики предупредили о сильном ветре и снегопадах в горных районах республики.",
    "Национальный музей открыл выставку древних рукописей из частных коллекций.",
)


class CountingEmbedder:
    """An embedder that only counts its calls (the word search must not need it)."""

    model_id = "counting"
    dim = 384

    def __init__(self) -> None:
        self.calls = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.full((len(texts), self.dim), 1.0 / np.sqrt(self.dim), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


def push(hub: Hub, guid: str, headline: str, body: str, minutes_ago: int) -> str:
    document = {
        "uri": guid,
        "type": "text",
        "language": "ru",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "versioncreated": format_datetime(utc_now() - timedelta(minutes=minutes_ago)),
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    return hub.ingest_payload("tass", data, "application/ninjs+json", via="test").outcomes[0].item_id


def check(hub: Hub, text: str, embedder: CountingEmbedder) -> tuple[str, str | None]:
    answer = check_text(hub, text, "ru", embedder=cast(Embedder, embedder))
    return answer.verdict, answer.item.id if answer.item is not None else None


def test_a_source_found_by_its_words_answers_without_the_embedding(hub: Hub) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    source = push(hub, "urn:tass:1", "Паром", f"{SHARED} {OWN}", 10)
    embedder = CountingEmbedder()
    assert check(hub, OWN, embedder) == ("verbatim", source)
    assert check(hub, OWN.replace("ежедневные", "еженедельные"), embedder) == ("altered", source)
    assert embedder.calls == 0


def test_a_text_whose_runs_many_items_share_is_found_whole(hub: Hub) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    text = " ".join(SENTENCES)
    source = push(hub, "urn:tass:source", "Обзор", text, 500)  # the oldest item
    # Newer items, each with two neighbouring sentences of it: every run of the text (across a
    # sentence end too) is in more items than one look-up returns, and none holds most of the text.
    pairs = [f"{first} {second}" for first, second in zip(SENTENCES, SENTENCES[1:], strict=False)]
    for number, pair in enumerate(pairs * (HITS_PER_RUN + 1)):
        push(hub, f"urn:tass:{number}", f"Заметка {number}", f"{pair} {OWN}", number)
    embedder = CountingEmbedder()
    assert check(hub, text, embedder) == ("verbatim", source)
    assert embedder.calls == 0


def test_the_embedding_is_asked_for_when_the_words_find_no_source(hub: Hub) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    push(hub, "urn:tass:1", "Паром", f"{SHARED} {OWN}", 10)
    embedder = CountingEmbedder()
    assert check(hub, SENTENCES[0], embedder) == ("unknown", None)
    assert embedder.calls == 1
