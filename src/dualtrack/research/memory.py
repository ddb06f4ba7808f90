"""In-memory adapters for the research ports (tests, CLI demos, single-process use)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from dualtrack.errors import InvalidInput, NotFound
from dualtrack.research.domain import Chunk, Document, HumanRequest, ReviewItem


class InMemoryChunkStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self._emb: dict[str, NDArray[np.float32]] = {}

    def add(
        self, document: Document, chunks: Sequence[Chunk], embeddings: NDArray[np.float32]
    ) -> None:
        if len(chunks) != embeddings.shape[0]:
            raise InvalidInput("one embedding per chunk is required", doc_id=document.doc_id)
        # Build everything first, then swap in: readers never see a half-added document.
        chunk_list = list(chunks)
        emb = np.array(embeddings, dtype=np.float32, copy=True)
        self._docs[document.doc_id] = document
        self._chunks[document.doc_id] = chunk_list
        self._emb[document.doc_id] = emb

    def delete(self, doc_id: str) -> None:
        if doc_id not in self._docs:
            raise NotFound("document not found", doc_id=doc_id)
        del self._docs[doc_id], self._chunks[doc_id], self._emb[doc_id]

    def get(self, doc_id: str) -> Document | None:
        return self._docs.get(doc_id)

    def list_documents(self) -> list[Document]:
        return sorted(self._docs.values(), key=lambda d: d.doc_id)

    def chunks(self, doc_id: str) -> list[Chunk]:
        return list(self._chunks.get(doc_id, []))

    def iter_all(self) -> Iterator[tuple[Chunk, NDArray[np.float32]]]:
        for doc_id in sorted(self._docs):
            emb = self._emb[doc_id]
            for i, chunk in enumerate(self._chunks[doc_id]):
                yield chunk, emb[i]


class InMemoryReviewRepository:
    def __init__(self) -> None:
        self._items: dict[str, ReviewItem] = {}

    def add(self, item: ReviewItem) -> None:
        self._items[item.review_id] = item

    def get(self, review_id: str) -> ReviewItem | None:
        return self._items.get(review_id)

    def update(self, item: ReviewItem) -> None:
        if item.review_id not in self._items:
            raise NotFound("review not found", review_id=item.review_id)
        self._items[item.review_id] = item

    def pending(self) -> list[ReviewItem]:
        return [i for i in self._items.values() if i.status == "pending"]


class InMemoryHumanQueue:
    def __init__(self) -> None:
        self._items: list[HumanRequest] = []

    def add(self, request: HumanRequest) -> None:
        self._items.append(request)

    def list_requests(self) -> list[HumanRequest]:
        return list(self._items)


class InMemoryOptOutRegistry:
    def __init__(self) -> None:
        self._opted: set[str] = set()

    def is_opted_out(self, client_id: str) -> bool:
        return client_id in self._opted

    def set_opt_out(self, client_id: str, opted_out: bool) -> None:
        if opted_out:
            self._opted.add(client_id)
        else:
            self._opted.discard(client_id)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


__all__ = [
    "InMemoryChunkStore",
    "InMemoryHumanQueue",
    "InMemoryOptOutRegistry",
    "InMemoryReviewRepository",
    "SystemClock",
]
