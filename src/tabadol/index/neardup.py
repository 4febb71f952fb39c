"""Near-duplicates: is an item a copy, or a light edit, of an earlier item in the same language?

Members republish each other's dispatches: word for word, with a line of their own added, with the tail
cut to fit, with a word or a figure changed. Such an item is linked to its source with the similarity.

The fingerprint is the set of the text's word 3-shingles (three consecutive words of the search form
of the text, `normalize_for_search`, so spelling variants of Persian/Arabic letters, digits, case and
invisible marks do not count as edits), each hashed to 32 bits, sorted, and stored as bytes. A long text
keeps its `MAX_SHINGLES` smallest hashes (a bottom-k sample: two texts' samples are comparable because
both keep the hashes below the same cut-off, see `_comparable`). 32-bit hashes collide about once in
four billion pairs, far below what a news archive's texts in one language need.

Similarity is containment: the share of the smaller text's shingles found in the larger one. A copy
with a line added, or with its tail cut, stays near 1.0 where Jaccard similarity would drop with every
sentence added. A changed word breaks the three shingles that contain it, so one edit every 15 words
still leaves about 80%.

The threshold, `COPY_THRESHOLD` = 0.7: unrelated articles on one story share quotes and set phrases,
but their 3-shingle containment stays far below 0.5; a republication with a few words changed per
sentence (a different dateline, "said" for "stated") stays above 0.7. Containment alone would make a
one-paragraph brief a "copy" of every long article that quotes it, so the smaller text must also be at
least `MIN_SIZE_RATIO` of the larger (a cut tail that keeps a third of the text is still a copy), and
texts of fewer than `MIN_SHINGLES` shingles (a bare headline) are compared by Jaccard similarity: a short
text is a copy only if it is (nearly) the same text.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from tabadol.enrich.normalize import normalize_for_search

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SHINGLE_WORDS = 3
MAX_SHINGLES = 2048
MIN_SHINGLES = 8
COPY_THRESHOLD = 0.7
MIN_SIZE_RATIO = 1 / 3

_HEADER = struct.Struct(">BB")  # format version, shingle size
_WORD = re.compile(r"\w+")


def shingle_hashes(text: str) -> list[int]:
    """Sorted, unique 32-bit hashes of the word 3-shingles of the search form of `text` (a text of
    fewer than three words gives one shingle of all its words)."""
    words = _WORD.findall(normalize_for_search(text))
    if not words:
        return []
    width = min(SHINGLE_WORDS, len(words))
    shingles = {" ".join(words[i : i + width]) for i in range(len(words) - width + 1)}
    return sorted({_hash32(shingle) for shingle in shingles})


def _hash32(shingle: str) -> int:
    # blake2b, not hash(): fingerprints are stored, so the hash must not change between processes.
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=4).digest(), "big")


def fingerprint(text: str) -> bytes:
    """The stored form: a two-byte header (format version, shingle size), then the sorted hashes as
    big-endian uint32, at most `MAX_SHINGLES` of them (the smallest)."""
    hashes = shingle_hashes(text)[:MAX_SHINGLES]
    return _HEADER.pack(FORMAT_VERSION, SHINGLE_WORDS) + struct.pack(f">{len(hashes)}I", *hashes)


@dataclass(frozen=True, slots=True)
class _Sketch:
    hashes: tuple[int, ...]

    @property
    def truncated(self) -> bool:
        return len(self.hashes) >= MAX_SHINGLES


def _read(fp: bytes) -> _Sketch | None:
    """The hashes of a fingerprint, or None for one of another format (never compared: a stored
    fingerprint made by another version of this module simply does not match until rebuilt)."""
    if len(fp) < _HEADER.size or (len(fp) - _HEADER.size) % 4:
        return None
    version, width = _HEADER.unpack_from(fp)
    if version != FORMAT_VERSION or width != SHINGLE_WORDS:
        return None
    count = (len(fp) - _HEADER.size) // 4
    return _Sketch(struct.unpack_from(f">{count}I", fp, _HEADER.size))


def _comparable(a: _Sketch, b: _Sketch) -> tuple[set[int], set[int]]:
    """Both samples cut at the same hash value, so that they sample the same part of the hash space."""
    cut = min(
        a.hashes[-1] if a.truncated else 2**32,
        b.hashes[-1] if b.truncated else 2**32,
    )
    return {h for h in a.hashes if h <= cut}, {h for h in b.hashes if h <= cut}


def similarity(a: bytes, b: bytes) -> float:
    """How much of one text is in the other, 0..1 (see the module doc); 0.0 if either fingerprint is
    empty or of another format."""
    first, second = _read(a), _read(b)
    if first is None or second is None:
        log.warning("near-duplicate fingerprint of an unknown format: not compared")
        return 0.0
    left, right = _comparable(first, second)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    smaller, larger = sorted((len(left), len(right)))
    if smaller < MIN_SHINGLES or smaller < MIN_SIZE_RATIO * larger:
        return shared / (len(left) + len(right) - shared)
    return shared / smaller


def find_source(fp: bytes, candidates: Iterable[tuple[str, bytes]]) -> tuple[str, float] | None:
    """The earlier item `fp` copies or lightly edits, with the similarity; None if none reaches
    `COPY_THRESHOLD`.

    `candidates` are (item id, fingerprint) of earlier items in the same language, oldest first: of
    equally similar sources the oldest wins, so a chain of republications points at the original.
    """
    best: tuple[str, float] | None = None
    for item_id, candidate in candidates:
        score = similarity(fp, candidate)
        if score >= COPY_THRESHOLD and (best is None or score > best[1]):
            best = (item_id, score)
    return best
