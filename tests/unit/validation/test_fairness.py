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
