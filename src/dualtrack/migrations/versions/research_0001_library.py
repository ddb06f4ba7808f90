"""research assistant: document library, chunks with embeddings, reviews, opt-outs, datasets

Revision ID: research_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "research_0001"
down_revision = "0001"
branch_labels = ("research",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_documents",
        sa.Column("doc_id", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_research_documents")),
    )
    op.create_table(
        "research_chunks",
        sa.Column("chunk_id", sa.String(length=120), nullable=False),
        sa.Column("doc_id", sa.String(length=100), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("injection_score", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["research_documents.doc_id"],
            name=op.f("fk_research_chunks_doc_id_research_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chunk_id", name=op.f("pk_research_chunks")),
    )
    op.create_index(
        "ix_research_chunks_doc_ordinal", "research_chunks", ["doc_id", "ordinal"], unique=False
    )
    op.create_table(
        "research_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_research_state")),
    )
    op.create_table(
        "research_reviews",
        sa.Column("review_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_research_reviews")),
    )
    op.create_index(
        "ix_research_reviews_status_created",
        "research_reviews",
        ["status", "created_at"],
        unique=False,
    )
    op.create_table(
        "research_opt_outs",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_research_opt_outs")),
    )
    op.create_table(
        "research_human_requests",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_research_human_requests")),
    )
    op.create_table(
        "research_datasets",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.String(length=40), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_research_datasets")),
    )
    op.execute(
        sa.text(
            "INSERT INTO research_state (key, value) VALUES "
            "('index_version', 0), ('datasets_version', 0)"
        )
    )


def downgrade() -> None:
    op.drop_table("research_datasets")
    op.drop_table("research_human_requests")
    op.drop_table("research_opt_outs")
    op.drop_index("ix_research_reviews_status_created", table_name="research_reviews")
    op.drop_table("research_reviews")
    op.drop_table("research_state")
    op.drop_index("ix_research_chunks_doc_ordinal", table_name="research_chunks")
    op.drop_table("research_chunks")
    op.drop_table("research_documents")
