"""Composition of production monitoring into the governed core.

``service(platform)`` returns the platform's :class:`MonitoringGovernance` (built once). A
monitoring run watches the *deployed* version of an AI system:

* the reference is the monitoring profile stored with that version's latest passing (or
  overridden) validation run (``dualtrack validate`` bins the reference data it validated
  against), so production is compared with exactly what was validated;
* decisions and late-arriving labels come from a :class:`DecisionSource`: the fraud
  application's stored decisions and analyst verdicts when that feature is installed, or
  CSV/Parquet files (:class:`FileDecisionSource`);
* the tier's thresholds (``dualtrack.monitoring.thresholds_for_tier``) turn breaches into
  alerts. The run, its new alerts and their ledger entries (``monitoring.run``,
  ``monitoring.alert``) commit in one transaction. A breach already alerted for the same
  version, metric, subject and window is not raised twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from dualtrack.errors import Conflict, InvalidInput, RoleNotAllowed
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.domain import format_time
from dualtrack.monitoring.errors import InvalidMonitoringData
from dualtrack.monitoring.profile import SCORE, ReferenceProfile
from dualtrack.monitoring.service import run_monitoring, thresholds_for_tier
from dualtrack.registry.domain import AISystem, ModelVersion

if TYPE_CHECKING:
    from dualtrack.bootstrap import Platform

logger = logging.getLogger(__name__)

SCORE_COLUMN = "score"
TIME_COLUMN = "decided_at"
LABEL_COLUMN = "label"
CHUNK_ROWS = 500_000
_RUNNERS = frozenset(
    {
        Role.MODEL_DEVELOPER,
        Role.VALIDATOR,
        Role.COMPLIANCE_OFFICER,
        Role.SENIOR_MANAGER,
        Role.ADMIN,
    }
)


class DecisionSource(Protocol):
    """Where a monitoring run reads production decisions and labels from.

    ``chunks`` yields polars DataFrames with a ``score`` column (the model's probability), a
    ``decided_at`` column (datetimes, ISO-8601 text or epoch seconds), optionally ``label``
    (1 bad / 0 good, null while unknown) and any model feature columns that were logged.
    """

    @property
    def description(self) -> str: ...

    def chunks(self, system: AISystem, version: ModelVersion) -> Iterator[pl.DataFrame]: ...


def _read_table(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise InvalidMonitoringData("file does not exist", path=path.name)
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pl.read_parquet(path)
        if suffix in {".csv", ".txt"}:
            return pl.read_csv(path, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidMonitoringData(
            "file cannot be read", path=path.name, reason=type(exc).__name__
        ) from exc
    raise InvalidMonitoringData("decisions and labels must be .csv or .parquet files")


class FileDecisionSource:
    """Decisions (and optionally labels) from CSV or Parquet files.

    Labels are joined on ``key`` (a decision or transaction ID present in both files); the
    labels file's outcome column is ``label`` or ``is_fraud``.
    """

    def __init__(
        self, decisions: Path, labels: Path | None = None, *, key: str | None = None
    ) -> None:
        self.decisions = Path(decisions)
        self.labels = Path(labels) if labels is not None else None
        self.key = key

    @property
    def description(self) -> str:
        text = f"file {self.decisions.name}"
        return text + (f" with labels {self.labels.name}" if self.labels else "")

    def chunks(self, system: AISystem, version: ModelVersion) -> Iterator[pl.DataFrame]:
        frame = _read_table(self.decisions)
        if self.labels is not None:
            frame = self._join_labels(frame, _read_table(self.labels))
        for start in range(0, max(frame.height, 1), CHUNK_ROWS):
            yield frame.slice(start, CHUNK_ROWS)

    def _join_labels(self, decisions: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
        outcome = next((c for c in (LABEL_COLUMN, "is_fraud") if c in labels.columns), None)
        if outcome is None:
            raise InvalidMonitoringData("the labels file needs a 'label' or 'is_fraud' column")
        key = self.key or next(
            (
                c
                for c in ("decision_id", "txn_id", "id")
                if c in decisions.columns and c in labels.columns
            ),
            None,
        )
        if key is None or key not in decisions.columns or key not in labels.columns:
            raise InvalidMonitoringData(
                "decisions and labels need a shared ID column (decision_id, txn_id or id)"
            )
        right = labels.select(
            pl.col(key), pl.col(outcome).cast(pl.Float64).alias("_arrived_label")
        ).unique(subset=key, keep="last")
        joined = decisions.join(right, on=key, how="left")
        if LABEL_COLUMN in joined.columns:
            merged = pl.coalesce(pl.col("_arrived_label"), pl.col(LABEL_COLUMN).cast(pl.Float64))
            joined = joined.with_columns(merged.alias(LABEL_COLUMN)).drop("_arrived_label")
        else:
            joined = joined.rename({"_arrived_label": LABEL_COLUMN})
        return joined


def _normalise(chunk: pl.DataFrame) -> pl.DataFrame:
    """Check the required columns and parse text timestamps to UTC datetimes."""
    for name in (SCORE_COLUMN, TIME_COLUMN):
        if name not in chunk.columns:
            raise InvalidMonitoringData(f"the decision log lacks the {name!r} column")
    exprs = [pl.col(SCORE_COLUMN).cast(pl.Float64)]
    dtype = chunk.schema[TIME_COLUMN]
    if dtype == pl.String:
        try:
            parsed = chunk.select(
                pl.col(TIME_COLUMN).str.to_datetime(time_unit="us", time_zone="UTC")
            )
        except pl.exceptions.PolarsError as exc:
            raise InvalidMonitoringData(
                "decided_at must be ISO-8601 date-times (e.g. 2026-11-25T09:00:00Z)"
            ) from exc
        chunk = chunk.with_columns(parsed[TIME_COLUMN])
        dtype = chunk.schema[TIME_COLUMN]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        exprs.append(pl.col(TIME_COLUMN).dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    if LABEL_COLUMN in chunk.columns:
        exprs.append(pl.col(LABEL_COLUMN).cast(pl.Float64))
    return chunk.with_columns(exprs)


def fit_profile(profile: ReferenceProfile, columns: Sequence[str]) -> ReferenceProfile:
    """The profile restricted to the features the decision log holds (the score always).

    Production logs often keep the score and decision but not every model input; drift is
    then measured on the score and the logged features only.
    """
    kept = tuple(f for f in profile.features if f in set(columns))
    if kept == profile.features:
        return profile
    bins = {k: v for k, v in profile.bins.items() if k in kept or k == SCORE}
    return replace(profile, features=kept, bins=bins)


def _alert_key(version_id: str, alert: dict[str, Any]) -> str:
    text = "|".join(
        str(alert[k]) for k in ("alert_type", "subject", "metric", "window_start", "window_end")
    )
    return hashlib.sha256(f"{version_id}|{text}".encode()).hexdigest()


class MonitoringGovernance:
    """Monitoring runs of deployed versions, stored and ledgered."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def profile_for(self, version: ModelVersion) -> ReferenceProfile:
        """The newest reference profile of the version: from its latest effective-pass
        validation run, or one set explicitly (:meth:`set_profile`), whichever is newer."""
        from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository

        candidates: list[tuple[str, dict[str, Any]]] = []
        runs = [r for r in self._platform.registry.validations(version.id) if r.effective_pass]
        for record in sorted(runs, key=lambda r: r.created_at, reverse=True):
            raw = record.result.get("monitoring_profile")
            if raw:
                candidates.append((record.created_at, raw))
                break
        with self._platform.uow() as uow:
            stored = SqlMonitoringRepository(uow.connection).get_profile(version.id)
        if stored is not None:
            candidates.append(stored)
        if not candidates:
            raise InvalidInput(
                "the deployed version has no reference profile: validate it with `dualtrack "
                "validate VERSION --data FILE --reference FILE`, or set one with `dualtrack "
                "monitor profile SYSTEM --reference FILE`",
                version_id=version.id,
            )
        return ReferenceProfile.from_dict(max(candidates, key=lambda c: c[0])[1])

    def set_profile(
        self,
        actor: Actor,
        system_ref: str,
        reference: Path | Any,
        *,
        target: str | None = "target",
        source: str | None = None,
    ) -> dict[str, Any]:
        """Profile reference data (a CSV/Parquet path or a DataFrame) with the deployed
        version's model and keep it as that version's monitoring reference (ledgered)."""
        from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository
        from dualtrack.monitoring.service import profile_model
        from dualtrack.validation.loading import load_dataset
        from dualtrack.validation.wiring import load_version_model

        if actor.role not in _RUNNERS:
            raise RoleNotAllowed(
                f"role {actor.role.value} may not set monitoring references", role=actor.role.value
            )
        registry = self._platform.registry
        system = registry.find_system(system_ref)
        version = registry.deployed_version(system.id)
        if version is None:
            raise Conflict("the AI system has no deployed model version to monitor")
        model = load_version_model(version, Path(self._platform.settings.var_dir))
        label = source or (
            f"file {Path(reference).name}" if isinstance(reference, str | Path) else "data frame"
        )
        frame = load_dataset(reference) if isinstance(reference, str | Path) else reference
        profile = profile_model(
            model.loaded,
            frame,
            threshold=model.thresholds[0],
            target=target if target and target in frame.columns else None,
        ).to_dict()
        with self._platform.uow() as uow:
            now = format_time(uow.now())
            SqlMonitoringRepository(uow.connection).put_profile(
                version.id, created_at=now, created_by=actor.username, source=label, profile=profile
            )
            uow.audit.record(
                actor=actor.username,
                action="monitoring.profile_set",
                subject_type="model_version",
                subject_id=version.id,
                payload={
                    "system_id": system.id,
                    "source": label,
                    "n_rows": profile["n_rows"],
                    "features": profile["features"],
                    "artifact_sha256": version.artifact_sha256,
                },
            )
            uow.commit()
        return {
            "version_id": version.id,
            "source": label,
            "n_rows": profile["n_rows"],
            "features": profile["features"],
            "reference_auc": profile["reference_auc"],
        }

    def run(
        self,
        actor: Actor,
        system_ref: str,
        source: DecisionSource,
        *,
        window_seconds: int = 86_400,
    ) -> dict[str, Any]:
        """Monitor the system's deployed version over ``source``; store run and alerts."""
        if actor.role not in _RUNNERS:
            raise RoleNotAllowed(
                f"role {actor.role.value} may not run monitoring", role=actor.role.value
            )
        if not 3_600 <= window_seconds <= 31 * 86_400:
            raise InvalidInput("window_seconds must be between 3600 (1 h) and 2678400 (31 days)")
        registry = self._platform.registry
        system = registry.find_system(system_ref)
        version = registry.deployed_version(system.id)
        if version is None:
            raise Conflict("the AI system has no deployed model version to monitor")
        profile = self.profile_for(version)
        chunks = (_normalise(c) for c in source.chunks(system, version) if c.height)
        first = next(chunks, None)
        if first is None:
            raise InvalidMonitoringData("the decision log is empty")
        profile = fit_profile(profile, first.columns)

        def all_chunks() -> Iterator[pl.DataFrame]:
            yield first
            yield from chunks

        report = run_monitoring(
            profile,
            all_chunks(),
            thresholds=thresholds_for_tier(system.tier.value),
            score_column=SCORE_COLUMN,
            time_column=TIME_COLUMN,
            label_column=LABEL_COLUMN if LABEL_COLUMN in first.columns else None,
            window_seconds=window_seconds,
        )
        body = report.to_dict()
        with self._platform.uow() as uow:
            from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository

            repo = SqlMonitoringRepository(uow.connection)
            now = format_time(uow.now())
            run_id = str(uuid.uuid4())
            seen = repo.alert_keys(system.id, version.id)
            new_alerts = []
            for alert in body["alerts"]:
                key = _alert_key(version.id, alert)
                if key in seen:
                    continue
                seen.add(key)
                new_alerts.append(
                    alert
                    | {
                        "id": str(uuid.uuid4()),
                        "run_id": run_id,
                        "system_id": system.id,
                        "system_name": system.attributes.name,
                        "version_id": version.id,
                        "version": version.version,
                        "tier": system.tier.value,
                        "created_at": now,
                        "alert_key": key,
                    }
                )
            run = {
                "id": run_id,
                "system_id": system.id,
                "version_id": version.id,
                "version": version.version,
                "tier": system.tier.value,
                "created_at": now,
                "created_by": actor.username,
                "source": source.description,
                "features_monitored": list(profile.features),
                "report": body,
                "alert_ids": [a["id"] for a in new_alerts],
                "repeated_alerts": len(body["alerts"]) - len(new_alerts),
            }
            repo.add_run(run)
            uow.audit.record(
                actor=actor.username,
                action="monitoring.run",
                subject_type="ai_system",
                subject_id=system.id,
                payload={
                    "run_id": run_id,
                    "version_id": version.id,
                    "n_rows": body["n_rows"],
                    "period": [body["period_start"], body["period_end"]],
                    "new_alerts": len(new_alerts),
                    "source": source.description,
                },
            )
            for alert in new_alerts:
                repo.add_alert(alert)
                uow.audit.record(
                    actor=actor.username,
                    action="monitoring.alert",
                    subject_type="ai_system",
                    subject_id=system.id,
                    payload={
                        "alert_id": alert["id"],
                        "run_id": run_id,
                        "version_id": version.id,
                        "alert_type": alert["alert_type"],
                        "subject": alert["subject"],
                        "metric": alert["metric"],
                        "value": alert["value"],
                        "threshold": alert["threshold"],
                        "severity": alert["severity"],
                        "window": [alert["window_start"], alert["window_end"]],
                        "controls": alert["controls"],
                    },
                )
            uow.commit()
        logger.info(
            "monitoring run %s of system %s: %s rows, %s new alerts",
            run_id,
            system.id,
            body["n_rows"],
            len(new_alerts),
        )
        return run | {"alerts": new_alerts}

    def runs(self, system_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Monitoring runs of a system, newest first."""
        from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository

        system = self._platform.registry.find_system(system_id)
        with self._platform.uow() as uow:
            return SqlMonitoringRepository(uow.connection).runs(system.id, limit=limit)

    def alerts(self, system_id: str | None = None, *, limit: int = 200) -> list[dict[str, Any]]:
        """Monitoring alerts, newest first, of one system or all."""
        from dualtrack.adapters.monitoring_sql import SqlMonitoringRepository

        sid = self._platform.registry.find_system(system_id).id if system_id else None
        with self._platform.uow() as uow:
            return SqlMonitoringRepository(uow.connection).alerts(sid, limit=limit)

    def overview(self, system_id: str) -> dict[str, Any]:
        """What the dashboard and API show: the latest run's windows and drift, run history
        and alerts."""
        system = self._platform.registry.find_system(system_id)
        runs = self.runs(system.id)
        latest = runs[0] if runs else None
        return {
            "system": {"id": system.id, "name": system.attributes.name, "tier": system.tier.value},
            "latest_run": latest,
            "windows": latest["report"]["windows"] if latest else [],
            "drift": latest["report"]["drift"] if latest else [],
            "history": [
                {
                    "run_id": r["id"],
                    "created_at": r["created_at"],
                    "n_rows": r["report"]["n_rows"],
                    "score_psi": next(
                        (d["psi"] for d in r["report"]["drift"] if d["subject"] == "score"), None
                    ),
                    "new_alerts": len(r["alert_ids"]),
                }
                for r in reversed(runs)
            ],
            "alerts": self.alerts(system.id),
            "thresholds": thresholds_for_tier(system.tier.value).to_dict(),
        }


def service(platform: Platform) -> MonitoringGovernance:
    """The platform's monitoring service (built once)."""
    return platform.feature("monitoring", MonitoringGovernance)


def default_source(
    platform: Platform, decisions: Path | None, labels: Path | None
) -> DecisionSource:
    """Files when given; otherwise the fraud application's stored decisions and labels."""
    if decisions is not None:
        return FileDecisionSource(decisions, labels)
    if labels is not None:
        raise InvalidInput("--labels needs --decisions")
    fraud = fraud_source(platform)
    if fraud is None:
        raise InvalidInput(
            "no stored decisions to monitor: pass a decisions file (CSV or Parquet with score "
            "and decided_at columns)"
        )
    return fraud


def fraud_source(platform: Platform) -> DecisionSource | None:
    """The fraud application's stored decisions and labels, if that feature is installed."""
    try:
        from dualtrack.monitoring.fraud_source import FraudTableSource
    except ImportError:
        return None
    return FraudTableSource(platform)


def seed_demo(platform: Platform) -> None:
    """One monitoring pass over the demo's stored fraud decisions (a few seconds).

    The demo fraud version was validated with a plain verdict (no reference profile), so its
    training days are re-simulated and profiled first, recorded as such in the ledger.
    Skipped quietly when the fraud demo is not there.
    """
    from dualtrack.errors import PlatformError

    source = fraud_source(platform)
    if source is None:
        return
    try:
        system = platform.registry.find_system("Card and FPS fraud detection")
        mon = service(platform)
        if mon.runs(system.id, limit=1):
            return
        version = platform.registry.deployed_version(system.id)
        if version is None or version.config.get("source") != "simulator":
            return
        if next(iter(source.chunks(system, version)), None) is None:
            return  # no stored decisions to monitor
        actor = Actor.system("demo-seed")
        try:
            mon.profile_for(version)
        except InvalidInput:
            mon.set_profile(
                actor,
                system.id,
                _demo_fraud_reference(),
                target="is_fraud",
                source="demo: the simulated training days of the demo fraud model",
            )
        mon.run(actor, system.id, source)
    except PlatformError as exc:
        logger.info("demo monitoring skipped: %s", type(exc).__name__)


def _demo_fraud_reference() -> Any:
    from dualtrack.fraud.features import with_features
    from dualtrack.fraud.simulator import HKPaymentsSimulator
    from dualtrack.fraud.wiring import DEMO_SIMULATION, DEMO_TRAIN_DAYS

    sim = HKPaymentsSimulator(DEMO_SIMULATION)
    frame = with_features(pl.concat([sim.day(d) for d in range(DEMO_TRAIN_DAYS)]))
    return frame.to_pandas()


__all__ = [
    "DecisionSource",
    "FileDecisionSource",
    "MonitoringGovernance",
    "default_source",
    "fit_profile",
    "fraud_source",
    "seed_demo",
    "service",
]
