"""Fairness metrics on the aggregated table equal fairlearn on the raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
)

from dualtrack.validation import create_test
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.domain import DatasetSpec


class FixedScores:
    """A fake model returning pre-set scores (so fairness inputs are fully controlled)."""

    def __init__(self, scores: np.ndarray) -> None:
        self._scores = scores
        self.feature_names = ("x",)

    def score(self, features: pd.DataFrame) -> np.ndarray:
        return self._scores[features.index.to_numpy()]


@pytest.fixture(scope="module")
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(21)
    n = 6000
    group = rng.choice(np.array(["a", "b", "c"]), n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(group == "a", 0.2, 0.35)).astype(int)
    scores = np.clip(rng.normal(0.3 + 0.25 * y + 0.05 * (group == "c"), 0.2), 0, 1)
    return pd.DataFrame({"x": rng.random(n), "target": y, "grp": group}), scores


def test_aggregated_metrics_equal_fairlearn_on_rows(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, scores = frame
    spec = DatasetSpec(protected_attributes=("grp",), thresholds=(0.45,))
    ctx = ValidationContext.build(FixedScores(scores), df, spec)
    pred = (scores >= 0.45).astype(int)
    y, g = df.target.to_numpy(), df.grp.to_numpy()
    dp = create_test("fairness.demographic_parity").run(ctx)
    eo = create_test("fairness.equalized_odds").run(ctx)
    rates = create_test("fairness.group_error_rates").run(ctx)
    assert dp.metrics["grp.dp_difference"] == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=g), abs=1e-12
    )
    assert dp.metrics["grp.dp_ratio"] == pytest.approx(
        demographic_parity_ratio(y, pred, sensitive_features=g), abs=1e-12
    )
    assert eo.metrics["grp.eo_difference"] == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=g), abs=1e-12
    )
    fpr = MetricFrame(metrics=false_positive_rate, y_true=y, y_pred=pred, sensitive_features=g)
    assert rates.metrics["grp.fpr_gap"] == pytest.approx(fpr.difference(), abs=1e-12)
    by_group = {r["group"]: r for r in rates.details["attributes"]["grp"]["groups"]}
    assert by_group["b"]["fpr"] == pytest.approx(fpr.by_group["b"], abs=1e-12)


@pytest.mark.parametrize(("min_size", "excluded"), [(100, []), (1300, ["c"])])
def test_small_groups_are_excluded_and_listed(
    frame: tuple[pd.DataFrame, np.ndarray], min_size: int, excluded: list[str]
) -> None:
    df, scores = frame
    spec = DatasetSpec(protected_attributes=("grp",), thresholds=(0.45,))
    ctx = ValidationContext.build(FixedScores(scores), df, spec)
    result = create_test("fairness.demographic_parity", {"min_group_size": min_size}).run(ctx)
    assert list(result.details["attributes"]["grp"]["excluded_groups"]) == excluded


def test_missing_group_values_form_their_own_group(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, scores = frame
    df = df.assign(grp=df.grp.where(df.index % 10 != 0, None))
    spec = DatasetSpec(protected_attributes=("grp",), thresholds=(0.45,))
    ctx = ValidationContext.build(FixedScores(scores), df, spec)
    result = create_test("fairness.group_error_rates").run(ctx)
    labels = [r["group"] for r in result.details["attributes"]["grp"]["groups"]]
    assert labels == ["a", "b", "c", "(missing)"]


def test_no_protected_attributes_is_skipped(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, scores = frame
    ctx = ValidationContext.build(FixedScores(scores), df, DatasetSpec())
    result = create_test("fairness.equalized_odds").run(ctx)
    assert result.status == "skipped"


# ------------------------------------------------------------------ the evidence rule


def _counted(groups: dict[str, tuple[int, int, int, int]]) -> ValidationContext:
    """A context whose decisions have exactly the given (frauds, detected, genuine, flagged)."""
    parts = []
    for name, (pos, tp, neg, fp) in groups.items():
        y = np.r_[np.ones(pos), np.zeros(neg)].astype(int)
        flagged = np.r_[np.arange(pos) < tp, np.arange(neg) < fp]
        parts.append(pd.DataFrame({"target": y, "grp": name, "s": flagged * 1.0}))
    df = pd.concat(parts, ignore_index=True).assign(x=0.0)
    spec = DatasetSpec(protected_attributes=("grp",), thresholds=(0.5,))
    return ValidationContext.build(FixedScores(df.pop("s").to_numpy()), df, spec)


def test_a_chance_sized_gap_on_a_few_frauds_is_named_but_does_not_fail() -> None:
    # detection 16/20 vs 19/20: a 0.15 gap, material, but 20 frauds a group cannot tell
    # it from parity (95% interval of the difference about -0.07 to 0.38)
    ctx = _counted({"a": (20, 16, 5000, 50), "b": (20, 19, 5000, 50)})
    result = create_test("fairness.equalized_odds", {"min_group_size": 20}).run(ctx)
    assert result.metrics["grp.eo_difference"] == pytest.approx(0.15)
    assert result.status == "pass"
    assert "not distinguishable from parity" in result.message
    assert result.metrics["grp.n_inconclusive"] == 1
    tpr = result.details["attributes"]["grp"]["comparisons"][0]
    assert tpr["inconclusive"][0]["ci"][0] < 0 < tpr["inconclusive"][0]["ci"][1]


def test_rates_on_fewer_cases_than_the_minimum_are_not_compared_and_said_so() -> None:
    # 7 frauds against 2: a TPR of 1.0 against 0.0 is not evidence of anything
    ctx = _counted({"a": (7, 7, 5000, 50), "b": (2, 0, 5000, 50)})
    result = create_test("fairness.equalized_odds").run(ctx)  # min_group_size 30
    assert result.status == "pass"
    assert "tpr not compared for a (7), b (2)" in result.message
    assert result.metrics["n_rates_not_compared"] == 1
    tpr, fpr = result.details["attributes"]["grp"]["comparisons"]
    assert tpr["worst"] is None and fpr["worst"] is not None  # FPR still compared
    # near miss: the FPR, on 5,000 genuine customers a group, still fails when unfair
    unfair = _counted({"a": (7, 7, 5000, 50), "b": (2, 0, 5000, 800)})
    assert create_test("fairness.equalized_odds").run(unfair).status == "fail"


def test_nothing_comparable_is_not_assessed_rather_than_passed() -> None:
    # every rate of every group rests on too few cases: no evidence either way, so the
    # test is skipped (a low, non-blocking finding that evidences nothing)
    tiny = _counted({"a": (7, 7, 20, 1), "b": (2, 0, 25, 2)})  # groups under 30 rows
    result = create_test("fairness.equalized_odds").run(tiny)
    assert result.status == "skipped"
    assert result.message.startswith("not assessed") and "excluded" in result.message
    few = _counted({"a": (7, 7, 28, 1), "b": (2, 0, 29, 2)})  # 35 / 31 rows, few cases
    result = create_test("fairness.equalized_odds").run(few)
    assert result.status == "skipped"
    assert "tpr not compared" in result.message and "fpr not compared" in result.message
    # the same groups with enough genuine customers compare FPR again, so it is assessed
    assert (
        create_test("fairness.equalized_odds")
        .run(_counted({"a": (7, 7, 5000, 50), "b": (2, 0, 5000, 50)}))
        .status
        == "pass"
    )


def test_the_same_gap_on_enough_frauds_fails() -> None:
    # the same detection rates (0.80 vs 0.95) on ten times the frauds: now distinguishable
    ctx = _counted({"a": (200, 160, 50_000, 500), "b": (200, 190, 50_000, 500)})
    result = create_test("fairness.equalized_odds").run(ctx)
    assert result.status == "fail"
    assert "tpr difference 0.1500 (b vs a" in result.message
    errors = create_test("fairness.group_error_rates").run(ctx)
    assert errors.status == "fail" and "fnr difference" in errors.message


def test_a_model_that_alerts_one_group_three_times_as_often_fails_parity() -> None:
    # genuine customers of group b are flagged at 3% against 1%: the selection-rate ratio
    # 0.34 is far below 0.8 and well outside chance on 5,000 customers a group
    unfair = _counted({"a": (15, 14, 5000, 50), "b": (15, 14, 5000, 150)})
    result = create_test("fairness.demographic_parity").run(unfair)
    assert result.status == "fail"
    assert "selection_rate ratio" in result.message
    assert result.metrics["grp.dp_ratio"] == pytest.approx(64 / 164)
    fair = _counted({"a": (15, 14, 5000, 50), "b": (15, 14, 5000, 55)})
    assert create_test("fairness.demographic_parity").run(fair).status == "pass"


def test_small_selection_counts_do_not_fail_parity_by_chance() -> None:
    # 6 against 10 alerts in 3,000 customers: a ratio of 0.6 that chance explains easily
    ctx = _counted({"a": (2, 2, 2998, 4), "b": (2, 2, 2998, 8)})
    result = create_test("fairness.demographic_parity").run(ctx)
    assert result.metrics["grp.dp_ratio"] == pytest.approx(0.6)
    assert result.status == "pass" and "not distinguishable" in result.message


def test_pairs_are_compared_at_a_bonferroni_adjusted_level() -> None:
    two = _counted({"a": (100, 90, 4000, 40), "b": (100, 90, 4000, 40)})
    four = _counted({g: (100, 90, 4000, 40) for g in "abcd"})
    eo_two = create_test("fairness.equalized_odds").run(two)
    eo_four = create_test("fairness.equalized_odds").run(four)
    z_two = eo_two.details["attributes"]["grp"]["comparisons"][0]["critical_z"]
    z_four = eo_four.details["attributes"]["grp"]["comparisons"][0]["critical_z"]
    assert z_two == pytest.approx(1.959964, abs=1e-5)
    assert z_four == pytest.approx(2.638257, abs=1e-5)  # six pairs: alpha 0.05 / 6


def test_chance_failures_under_parity_are_rare() -> None:
    """Four groups treated identically, ~24 frauds each: how often does the test fail?"""
    from dualtrack.validation.checks.fairness import compare_groups
    from dualtrack.validation.context import GroupCodes

    rng = np.random.default_rng(4)
    group = GroupCodes(name="g", labels=("a", "b", "c", "d"), codes=np.zeros(1, dtype=np.int64))
    failures = point_estimate_failures = 0
    sims = 400
    for _ in range(sims):
        pos = rng.binomial(8000, 0.003, size=4).astype(float)
        tp = rng.binomial(pos.astype(int), 0.9).astype(float)
        fp = rng.binomial((8000 - pos).astype(int), 0.008).astype(float)
        table = {"n": np.full(4, 8000.0), "pos": pos, "tp": tp, "sel": tp + fp}
        keep = np.flatnonzero(pos > 0)
        cs = [
            compare_groups(group, table, keep, r, limit=0.1, confidence=0.95, min_cases=1)
            for r in ("tpr", "fpr")
        ]
        failures += any(c["failed"] for c in cs)
        point_estimate_failures += any(c["worst"]["difference"] > 0.1 for c in cs)
    assert failures / sims < 0.05
    assert point_estimate_failures / sims > 0.4  # what the point estimate alone would do
