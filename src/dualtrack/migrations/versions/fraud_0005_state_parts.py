"""fraud: the saved feature state is stored in parts

The saved state was one value, which grows with the whole state: a bank's (tens of millions
of events in the seven-day window) would pass PostgreSQL's 1 GB limit on a field, and its
dump had to be built whole in memory. The state now goes in parts of whole keys
(``fraud_state_snapshot_parts``), and the header row keeps only the signed list of them.

A state saved before this migration is not used (its signed body is not a header listing
parts; it is logged as such): the next process to score rebuilds its state from every
stored decision once, and the next save replaces it.

Revision ID: fraud_0005
Revises: fraud_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0005"
down_revision = "fraud_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_state_snapshot_parts",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", "part", name=op.f("pk_fraud_state_snapshot_parts")),
    )


def downgrade() -> None:
    op.drop_table("fraud_state_snapshot_parts")
