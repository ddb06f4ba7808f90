"""fraud: each decision keeps the event that rebuilds the online feature state

Revision ID: fraud_0002
Revises: fraud_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0002"
down_revision = "fraud_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: decisions stored before this revision have no event (a restart folds only
    # what it has), and ULB-model decisions never need one
    op.add_column("fraud_decisions", sa.Column("event_ts", sa.BigInteger(), nullable=True))
    op.add_column("fraud_decisions", sa.Column("state_event", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fraud_decisions") as batch:
        batch.drop_column("state_event")
        batch.drop_column("event_ts")
