"""fraud: the high-risk payee watch list in the database

The watch list was a file (``<var_dir>/fraud/watchlist.txt``) read when the service
started, so a change needed a restart of every scoring server and left no record of who
made it. It is now stored (``fraud_watchlist``), changed by named users with a ledger entry
each, and read by scoring processes while they run; each listing has its own action
(review or block), and a source that publishes its whole list is synced with it
(``fraud_watchlist_sources`` records each source's last sync). What a customer did after
a decision held their payment for review is kept in ``fraud_customer_responses``. The file is no longer read:
``dualtrack fraud watchlist import FILE --source ...`` loads it.

Revision ID: fraud_0006
Revises: fraud_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0006"
down_revision = "fraud_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_watchlist",
        sa.Column("payee_id", sa.String(128), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("listed_by", sa.String(64), nullable=False),
        sa.Column("listed_at", sa.String(40), nullable=False),
        sa.Column("unlisted_by", sa.String(64), nullable=True),
        sa.Column("unlisted_at", sa.String(40), nullable=True),
        sa.Column("unlisted_reason", sa.Text(), nullable=True),
        sa.Column("unlisted_in_sync", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("payee_id", name=op.f("pk_fraud_watchlist")),
    )
    op.create_index("ix_fraud_watchlist_revision", "fraud_watchlist", ["revision"])
    op.create_index("ix_fraud_watchlist_listed_revision", "fraud_watchlist", ["listed", "revision"])
    op.create_index("ix_fraud_watchlist_source_listed", "fraud_watchlist", ["source", "listed"])
    op.create_table(
        "fraud_watchlist_sources",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("synced_at", sa.String(40), nullable=False),
        sa.Column("synced_by", sa.String(64), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_fraud_watchlist_sources")),
    )
    op.create_table(
        "fraud_customer_responses",
        sa.Column("txn_id", sa.String(64), nullable=False),
        sa.Column("response", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("txn_id", name=op.f("pk_fraud_customer_responses")),
    )
    revisions = op.create_table(
        "fraud_watchlist_revision",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fraud_watchlist_revision")),
    )
    op.bulk_insert(revisions, [{"name": "fraud.watchlist", "revision": 0}])


def downgrade() -> None:
    op.drop_table("fraud_watchlist_revision")
    op.drop_table("fraud_customer_responses")
    op.drop_table("fraud_watchlist_sources")
    op.drop_index("ix_fraud_watchlist_source_listed", table_name="fraud_watchlist")
    op.drop_index("ix_fraud_watchlist_listed_revision", table_name="fraud_watchlist")
    op.drop_index("ix_fraud_watchlist_revision", table_name="fraud_watchlist")
    op.drop_table("fraud_watchlist")
