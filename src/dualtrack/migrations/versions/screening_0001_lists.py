"""sanctions screening: list versions, load alerts, decisions, clearances

Revision ID: screening_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "screening_0001"
down_revision = "0001"
branch_labels = ("screening",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_list_versions",
        sa.Column("version_id", sa.String(length=200), nullable=False),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("loaded_at", sa.String(length=40), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("companions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_screening_list_versions")),
    )
    op.create_index(
        "ix_screening_list_versions_list_status",
        "screening_list_versions",
        ["list_id", "status"],
    )
    op.create_table(
        "screening_load_alerts",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_screening_load_alerts")),
    )
    op.create_index("ix_screening_load_alerts_occurred", "screening_load_alerts", ["occurred_at"])
    op.create_table(
        "screening_decisions",
        sa.Column("screening_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("screened_at", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("screening_id", name=op.f("pk_screening_decisions")),
    )
    op.create_index(
        "ix_screening_decisions_client", "screening_decisions", ["client_id", "screened_at"]
    )
    op.create_table(
        "screening_clearances",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("entry_content_hash", sa.String(length=64), nullable=False),
        sa.Column("cleared_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "client_id",
            "list_id",
            "entry_id",
            "entry_content_hash",
            name=op.f("pk_screening_clearances"),
        ),
    )


def downgrade() -> None:
    op.drop_table("screening_clearances")
    op.drop_index("ix_screening_decisions_client", table_name="screening_decisions")
    op.drop_table("screening_decisions")
    op.drop_index("ix_screening_load_alerts_occurred", table_name="screening_load_alerts")
    op.drop_table("screening_load_alerts")
    op.drop_index("ix_screening_list_versions_list_status", table_name="screening_list_versions")
    op.drop_table("screening_list_versions")
