"""ledger sequence numbers become 64-bit on PostgreSQL

Every fraud decision is a ledger entry, so a 32-bit sequence (2,147,483,647 entries) would
run out in about 14 months at 5M decisions a day, well inside the five years records are
kept. SQLite's INTEGER is already 64-bit, so only PostgreSQL changes. ``ALTER COLUMN ...
TYPE bigint`` rewrites the ledger table under an exclusive lock: on a large ledger, run it
in a maintenance window.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = (("ledger_entries", "seq"), ("ledger_head", "seq"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
