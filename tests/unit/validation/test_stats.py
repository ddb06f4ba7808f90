"""Numeric helpers against scikit-learn / scipy references, with ties and near misses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import average_precision_score, roc_auc_score

from dualtrack.validation.stats import (
    Binner,
    binned_auc,
    binned_ks,
    calibration_bins,
    confusion_at,
    decile_table,
    psi,
    ranking_metrics,
)


@pytest.mark.parametrize("rounding", [None, 2, 1])
def test_ranking_metrics_match_sklearn_and_scipy(rounding: int | None) -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(5000) < 0.2).astype(np.int8)
    s = np.clip(rng.normal(0.3 + 0.2 * y, 0.15), 0, 1)
    if rounding is not None:
        s = np.round(s, rounding)  # heavy ties
    r = ranking_metrics(y, s)
    assert r.auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert r.average_precision == pytest.approx(average_precision_score(y, s), abs=1e-12)
    ks = sps.ks_2samp(s[y == 1], s[y == 0]).statistic
    assert r.ks == pytest.approx(ks, abs=1e-12)
    assert r.gini == pytest.approx(2 * r.auc - 1)


def test_ranking_metrics_need_two_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        ranking_metrics(np.ones(10, dtype=np.int8), np.linspace(0, 1, 10))


@pytest.mark.parametrize(
    ("ref", "cur", "expected"),
    [
        ([50, 50], [50, 50], 0.0),
        ([100, 100], [50, 50], 0.0),  # only shares matter
        ([50, 50], [60, 40], (0.6 - 0.5) * math.log(0.6 / 0.5) + (0.4 - 0.5) * math.log(0.4 / 0.5)),
        ([50, 50, 0], [50, 49, 1], None),  # empty reference bin: finite thanks to the floor
    ],
)
def test_psi_table(ref: list[int], cur: list[int], expected: float | None) -> None:
    value = psi(np.array(ref), np.array(cur))
    assert math.isfinite(value)
    if expected is not None:
        assert value == pytest.approx(expected, abs=1e-12)
    else:
        assert value > 0.01


def test_binned_ks_close_to_exact_ks() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(0, 1, 20_000)
    b = rng.normal(0.1, 1.1, 30_000)
    binner = Binner.fit(a, 200)
    approx = binned_ks(binner.counts(a)[:-1], binner.counts(b)[:-1])
    exact = sps.ks_2samp(a, b).statistic
    assert approx <= exact + 1e-12
    assert approx == pytest.approx(exact, abs=0.01)


def test_binned_auc_equals_exact_auc_for_discrete_scores() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random(4000) < 0.3).astype(np.int8)
    s = rng.integers(0, 10, 4000) + 2 * y
    pos = np.bincount(s[y == 1], minlength=12)
    neg = np.bincount(s[y == 0], minlength=12)
    assert binned_auc(pos, neg) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_numeric_binner_edges_missing_and_round_trip() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    b = Binner.fit(values, 4)
    idx = b.transform(np.array([np.nan, -100.0, 100.0]))
    assert idx[0] == b.n_bins - 1  # missing bin
    assert idx[1] == 0
    assert idx[2] == b.n_bins - 2  # top value bin
    assert Binner.from_dict(b.to_dict()) == b
    assert len(b.labels) == b.n_bins


def test_categorical_binner_unseen_and_missing() -> None:
    ref = np.array(["a", "b", "b", None], dtype=object)
    b = Binner.fit(ref)
    assert b.kind == "categorical"
    idx = b.transform(np.array(["b", "zzz", None, "a"], dtype=object))
    assert idx.tolist() == [1, 2, 3, 0]  # zzz -> other, None -> missing


def test_calibration_of_a_perfectly_calibrated_score() -> None:
    rng = np.random.default_rng(6)
    s = rng.random(200_000)
    y = (rng.random(s.size) < s).astype(np.int8)
    rows, ece = calibration_bins(y, s, 10)
    assert ece < 0.01
    assert len(rows) == 10
    _, ece_bad = calibration_bins(y, np.clip(s + 0.2, 0, 1), 10)
    assert ece_bad > 0.1


def test_confusion_counts_at_threshold() -> None:
    y = np.array([1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.5, 0.5, 0.1, 0.2, 0.49])
    c = confusion_at(y, s, 0.5)  # >= 0.5 is positive: 0.9, 0.5, 0.5
    assert (c["tp"], c["fp"], c["fn"], c["tn"]) == (2, 1, 1, 2)


def test_decile_table_gain_reaches_one() -> None:
    rng = np.random.default_rng(7)
    y = (rng.random(1000) < 0.1).astype(np.int8)
    s = rng.random(1000) + y
    rows = decile_table(y, s)
    assert rows[-1]["cumulative_gain"] == pytest.approx(1.0)
    assert rows[0]["lift"] > 3


@pytest.mark.parametrize(
    "kind", ["normal", "heavy-tail", "ties-on-edges", "tiny-gap-fallback", "two-edges"]
)
def test_fast_edge_counting_equals_searchsorted(kind: str) -> None:
    from dualtrack.validation.stats import count_edges_at_or_below

    rng = np.random.default_rng(8)
    if kind == "normal":
        ref, cur = rng.normal(size=50_000), rng.normal(0.3, 2, 200_000)
    elif kind == "heavy-tail":
        ref, cur = rng.lognormal(0, 2, 50_000), rng.lognormal(0, 2.5, 200_000)
    elif kind == "ties-on-edges":
        ref = rng.integers(0, 50, 50_000).astype(float)
        cur = rng.integers(-5, 60, 200_000).astype(float)
    elif kind == "tiny-gap-fallback":
        ref = np.r_[rng.normal(size=1000), 1e-12 * np.arange(10)]
        cur = rng.normal(size=10_000)
    else:
        ref, cur = np.array([0.0, 1.0]), np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 101)[1:-1])) if ref.size > 2 else ref
    if kind == "tiny-gap-fallback":
        edges = np.unique(np.r_[edges, 1e-12 * np.arange(3)])
    cur = np.r_[cur, edges, np.nextafter(edges, -np.inf), np.inf, -np.inf, np.nan]
    missing = np.isnan(cur)
    got = count_edges_at_or_below(edges, cur, missing)
    want = np.searchsorted(edges, cur, side="right")
    np.testing.assert_array_equal(got[~missing], want[~missing])


def test_wilson_interval_matches_scipy() -> None:
    from dualtrack.validation.stats import critical_z, wilson_interval

    z = critical_z(0.95)
    for k, n in ((0, 20), (3, 40), (19, 20), (500, 1000)):
        ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n, z) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_difference_interval_reproduces_newcombe_1998() -> None:
    from dualtrack.validation.stats import critical_z, difference_interval

    # Newcombe (1998), example (a): 56/70 vs 48/80, method 10 gives 0.0524 to 0.3339
    diff, lo, hi = difference_interval(56, 70, 48, 80, critical_z(0.95))
    assert diff == pytest.approx(0.2)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_ratio_interval_matches_scipy_relative_risk() -> None:
    from scipy.stats.contingency import relative_risk

    from dualtrack.validation.stats import critical_z, ratio_interval

    ratio, lo, hi = ratio_interval(10, 100, 20, 120, critical_z(0.95))
    ci = relative_risk(10, 100, 20, 120).confidence_interval(0.95)
    assert (ratio, lo, hi) == pytest.approx((0.6, ci.low, ci.high))
    # an empty cell gets the 0.5 correction instead of an infinite interval
    assert all(math.isfinite(v) for v in ratio_interval(0, 50, 5, 50, 1.96))


def test_critical_z_refuses_a_confidence_outside_zero_one() -> None:
    from dualtrack.validation.stats import critical_z

    assert critical_z(0.95, 6) > critical_z(0.95, 1)
    with pytest.raises(ValueError, match="confidence"):
        critical_z(1.0)
