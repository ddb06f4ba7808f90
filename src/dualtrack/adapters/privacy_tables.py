"""Tables of the privacy guard: the policy in force for each AI system, with revisions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from dualtrack.adapters.tables import metadata

# One row per AI system that has a policy; ``data`` is the policy as canonical JSON.
privacy_policies = Table(
    "privacy_policies",
    metadata,
    Column("system_id", String(36), ForeignKey("ai_systems.id"), primary_key=True),
    Column("template", String(100)),
    Column("revision", Integer, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("data", Text, nullable=False),
)
