"""Use cases: run a validation plan, compare two runs.

The service never stores anything: the caller (the registry's validation use case, the
CLI, the API) stores the returned :class:`ValidationRun` and writes it to the ledger.
"""

from __future__ import annotations

import hashlib
import logging
import math
import pickle
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dualtrack.validation.base import create_test
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.domain import (
    DatasetSpec,
    Finding,
    Severity,
    ValidationPlan,
    ValidationRun,
    ValidationTestResult,
    severity_rank,
)
from dualtrack.validation.errors import InvalidDataset
from dualtrack.validation.loading import LoadedModel, as_scoring_model, load_dataset
from dualtrack.validation.plans import plan_for_tier
from dualtrack.validation.ports import ProgressCallback

logger = logging.getLogger(__name__)

LIBRARY_VERSION = "1"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _as_frame(data: pd.DataFrame | Any | str | Path, label: str) -> pd.DataFrame:
    if isinstance(data, (str, Path)):
        return load_dataset(data)
    if isinstance(data, pd.DataFrame):
        return data
    to_pandas = getattr(data, "to_pandas", None)  # polars / pyarrow tables
    if callable(to_pandas):
        frame = to_pandas()
        if isinstance(frame, pd.DataFrame):
            return frame
    raise InvalidDataset(f"{label} must be a pandas or polars DataFrame, or a CSV/Parquet path")


def _artifact_hash(model: Any) -> str:
    """sha256 of the artifact file, or of the pickled object for in-memory models."""
    if isinstance(model, LoadedModel):
        return model.sha256
    return hashlib.sha256(pickle.dumps(model, protocol=5)).hexdigest()


def run_validation(
    model: LoadedModel | Any,
    dataset: pd.DataFrame | Any | str | Path,
    plan: ValidationPlan | str,
    reference: pd.DataFrame | Any | str | Path | None = None,
    progress: ProgressCallback | None = None,
    *,
    spec: DatasetSpec | None = None,
    seed: int = 0,
    reference_sample: int | None = 200_000,
    clock: Clock = _utc_now,
) -> ValidationRun:
    """Run every test of ``plan`` on ``dataset`` and return the immutable run record.

    ``model`` is a :class:`LoadedModel` (from :func:`load_model`, carrying the artifact's
    sha256) or an in-memory estimator / booster. ``plan`` is a plan or a tier name.
    ``reference`` is the training (or previous production) sample used by the stability,
    overlap and overfitting tests; only ``reference_sample`` rows of it are scored.
    Raises :class:`InvalidInput` subclasses for unusable inputs; a test that crashes is
    recorded as an ``error`` result, which fails the run.
    """
    started = time.perf_counter()
    started_at = clock()
    plan = plan_for_tier(plan) if isinstance(plan, str) else plan
    spec = spec or DatasetSpec()
    if plan.require_reference and reference is None:
        raise InvalidDataset(f"the {plan.tier} validation plan needs reference (training) data")
    if plan.require_protected_attributes and not spec.protected_attributes:
        raise InvalidDataset(
            f"the {plan.tier} validation plan needs the protected attributes named in the AI "
            "system record"
        )
    scoring = model.model if isinstance(model, LoadedModel) else as_scoring_model(model)
    ctx = ValidationContext.build(
        scoring,
        _as_frame(dataset, "dataset"),
        spec,
        reference=_as_frame(reference, "reference") if reference is not None else None,
        reference_sample=reference_sample,
        seed=seed,
    )
    logger.info(
        "validation plan %s on %s rows x %s features",
        plan.plan_id,
        ctx.current.fingerprint.n_rows,
        len(ctx.feature_names),
    )
    results: list[ValidationTestResult] = []
    total = len(plan.tests)
    for i, planned in enumerate(plan.tests, start=1):
        test = create_test(planned.test_id, planned.params)
        try:
            result = test.run(ctx, severity=planned.severity, extra_controls=planned.controls)
        except Exception as exc:  # a crashing test must fail the run, not hide
            logger.exception("validation test %s raised %s", planned.test_id, type(exc).__name__)
            result = ValidationTestResult(
                test_id=planned.test_id,
                category=test.category,
                status="error",
                severity=planned.severity,
                message=f"the test raised {type(exc).__name__}",
                metrics={},
                details={},
                config=test.get_params(),
                controls=tuple(dict.fromkeys((*test.controls, *planned.controls))),
                data_fingerprint=ctx.current.fingerprint.sha256,
            )
        results.append(result)
        if progress is not None:
            progress(i, total, planned.test_id)
    findings = tuple(_finding(r, plan.blocking_severity) for r in results if r.status != "pass")
    findings = tuple(sorted(findings, key=lambda f: -severity_rank(f.severity)))
    passed = not any(f.blocking for f in findings)
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "error", "skipped")
    }
    summary: dict[str, Any] = {
        "n_tests": len(results),
        "status_counts": counts,
        "n_blocking_findings": sum(1 for f in findings if f.blocking),
        "headline": _headline(results),
        "n_features": len(ctx.feature_names),
        "positive_rate": float(ctx.y.mean()),
    }
    return ValidationRun(
        plan_id=plan.plan_id,
        tier=plan.tier,
        passed=passed,
        model_artifact_sha256=_artifact_hash(model),
        data_fingerprint=ctx.current.fingerprint,
        reference_fingerprint=ctx.reference.fingerprint if ctx.reference else None,
        config={
            "plan": plan.to_dict(),
            "spec": spec.to_dict(),
            "seed": seed,
            "reference_sample": reference_sample,
        },
        results=tuple(results),
        findings=findings,
        started_at=started_at.isoformat(),
        finished_at=clock().isoformat(),
        duration_s=time.perf_counter() - started,
        library_version=LIBRARY_VERSION,
        summary=summary,
    )


def _finding(result: ValidationTestResult, blocking_severity: Severity) -> Finding:
    severity = result.severity
    if result.status == "skipped":
        # A skipped test is a gap to note, not a defect of the model.
        severity = "low" if severity_rank(severity) > severity_rank("low") else severity
        blocking = False
    elif result.status == "error":
        blocking = True
    else:
        blocking = severity_rank(severity) >= severity_rank(blocking_severity)
    return Finding(
        test_id=result.test_id,
        severity=severity,
        status=result.status,
        message=result.message,
        controls=result.controls,
        blocking=blocking,
    )


_HEADLINE = {
    "performance.auc": "auc",
    "performance.auprc": "auprc",
    "performance.ks": "ks",
    "stability.psi_score": "psi",
}


def _headline(results: list[ValidationTestResult]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for r in results:
        key = _HEADLINE.get(r.test_id)
        if key and key in r.metrics:
            out[r.test_id] = r.metrics[key]
    return out


def compare_runs(
    current: ValidationRun, previous: ValidationRun, *, relative: float = 0.1
) -> dict[str, dict[str, Any]]:
    """Metric-by-metric comparison of two runs (for example before and after retraining).

    Returns, per ``test_id.metric``, both values, the change, and ``material`` when the
    value moved by more than ``relative`` of the previous value (or status changed).
    """
    prev = {r.test_id: r for r in previous.results}
    out: dict[str, dict[str, Any]] = {}
    for r in current.results:
        old = prev.get(r.test_id)
        if old is None:
            continue
        for key, value in r.metrics.items():
            before = old.metrics.get(key)
            if not isinstance(value, (int, float)) or not isinstance(before, (int, float)):
                continue
            if isinstance(value, bool):
                continue
            delta = float(value) - float(before)
            scale = abs(float(before)) if before else 1.0
            out[f"{r.test_id}.{key}"] = {
                "previous": before,
                "current": value,
                "change": delta,
                "material": (not math.isclose(delta, 0.0)) and abs(delta) > relative * scale,
                "status_changed": r.status != old.status,
            }
    return out


def gate_blockers(
    run: ValidationRun, *, model_sha256: str, minimum_tier: str | None = None
) -> tuple[str, ...]:
    """Why ``run`` cannot open the deployment gate for the artifact ``model_sha256``.

    Empty when the gate may open: the run passed, validated exactly this artifact, and (if
    ``minimum_tier`` is given) used a plan at least that strict. The caller adds its own
    checks (validator independence under SFC-09, approvals, run age).
    """
    from dualtrack.validation.domain import TIERS

    reasons = []
    if run.model_artifact_sha256 != model_sha256.lower():
        reasons.append("the validation run is for a different model artifact")
    if not run.passed:
        blocking = [f.test_id for f in run.findings if f.blocking]
        reasons.append(f"the validation run failed: {', '.join(blocking) or 'no details'}")
    if minimum_tier is not None:
        wanted = minimum_tier.upper()
        if wanted not in TIERS:
            raise InvalidDataset(f"unknown risk tier {minimum_tier!r}")
        if TIERS.index(run.tier) < TIERS.index(wanted):
            reasons.append(f"the run used the {run.tier} plan but the system is {wanted} tier")
    return tuple(reasons)
