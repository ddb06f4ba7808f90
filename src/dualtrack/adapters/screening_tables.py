"""Tables of sanctions screening: list versions (with their raw bytes), load alerts,
screening decisions and reviewers' clearances."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from dualtrack.adapters.tables import metadata

# Every loaded version of a list, with the file it came from, so that any process can
# rebuild the in-memory index of the active version. Exactly one row per list is 'active'.
screening_list_versions = Table(
    "screening_list_versions",
    metadata,
    Column("version_id", String(200), primary_key=True),
    Column("list_id", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("loaded_at", String(40), nullable=False),
    Column("loaded_by", String(100), nullable=False),
    Column("source", String(500), nullable=False),
    Column("format", String(20), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("entry_count", Integer, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("companions", Text, nullable=False),
    Index("ix_screening_list_versions_list_status", "list_id", "status"),
)

# A list that failed to load: the alert, with the version kept in service.
screening_load_alerts = Table(
    "screening_load_alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("list_id", String(100), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("acknowledged", Boolean, nullable=False, default=False),
    Column("data", Text, nullable=False),
    Index("ix_screening_load_alerts_occurred", "occurred_at"),
)

# Every screening decision with the list versions it used (no query name is stored).
screening_decisions = Table(
    "screening_decisions",
    metadata,
    Column("screening_id", String(40), primary_key=True),
    Column("client_id", String(100), nullable=False),
    Column("screened_at", String(40), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_screening_decisions_client", "client_id", "screened_at"),
)

# A cleared hit, per client and list entry *content*: a changed entry is screened afresh.
screening_clearances = Table(
    "screening_clearances",
    metadata,
    Column("client_id", String(100), primary_key=True),
    Column("list_id", String(100), primary_key=True),
    Column("entry_id", String(200), primary_key=True),
    Column("entry_content_hash", String(64), primary_key=True),
    Column("cleared_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)
