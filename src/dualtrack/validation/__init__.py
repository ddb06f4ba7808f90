"""Independent model validation: tests, risk-tier plans, runs and reports.

A *validation test* (``performance.auc``, ``fairness.equalized_odds``...) is a small
scikit-learn-style object: parameters in ``__init__``, work in ``run(ctx)``, and an
immutable, JSON-serialisable :class:`ValidationTestResult` out, carrying pass/fail, the
plan's severity, the exact parameters, the data fingerprint and the regulatory control IDs
it evidences. Tests register under stable string ids, independent of where their code
lives.

A *validation plan* (YAML data in the package, one per risk tier LOW / MEDIUM / HIGH)
lists the tests and thresholds a model must meet before deployment.
:func:`run_validation` scores the model once, runs the plan and returns a
:class:`ValidationRun` whose ``passed`` is the deployment-gate answer (SFC-07,
HKMA-HLP-05, PCPD-09). :func:`render_html` / :func:`render_pdf` turn a run into a report a
senior manager can read.

Storage, the ledger entry and the gate itself belong to the caller.
"""

from dualtrack.validation.base import ValidationTest, create_test, register, registered_tests
from dualtrack.validation.domain import (
    DataFingerprint,
    DatasetSpec,
    Finding,
    ValidationPlan,
    ValidationRun,
    ValidationTestResult,
)
from dualtrack.validation.loading import LoadedModel, load_dataset, load_model
from dualtrack.validation.plans import plan_for_tier
from dualtrack.validation.report import render_html, render_pdf
from dualtrack.validation.service import compare_runs, gate_blockers, run_validation

__all__ = [
    "DataFingerprint",
    "DatasetSpec",
    "Finding",
    "LoadedModel",
    "ValidationPlan",
    "ValidationRun",
    "ValidationTest",
    "ValidationTestResult",
    "compare_runs",
    "create_test",
    "gate_blockers",
    "load_dataset",
    "load_model",
    "plan_for_tier",
    "register",
    "registered_tests",
    "render_html",
    "render_pdf",
    "run_validation",
]
