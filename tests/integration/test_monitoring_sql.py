"""Monitoring runs and alerts stored on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository
from dualtrack.bootstrap import Platform
from dualtrack.registry.domain import OpportunityArea, SystemAttributes
from tests.conftest import People


def _system_and_version(platform: Platform, people: People) -> tuple[str, str]:
    system = platform.registry.register_system(
        people.dev,
        SystemAttributes(
            name="Scorer",
            purpose="p",
            business_function="b",
            opportunity_area=OpportunityArea.RISK_ASSESSMENT,
            accountable_senior_manager="sam",
            owner="dev",
        ),
    )
    version = platform.registry.register_version(
        people.dev, system.id, version="1", artifact_sha256="a" * 64, data_fingerprint="b" * 64
    )
    return system.id, version.id


def test_runs_and_alerts_round_trip(platform: Platform, people: People) -> None:
    system_id, version_id = _system_and_version(platform, people)
    run = {
        "id": "r1",
        "system_id": system_id,
        "version_id": version_id,
        "created_at": "2026-11-25T10:00:00.000000Z",
        "created_by": "val",
        "report": {"n_rows": 10, "drift": [], "windows": []},
        "alert_ids": ["a1"],
        "note": "多語言 text",
    }
    alert = {
        "id": "a1",
        "run_id": "r1",
        "system_id": system_id,
        "version_id": version_id,
        "created_at": run["created_at"],
        "alert_key": hashlib.sha256(b"k").hexdigest(),
        "alert_type": "drift.score_psi",
        "severity": "high",
        "value": 0.4,
    }
    with platform.uow() as uow:
        repo = SqlMonitoringRepository(uow.connection)
        repo.add_run(run)
        repo.add_alert(alert)
        uow.commit()
    with platform.uow() as uow:
        repo = SqlMonitoringRepository(uow.connection)
        assert repo.runs(system_id) == [run]
        assert repo.get_run("r1") == run
        assert repo.get_run("nope") is None
        assert repo.alerts(system_id) == [alert]
        assert repo.alerts() == [alert]
        assert repo.alerts("other-system") == []
        assert repo.count_alerts(system_id) == 1
        assert repo.alert_keys(system_id, version_id) == {alert["alert_key"]}
        assert repo.alert_keys(system_id, "other-version") == set()
        assert repo.get_profile(version_id) is None
        for n in (1, 2):  # replacing keeps one profile per version
            repo.put_profile(
                version_id,
                created_at=f"2026-11-25T10:00:0{n}.000000Z",
                created_by="val",
                source="test",
                profile={"n_rows": n},
            )
        uow.commit()
    with platform.uow() as uow:
        assert SqlMonitoringRepository(uow.connection).get_profile(version_id) == (
            "2026-11-25T10:00:02.000000Z",
            {"n_rows": 2},
        )


def test_uncommitted_run_is_not_stored(platform: Platform, people: People) -> None:
    system_id, version_id = _system_and_version(platform, people)
    with platform.uow() as uow:
        SqlMonitoringRepository(uow.connection).add_run(
            {
                "id": "r2",
                "system_id": system_id,
                "version_id": version_id,
                "created_at": "2026-11-25T10:00:00.000000Z",
                "created_by": "val",
                "report": {"n_rows": 1},
                "alert_ids": [],
            }
        )
    with platform.uow() as uow:
        assert SqlMonitoringRepository(uow.connection).runs(system_id) == []
