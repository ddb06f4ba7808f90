"""privacy guard: per-AI-system privacy policies

Revision ID: privacy_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = "0001"
branch_labels = ("privacy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_policies",
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["ai_systems.id"],
            name=op.f("fk_privacy_policies_system_id_ai_systems"),
        ),
        sa.PrimaryKeyConstraint("system_id", name=op.f("pk_privacy_policies")),
    )


def downgrade() -> None:
    op.drop_table("privacy_policies")
