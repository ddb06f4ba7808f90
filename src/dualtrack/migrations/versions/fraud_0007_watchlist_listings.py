"""fraud: a payee may be on the watch list under several sources at once

Until now a payee had one listing with one source: a payee the Scameter extract and the
bank's own investigation both named was recorded under whichever listed it first, so when
that source dropped it (a sync), it came off the list though the other still named it,
and an analyst's listing of a payee already listed from a feed was not recorded at all.
``fraud_watchlist_listings`` keeps each source's listing; the payee stays listed while any
source lists it, with the strictest action. A listing may carry a date by which someone
must review it (``review_by``), and who last reviewed it. The rows are filled from the
listed payees' current listings.

Revision ID: fraud_0007
Revises: fraud_0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fraud_0007"
down_revision = "fraud_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_watchlist_listings",
        sa.Column("payee_id", sa.String(128), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("listed_by", sa.String(64), nullable=False),
        sa.Column("listed_at", sa.String(40), nullable=False),
        sa.Column("review_by", sa.String(10), nullable=True),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.String(40), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("payee_id", "source", name=op.f("pk_fraud_watchlist_listings")),
    )
    op.create_index(
        "ix_fraud_watchlist_listings_source", "fraud_watchlist_listings", ["source"]
    )
    op.create_index(
        "ix_fraud_watchlist_listings_review_by", "fraud_watchlist_listings", ["review_by"]
    )
    # the payee's keyed pseudonym, as scored payments carry it: finds a decision's listing
    # for the case page (filled as payees are listed; rows from before are filled the
    # first time a case page looks for them)
    op.add_column("fraud_watchlist", sa.Column("payee_ref", sa.String(80), nullable=True))
    op.create_index("ix_fraud_watchlist_payee_ref", "fraud_watchlist", ["payee_ref"])
    op.execute(
        "INSERT INTO fraud_watchlist_listings"
        " (payee_id, source, action, reason, listed_by, listed_at)"
        " SELECT payee_id, source, action, reason, listed_by, listed_at"
        " FROM fraud_watchlist WHERE listed"
    )


def downgrade() -> None:
    op.drop_index("ix_fraud_watchlist_payee_ref", table_name="fraud_watchlist")
    with op.batch_alter_table("fraud_watchlist") as batch:
        batch.drop_column("payee_ref")
    op.drop_index("ix_fraud_watchlist_listings_review_by", table_name="fraud_watchlist_listings")
    op.drop_index("ix_fraud_watchlist_listings_source", table_name="fraud_watchlist_listings")
    op.drop_table("fraud_watchlist_listings")
