"""Hybrid retrieval: BM25 over jieba/English tokens fused with dense cosine by RRF."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from dualtrack.research.bm25 import BM25Index
from dualtrack.research.domain import Chunk, RetrievedChunk
from dualtrack.research.text import tokenize


def _top(scores: NDArray[np.float32], k: int, *, positive_only: bool) -> NDArray[np.intp]:
    if scores.size == 0:
        return np.zeros(0, dtype=np.intp)
    k = min(k, scores.size)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    if positive_only:
        idx = idx[scores[idx] > 0]
    return idx


class HybridIndex:
    """An in-process search structure rebuilt lazily after documents change.

    Reciprocal rank fusion (``1 / (rrf_k + rank)``) is used because BM25 and cosine scores
    live on different scales; rank fusion needs no score calibration per corpus.
    """

    def __init__(self, *, dim: int, rrf_k: int = 60, candidates: int = 50) -> None:
        self.dim = dim
        self.rrf_k = rrf_k
        self.candidates = candidates
        self._chunks: dict[str, Chunk] = {}
        self._tokens: dict[str, list[str]] = {}
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self._dirty = True
        self._order: list[str] = []
        self._bm25 = BM25Index()
        self._matrix: NDArray[np.float32] = np.zeros((0, dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._chunks)

    def add(
        self,
        chunks: Sequence[Chunk],
        vectors: NDArray[np.float32],
        *,
        tokens: Sequence[list[str]] | None = None,
    ) -> None:
        for i, chunk in enumerate(chunks):
            self._chunks[chunk.chunk_id] = chunk
            self._tokens[chunk.chunk_id] = tokens[i] if tokens is not None else tokenize(chunk.text)
            self._vectors[chunk.chunk_id] = vectors[i]
        self._dirty = True

    def remove_document(self, doc_id: str) -> None:
        gone = [cid for cid, c in self._chunks.items() if c.doc_id == doc_id]
        for cid in gone:
            del self._chunks[cid], self._tokens[cid], self._vectors[cid]
        self._dirty = True

    def load(self, items: Iterable[tuple[Chunk, NDArray[np.float32]]]) -> None:
        """Rebuild from a ChunkStore's ``iter_all()`` (e.g. at start-up)."""
        chunks, vecs = [], []
        for chunk, vec in items:
            chunks.append(chunk)
            vecs.append(vec)
        matrix = np.stack(vecs) if vecs else np.zeros((0, self.dim), dtype=np.float32)
        self.add(chunks, matrix)

    def _build(self) -> None:
        self._order = sorted(self._chunks)
        self._bm25 = BM25Index().fit([self._tokens[c] for c in self._order])
        self._matrix = (
            np.stack([self._vectors[c] for c in self._order]).astype(np.float32)
            if self._order
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        self._dirty = False

    @property
    def bm25(self) -> BM25Index:
        if self._dirty:
            self._build()
        return self._bm25

    def search(
        self,
        query: str,
        query_vector: NDArray[np.float32] | None,
        *,
        k: int = 5,
        exclude_flagged: bool = True,
    ) -> list[RetrievedChunk]:
        if self._dirty:
            self._build()
        if not self._order:
            return []
        bm = self._bm25.scores(tokenize(query))
        bm_top = _top(bm, self.candidates, positive_only=True)
        fused: dict[int, float] = {}
        bm_rank: dict[int, int] = {}
        dense_rank: dict[int, int] = {}
        for rank, i in enumerate(bm_top.tolist()):
            bm_rank[i] = rank + 1
            fused[i] = fused.get(i, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        if query_vector is not None:
            dense = self._matrix @ query_vector.astype(np.float32)
            for rank, i in enumerate(_top(dense, self.candidates, positive_only=False).tolist()):
                dense_rank[i] = rank + 1
                fused[i] = fused.get(i, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        out: list[RetrievedChunk] = []
        for i, score in ranked:
            chunk = self._chunks[self._order[i]]
            if exclude_flagged and chunk.flagged:
                continue
            out.append(RetrievedChunk(chunk, score, bm_rank.get(i), dense_rank.get(i)))
            if len(out) == k:
                break
        return out


__all__ = ["HybridIndex"]
