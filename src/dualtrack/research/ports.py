"""Ports of the research assistant: what it needs from the outside world."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dualtrack.research.domain import Chunk, Document, HumanRequest, ReviewItem


class Redactor(Protocol):
    """Removes personal data from free text (implemented by ``dualtrack.privacy``)."""

    def redact(self, text: str) -> str: ...


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of width ``dim``."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


class ChatModel(Protocol):
    """An LLM behind a chat API. ``messages`` are (role, content) pairs."""

    @property
    def model_id(self) -> str: ...

    def complete(self, messages: Sequence[tuple[str, str]]) -> str: ...


class ChunkStore(Protocol):
    """Durable storage of documents, their chunks and chunk embeddings.

    ``add`` is all-or-nothing; ``delete`` (retention) removes chunks and embeddings too.
    """

    def add(
        self, document: Document, chunks: Sequence[Chunk], embeddings: NDArray[np.float32]
    ) -> None: ...

    def delete(self, doc_id: str) -> None: ...

    def get(self, doc_id: str) -> Document | None: ...

    def list_documents(self) -> list[Document]: ...

    def chunks(self, doc_id: str) -> list[Chunk]: ...

    def iter_all(self) -> Iterator[tuple[Chunk, NDArray[np.float32]]]: ...


class ReviewRepository(Protocol):
    def add(self, item: ReviewItem) -> None: ...

    def get(self, review_id: str) -> ReviewItem | None: ...

    def update(self, item: ReviewItem) -> None: ...

    def pending(self) -> list[ReviewItem]: ...


class HumanQueue(Protocol):
    def add(self, request: HumanRequest) -> None: ...

    def list_requests(self) -> list[HumanRequest]: ...


class OptOutRegistry(Protocol):
    """HKMA-GENAI-04: clients who chose a human instead of GenAI."""

    def is_opted_out(self, client_id: str) -> bool: ...

    def set_opt_out(self, client_id: str, opted_out: bool) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


__all__ = [
    "ChatModel",
    "ChunkStore",
    "Clock",
    "Embedder",
    "HumanQueue",
    "OptOutRegistry",
    "Redactor",
    "ReviewRepository",
]
