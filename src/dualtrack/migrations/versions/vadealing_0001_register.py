"""VA dealing desk: licence register, clients, proofs, FX, linked history, checks, cases

Revision ID: vadealing_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vadealing_0001"
down_revision = "0001"
branch_labels = ("vadealing",)
depends_on = None


def _doc_table(name: str, key: str, key_len: int, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column(key, sa.String(length=key_len), nullable=False),
        *columns,
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _doc_table(
        "va_firms",
        "firm_id",
        100,
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
    )
    _doc_table(
        "va_clients",
        "client_id",
        100,
        sa.Column("cdd_status", sa.String(length=32), nullable=False),
    )
    _doc_table(
        "va_proofs",
        "proof_id",
        100,
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "va_fx_rates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("currency", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_va_fx_rates")),
    )
    op.create_index("ix_va_fx_rates_currency_as_of", "va_fx_rates", ["currency", "as_of"])
    op.create_table(
        "va_linked",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("tx_id", sa.String(length=100), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_va_linked")),
    )
    op.create_index("ix_va_linked_key_at", "va_linked", ["key", "at"])
    op.create_index("ix_va_linked_tx", "va_linked", ["tx_id"])
    _doc_table(
        "va_checks",
        "check_id",
        40,
        sa.Column("tx_id", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("tx_at", sa.String(length=40), nullable=False),
        sa.Column("checked_at", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
    )
    op.create_index("ix_va_checks_tx", "va_checks", ["tx_id"])
    op.create_index("ix_va_checks_tx_at", "va_checks", ["tx_at"])
    _doc_table(
        "va_cases",
        "case_id",
        40,
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("opened_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_va_cases_client_status", "va_cases", ["client_id", "status"])
    op.create_table(
        "va_alerts",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["va_cases.case_id"], name=op.f("fk_va_alerts_case_id_va_cases")
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_va_alerts")),
    )
    op.create_index("ix_va_alerts_case", "va_alerts", ["case_id"])
    op.create_table(
        "va_str_drafts",
        sa.Column("str_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("drafted_at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["va_cases.case_id"], name=op.f("fk_va_str_drafts_case_id_va_cases")
        ),
        sa.PrimaryKeyConstraint("str_id", name=op.f("pk_va_str_drafts")),
    )


def downgrade() -> None:
    for name in ("va_str_drafts", "va_alerts", "va_cases", "va_checks", "va_linked"):
        op.drop_table(name)
    for name in ("va_fx_rates", "va_proofs", "va_clients", "va_firms"):
        op.drop_table(name)
