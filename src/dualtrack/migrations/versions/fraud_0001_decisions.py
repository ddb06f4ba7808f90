"""fraud: decisions, alerts and cases

Revision ID: fraud_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0001"
down_revision = "0001"
branch_labels = ("fraud",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_decisions",
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("customer_ref", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("decided_at", sa.String(length=32), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("txn_id", name=op.f("pk_fraud_decisions")),
    )
    op.create_index(
        "ix_fraud_decisions_customer", "fraud_decisions", ["customer_ref", "decided_at"]
    )
    op.create_index("ix_fraud_decisions_decided_at", "fraud_decisions", ["decided_at"])
    op.create_table(
        "fraud_cases",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("customer_ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_fraud_cases")),
    )
    op.create_index("ix_fraud_cases_customer_status", "fraud_cases", ["customer_ref", "status"])
    op.create_index("ix_fraud_cases_status", "fraud_cases", ["status"])
    op.create_table(
        "fraud_alerts",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_fraud_alerts")),
    )
    op.create_index("ix_fraud_alerts_case", "fraud_alerts", ["case_id"])
    op.create_index("ix_fraud_alerts_created_at", "fraud_alerts", ["created_at"])


def downgrade() -> None:
    op.drop_table("fraud_alerts")
    op.drop_table("fraud_cases")
    op.drop_table("fraud_decisions")
