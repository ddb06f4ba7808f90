"""Tables of production monitoring: monitoring runs (metrics per window) and their alerts.

Validation runs live in the core's ``validation_runs`` table; report files live on disk.
Records are stored as JSON in ``data`` next to the columns that queries filter on.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from dualtrack.adapters.tables import metadata

monitoring_runs = Table(
    "monitoring_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("system_id", String(36), ForeignKey("ai_systems.id"), nullable=False),
    Column("version_id", String(36), ForeignKey("model_versions.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("n_alerts", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_monitoring_runs_system", "system_id", "created_at"),
)

monitoring_alerts = Table(
    "monitoring_alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("run_id", String(36), ForeignKey("monitoring_runs.id"), nullable=False),
    Column("system_id", String(36), ForeignKey("ai_systems.id"), nullable=False),
    Column("version_id", String(36), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("alert_key", String(64), nullable=False),
    Column("alert_type", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_monitoring_alerts_system", "system_id", "created_at"),
    Index("ix_monitoring_alerts_key", "system_id", "alert_key"),
)

# A reference profile set for a deployed version outside a validation run (for example a
# version validated before dualtrack, or the demo); validation runs carry their own.
monitoring_profiles = Table(
    "monitoring_profiles",
    metadata,
    Column("version_id", String(36), ForeignKey("model_versions.id"), primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("source", String(200), nullable=False),
    Column("data", Text, nullable=False),
)
