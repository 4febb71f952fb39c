"""A search query's vector (enrich.embed.query_vector): the model's own, remembered per prepared text
and never changeable by a caller."""

from __future__ import annotations

import numpy as np
import pytest

from tabadol.enrich import embed


def test_the_vector_is_embed_queries_own_and_is_remembered() -> None:
    embed._prepared_query_vector.cache_clear()
    text = "خبرگزاري ايرنا"  # Arabic yeh and kaf: prepared to the Persian letters first
    vector = embed.query_vector(text)
    expected = embed.default_embedder().embed_queries([text])[0]
    assert vector.dtype == np.float32 and vector.shape == (embed.default_embedder().dim,)
    assert np.array_equal(vector, expected)
    assert embed.query_vector(text) is vector  # asked again: not embedded again
    assert embed.query_vector("خبرگزاری ایرنا") is vector  # the same prepared text
    info = embed._prepared_query_vector.cache_info()
    assert (info.hits, info.misses) == (2, 1)
    other = embed.query_vector("Ferry across the Caspian")
    assert not np.array_equal(other, vector)


def test_nobody_can_change_a_remembered_vector() -> None:
    vector = embed.query_vector("Caspian ferry")
    with pytest.raises(ValueError):
        vector[0] = 1.0
