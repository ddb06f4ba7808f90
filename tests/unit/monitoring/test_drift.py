"""Reference profiles and chunked drift: agree with scipy, invariant to chunking."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from dualtrack.monitoring import ReferenceProfile
from dualtrack.monitoring.accumulators import DriftAccumulator
from dualtrack.monitoring.errors import InvalidMonitoringData

from .conftest import FEATURES, chunks, decision_log


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return decision_log(40_000, seed=1)


@pytest.fixture(scope="module")
def profile(reference: pl.DataFrame) -> ReferenceProfile:
    return ReferenceProfile.from_frame(
        reference.with_columns(pl.col("label").fill_null(0)),
        features=FEATURES,
        score_column="score",
        threshold=0.5,
        label_column="label",
    )


def _drift(profile: ReferenceProfile, frames: list[pl.DataFrame]) -> dict[str, dict[str, object]]:
    acc = DriftAccumulator(profile)
    for f in frames:
        acc.update(f, score_column="score")
    return {d.subject: d.to_dict() for d in acc.result()}


def test_ks_matches_scipy_within_bin_resolution(
    profile: ReferenceProfile, reference: pl.DataFrame
) -> None:
    current = decision_log(30_000, seed=2, shift=0.15)
    drift = _drift(profile, [current])
    exact = sps.ks_2samp(reference["a"].to_numpy(), current["a"].to_numpy())
    assert drift["a"]["ks"] == pytest.approx(exact.statistic, abs=0.01)
    assert drift["a"]["ks"] <= exact.statistic + 1e-12
    assert drift["a"]["ks_pvalue"] < 1e-6
    unshifted = sps.ks_2samp(reference["b"].to_numpy(), current["b"].to_numpy())
    assert drift["b"]["ks"] == pytest.approx(unshifted.statistic, abs=0.01)
    assert drift["b"]["ks_pvalue"] > 1e-3


@pytest.mark.parametrize(
    ("shift", "low", "high"), [(0.0, 0.0, 0.005), (0.1, 0.005, 0.03), (0.5, 0.15, 0.5)]
)
def test_psi_grows_with_shift(
    profile: ReferenceProfile, shift: float, low: float, high: float
) -> None:
    drift = _drift(profile, [decision_log(30_000, seed=3, shift=shift)])
    assert low <= drift["a"]["psi"] <= high  # type: ignore[operator]
    assert drift["b"]["psi"] < 0.005  # type: ignore[operator]


def test_chunking_does_not_change_results(profile: ReferenceProfile) -> None:
    current = decision_log(25_000, seed=4, shift=0.2)
    whole = _drift(profile, [current])
    pieces = _drift(profile, chunks(current, 3_333))
    as_pandas = _drift(profile, [current.to_pandas()])
    assert whole == pieces == as_pandas


def test_missing_values_are_counted_not_dropped(profile: ReferenceProfile) -> None:
    current = decision_log(10_000, seed=5).with_columns(
        pl.when(pl.col("decision_id") % 4 == 0).then(None).otherwise(pl.col("c")).alias("c")
    )
    drift = _drift(profile, [current])
    assert drift["c"]["missing_rate"] == pytest.approx(0.25, abs=1e-9)
    assert drift["c"]["psi"] > 0.25  # a quarter of rows moved into the missing bin


def test_profile_round_trips_through_json(profile: ReferenceProfile) -> None:
    again = ReferenceProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    current = decision_log(5_000, seed=6, shift=0.3)
    assert _drift(again, [current]) == _drift(profile, [current])
    assert profile.reference_auc is not None and 0.6 < profile.reference_auc < 0.95


def test_categorical_features() -> None:
    rng = np.random.default_rng(7)
    ref = pl.DataFrame({"k": rng.choice(["x", "y", "z"], 5000), "score": rng.random(5000)})
    prof = ReferenceProfile.from_frame(ref, features=["k"], score_column="score", threshold=0.5)
    cur = pl.DataFrame({"k": rng.choice(["x", "y", "new"], 5000), "score": rng.random(5000)})
    acc = DriftAccumulator(prof)
    acc.update(cur, score_column="score")
    k = next(d for d in acc.result() if d.subject == "k")
    assert k.kind == "categorical" and k.ks is None
    assert k.psi is not None and k.psi > 1.0  # a third of rows in a level never seen


def test_profile_needs_columns(reference: pl.DataFrame) -> None:
    with pytest.raises(InvalidMonitoringData, match="zz"):
        ReferenceProfile.from_frame(
            reference, features=["a", "zz"], score_column="score", threshold=0.5
        )
