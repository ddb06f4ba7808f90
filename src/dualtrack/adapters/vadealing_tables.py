"""Tables of the OTC virtual-asset dealing desk: licence register, clients, wallet proofs,
FX rates, linked-transaction history, checked transactions, alerts, cases and STR drafts.

Records are stored as JSON documents (``dualtrack.adapters.codec``) next to the columns that
queries filter on. Times are UTC ISO-8601 text ("...Z"), which sorts correctly on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from dualtrack.adapters.tables import BIG_KEY, metadata

va_firms = Table(
    "va_firms",
    metadata,
    Column("firm_id", String(100), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

va_clients = Table(
    "va_clients",
    metadata,
    Column("client_id", String(100), primary_key=True),
    Column("cdd_status", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

# Open wallet-ownership challenges and micro-payment tests; closed ones cannot be replayed.
va_proofs = Table(
    "va_proofs",
    metadata,
    Column("proof_id", String(100), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("client_id", String(100), nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
    Column("data", Text, nullable=False),
)

va_fx_rates = Table(
    "va_fx_rates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("currency", String(20), nullable=False),
    Column("as_of", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_va_fx_rates_currency_as_of", "currency", "as_of"),
)

# Checked transactions kept for linking, partitioned by key (client:<id>, wallet:<chain>:<a>).
# One or two rows per checked transaction, kept for the retention period: a 64-bit key.
va_linked = Table(
    "va_linked",
    metadata,
    Column("id", BIG_KEY, primary_key=True, autoincrement=True),
    Column("key", String(250), nullable=False),
    Column("at", String(40), nullable=False),
    Column("tx_id", String(100), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_va_linked_key_at", "key", "at"),
    Index("ix_va_linked_tx", "tx_id"),
)

va_checks = Table(
    "va_checks",
    metadata,
    Column("check_id", String(40), primary_key=True),
    Column("tx_id", String(100), nullable=False),
    Column("client_id", String(100), nullable=False),
    Column("tx_at", String(40), nullable=False),
    Column("checked_at", String(40), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_va_checks_tx", "tx_id"),
    Index("ix_va_checks_tx_at", "tx_at"),
)

va_cases = Table(
    "va_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("client_id", String(100), nullable=False),
    Column("status", String(24), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_va_cases_client_status", "client_id", "status"),
)

va_alerts = Table(
    "va_alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("case_id", String(40), ForeignKey("va_cases.case_id"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_va_alerts_case", "case_id"),
)

va_str_drafts = Table(
    "va_str_drafts",
    metadata,
    Column("str_id", String(40), primary_key=True),
    Column("case_id", String(40), ForeignKey("va_cases.case_id"), nullable=False),
    Column("drafted_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)
