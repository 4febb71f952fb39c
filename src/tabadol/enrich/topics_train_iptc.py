"""Regenerate the shipped IPTC head (`topics_data/iptc_head.npz`).

    python -m tabadol.enrich.topics_train_iptc --sib200 /path/to/sib200 [--cache DIR] [--out FILE]

What it is trained from, and why that may be shipped:
- the topic labels and descriptions of `iptc_media_topics.json` in the eight languages (this
  project's text): they become the zero-shot prototypes and one example per topic and language;
- the SIB-200 train split (`<lang>.train.tsv`, columns index_id, category, text) of every language
  in the folder, with SIB's categories mapped to IPTC codes (`SIB_TO_IPTC`; "geography", which no
  IPTC topic matches, is left out). SIB-200 is Apache-2.0 over FLORES-200 sentences (CC BY-SA 4.0):
  the weights derived from them carry the attribution in `topics_data/ATTRIBUTION.md`.

Training takes a few minutes, nearly all of it embedding; `--cache` keeps the vectors between runs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tabadol.enrich.embed import Embedder, default_embedder
from tabadol.enrich.topics import SchemeTopic, TopicScheme, class_centroids
from tabadol.enrich.topics_head import FloatArray, fit_logistic
from tabadol.enrich.topics_iptc import HEAD_RESOURCE, head_npz_bytes
from tabadol.enrich.topics_taxonomy import IPTC_SCHEME, Taxonomy, iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError

SIB_TO_IPTC = {
    "entertainment": "medtop:01000000",  # arts, culture, entertainment and media
    "health": "medtop:07000000",
    "politics": "medtop:11000000",
    "science/technology": "medtop:13000000",
    "sports": "medtop:15000000",
    "travel": "medtop:20000563",  # travel and tourism
}
# The IPTC scheme leans on its prototypes more than a member's scheme does: most IPTC topics have
# only their descriptions as examples, and SIB-200's sentences are encyclopedic rather than news,
# so a head-heavy mixture pulls news about earthquakes or wind farms towards SIB's six categories
# (health, politics). 0.4 and a sharp temperature keep SIB-mapped accuracy within a few points of
# the head-heavy setting while news headlines reach the topics only the descriptions know.
IPTC_HEAD_WEIGHT = 0.4
IPTC_TEMPERATURE = 0.01
IPTC_MIN_SCORE = 0.2


def read_sib_split(path: Path) -> list[tuple[str, str]]:
    """(category, text) rows of a SIB-200 TSV file (columns index_id, category, text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["category"], row["text"]) for row in reader]


def embed_cached(embedder: Embedder, texts: Sequence[str], cache: Path | None) -> FloatArray:
    """Passage vectors of `texts`, kept in `cache` (keyed by model and texts) when one is given."""
    if cache is None:
        return np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    digest = hashlib.sha256("\x1e".join([embedder.model_id, *texts]).encode("utf-8")).hexdigest()[:24]
    path = cache / f"{digest}.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def embedded_sib_examples(
    sib_dir: Path, embedder: Embedder, cache: Path | None
) -> tuple[FloatArray, list[str], list[str]]:
    """Vectors and IPTC codes of the SIB-200 train rows whose category maps to IPTC, and the
    languages read. Each file is embedded whole (one cache entry per file, shared with the bench)."""
    files = sorted(sib_dir.glob("*.train.tsv"))
    if not files:
        raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"no *.train.tsv files in {sib_dir}")
    vectors: list[FloatArray] = []
    codes: list[str] = []
    for path in files:
        rows = read_sib_split(path)
        embedded = embed_cached(embedder, [text for _, text in rows], cache)
        keep = [i for i, (category, _) in enumerate(rows) if category in SIB_TO_IPTC]
        vectors.append(embedded[keep])
        codes.extend(SIB_TO_IPTC[rows[i][0]] for i in keep)
    return np.vstack(vectors), codes, [path.name.split(".")[0] for path in files]


def train_iptc(taxonomy: Taxonomy, sib_dir: Path, embedder: Embedder, cache: Path | None) -> TopicScheme:
    codes = list(taxonomy.codes)
    descriptions = taxonomy.description_texts()
    description_vectors = embed_cached(embedder, [text for _, text in descriptions], cache)
    description_targets = np.array([codes.index(code) for code, _ in descriptions], dtype=np.int64)
    example_vectors, example_codes, languages = embedded_sib_examples(sib_dir, embedder, cache)
    example_targets = np.array([codes.index(code) for code in example_codes], dtype=np.int64)
    head = fit_logistic(
        np.vstack([description_vectors, example_vectors]),
        np.concatenate([description_targets, example_targets]),
        len(codes),
    )
    return TopicScheme(
        name=IPTC_SCHEME,
        topics=tuple(SchemeTopic(t.code, t.label, t.parent) for t in taxonomy.topics),
        prototypes=class_centroids(description_vectors, description_targets, len(codes)),
        head=head,
        model_id=embedder.model_id,
        head_weight=IPTC_HEAD_WEIGHT,
        temperature=IPTC_TEMPERATURE,
        min_score=IPTC_MIN_SCORE,
        metadata={
            "descriptions": len(descriptions),
            "sib200_examples": len(example_codes),
            "sib200_languages": languages,
        },
    )


def main(argv: Sequence[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--sib200", type=Path, required=True, help="folder with <lang>.train.tsv files")
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep embeddings in")
    default_out = Path(__file__).with_name("topics_data") / HEAD_RESOURCE
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args(argv)
    taxonomy = iptc_taxonomy()
    scheme = train_iptc(taxonomy, args.sib200, default_embedder(), args.cache)
    args.out.write_bytes(head_npz_bytes(scheme, taxonomy))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), scheme version {scheme.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
