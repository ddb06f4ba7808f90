"""run_validation end to end on small seeded data: findings appear exactly when they should."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dualtrack.validation import (
    DatasetSpec,
    ValidationRun,
    compare_runs,
    plan_for_tier,
    run_validation,
)
from dualtrack.validation.domain import PlannedTest, ValidationPlan
from dualtrack.validation.synthetic import PROTECTED, make_credit_dataset

from .conftest import FEATURES, Data


def _plan(*lines: tuple[str, dict[str, object]], blocking: str = "high") -> ValidationPlan:
    return ValidationPlan(
        plan_id="unit",
        tier="MEDIUM",
        description="unit test plan",
        tests=tuple(PlannedTest(t, p, "high") for t, p in lines),
        blocking_severity=blocking,  # type: ignore[arg-type]
    )


def test_high_tier_run_is_complete_and_round_trips(data: Data) -> None:
    calls: list[tuple[int, int, str]] = []
    run = run_validation(
        data.booster,
        data.test,
        "HIGH",
        reference=data.train,
        spec=data.spec,
        progress=lambda done, total, tid: calls.append((done, total, tid)),
    )
    plan = plan_for_tier("HIGH")
    assert [r.test_id for r in run.results] == [t.test_id for t in plan.tests]
    assert [c[0] for c in calls] == list(range(1, len(plan.tests) + 1))
    assert run.passed == (not any(f.blocking for f in run.findings))
    assert {f.test_id for f in run.findings} == {r.test_id for r in run.results if not r.passed}
    assert len(run.model_artifact_sha256) == 64
    assert run.data_fingerprint.n_rows == len(data.test)
    assert run.reference_fingerprint is not None
    for control in ("SFC-07", "HKMA-HLP-05", "PCPD-09", "HKMA-BDAI-02", "HKMA-HLP-08", "SFC-19"):
        assert control in run.controls
    fairness = run.result("fairness.equalized_odds")
    assert "HKMA-BDAI-02" in fairness.controls and "HKMA-HLP-08" in fairness.controls
    assert "SFC-19" in run.result("robustness.perturbation").controls
    text = run.to_json()
    again = ValidationRun.from_json(text)
    assert again.to_json() == text
    assert json.loads(text)["config"]["spec"]["protected_attributes"] == list(PROTECTED)


def test_fingerprint_tracks_content(data: Data) -> None:
    plan = _plan(("performance.auc", {}))
    a = run_validation(data.logistic, data.test, plan)
    b = run_validation(data.logistic, data.test.copy(), plan)
    changed = data.test.copy()
    changed.loc[changed.index[7], "f01"] += 1e-9
    c = run_validation(data.logistic, changed, plan)
    assert a.data_fingerprint == b.data_fingerprint
    assert a.data_fingerprint.sha256 != c.data_fingerprint.sha256


def test_fairness_flags_a_biased_target_but_not_a_fair_one() -> None:
    plan = _plan(("fairness.demographic_parity", {"max_difference": 0.05, "min_ratio": 0.8}))
    spec = DatasetSpec(protected_attributes=("sex",), thresholds=(0.3,))
    results = {}
    for bias in (0.0, 1.5):
        train = make_credit_dataset(6000, n_features=6, seed=11, bias=bias)
        test = make_credit_dataset(6000, n_features=6, seed=12, bias=bias)
        feats = [f"f{i:02d}" for i in range(6)]
        # The model sees sex (one-hot): with bias it learns to decline men more often.
        from sklearn.linear_model import LogisticRegression

        train = train.assign(is_m=(train.sex == "M").astype(float))
        test = test.assign(is_m=(test.sex == "M").astype(float))
        model = LogisticRegression(max_iter=500).fit(train[[*feats, "is_m"]], train.target)
        results[bias] = run_validation(model, test, plan, spec=spec).results[0]
    assert results[0.0].status == "pass"
    assert results[1.5].status == "fail"
    assert results[1.5].metrics["sex.dp_difference"] > 0.1


def test_stability_detects_shift_and_not_noise(data: Data) -> None:
    plan = _plan(
        ("stability.psi_features", {"max_psi": 0.1}), ("stability.psi_score", {"max_psi": 0.1})
    )
    same = run_validation(data.logistic, data.test, plan, reference=data.train)
    shifted_data = make_credit_dataset(3000, n_features=len(FEATURES), seed=2, shift=0.8)
    shifted = run_validation(data.logistic, shifted_data, plan, reference=data.train)
    assert [r.status for r in same.results] == ["pass", "pass"]
    assert [r.status for r in shifted.results] == ["fail", "fail"]
    psi = shifted.results[0].details["psi"]
    assert psi["f00"] > 0.1 and psi["f07"] < 0.1  # only the first third of features moved


def test_leakage_duplicates_and_overlap_are_found(data: Data) -> None:
    plan = _plan(
        ("data_quality.target_leakage", {}),
        ("data_quality.duplicates", {}),
        ("data_quality.train_test_overlap", {}),
    )
    clean = run_validation(data.logistic, data.test, plan, reference=data.train)
    assert [r.status for r in clean.results] == ["pass", "pass", "pass"]

    from sklearn.linear_model import LogisticRegression

    leaky_train = data.train.assign(
        leak=data.train.target + np.random.default_rng(0).normal(0, 0.01, len(data.train))
    )
    leaky_test = data.test.assign(leak=data.test.target * 1.0)
    model = LogisticRegression(max_iter=500).fit(
        leaky_train[[*FEATURES, "leak"]], leaky_train.target
    )
    dirty_test = pd.concat(
        [leaky_test, leaky_test.iloc[:300], leaky_train.iloc[:200]], ignore_index=True
    )
    dirty = run_validation(model, dirty_test, plan, reference=leaky_train)
    leak, dups, overlap = dirty.results
    assert leak.status == "fail" and "leak" in leak.message
    assert dups.status == "fail" and dups.metrics["n_duplicates"] == 300
    assert overlap.status == "fail" and overlap.metrics["n_overlapping"] == 200


def test_crashing_test_is_an_error_and_blocks(data: Data) -> None:
    from dualtrack.validation.base import Outcome, ValidationTest, register

    @register
    class Crashes(ValidationTest):
        test_id = "unit.crashes"
        category = "performance"
        summary = "always raises"

        def _evaluate(self, ctx):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    from dualtrack.validation import base

    try:
        run = run_validation(
            data.logistic, data.test, _plan(("unit.crashes", {}), blocking="critical")
        )
    finally:
        base._REGISTRY.pop("unit.crashes")
    assert run.results[0].status == "error"
    assert run.findings[0].blocking
    assert not run.passed
    assert Outcome  # imported for the class body's type


def test_blocking_follows_plan_severity(data: Data) -> None:
    impossible = {"min_auc": 0.999}
    low = ValidationPlan(
        "p", "LOW", "", (PlannedTest("performance.auc", impossible, "medium"),), "high"
    )
    high = ValidationPlan(
        "p", "LOW", "", (PlannedTest("performance.auc", impossible, "high"),), "high"
    )
    run_low = run_validation(data.logistic, data.test, low)
    run_high = run_validation(data.logistic, data.test, high)
    assert run_low.passed and not run_low.findings[0].blocking
    assert not run_high.passed and run_high.findings[0].blocking


def test_compare_runs_marks_material_changes(data: Data) -> None:
    plan = _plan(("performance.auc", {}), ("performance.ks", {}))
    a = run_validation(data.logistic, data.test, plan)
    b = run_validation(data.booster, data.test, plan)
    same = compare_runs(a, a)
    assert all(not v["material"] for v in same.values())
    diff = compare_runs(b, a, relative=1e-6)
    assert diff["performance.auc.auc"]["material"]
    assert diff["performance.auc.auc"]["change"] == pytest.approx(
        b.result("performance.auc").metrics["auc"] - a.result("performance.auc").metrics["auc"]
    )


def test_gate_blockers(data: Data) -> None:
    from dualtrack.validation import gate_blockers

    plan = _plan(("performance.auc", {"min_auc": 0.6}))
    good = run_validation(data.logistic, data.test, plan)
    sha = good.model_artifact_sha256
    assert gate_blockers(good, model_sha256=sha) == ()
    assert gate_blockers(good, model_sha256=sha.upper()) == ()
    assert "different model artifact" in gate_blockers(good, model_sha256="0" * 64)[0]
    assert "HIGH tier" in gate_blockers(good, model_sha256=sha, minimum_tier="HIGH")[0]
    assert gate_blockers(good, model_sha256=sha, minimum_tier="MEDIUM") == ()
    bad = run_validation(data.logistic, data.test, _plan(("performance.auc", {"min_auc": 0.999})))
    assert "performance.auc" in gate_blockers(bad, model_sha256=bad.model_artifact_sha256)[0]
