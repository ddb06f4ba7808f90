"""SQLAlchemy table definitions. The schema itself is created by Alembic migrations.

Domain records are stored as canonical JSON text in ``data`` columns next to the few columns
that queries filter on; every change to a system or model version also appends a revision row,
which is what makes "the inventory as it stood at time T" a query rather than a reconstruction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Times are stored as UTC ISO-8601 text with microseconds ("...Z"), which sorts correctly and
# means the same on SQLite and PostgreSQL.
users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(63), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("password_hash", Text),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

ai_systems = Table(
    "ai_systems",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("tier", String(8), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

ai_system_revisions = Table(
    "ai_system_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system_id", String(36), ForeignKey("ai_systems.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("change", Text, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("system_id", "revision", name="uq_ai_system_revisions_system_revision"),
    Index("ix_ai_system_revisions_recorded_at", "recorded_at"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("system_id", String(36), ForeignKey("ai_systems.id"), nullable=False),
    Column("version", String(100), nullable=False),
    Column("state", String(16), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("system_id", "version", name="uq_model_versions_system_version"),
    Index("ix_model_versions_state", "state"),
)

model_version_revisions = Table(
    "model_version_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", String(36), ForeignKey("model_versions.id"), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("change", Text, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_model_version_revisions_version", "version_id", "recorded_at"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("system_id", String(36), ForeignKey("ai_systems.id"), nullable=False),
    Column("control_id", String(40), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_evidence_system", "system_id"),
)

validation_runs = Table(
    "validation_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version_id", String(36), ForeignKey("model_versions.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_validation_runs_version", "version_id"),
)

# Keys that grow with traffic are 64-bit: one ledger entry per fraud decision would exhaust
# PostgreSQL's 32-bit INTEGER (2,147,483,647) in about 14 months at 5M decisions a day, well
# inside the five years records are kept. SQLite's INTEGER is already 64-bit, and stays
# INTEGER there so that the key remains the table's rowid.
BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BIG_KEY, primary_key=True, autoincrement=False),
    Column("recorded_at", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(80), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_ledger_entries_subject", "subject_type", "subject_id"),
)

# One row: the last appended sequence number and hash. Appends lock it, which serialises
# writers on PostgreSQL; it also reveals entries deleted from the end of the chain.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BIG_KEY, nullable=False),
    Column("hash", String(64), nullable=False),
)
