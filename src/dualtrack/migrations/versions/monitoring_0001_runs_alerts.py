"""monitoring: monitoring runs, alerts and reference profiles

Revision ID: monitoring_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitoring_0001"
down_revision = "0001"
branch_labels = ("monitoring",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("n_alerts", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["ai_systems.id"], name=op.f("fk_monitoring_runs_system_id_ai_systems")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_monitoring_runs_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_runs")),
    )
    op.create_index("ix_monitoring_runs_system", "monitoring_runs", ["system_id", "created_at"])
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("alert_key", sa.String(length=64), nullable=False),
        sa.Column("alert_type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["monitoring_runs.id"],
            name=op.f("fk_monitoring_alerts_run_id_monitoring_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["ai_systems.id"], name=op.f("fk_monitoring_alerts_system_id_ai_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
    )
    op.create_index("ix_monitoring_alerts_system", "monitoring_alerts", ["system_id", "created_at"])
    op.create_index("ix_monitoring_alerts_key", "monitoring_alerts", ["system_id", "alert_key"])
    op.create_table(
        "monitoring_profiles",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_monitoring_profiles_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_monitoring_profiles")),
    )


def downgrade() -> None:
    op.drop_table("monitoring_profiles")
    op.drop_index("ix_monitoring_alerts_key", table_name="monitoring_alerts")
    op.drop_index("ix_monitoring_alerts_system", table_name="monitoring_alerts")
    op.drop_table("monitoring_alerts")
    op.drop_index("ix_monitoring_runs_system", table_name="monitoring_runs")
    op.drop_table("monitoring_runs")
