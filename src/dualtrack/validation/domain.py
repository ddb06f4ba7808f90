"""Validation records: immutable, JSON-serialisable results of validation tests and runs.

Every record freezes the mappings it holds (``MappingProxyType`` and tuples), so a result
handed to the ledger cannot be edited afterwards, and ``to_dict()`` gives back plain JSON
types. Floats that are not finite are stored as ``None`` so the JSON is strict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

import numpy as np

Severity = Literal["info", "low", "medium", "high", "critical"]
Status = Literal["pass", "fail", "error", "skipped"]
Category = Literal[
    "performance",
    "stability",
    "fairness",
    "robustness",
    "explainability",
    "data_quality",
    "overfitting",
]
Tier = Literal["LOW", "MEDIUM", "HIGH"]

SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
TIERS: tuple[Tier, ...] = ("LOW", "MEDIUM", "HIGH")


def severity_rank(severity: Severity) -> int:
    """Order of a severity: ``info`` is 0, ``critical`` is 4."""
    return SEVERITIES.index(severity)


def freeze(value: Any) -> Any:
    """Turn JSON-like data into read-only equivalents (numpy scalars become Python ones)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, np.ndarray):
        return tuple(freeze(v) for v in value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"value of type {type(value).__name__} is not JSON-serialisable")


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: plain dicts and lists ready for ``json.dumps``."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class DataFingerprint:
    """What the data was, without the data: a content hash plus its shape and schema."""

    sha256: str
    n_rows: int
    n_columns: int
    columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "sha256": self.sha256,
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "columns": list(self.columns),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataFingerprint:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            sha256=str(data["sha256"]),
            n_rows=int(data["n_rows"]),
            n_columns=int(data["n_columns"]),
            columns=tuple(data["columns"]),
        )


@dataclass(frozen=True, slots=True)
class ValidationTestResult:
    """The outcome of one validation test on one dataset.

    ``severity`` is the plan's severity for a failure of this test; a passing result keeps it
    so a reader can see how much the check mattered. ``metrics`` are the headline numbers,
    ``details`` hold tables and curve points (used by the report), ``config`` the exact
    parameters the test ran with.
    """

    test_id: str
    category: Category
    status: Status
    severity: Severity
    message: str
    metrics: Mapping[str, Any]
    details: Mapping[str, Any]
    config: Mapping[str, Any]
    controls: tuple[str, ...]
    data_fingerprint: str
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", freeze(self.metrics))
        object.__setattr__(self, "details", freeze(self.details))
        object.__setattr__(self, "config", freeze(self.config))
        object.__setattr__(self, "controls", tuple(self.controls))
        object.__setattr__(self, "duration_s", round(self.duration_s, 4))

    @property
    def passed(self) -> bool:
        """True when the test ran and met its thresholds (skipped tests are not passes)."""
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "test_id": self.test_id,
            "category": self.category,
            "status": self.status,
            "passed": self.passed,
            "severity": self.severity,
            "message": self.message,
            "metrics": thaw(self.metrics),
            "details": thaw(self.details),
            "config": thaw(self.config),
            "controls": list(self.controls),
            "data_fingerprint": self.data_fingerprint,
            "duration_s": round(self.duration_s, 4),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationTestResult:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            test_id=str(data["test_id"]),
            category=cast(Category, data["category"]),
            status=cast(Status, data["status"]),
            severity=cast(Severity, data["severity"]),
            message=str(data["message"]),
            metrics=data["metrics"],
            details=data["details"],
            config=data["config"],
            controls=tuple(data["controls"]),
            data_fingerprint=str(data["data_fingerprint"]),
            duration_s=float(data.get("duration_s", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a reviewer must look at: a failed, errored or skipped test."""

    test_id: str
    severity: Severity
    status: Status
    message: str
    controls: tuple[str, ...]
    blocking: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "test_id": self.test_id,
            "severity": self.severity,
            "status": self.status,
            "message": self.message,
            "controls": list(self.controls),
            "blocking": self.blocking,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            test_id=str(data["test_id"]),
            severity=cast(Severity, data["severity"]),
            status=cast(Status, data["status"]),
            message=str(data["message"]),
            controls=tuple(data["controls"]),
            blocking=bool(data["blocking"]),
        )


@dataclass(frozen=True, slots=True)
class ValidationRun:
    """One execution of a validation plan against one model artifact and one dataset.

    ``passed`` is the gate answer: False when any test errored or any failure is at or above
    the plan's blocking severity. The lead's deployment gate should also check that
    ``model_artifact_sha256`` equals the registered artifact's hash.
    """

    plan_id: str
    tier: Tier
    passed: bool
    model_artifact_sha256: str
    data_fingerprint: DataFingerprint
    reference_fingerprint: DataFingerprint | None
    config: Mapping[str, Any]
    results: tuple[ValidationTestResult, ...]
    findings: tuple[Finding, ...]
    started_at: str
    finished_at: str
    duration_s: float
    library_version: str = "1"
    summary: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", freeze(self.config))
        object.__setattr__(self, "summary", freeze(self.summary))
        object.__setattr__(self, "duration_s", round(self.duration_s, 4))
        object.__setattr__(self, "results", tuple(self.results))
        object.__setattr__(self, "findings", tuple(self.findings))

    @property
    def controls(self) -> tuple[str, ...]:
        """Every control ID some result of this run evidences, sorted."""
        return tuple(sorted({c for r in self.results for c in r.controls}))

    def result(self, test_id: str) -> ValidationTestResult:
        """The result of ``test_id`` (KeyError when the plan did not run it)."""
        for r in self.results:
            if r.test_id == test_id:
                return r
        raise KeyError(test_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "plan_id": self.plan_id,
            "tier": self.tier,
            "passed": self.passed,
            "model_artifact_sha256": self.model_artifact_sha256,
            "data_fingerprint": self.data_fingerprint.to_dict(),
            "reference_fingerprint": (
                self.reference_fingerprint.to_dict() if self.reference_fingerprint else None
            ),
            "config": thaw(self.config),
            "summary": thaw(self.summary),
            "controls": list(self.controls),
            "findings": [f.to_dict() for f in self.findings],
            "results": [r.to_dict() for r in self.results],
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round(self.duration_s, 4),
            "library_version": self.library_version,
        }

    def to_json(self) -> str:
        """Strict JSON (no NaN), keys in a stable order."""
        return json.dumps(self.to_dict(), allow_nan=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationRun:
        """Rebuild from :meth:`to_dict` output (for example to re-render a stored report)."""
        ref = data.get("reference_fingerprint")
        return cls(
            plan_id=str(data["plan_id"]),
            tier=cast(Tier, data["tier"]),
            passed=bool(data["passed"]),
            model_artifact_sha256=str(data["model_artifact_sha256"]),
            data_fingerprint=DataFingerprint.from_dict(data["data_fingerprint"]),
            reference_fingerprint=DataFingerprint.from_dict(ref) if ref else None,
            config=data["config"],
            results=tuple(ValidationTestResult.from_dict(r) for r in data["results"]),
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
            started_at=str(data["started_at"]),
            finished_at=str(data["finished_at"]),
            duration_s=float(data["duration_s"]),
            library_version=str(data.get("library_version", "1")),
            summary=data.get("summary", {}),
        )

    @classmethod
    def from_json(cls, text: str) -> ValidationRun:
        """Rebuild from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class PlannedTest:
    """One line of a validation plan: which test, with which parameters, how severe."""

    test_id: str
    params: Mapping[str, Any]
    severity: Severity
    controls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", freeze(self.params))
        object.__setattr__(self, "controls", tuple(self.controls))


@dataclass(frozen=True, slots=True)
class ValidationPlan:
    """The tests and thresholds a risk tier requires before deployment."""

    plan_id: str
    tier: Tier
    description: str
    tests: tuple[PlannedTest, ...]
    blocking_severity: Severity = "high"
    require_reference: bool = False
    require_protected_attributes: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "plan_id": self.plan_id,
            "tier": self.tier,
            "description": self.description,
            "blocking_severity": self.blocking_severity,
            "require_reference": self.require_reference,
            "require_protected_attributes": self.require_protected_attributes,
            "tests": [
                {
                    "id": t.test_id,
                    "params": thaw(t.params),
                    "severity": t.severity,
                    "controls": list(t.controls),
                }
                for t in self.tests
            ],
        }


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """How to read a dataset: the target, the protected attributes, the deployed thresholds.

    ``protected_attributes`` come from the AI system's record in the registry (for Hong Kong:
    sex, disability, family status and race under the anti-discrimination ordinances, age
    often added). ``thresholds`` are the score cut-offs used in production; a score at or
    above a threshold is the positive (flagged / declined) decision.
    """

    target: str = "target"
    protected_attributes: tuple[str, ...] = ()
    thresholds: tuple[float, ...] = (0.5,)
    feature_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "protected_attributes", tuple(self.protected_attributes))
        object.__setattr__(self, "thresholds", tuple(float(t) for t in self.thresholds))
        if not self.thresholds or not all(0.0 <= t <= 1.0 for t in self.thresholds):
            from dualtrack.validation.errors import InvalidDataset

            raise InvalidDataset("deployed thresholds must be one or more numbers in [0, 1]")
        if self.feature_names is not None:
            object.__setattr__(self, "feature_names", tuple(self.feature_names))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "target": self.target,
            "protected_attributes": list(self.protected_attributes),
            "thresholds": list(self.thresholds),
            "feature_names": list(self.feature_names) if self.feature_names else None,
        }


def as_float_list(values: Sequence[float] | np.ndarray) -> list[float | None]:
    """Floats for JSON, with non-finite values as None."""
    return [float(v) if math.isfinite(float(v)) else None for v in values]
