"""Prior language centroids of the embedding model, shipped with the project.

Story matching centres each vector on its language's centroid (stories.Background): the model puts
every text of a language near a common point, and that shared part says nothing about the story. A hub
learns the centroids from its own items, but its first items of a language would otherwise be centred on
themselves (a lone vector minus itself is nothing). So the background starts from prior centroids, the
mean embedding of ordinary sentences in each language, worth `PRIOR_WEIGHT` items, which the hub's own
items soon outweigh.

Regenerate (needs the SIB-200 train files; a few minutes of embedding):

    .venv/bin/python -m tabadol.index.centroids --sib200 DIR

SIB-200 (Adelani et al., 2024; annotations Apache-2.0 over FLORES-200 sentences, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from tabadol.enrich.embed import E5Embedder, default_embedder

DATA = Path(__file__).resolve().parent / "data" / "language_centroids.json"
PRIOR_WEIGHT = 50.0  # the prior centroid counts as this many items of its language
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")


@lru_cache(maxsize=1)
def prior_centroids() -> Mapping[str, np.ndarray]:
    """Language tag -> mean (L2-normalised) embedding of that language's sentences, for the model the
    file was made with; empty if the file is for another model."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    if raw.get("model") != E5Embedder.model_id:
        return {}
    return {language: np.asarray(values, dtype=np.float64) for language, values in raw["centroids"].items()}


def centroids_from(vectors_by_language: Mapping[str, np.ndarray]) -> dict[str, list[float]]:
    return {
        language: [round(float(x), 6) for x in np.asarray(vectors, dtype=np.float64).mean(axis=0)]
        for language, vectors in sorted(vectors_by_language.items())
    }


def _sentences(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t")]


def main() -> None:
    parser = argparse.ArgumentParser(description="Compute the prior language centroids from SIB-200 train.")
    parser.add_argument("--sib200", type=Path, required=True)
    args = parser.parse_args()
    embedder = default_embedder()
    vectors = {
        language: embedder.embed_passages(_sentences(args.sib200 / f"{language}.train.tsv"))
        for language in LANGUAGES
    }
    DATA.write_text(
        json.dumps(
            {"model": embedder.model_id, "source": "SIB-200 train", "centroids": centroids_from(vectors)}
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
