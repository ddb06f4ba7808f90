"""Metrics, thresholds, fingerprints and the artifact round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dualtrack.fraud.datasets import ULB_FEATURES, load_ulb
from dualtrack.fraud.domain import BudgetPolicy, CostPolicy
from dualtrack.fraud.errors import FraudInputError, ModelArtifactError
from dualtrack.fraud.model import (
    ModelArtifact,
    choose_thresholds,
    evaluate,
    frame_fingerprint,
    recall_at_fpr,
    train_model,
)

from .test_datasets import SAMPLE


def test_perfect_and_random_rankings() -> None:
    y = np.array([0] * 990 + [1] * 10)
    perfect = evaluate(y, y.astype(float) * 0.9 + 0.05)
    assert perfect.auprc == pytest.approx(1.0)
    assert perfect.recall_at_01pct_fpr == 1.0
    assert perfect.brier == pytest.approx(0.0025)
    rng = np.random.default_rng(0)
    noise = evaluate(y, rng.random(1000))
    assert noise.auprc < 0.1 and 0.3 < noise.roc_auc < 0.7


def test_recall_at_fpr_respects_the_limit() -> None:
    y = np.array([0] * 100 + [1] * 4)
    # one genuine row outscores two of the frauds: recall 0.5 at FPR 0, 1.0 at FPR 0.01
    scores = np.r_[np.zeros(99), 0.8, [0.9, 0.95, 0.7, 0.6]]
    assert recall_at_fpr(y, scores, 0.0) == 0.5
    assert recall_at_fpr(y, scores, 0.01) == 1.0


def test_cost_thresholds_follow_the_cost_ratio() -> None:
    y = np.array([0] * 1_000 + [1] * 10)
    rng = np.random.default_rng(1)
    scores = np.r_[rng.beta(1, 20, 1_000), rng.beta(5, 2, 10)]
    cheap = choose_thresholds(y, scores, CostPolicy(cost_missed_fraud=100, cost_false_alert=1))
    dear = choose_thresholds(y, scores, CostPolicy(cost_missed_fraud=100, cost_false_alert=50))
    assert cheap.review <= dear.review
    assert cheap.review <= cheap.block

    # the chosen review threshold is optimal over every candidate cut
    def cost(t: float) -> float:
        flagged = scores >= t
        return 100 * np.sum(~flagged & (y == 1)) + 1 * np.sum(flagged & (y == 0))

    assert cost(cheap.review) <= min(cost(t) for t in scores) + 1e-9


def test_budget_thresholds_hit_the_share() -> None:
    scores = np.linspace(0, 1, 10_001)
    y = (scores > 0.99).astype(int)
    t = choose_thresholds(y, scores, BudgetPolicy(review_share=0.01, block_share=0.001))
    assert np.mean(scores >= t.review) == pytest.approx(0.01, abs=2e-4)
    assert np.mean(scores >= t.block) == pytest.approx(0.001, abs=2e-4)
    with pytest.raises(FraudInputError):
        choose_thresholds(y, scores, BudgetPolicy(review_share=0.001, block_share=0.01))


def test_fingerprint_is_canonical_and_sensitive() -> None:
    a = pl.DataFrame({"x": [1.0, 2.0], "y": [0, 1], "s": ["a", "bc"]})
    assert frame_fingerprint(a) == frame_fingerprint(a.select(["s", "y", "x"]))
    assert frame_fingerprint(a) != frame_fingerprint(a.with_columns(x=pl.Series([1.0, 2.0000001])))
    assert frame_fingerprint(a) != frame_fingerprint(a.with_columns(s=pl.Series(["ab", "c"])))
    assert frame_fingerprint(a) != frame_fingerprint(a.reverse())


def test_ulb_sample_trains_and_round_trips(tmp_path: Path) -> None:
    frame = load_ulb(SAMPLE)
    mask = np.zeros(frame.height, dtype=bool)
    mask[::4] = True  # every 4th row validates (the sample is too small for a time split)
    result = train_model(
        frame,
        feature_names=ULB_FEATURES,
        feature_set="ulb_pca_v1",
        label="Class",
        validation_mask=mask,
        params={"learning_rate": 0.15, "num_threads": 1, "metric": "auc"},
        max_rounds=80,
        early_stopping_rounds=20,
    )
    artifact = result.artifact
    assert artifact.metrics.auprc > 0.6
    assert artifact.baseline_metrics is not None and artifact.baseline_metrics.auprc > 0.4
    assert artifact.num_trees >= 1
    digest = artifact.save(tmp_path / "m")
    loaded = ModelArtifact.load(tmp_path / "m")
    assert loaded.artifact_sha256 == digest
    assert loaded.thresholds == artifact.thresholds
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    meta["thresholds"]["review"] = 0.99
    meta["thresholds"]["block"] = 0.999
    (tmp_path / "m" / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelArtifactError):
        ModelArtifact.load(tmp_path / "m")


def test_training_refuses_missing_columns() -> None:
    with pytest.raises(FraudInputError):
        train_model(pl.DataFrame({"a": [1.0]}), feature_names=["a", "b"], feature_set="ulb_pca_v1")


def test_pipelines_train_small_models(tmp_path: Path) -> None:
    from dualtrack.fraud.pipelines import train_simulated, train_ulb
    from dualtrack.fraud.simulator import SimulatorConfig

    fast = {"learning_rate": 0.2, "num_threads": 1, "metric": "auc"}
    ulb = train_ulb(SAMPLE, holdout="none", params=fast, seeds=(1, 2))
    assert ulb.artifact.feature_set == "ulb_pca_v1"
    assert ulb.artifact.params["bagged_seeds"] == [1, 2]
    config = SimulatorConfig(
        n_customers=800,
        n_merchants=100,
        days=8,
        card_cnp_rate=30,
        app_scam_rate=20,
        account_takeover_rate=20,
    )
    sim = train_simulated(
        config, policy=BudgetPolicy(review_share=0.02, block_share=0.002), params=fast
    )
    assert sim.artifact.thresholds.policy == "budget"
    assert sim.artifact.metrics.positives > 0


def test_bootstrap_intervals_equal_evaluate_on_the_same_resamples() -> None:
    from dataclasses import asdict

    from dualtrack.fraud.model import bootstrap_intervals

    rng = np.random.default_rng(5)
    y = (rng.random(3_000) < 0.02).astype(int)
    scores = np.round(np.clip(rng.beta(1, 20, 3_000) + y * rng.beta(2, 2, 3_000), 0, 1), 2)
    fast = bootstrap_intervals(y, scores, n_boot=40, seed=3)
    draw = np.random.default_rng(3)
    slow: dict[str, list[float]] = {}
    for _ in range(40):
        sample = draw.integers(0, len(y), size=len(y))
        for key, value in asdict(evaluate(y[sample], scores[sample])).items():
            if key not in ("n", "positives"):
                slow.setdefault(key, []).append(value)
    assert fast.keys() == slow.keys()
    for key, values in slow.items():
        expected = (np.percentile(values, 2.5), np.percentile(values, 97.5))
        assert fast[key] == pytest.approx(expected, abs=1e-12), key
