"""Per-window performance with late labels, thresholds per tier and alert generation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from dualtrack.monitoring import (
    ReferenceProfile,
    attach_labels,
    iter_parquet_chunks,
    run_monitoring,
    thresholds_for_tier,
)
from dualtrack.monitoring.domain import Limit, MonitoringThresholds
from dualtrack.monitoring.errors import InvalidMonitoringData, InvalidThresholds
from dualtrack.monitoring.service import parse_thresholds

from .conftest import DAY, FEATURES, chunks, decision_log


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    ref = decision_log(40_000, seed=1)
    return ReferenceProfile.from_frame(
        ref.with_columns(pl.col("label").fill_null(0)),
        features=FEATURES,
        score_column="score",
        threshold=0.5,
        label_column="label",
    )


def _limits(**overrides: float) -> MonitoringThresholds:
    values = {
        "score_psi": 0.1,
        "feature_psi": 0.2,
        "feature_ks": 0.1,
        "auc_drop": 0.03,
        "decision_rate_change": 0.03,
    }
    values.update(overrides)
    return MonitoringThresholds(
        tier="HIGH", min_labelled=100, **{k: Limit(v, "high") for k, v in values.items()}
    )


def test_windows_split_by_day_with_exact_counts_and_close_auc(profile: ReferenceProfile) -> None:
    log = decision_log(30_000, seed=2, days=3, labelled=0.6)
    report = run_monitoring(profile, chunks(log, 7_000), thresholds=_limits())
    assert [w.n_decisions for w in report.windows] == [
        int(((log["decided_at"].dt.epoch("s") // DAY) == d).sum()) for d in range(3)
    ]
    assert report.windows[0].window_start == "1970-01-01T00:00:00+00:00"
    day0 = log.filter(pl.col("decided_at").dt.epoch("s") < DAY).drop_nulls("label")
    assert report.windows[0].n_labelled == day0.height
    exact = roc_auc_score(day0["label"].to_numpy(), day0["score"].to_numpy())
    assert report.windows[0].auc == pytest.approx(exact, abs=0.002)
    assert report.windows[0].bad_rate == pytest.approx(day0["label"].mean())
    assert report.n_rows == 30_000


def test_late_labels_join(profile: ReferenceProfile) -> None:
    log = decision_log(5_000, seed=3).drop("label")
    labels = decision_log(5_000, seed=3).select("decision_id", "label").head(2_000)
    joined = attach_labels(log, labels, on="decision_id")
    assert joined["label"].null_count() == 3_000
    report = run_monitoring(profile, [joined], thresholds=_limits())
    assert sum(w.n_labelled for w in report.windows) == 2_000
    with pytest.raises(InvalidMonitoringData):
        attach_labels(log.to_pandas(), labels, on="decision_id")


def test_no_alerts_for_stable_traffic(profile: ReferenceProfile) -> None:
    report = run_monitoring(profile, [decision_log(30_000, seed=4)], thresholds=_limits())
    assert report.alerts == ()


def test_drift_and_decay_raise_alerts(profile: ReferenceProfile) -> None:
    log = decision_log(30_000, seed=5, shift=0.6, days=1)
    # Labels for the drifted period are noise: AUC collapses to about 0.5.
    noisy = log.with_columns(
        pl.Series("label", np.random.default_rng(0).integers(0, 2, log.height).astype(float))
    )
    report = run_monitoring(profile, [noisy], thresholds=_limits())
    kinds = {(a.alert_type, a.subject) for a in report.alerts}
    assert ("drift.feature_psi", "a") in kinds
    assert ("drift.feature_ks", "a") in kinds
    assert ("drift.score_psi", "score") in kinds
    assert ("performance.auc_drop", "score") in kinds
    assert ("decisions.rate_change", "decisions") in kinds
    assert not any(a.subject in {"b", "c"} for a in report.alerts)
    rate = next(a for a in report.alerts if a.alert_type == "decisions.rate_change")
    assert "HKMA-BDAI-02" in rate.controls
    assert report.to_json()


@pytest.mark.parametrize(("margin", "expect_alert"), [(-1e-6, True), (1e-6, False)])
def test_threshold_near_misses(
    profile: ReferenceProfile, margin: float, expect_alert: bool
) -> None:
    log = decision_log(20_000, seed=6, shift=0.3, days=1)
    base = run_monitoring(profile, [log], thresholds=_limits(feature_psi=10, feature_ks=10))
    psi_a = next(d.psi for d in base.drift if d.subject == "a")
    assert psi_a is not None
    report = run_monitoring(
        profile, [log], thresholds=_limits(feature_psi=psi_a + margin, feature_ks=10)
    )
    flagged = any(a.alert_type == "drift.feature_psi" and a.subject == "a" for a in report.alerts)
    assert flagged == expect_alert


@pytest.mark.parametrize("tier", ["LOW", "MEDIUM", "HIGH"])
def test_bundled_thresholds(tier: str) -> None:
    t = thresholds_for_tier(tier)
    assert t.tier == tier
    assert thresholds_for_tier("HIGH").score_psi.max <= t.score_psi.max


@pytest.mark.parametrize(
    ("body", "words"),
    [({}, "score_psi"), ({"score_psi": {"max": 1, "severity": "loud"}}, "loud")],
)
def test_bad_thresholds(body: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidThresholds, match=words):
        parse_thresholds("LOW", body)


def test_empty_log_and_missing_columns(profile: ReferenceProfile) -> None:
    with pytest.raises(InvalidMonitoringData, match="empty"):
        run_monitoring(profile, [], thresholds="HIGH")
    with pytest.raises(InvalidMonitoringData, match="'b'"):
        run_monitoring(profile, [decision_log(100, seed=7).drop("b")], thresholds="HIGH")


def test_parquet_streaming(tmp_path, profile: ReferenceProfile) -> None:  # type: ignore[no-untyped-def]
    log = decision_log(12_000, seed=8)
    path = tmp_path / "log.parquet"
    log.write_parquet(path, row_group_size=2_500)
    streamed = run_monitoring(
        profile, iter_parquet_chunks(path, batch_size=2_500), thresholds="HIGH"
    )
    whole = run_monitoring(profile, [log], thresholds="HIGH")
    # Sums are added in a different order, so floats may differ in the last bits.
    assert _rounded(streamed.to_dict()) == _rounded(whole.to_dict())


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_profile_model_scores_reference_with_the_model() -> None:
    from sklearn.linear_model import LogisticRegression

    from dualtrack.monitoring import profile_model

    ref = decision_log(5_000, seed=9).to_pandas().assign(target=lambda f: f.label.fillna(0))
    model = LogisticRegression().fit(ref[list(FEATURES)], ref.target)
    prof = profile_model(model, ref, threshold=0.5)
    assert prof.features == FEATURES
    scores = model.predict_proba(ref[list(FEATURES)])[:, 1]
    assert prof.reference_mean_score == pytest.approx(scores.mean())
    assert prof.reference_auc == pytest.approx(roc_auc_score(ref.target, scores))
    with pytest.raises(InvalidMonitoringData, match="b"):
        profile_model(model, ref.drop(columns=["b"]), threshold=0.5)
