"""SQL adapters for the research assistant's ports (SQLite and PostgreSQL).

Outside an interaction each write is its own transaction. Inside
``ResearchTransactions.interaction()`` every write of the repositories built on it, and every
ledger entry recorded through ``ResearchTransactions.uow()``, go into one unit of work that
commits at the end of the block or not at all: a question's review row and its
``research.ask`` entry, say, are never stored one without the other.

Adding or deleting a document writes the document, all its chunks and embeddings, and bumps
``research_state.index_version`` in the same transaction, so a reader never sees half a
document and every process can tell that its in-memory search index is stale.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from dualtrack.adapters import research_tables as t
from dualtrack.adapters.codec import decode, to_jsonable
from dualtrack.adapters.sql import SqlUnitOfWork
from dualtrack.errors import Conflict, InvalidInput, NotFound
from dualtrack.ledger.domain import format_time
from dualtrack.research.domain import Chunk, Dataset, Document, HumanRequest, ReviewItem

INDEX_VERSION = "index_version"
DATASETS_VERSION = "datasets_version"
_BATCH = 500


class _Database(Protocol):
    """What the repositories use of an ``Engine``; ``ResearchTransactions`` offers it too."""

    def begin(self) -> AbstractContextManager[Connection]: ...
    def connect(self) -> Connection: ...


@dataclass(slots=True)
class _Interaction:
    uow: SqlUnitOfWork | None = None


class ResearchTransactions:
    """One transaction for all the writes and ledger entries of a research interaction.

    ``interaction()`` opens no transaction by itself: the first write (or ledger record)
    inside it opens a unit of work of the platform, so retrieval and a slow language model
    hold no lock, even on SQLite, whose transactions start with ``BEGIN IMMEDIATE``. Later
    writes join it; it commits when the block ends without an error and rolls back
    otherwise. Reads use their own read-only connections and see committed data. The state
    is a context variable, so threads (API workers) never share an interaction.
    """

    def __init__(self, engine: Engine, open_uow: Callable[[], SqlUnitOfWork]) -> None:
        self._engine = engine
        self._open_uow = open_uow
        self._current: ContextVar[_Interaction | None] = ContextVar(
            f"research_interaction_{id(self)}", default=None
        )

    @contextmanager
    def interaction(self) -> Iterator[None]:
        if self._current.get() is not None:  # nested: the outer block commits
            yield
            return
        state = _Interaction()
        token = self._current.set(state)
        try:
            yield
            if state.uow is not None:
                state.uow.commit()
        finally:
            self._current.reset(token)
            if state.uow is not None:
                state.uow.__exit__(None, None, None)  # rolls back unless committed

    def uow(self) -> SqlUnitOfWork | None:
        """The interaction's unit of work (opened now if need be); ``None`` outside one."""
        state = self._current.get()
        if state is None:
            return None
        if state.uow is None:
            state.uow = self._open_uow().__enter__()
        return state.uow

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        uow = self.uow()
        if uow is not None:
            yield uow.connection
            return
        with self._engine.begin() as conn:
            yield conn

    def connect(self) -> Connection:
        # Read-only: on SQLite that is BEGIN DEFERRED, so a read never queues behind a
        # writer, this very interaction's write lock included.
        return self._engine.connect().execution_options(dualtrack_readonly=True)


def _dump(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _bump(conn: Connection, key: str) -> int:
    conn.execute(
        update(t.research_state)
        .where(t.research_state.c.key == key)
        .values(value=t.research_state.c.value + 1)
    )
    return int(
        conn.execute(
            select(t.research_state.c.value).where(t.research_state.c.key == key)
        ).scalar_one()
    )


def read_version(engine: _Database, key: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(t.research_state.c.value).where(t.research_state.c.key == key)
        ).scalar()
        conn.rollback()
    return int(value or 0)


def _vector_bytes(vector: NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _chunk(row: Any) -> Chunk:
    return Chunk(
        chunk_id=row.chunk_id,
        doc_id=row.doc_id,
        ordinal=int(row.ordinal),
        text=row.text,
        source=row.source,
        page=row.page,
        section=row.section,
        language=row.language,
        injection_score=float(row.injection_score),
        flagged=bool(row.flagged),
    )


class SqlChunkStore:
    """``ChunkStore`` over SQL; embeddings are float32 bytes tagged with the embedder's id.

    ``seen_version`` is the ``index_version`` the caller's in-memory index reflects; this
    store keeps it current across its own writes and sets it to ``None`` when another
    process wrote in between (the caller then rebuilds).
    """

    def __init__(self, engine: _Database, *, embedder_id: str, dim: int) -> None:
        self._engine = engine
        self.embedder_id = embedder_id
        self.dim = dim
        self.seen_version: int | None = None

    def _advance(self, new_version: int) -> None:
        if self.seen_version is not None and new_version == self.seen_version + 1:
            self.seen_version = new_version
        else:
            self.seen_version = None

    def version(self) -> int:
        return read_version(self._engine, INDEX_VERSION)

    def add(
        self, document: Document, chunks: Sequence[Chunk], embeddings: NDArray[np.float32]
    ) -> None:
        if len(chunks) != embeddings.shape[0]:
            raise InvalidInput("one embedding per chunk is required", doc_id=document.doc_id)
        rows = [
            {
                "chunk_id": c.chunk_id,
                "doc_id": c.doc_id,
                "ordinal": c.ordinal,
                "text": c.text,
                "source": c.source[:500],
                "page": c.page,
                "section": c.section[:500] if c.section else None,
                "language": c.language[:8],
                "injection_score": float(c.injection_score),
                "flagged": bool(c.flagged),
                "embedder": self.embedder_id,
                "embedding": _vector_bytes(embeddings[i]),
            }
            for i, c in enumerate(chunks)
        ]
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(t.research_documents.c.doc_id).where(
                    t.research_documents.c.doc_id == document.doc_id
                )
            ).first()
            if exists is not None:
                # A replacement: old chunks go in the same transaction as the new ones arrive.
                conn.execute(
                    delete(t.research_chunks).where(t.research_chunks.c.doc_id == document.doc_id)
                )
                conn.execute(
                    delete(t.research_documents).where(
                        t.research_documents.c.doc_id == document.doc_id
                    )
                )
            conn.execute(
                insert(t.research_documents).values(
                    doc_id=document.doc_id,
                    content_hash=document.content_hash,
                    added_at=format_time(document.added_at),
                    data=_dump(document),
                )
            )
            for i in range(0, len(rows), _BATCH):
                conn.execute(insert(t.research_chunks), rows[i : i + _BATCH])
            version = _bump(conn, INDEX_VERSION)
        self._advance(version)

    def delete(self, doc_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(t.research_chunks).where(t.research_chunks.c.doc_id == doc_id))
            gone = conn.execute(
                delete(t.research_documents).where(t.research_documents.c.doc_id == doc_id)
            ).rowcount
            if gone != 1:
                raise NotFound("document not found", doc_id=doc_id)
            version = _bump(conn, INDEX_VERSION)
        self._advance(version)

    def get(self, doc_id: str) -> Document | None:
        with self._engine.connect() as conn:
            data = conn.execute(
                select(t.research_documents.c.data).where(t.research_documents.c.doc_id == doc_id)
            ).scalar()
            conn.rollback()
        return decode(Document, json.loads(data)) if data else None

    def list_documents(self) -> list[Document]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.research_documents.c.data).order_by(t.research_documents.c.doc_id)
            ).all()
            conn.rollback()
        return [decode(Document, json.loads(r.data)) for r in rows]

    def chunks(self, doc_id: str) -> list[Chunk]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.research_chunks)
                .where(t.research_chunks.c.doc_id == doc_id)
                .order_by(t.research_chunks.c.ordinal)
            ).all()
            conn.rollback()
        return [_chunk(r) for r in rows]

    def chunk(self, chunk_id: str) -> Chunk | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.research_chunks).where(t.research_chunks.c.chunk_id == chunk_id)
            ).first()
            conn.rollback()
        return _chunk(row) if row else None

    def count_chunks(self) -> int:
        with self._engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(t.research_chunks)).scalar()
            conn.rollback()
        return int(n or 0)

    def iter_all(self) -> Iterator[tuple[Chunk, NDArray[np.float32]]]:
        """Every chunk embedded by this store's embedder (others: see ``stale_chunks``)."""
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(
                select(t.research_chunks)
                .where(t.research_chunks.c.embedder == self.embedder_id)
                .order_by(t.research_chunks.c.doc_id, t.research_chunks.c.ordinal)
            )
            for row in result:
                vector = np.frombuffer(row.embedding, dtype="<f4").astype(np.float32)
                if vector.shape[0] == self.dim:
                    yield _chunk(row), vector
            conn.rollback()

    def stale_chunks(self) -> list[tuple[str, str]]:
        """(chunk_id, text) of chunks embedded by another model (e.g. before MiniLM)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.research_chunks.c.chunk_id, t.research_chunks.c.text)
                .where(t.research_chunks.c.embedder != self.embedder_id)
                .order_by(t.research_chunks.c.chunk_id)
            ).all()
            conn.rollback()
        return [(r.chunk_id, r.text) for r in rows]

    def replace_embeddings(self, items: Sequence[tuple[str, NDArray[np.float32]]]) -> None:
        """Store new embeddings for existing chunks (one transaction, bumps the version)."""
        with self._engine.begin() as conn:
            for chunk_id, vector in items:
                conn.execute(
                    update(t.research_chunks)
                    .where(t.research_chunks.c.chunk_id == chunk_id)
                    .values(embedder=self.embedder_id, embedding=_vector_bytes(vector))
                )
            version = _bump(conn, INDEX_VERSION)
        self._advance(version)


class SqlReviewRepository:
    def __init__(self, engine: _Database) -> None:
        self._engine = engine

    def add(self, item: ReviewItem) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(t.research_reviews).values(
                    review_id=item.review_id,
                    status=item.status,
                    created_at=format_time(item.created_at),
                    data=_dump(item),
                )
            )

    def get(self, review_id: str) -> ReviewItem | None:
        with self._engine.connect() as conn:
            data = conn.execute(
                select(t.research_reviews.c.data).where(t.research_reviews.c.review_id == review_id)
            ).scalar()
            conn.rollback()
        return decode(ReviewItem, json.loads(data)) if data else None

    def update(self, item: ReviewItem) -> None:
        with self._engine.begin() as conn:
            # Only a pending review can be decided: two reviewers racing get one winner.
            changed = conn.execute(
                update(t.research_reviews)
                .where(
                    t.research_reviews.c.review_id == item.review_id,
                    t.research_reviews.c.status == "pending",
                )
                .values(status=item.status, data=_dump(item))
            ).rowcount
        if changed != 1:
            raise Conflict("review already decided or missing", review_id=item.review_id)

    def pending(self) -> list[ReviewItem]:
        return self.list(status="pending")

    def list(self, *, status: str | None = None, limit: int = 200) -> builtins.list[ReviewItem]:
        query = select(t.research_reviews.c.data).order_by(t.research_reviews.c.created_at)
        if status is not None:
            query = query.where(t.research_reviews.c.status == status)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
            conn.rollback()
        return [decode(ReviewItem, json.loads(r.data)) for r in rows]


class SqlHumanQueue:
    def __init__(self, engine: _Database) -> None:
        self._engine = engine

    def add(self, request: HumanRequest) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(t.research_human_requests).values(
                    request_id=request.request_id,
                    created_at=format_time(request.created_at),
                    data=_dump(request),
                )
            )

    def list_requests(self) -> list[HumanRequest]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.research_human_requests.c.data).order_by(
                    t.research_human_requests.c.created_at
                )
            ).all()
            conn.rollback()
        return [decode(HumanRequest, json.loads(r.data)) for r in rows]


class SqlOptOutRegistry:
    """HKMA-GENAI-04 opt-outs. Client IDs are stored as given: the lookup needs them."""

    def __init__(self, engine: _Database, clock: Any) -> None:
        self._engine = engine
        self._clock = clock

    def is_opted_out(self, client_id: str) -> bool:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(t.research_opt_outs.c.opted_out).where(
                    t.research_opt_outs.c.client_id == client_id
                )
            ).scalar()
            conn.rollback()
        return bool(value)

    def set_opt_out(self, client_id: str, opted_out: bool) -> None:
        now = format_time(self._clock.now())
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(t.research_opt_outs)
                .where(t.research_opt_outs.c.client_id == client_id)
                .values(opted_out=opted_out, updated_at=now)
            ).rowcount
            if changed == 0:
                conn.execute(
                    insert(t.research_opt_outs).values(
                        client_id=client_id, opted_out=opted_out, updated_at=now
                    )
                )


@dataclass(frozen=True, slots=True)
class StoredDataset:
    dataset: Dataset
    sha256: str
    registered_at: str
    registered_by: str


class SqlDatasetRepository:
    def __init__(self, engine: _Database) -> None:
        self._engine = engine

    def version(self) -> int:
        return read_version(self._engine, DATASETS_VERSION)

    def add(
        self,
        dataset: Dataset,
        *,
        content: bytes,
        sha256: str,
        at: datetime,
        actor: str,
        replace: bool = False,
    ) -> None:
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(t.research_datasets.c.name).where(t.research_datasets.c.name == dataset.name)
            ).first()
            if exists is not None:
                if not replace:
                    raise Conflict("a dataset with that name is registered", name=dataset.name)
                conn.execute(
                    delete(t.research_datasets).where(t.research_datasets.c.name == dataset.name)
                )
            conn.execute(
                insert(t.research_datasets).values(
                    name=dataset.name,
                    source=dataset.source[:500],
                    sha256=sha256,
                    registered_at=format_time(at),
                    registered_by=actor[:100],
                    content=content,
                    data=_dump(dataset),
                )
            )
            _bump(conn, DATASETS_VERSION)

    def list(self) -> builtins.list[StoredDataset]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.research_datasets.c.data,
                    t.research_datasets.c.sha256,
                    t.research_datasets.c.registered_at,
                    t.research_datasets.c.registered_by,
                ).order_by(t.research_datasets.c.name)
            ).all()
            conn.rollback()
        return [
            StoredDataset(
                decode(Dataset, json.loads(r.data)), r.sha256, r.registered_at, r.registered_by
            )
            for r in rows
        ]

    def contents(self) -> builtins.list[tuple[str, str, bytes]]:
        """(name, source file name, bytes) of every registered dataset."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.research_datasets.c.name,
                    t.research_datasets.c.source,
                    t.research_datasets.c.content,
                ).order_by(t.research_datasets.c.name)
            ).all()
            conn.rollback()
        return [(r.name, r.source, bytes(r.content)) for r in rows]


__all__ = [
    "ResearchTransactions",
    "SqlChunkStore",
    "SqlDatasetRepository",
    "SqlHumanQueue",
    "SqlOptOutRegistry",
    "SqlReviewRepository",
    "StoredDataset",
    "read_version",
]
