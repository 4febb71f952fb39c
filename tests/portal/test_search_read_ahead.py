"""The search query's word matches are dealt with while the meaning is still being found: their facets
are read (and counted) before the neighbours are known, and only the neighbours the words did not
match are read afterwards; the answer is the same as when the meaning came first."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from search_support import cross_lingual_corpus, flores, split

from tabadol.hub import Hub
from tabadol.types import utc_now
from tabadol.web.portal.languages import LANGUAGES
from tabadol.web.portal.pages.search_data import SearchForm, SearchOutcome, search


@pytest.fixture
def corpus(hub: Hub) -> dict[str, str]:
    """FLORES article 0 in Persian, Russian and Azerbaijani, article 1 in English. Enriched."""
    return cross_lingual_corpus(hub)


def run(hub: Hub, q: str, **filters: Any) -> SearchOutcome:
    form = SearchForm(q=q, **filters)
    return search(hub, form, LANGUAGES["en"], utc_now(), hub.storage.list_members())


@pytest.mark.parametrize("narrowed", ["nothing", "country", "members"])
def test_the_word_matches_facets_are_read_before_the_meaning_is_known(
    hub: Hub, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch, narrowed: str
) -> None:
    headline, _ = split(flores(0)["fa"])
    filters: dict[str, Any] = {"members": ("irna", "tass")} if narrowed == "members" else {}
    if narrowed == "country":  # a country the results name: the facets decide what is kept
        [countries] = [facet for facet in run(hub, headline).facets if facet.name == "country"]
        filters = {"countries": (countries.values[0].value,)}
    alone = run(hub, headline, **filters)
    read: list[tuple[str, ...]] = []
    words_read = threading.Event()
    real_facets, real_neighbours = hub.storage.item_facets, hub.storage.neighbours

    def item_facets(item_ids: Any) -> Any:
        read.append(tuple(item_ids))
        words_read.set()
        return real_facets(item_ids)

    def neighbours(*args: Any, **kwargs: Any) -> Any:
        # The neighbours are found only once the request has read the word matches' facets: a search
        # that waited for the neighbours first would never get them (and fail here).
        if not words_read.wait(timeout=20):
            raise AssertionError("the word matches' facets were not read while the meaning was found")
        return real_neighbours(*args, **kwargs)

    monkeypatch.setattr(hub.storage, "item_facets", item_facets)
    monkeypatch.setattr(hub.storage, "neighbours", neighbours)
    outcome = run(hub, headline, **filters)
    assert outcome == alone and outcome.hits
    [words, found] = read
    assert corpus["fa"] in words and corpus["ru"] not in words  # the Persian item: by its words
    assert corpus["ru"] in found and corpus["fa"] not in found  # read once, not again with the neighbours
