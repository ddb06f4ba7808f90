"""VA linked-transaction keys become 64-bit on PostgreSQL

``va_linked`` gains one row per client and one per wallet for every checked transaction and
keeps them for the retention period (AMLO five years, SFC seven), so its 32-bit SERIAL key
could run out on a busy desk. PostgreSQL needs two changes: the column, and the sequence
behind it, which SERIAL created ``AS integer`` and which would otherwise stop at 2**31 - 1
whatever the column's type. SQLite's INTEGER key is already 64-bit. The ALTER rewrites the
table under an exclusive lock: on a large table, run it in a maintenance window.

Revision ID: vadealing_0002
Revises: vadealing_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vadealing_0002"
down_revision = "vadealing_0001"
branch_labels = None
depends_on = None


def _sequence() -> str:
    name = op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence('va_linked', 'id')"))
    return str(name.scalar_one())


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("va_linked", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.execute(f"ALTER SEQUENCE {_sequence()} AS bigint")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER SEQUENCE {_sequence()} AS integer")
    op.alter_column("va_linked", "id", type_=sa.Integer(), existing_type=sa.BigInteger())
