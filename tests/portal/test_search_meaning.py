"""The search query's meaning part (pages/search_data): found on another thread while the words are
matched, with the same answer as alone and its errors reaching the caller; a neighbour the words
matched already is not read again."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from search_support import cross_lingual_corpus, flores, split

from tabadol.hub import Hub
from tabadol.types import utc_now
from tabadol.web.portal.languages import LANGUAGES
from tabadol.web.portal.pages import search_data
from tabadol.web.portal.pages.search_data import SearchForm, search


@pytest.fixture
def corpus(hub: Hub) -> dict[str, str]:
    """FLORES article 0 in Persian, Russian and Azerbaijani, article 1 in English. Enriched."""
    return cross_lingual_corpus(hub)


def run(hub: Hub, q: str, mode: str = "both") -> search_data.SearchOutcome:
    return search(hub, SearchForm(q=q, mode=mode), LANGUAGES["en"], utc_now(), hub.storage.list_members())


def test_a_neighbour_the_words_matched_is_not_read_again(
    hub: Hub, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    headline, _ = split(flores(0)["fa"])
    asked: list[Sequence[str] | None] = []
    real = hub.storage.match_heads

    def spy(query: Any, terms: Sequence[str], limit: int, ids: Sequence[str] | None = None) -> Any:
        asked.append(ids)
        return real(query, terms, limit, ids)

    monkeypatch.setattr(hub.storage, "match_heads", spy)
    outcome = run(hub, headline)
    by_id = {hit.item_id: hit for hit in outcome.hits}
    assert by_id[corpus["fa"]].by_words and by_id[corpus["fa"]].by_meaning
    assert by_id[corpus["ru"]].by_meaning and not by_id[corpus["ru"]].by_words
    [words, checked] = asked
    assert words is None and checked is not None
    assert corpus["ru"] in checked and corpus["fa"] not in checked  # the Persian item: by its words
    asked.clear()
    meaning = run(hub, headline, "meaning")  # no word match: every neighbour is checked
    assert asked and corpus["fa"] in (asked[0] or ())
    assert {hit.item_id for hit in meaning.hits} >= {corpus["fa"], corpus["ru"], corpus["az"]}


def test_searches_at_once_answer_as_one_alone(hub: Hub, corpus: dict[str, str]) -> None:
    queries = [split(flores(0)[lang])[0] for lang in ("fa", "ru", "az", "en")] + [split(flores(1)["en"])[0]]
    alone = [run(hub, q) for q in queries]
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        together = list(pool.map(lambda q: run(hub, q), queries))
    assert together == alone
    assert all(outcome.hits for outcome in alone)


def test_a_failure_finding_the_meaning_reaches_the_caller(
    hub: Hub, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    callers: list[threading.Thread] = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        callers.append(threading.current_thread())
        raise RuntimeError("vector index unavailable")

    monkeypatch.setattr(hub.storage, "neighbours", broken)
    with pytest.raises(RuntimeError, match="vector index unavailable"):
        run(hub, "ferry")
    assert callers and callers[0] is not threading.current_thread()  # found beside the word match
    assert run(hub, "ferry", "words").total == 0  # the words alone never ask for it
    assert len(callers) == 1
