"""Monitoring records: drift metrics, per-window performance, thresholds and alerts.

All records are frozen dataclasses with ``to_dict()`` giving strict JSON types, so the lead
can store them and write alerts to the audit ledger unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dualtrack.validation.domain import Severity, Tier, freeze, thaw

AlertType = Literal[
    "drift.score_psi",
    "drift.feature_psi",
    "drift.feature_ks",
    "performance.auc_drop",
    "decisions.rate_change",
]

DRIFT_CONTROLS = ("SFC-08", "HKMA-HLP-09", "PCPD-11")
DECISION_CONTROLS = (*DRIFT_CONTROLS, "HKMA-BDAI-02")


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class DriftMetric:
    """Drift of one feature (or the score) between the reference and the monitored rows."""

    subject: str
    kind: Literal["numeric", "categorical"]
    psi: float | None
    ks: float | None
    ks_pvalue: float | None
    n_reference: int
    n_current: int
    missing_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "subject": self.subject,
            "kind": self.kind,
            "psi": _num(self.psi),
            "ks": _num(self.ks),
            "ks_pvalue": _num(self.ks_pvalue),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing_rate": _num(self.missing_rate),
        }


@dataclass(frozen=True, slots=True)
class WindowPerformance:
    """Decisions, scores and (late-arriving) labels in one time window."""

    window_start: str
    window_end: str
    n_decisions: int
    n_labelled: int
    mean_score: float | None
    positive_decision_rate: float | None
    score_psi: float | None
    bad_rate: float | None
    auc: float | None
    brier: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "window_start": self.window_start,
            "window_end": self.window_end,
            "n_decisions": self.n_decisions,
            "n_labelled": self.n_labelled,
            "mean_score": _num(self.mean_score),
            "positive_decision_rate": _num(self.positive_decision_rate),
            "score_psi": _num(self.score_psi),
            "bad_rate": _num(self.bad_rate),
            "auc": _num(self.auc),
            "brier": _num(self.brier),
        }


@dataclass(frozen=True, slots=True)
class Limit:
    """One threshold: alert when the metric exceeds ``max``."""

    max: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class MonitoringThresholds:
    """Per-tier alert thresholds (data in ``monitoring/data/thresholds.yaml``)."""

    tier: Tier
    score_psi: Limit
    feature_psi: Limit
    feature_ks: Limit
    auc_drop: Limit
    decision_rate_change: Limit
    min_labelled: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        out: dict[str, Any] = {"tier": self.tier, "min_labelled": self.min_labelled}
        for name in ("score_psi", "feature_psi", "feature_ks", "auc_drop", "decision_rate_change"):
            limit: Limit = getattr(self, name)
            out[name] = {"max": limit.max, "severity": limit.severity}
        return out


@dataclass(frozen=True, slots=True)
class MonitoringAlert:
    """A threshold breach for the lead to store, ledger and route to the model owner.

    ``window_start`` / ``window_end`` bound the rows the metric was computed on (the whole
    monitored period for feature drift). ``controls`` are the control IDs the monitoring
    evidences.
    """

    alert_type: AlertType
    subject: str
    metric: str
    value: float
    threshold: float
    severity: Severity
    window_start: str
    window_end: str
    message: str
    controls: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "alert_type": self.alert_type,
            "subject": self.subject,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "severity": self.severity,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "message": self.message,
            "controls": list(self.controls),
        }


@dataclass(frozen=True, slots=True)
class MonitoringReport:
    """Result of one monitoring run over a decision log."""

    n_rows: int
    period_start: str | None
    period_end: str | None
    drift: tuple[DriftMetric, ...]
    windows: tuple[WindowPerformance, ...]
    alerts: tuple[MonitoringAlert, ...]
    config: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", freeze(self.config))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "n_rows": self.n_rows,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "drift": [d.to_dict() for d in self.drift],
            "windows": [w.to_dict() for w in self.windows],
            "alerts": [a.to_dict() for a in self.alerts],
            "config": thaw(self.config),
        }

    def to_json(self) -> str:
        """Strict JSON."""
        return json.dumps(self.to_dict(), allow_nan=False, sort_keys=True)
