"""Tables of the research assistant: document library, review queue, opt-outs, datasets.

Chunks keep their text, source, page and section as columns (the citation shown to users)
and their embedding as raw little-endian float32 bytes with the embedder's model id, so a
change of embedding model is detected and re-embedded rather than mixed. ``research_state``
holds counters (``index_version``, ``datasets_version``) that every write bumps in the same
transaction: each API process compares them with what it loaded and rebuilds lazily.
Times are UTC ISO-8601 text, which sorts the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from dualtrack.adapters.tables import metadata

research_documents = Table(
    "research_documents",
    metadata,
    Column("doc_id", String(100), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)

research_chunks = Table(
    "research_chunks",
    metadata,
    Column("chunk_id", String(120), primary_key=True),
    Column(
        "doc_id",
        String(100),
        ForeignKey("research_documents.doc_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(500), nullable=False),
    Column("page", Integer),
    Column("section", String(500)),
    Column("language", String(8), nullable=False),
    Column("injection_score", Float, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("embedder", String(200), nullable=False),
    Column("embedding", LargeBinary, nullable=False),
    Index("ix_research_chunks_doc_ordinal", "doc_id", "ordinal"),
)

research_state = Table(
    "research_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

research_reviews = Table(
    "research_reviews",
    metadata,
    Column("review_id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_research_reviews_status_created", "status", "created_at"),
)

research_opt_outs = Table(
    "research_opt_outs",
    metadata,
    Column("client_id", String(100), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

research_human_requests = Table(
    "research_human_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("created_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)

# Registered datasets keep their bytes, so every API process (and host) loads the same data
# and later edits of the source file do not change what was registered.
research_datasets = Table(
    "research_datasets",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("source", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("registered_at", String(40), nullable=False),
    Column("registered_by", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("data", Text, nullable=False),
)

__all__ = [
    "research_chunks",
    "research_datasets",
    "research_documents",
    "research_human_requests",
    "research_opt_outs",
    "research_reviews",
    "research_state",
]
