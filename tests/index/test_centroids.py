"""The shipped prior language centroids: for the model in use, every hub language, and they make a
lone first item of a language centre on its language rather than on itself."""

from __future__ import annotations

import numpy as np

from tabadol.enrich.embed import default_embedder
from tabadol.index.centroids import LANGUAGES, PRIOR_WEIGHT, prior_centroids
from tabadol.index.stories import Background


def test_every_language_has_a_prior_centroid() -> None:
    centroids = prior_centroids()
    assert set(centroids) == set(LANGUAGES)
    for centroid in centroids.values():
        assert centroid.shape == (384,)
        assert 0.5 < float(np.linalg.norm(centroid)) < 1.0  # a mean of unit vectors sharing a direction


def test_a_first_item_is_centred_on_its_language_not_on_itself() -> None:
    background = Background.with_prior_centroids()
    assert background.centroid_counts["tk"] == PRIOR_WEIGHT
    turkmen, english, other = default_embedder().embed_passages(
        [
            "Türkmenistanyň Prezidenti Aşgabatda halkara maslahata gatnaşdy.",
            "The President of Turkmenistan attended an international conference in Ashgabat.",
            "Heavy snow closed the mountain roads in the north of the country.",
        ]
    )
    background.observe_vector("tk", turkmen)
    centred_tk = background.centre(turkmen[None, :], "tk")[0]
    assert float(np.linalg.norm(centred_tk)) > 0.99  # not a vector minus itself
    same = float(centred_tk @ background.centre(english[None, :], "en")[0])
    different = float(centred_tk @ background.centre(other[None, :], "en")[0])
    assert same > different
