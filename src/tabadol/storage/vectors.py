"""An in-process nearest-neighbour index over `item_vectors`, for SQLite.

SQLite has no vector type here (the Python build cannot load extensions such as sqlite-vec), so each
process keeps the vectors in one float32 matrix and answers exact cosine queries with a matrix-vector
product: at 100,000 items × 384 dimensions that is 150 MB and a few milliseconds per query, exact
rather than approximate. PostgreSQL uses pgvector instead (storage/index.py `nearest_pg`).

The index catches up with other processes by reading rows whose `seq` is above the last one it saw
(every write of an entry gets a new seq). Deletions (a killed item) leave no row to read, so results
are checked against the table before they are returned: a removed item is dropped from the index then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from tabadol.types import IndexEntry

_INITIAL_CAPACITY = 1024


class InProcessVectorIndex:
    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._lock = threading.Lock()
        self._matrix = np.zeros((_INITIAL_CAPACITY, dim), dtype=np.float32)
        self._times = np.zeros(_INITIAL_CAPACITY, dtype=np.float64)
        self._valid = np.zeros(_INITIAL_CAPACITY, dtype=bool)
        self._languages: list[str | None] = []
        self._ids: list[str] = []
        self._slot_of: dict[str, int] = {}
        self.last_seq = 0

    def __len__(self) -> int:
        return int(self._valid[: len(self._ids)].sum())

    def add(self, seq: int, entry: IndexEntry) -> None:
        vector = np.asarray(entry.vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self._dim:
            return  # a vector of another model: never compared with these
        with self._lock:
            slot = self._slot_of.get(entry.item_id)
            if slot is None:
                slot = len(self._ids)
                self._grow(slot + 1)
                self._ids.append(entry.item_id)
                self._languages.append(entry.language)
                self._slot_of[entry.item_id] = slot
            self._matrix[slot] = vector
            self._times[slot] = entry.at.timestamp()
            self._languages[slot] = entry.language
            self._valid[slot] = True
            self.last_seq = max(self.last_seq, seq)

    def remove(self, item_id: str) -> None:
        with self._lock:
            slot = self._slot_of.get(item_id)
            if slot is not None:
                self._valid[slot] = False

    def _grow(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        matrix = np.zeros((new_capacity, self._dim), dtype=np.float32)
        matrix[:capacity] = self._matrix
        times = np.zeros(new_capacity, dtype=np.float64)
        times[:capacity] = self._times
        valid = np.zeros(new_capacity, dtype=bool)
        valid[:capacity] = self._valid
        self._matrix, self._times, self._valid = matrix, times, valid

    def search(
        self,
        vector: np.ndarray,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """(item id, cosine) of the `limit` nearest live entries, best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        with self._lock:
            n = len(self._ids)
            if n == 0 or limit <= 0:
                return []
            mask = self._valid[:n].copy()
            if since is not None:
                mask &= self._times[:n] >= since.timestamp()
            if until is not None:
                mask &= self._times[:n] <= until.timestamp()
            if languages:
                wanted = set(languages)
                mask &= np.fromiter((lang in wanted for lang in self._languages), dtype=bool, count=n)
            for item_id in exclude:
                slot = self._slot_of.get(item_id)
                if slot is not None:
                    mask[slot] = False
            candidates = np.flatnonzero(mask)
            if candidates.size == 0:
                return []
            scores = (
                self._matrix[candidates] @ query
                if candidates.size < n // 2
                else (self._matrix[:n] @ query)[candidates]
            )
            k = min(limit, candidates.size)
            top = np.argpartition(-scores, k - 1)[:k] if k < candidates.size else np.arange(candidates.size)
            ordered = top[np.argsort(-scores[top], kind="stable")]
            # Only the winners' ids are looked up (a list of every candidate's id cost ~30 ms at 100,000).
            return [(self._ids[candidates[i]], float(scores[i])) for i in ordered]

    def window(
        self, since: datetime, until: datetime, exclude: Sequence[str] = ()
    ) -> tuple[list[str], list[str | None], np.ndarray]:
        """Ids, languages and vectors (a copy) of the live entries whose time is in [since, until]."""
        with self._lock:
            n = len(self._ids)
            mask = (
                self._valid[:n]
                & (self._times[:n] >= since.timestamp())
                & (self._times[:n] <= until.timestamp())
            )
            for item_id in exclude:
                slot = self._slot_of.get(item_id)
                if slot is not None:
                    mask[slot] = False
            slots = np.flatnonzero(mask)
            return [self._ids[i] for i in slots], [self._languages[i] for i in slots], self._matrix[slots]

    def language_sums(self) -> dict[str | None, tuple[np.ndarray, int]]:
        """Per language, the sum of the live vectors and their count (the language centroids)."""
        with self._lock:
            n = len(self._ids)
            languages = np.array(self._languages[:n], dtype=object)
            valid = self._valid[:n]
            out: dict[str | None, tuple[np.ndarray, int]] = {}
            for language in set(self._languages[:n]):
                mask = valid & (languages == language)
                count = int(mask.sum())
                if count:
                    out[language] = (self._matrix[:n][mask].sum(axis=0, dtype=np.float64), count)
            return out

    def catch_up(self, read_after: Callable[[int], list[tuple[int, IndexEntry]]]) -> None:
        """Read entries written since `last_seq` (by any process) in pages."""
        while True:
            page = read_after(self.last_seq)
            if not page:
                return
            for seq, entry in page:
                self.add(seq, entry)
