"""Use cases: profile a reference, run monitoring over a decision log, raise alerts.

The caller supplies the decision log as an iterable of chunks (pandas or polars
DataFrames: from a database cursor, Parquet row groups via :func:`iter_parquet_chunks`,
or a message consumer) and stores / ledgers the returned alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dualtrack.monitoring.accumulators import DriftAccumulator, PerformanceAccumulator
from dualtrack.monitoring.domain import (
    DECISION_CONTROLS,
    DRIFT_CONTROLS,
    DriftMetric,
    Limit,
    MonitoringAlert,
    MonitoringReport,
    MonitoringThresholds,
    WindowPerformance,
)
from dualtrack.monitoring.errors import InvalidMonitoringData, InvalidThresholds
from dualtrack.monitoring.profile import ReferenceProfile
from dualtrack.validation.domain import SEVERITIES, TIERS

logger = logging.getLogger(__name__)


def _limit(tier: str, name: str, raw: Any) -> Limit:
    if not isinstance(raw, Mapping) or "max" not in raw:
        raise InvalidThresholds(f"tier {tier}: {name} needs a 'max'")
    severity = str(raw.get("severity", "medium"))
    if severity not in SEVERITIES:
        raise InvalidThresholds(f"tier {tier}: {name} has unknown severity {severity!r}")
    return Limit(max=float(raw["max"]), severity=severity)


def parse_thresholds(tier: str, raw: Mapping[str, Any]) -> MonitoringThresholds:
    """Thresholds for ``tier`` from their YAML mapping."""
    if tier not in TIERS:
        raise InvalidThresholds(f"unknown risk tier {tier!r}")
    return MonitoringThresholds(
        tier=tier,
        score_psi=_limit(tier, "score_psi", raw.get("score_psi")),
        feature_psi=_limit(tier, "feature_psi", raw.get("feature_psi")),
        feature_ks=_limit(tier, "feature_ks", raw.get("feature_ks")),
        auc_drop=_limit(tier, "auc_drop", raw.get("auc_drop")),
        decision_rate_change=_limit(tier, "decision_rate_change", raw.get("decision_rate_change")),
        min_labelled=int(raw.get("min_labelled", 500)),
    )


@lru_cache(maxsize=1)
def _bundled() -> dict[str, MonitoringThresholds]:
    text = (
        resources.files("dualtrack.monitoring").joinpath("data/thresholds.yaml").read_text("utf-8")
    )
    raw = yaml.safe_load(text)
    return {tier: parse_thresholds(tier, body) for tier, body in raw["tiers"].items()}


def thresholds_for_tier(tier: str) -> MonitoringThresholds:
    """The bundled thresholds for ``LOW``, ``MEDIUM`` or ``HIGH``."""
    table = _bundled()
    if tier.upper() not in table:
        raise InvalidThresholds(f"no monitoring thresholds for risk tier {tier!r}")
    return table[tier.upper()]


def profile_model(
    model: Any,
    reference: Any,
    *,
    threshold: float,
    target: str | None = "target",
    feature_names: tuple[str, ...] | None = None,
) -> ReferenceProfile:
    """Score ``reference`` with ``model`` (a LoadedModel, estimator or booster) and profile it.

    Use the same reference sample as the validation run, so monitoring compares production
    with what was validated.
    """
    from dualtrack.validation.context import score_checked
    from dualtrack.validation.loading import LoadedModel, as_scoring_model

    scoring = model.model if isinstance(model, LoadedModel) else as_scoring_model(model)
    frame = reference.to_pandas() if hasattr(reference, "to_pandas") else reference
    names = scoring.feature_names or feature_names
    if names is None:
        raise InvalidMonitoringData("the model has no feature names; pass feature_names")
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InvalidMonitoringData(
            f"reference data lacks model feature(s): {', '.join(missing[:10])}", missing=missing
        )
    features = frame.loc[:, list(names)]
    scores = score_checked(scoring, features, "reference")
    labels = frame[target].to_numpy() if target and target in frame.columns else None
    columns = {n: features[n].to_numpy() for n in names}
    return ReferenceProfile.fit(columns, scores, threshold=threshold, labels=labels)


def attach_labels(decisions: Any, labels: Any, *, on: str, label_column: str = "label") -> Any:
    """Left-join late-arriving labels onto a polars chunk of decisions (missing -> null)."""
    import polars as pl

    if not isinstance(decisions, pl.DataFrame) or not isinstance(labels, pl.DataFrame):
        raise InvalidMonitoringData("attach_labels expects polars DataFrames")
    return decisions.join(labels.select(on, label_column), on=on, how="left")


def iter_parquet_chunks(path: str | Path, *, batch_size: int = 500_000) -> Iterator[Any]:
    """Stream a Parquet decision log as polars DataFrames of ``batch_size`` rows."""
    import polars as pl
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(str(path))
    for batch in handle.iter_batches(batch_size=batch_size):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def evaluate_alerts(
    drift: tuple[DriftMetric, ...],
    windows: tuple[WindowPerformance, ...],
    profile: ReferenceProfile,
    thresholds: MonitoringThresholds,
    *,
    period: tuple[str, str],
) -> tuple[MonitoringAlert, ...]:
    """Compare metrics with the tier's thresholds; one alert per breach."""
    alerts: list[MonitoringAlert] = []

    def add(
        kind: Any,
        subject: str,
        metric: str,
        value: float | None,
        limit: Limit,
        start: str,
        end: str,
        controls: tuple[str, ...],
        text: str,
    ) -> None:
        if value is not None and value > limit.max:
            alerts.append(
                MonitoringAlert(
                    alert_type=kind,
                    subject=subject,
                    metric=metric,
                    value=float(value),
                    threshold=limit.max,
                    severity=limit.severity,
                    window_start=start,
                    window_end=end,
                    message=text.format(value=value, limit=limit.max),
                    controls=controls,
                )
            )

    start, end = period
    for d in drift:
        if d.subject == "score":
            add(
                "drift.score_psi",
                "score",
                "psi",
                d.psi,
                thresholds.score_psi,
                start,
                end,
                DRIFT_CONTROLS,
                "score PSI {value:.4f} exceeds {limit}",
            )
            continue
        add(
            "drift.feature_psi",
            d.subject,
            "psi",
            d.psi,
            thresholds.feature_psi,
            start,
            end,
            DRIFT_CONTROLS,
            f"{d.subject}: PSI {{value:.4f}} exceeds {{limit}}",
        )
        add(
            "drift.feature_ks",
            d.subject,
            "ks",
            d.ks,
            thresholds.feature_ks,
            start,
            end,
            DRIFT_CONTROLS,
            f"{d.subject}: KS {{value:.4f}} exceeds {{limit}}",
        )
    for w in windows:
        add(
            "drift.score_psi",
            "score",
            "psi",
            w.score_psi,
            thresholds.score_psi,
            w.window_start,
            w.window_end,
            DRIFT_CONTROLS,
            "score PSI {value:.4f} in this window exceeds {limit}",
        )
        if w.positive_decision_rate is not None:
            change = abs(w.positive_decision_rate - profile.reference_decision_rate)
            add(
                "decisions.rate_change",
                "decisions",
                "positive_decision_rate_change",
                change,
                thresholds.decision_rate_change,
                w.window_start,
                w.window_end,
                DECISION_CONTROLS,
                "positive-decision rate moved {value:.4f} from the reference (limit {limit})",
            )
        if (
            w.auc is not None
            and profile.reference_auc is not None
            and (w.n_labelled >= thresholds.min_labelled)
        ):
            add(
                "performance.auc_drop",
                "score",
                "auc_drop",
                profile.reference_auc - w.auc,
                thresholds.auc_drop,
                w.window_start,
                w.window_end,
                DRIFT_CONTROLS,
                "AUC fell {value:.4f} below the reference (limit {limit})",
            )
    return tuple(alerts)


def run_monitoring(
    profile: ReferenceProfile,
    chunks: Iterable[Any],
    *,
    thresholds: MonitoringThresholds | str,
    score_column: str = "score",
    time_column: str = "decided_at",
    label_column: str | None = "label",
    decision_column: str | None = None,
    window_seconds: int = 86_400,
) -> MonitoringReport:
    """Stream the decision log once: drift over the whole period, performance per window."""
    limits = thresholds_for_tier(thresholds) if isinstance(thresholds, str) else thresholds
    drift_acc = DriftAccumulator(profile)
    perf_acc = PerformanceAccumulator(profile, window_seconds=window_seconds)
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        drift_acc.update(chunk, score_column=score_column)
        perf_acc.update(
            chunk,
            score_column=score_column,
            time_column=time_column,
            label_column=label_column,
            decision_column=decision_column,
        )
    if drift_acc.n_rows == 0:
        raise InvalidMonitoringData("the decision log is empty")
    drift = drift_acc.result()
    windows = perf_acc.result(min_labelled=limits.min_labelled)
    period = (windows[0].window_start, windows[-1].window_end)
    alerts = evaluate_alerts(drift, windows, profile, limits, period=period)
    logger.info(
        "monitoring: %s rows, %s windows, %s alerts", drift_acc.n_rows, len(windows), len(alerts)
    )
    return MonitoringReport(
        n_rows=drift_acc.n_rows,
        period_start=period[0],
        period_end=period[1],
        drift=drift,
        windows=windows,
        alerts=alerts,
        config={
            "thresholds": limits.to_dict(),
            "window_seconds": window_seconds,
            "score_column": score_column,
            "time_column": time_column,
            "label_column": label_column,
            "decision_column": decision_column,
            "reference_rows": profile.n_rows,
        },
    )
