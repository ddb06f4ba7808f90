"""fraud: one process at a time serves fraud scoring on a database (an ownership lease)

Revision ID: fraud_0003
Revises: fraud_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0003"
down_revision = "fraud_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_scoring_owner",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fraud_scoring_owner")
