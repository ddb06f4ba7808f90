"""SQL storage of monitoring runs and alerts over one ``sqlalchemy.Connection``.

Used inside a core unit of work (``platform.uow()``), so a run, its alerts and their ledger
entries commit together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, desc, func, insert, select

from dualtrack.adapters.monitoring_tables import (
    monitoring_alerts,
    monitoring_profiles,
    monitoring_runs,
)


def _dump(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SqlMonitoringRepository:
    """Monitoring runs and alerts (stored as JSON documents)."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add_run(self, run: Mapping[str, Any]) -> None:
        self._c.execute(
            insert(monitoring_runs).values(
                id=run["id"],
                system_id=run["system_id"],
                version_id=run["version_id"],
                created_at=run["created_at"],
                created_by=run["created_by"],
                n_rows=int(run["report"]["n_rows"]),
                n_alerts=len(run["alert_ids"]),
                data=_dump(run),
            )
        )

    def add_alert(self, alert: Mapping[str, Any]) -> None:
        self._c.execute(
            insert(monitoring_alerts).values(
                id=alert["id"],
                run_id=alert["run_id"],
                system_id=alert["system_id"],
                version_id=alert["version_id"],
                created_at=alert["created_at"],
                alert_key=alert["alert_key"],
                alert_type=alert["alert_type"],
                severity=alert["severity"],
                data=_dump(alert),
            )
        )

    def alert_keys(self, system_id: str, version_id: str) -> set[str]:
        """Keys of alerts already raised for this version (to raise each breach once)."""
        rows = self._c.execute(
            select(monitoring_alerts.c.alert_key).where(
                monitoring_alerts.c.system_id == system_id,
                monitoring_alerts.c.version_id == version_id,
            )
        )
        return {str(r.alert_key) for r in rows}

    def runs(self, system_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first."""
        rows = self._c.execute(
            select(monitoring_runs.c.data)
            .where(monitoring_runs.c.system_id == system_id)
            .order_by(desc(monitoring_runs.c.created_at))
            .limit(limit)
        )
        return [json.loads(r.data) for r in rows]

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        raw = self._c.execute(
            select(monitoring_runs.c.data).where(monitoring_runs.c.id == run_id)
        ).scalar()
        return json.loads(raw) if raw else None

    def alerts(self, system_id: str | None = None, *, limit: int = 200) -> list[dict[str, Any]]:
        """Newest first, for one system or all."""
        query = select(monitoring_alerts.c.data)
        if system_id is not None:
            query = query.where(monitoring_alerts.c.system_id == system_id)
        rows = self._c.execute(
            query.order_by(desc(monitoring_alerts.c.created_at), monitoring_alerts.c.id).limit(
                limit
            )
        )
        return [json.loads(r.data) for r in rows]

    def count_alerts(self, system_id: str | None = None) -> int:
        query = select(func.count()).select_from(monitoring_alerts)
        if system_id is not None:
            query = query.where(monitoring_alerts.c.system_id == system_id)
        return int(self._c.execute(query).scalar() or 0)

    def put_profile(
        self, version_id: str, *, created_at: str, created_by: str, source: str, profile: Any
    ) -> None:
        """Set (replace) the reference profile of a version."""
        self._c.execute(
            delete(monitoring_profiles).where(monitoring_profiles.c.version_id == version_id)
        )
        self._c.execute(
            insert(monitoring_profiles).values(
                version_id=version_id,
                created_at=created_at,
                created_by=created_by,
                source=source[:200],
                data=_dump(profile),
            )
        )

    def get_profile(self, version_id: str) -> tuple[str, dict[str, Any]] | None:
        """(created_at, profile) of a version's explicitly set profile."""
        row = self._c.execute(
            select(monitoring_profiles.c.created_at, monitoring_profiles.c.data).where(
                monitoring_profiles.c.version_id == version_id
            )
        ).first()
        return (str(row.created_at), json.loads(row.data)) if row else None


__all__ = ["SqlMonitoringRepository"]
