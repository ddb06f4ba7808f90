"""fraud: the last saved feature state, in the database so any machine can start from it

Revision ID: fraud_0004
Revises: fraud_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0004"
down_revision = "fraud_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_state_snapshots",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("ledger_hash", sa.String(64), nullable=False),
        sa.Column("saved_at", sa.String(32), nullable=False),
        sa.Column("saved_by", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fraud_state_snapshots")
