"""Seed bags: merging LightGBM models into one, and training a bag on the ULB sample."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest

from dualtrack.fraud.datasets import ULB_FEATURES, load_ulb
from dualtrack.fraud.ensemble import merge_models, train_bagged_model
from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.model import ModelArtifact, evaluate, train_model

from .test_datasets import SAMPLE

SMALL = {"learning_rate": 0.15, "num_threads": 1, "metric": "auc", "num_leaves": 7}


def _members(n: int) -> tuple[list[lgb.Booster], np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=600) > 1.2).astype(int)
    boosters = [
        lgb.train(
            {
                "objective": "binary",
                "verbose": -1,
                "num_leaves": 5,
                "seed": seed,
                "subsample": 0.7,
                "subsample_freq": 1,
                "colsample_bytree": 0.75,
                "num_threads": 1,
            },
            lgb.Dataset(x, y),
            num_boost_round=5 + 3 * seed,  # members of different lengths
        )
        for seed in range(n)
    ]
    return boosters, x


def test_merged_model_averages_log_odds_and_keeps_treeshap_additive() -> None:
    boosters, x = _members(3)
    merged = lgb.Booster(model_str=merge_models([b.model_to_string() for b in boosters]))
    assert merged.num_trees() == sum(b.num_trees() for b in boosters)
    mean_raw = np.mean([b.predict(x, raw_score=True) for b in boosters], axis=0)
    np.testing.assert_allclose(merged.predict(x, raw_score=True), mean_raw, rtol=0, atol=1e-9)
    np.testing.assert_allclose(merged.predict(x), 1 / (1 + np.exp(-mean_raw)), atol=1e-9)
    contrib = merged.predict(x[:50], pred_contrib=True)
    np.testing.assert_allclose(contrib.sum(axis=1), mean_raw[:50], atol=1e-9)
    # a merged model survives a text round trip unchanged
    again = lgb.Booster(model_str=merged.model_to_string())
    np.testing.assert_allclose(again.predict(x), merged.predict(x), atol=1e-12)


def test_merge_of_one_model_is_that_model_and_bad_input_is_refused() -> None:
    boosters, _ = _members(1)
    text = boosters[0].model_to_string()
    assert merge_models([text]) == text
    with pytest.raises(FraudInputError):
        merge_models([])
    with pytest.raises(FraudInputError):
        merge_models([text, "not a model"])


def test_merge_refuses_members_with_other_features() -> None:
    boosters, x = _members(1)
    other = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        lgb.Dataset(x[:, :3], (x[:, 0] > 1).astype(int)),
        num_boost_round=3,
    )
    with pytest.raises(FraudInputError):
        merge_models([boosters[0].model_to_string(), other.model_to_string()])


def test_bag_on_the_ulb_sample_trains_saves_and_loads(tmp_path: Path) -> None:
    frame = load_ulb(SAMPLE)
    mask = np.zeros(frame.height, dtype=bool)
    mask[::4] = True
    common = {
        "feature_names": ULB_FEATURES,
        "feature_set": "ulb_pca_v1",
        "label": "Class",
        "validation_mask": mask,
        "params": SMALL,
        "max_rounds": 60,
        "early_stopping_rounds": 15,
    }
    bag = train_bagged_model(frame, seeds=(1, 2, 3), **common)  # type: ignore[arg-type]
    art = bag.artifact
    assert art.params["bagged_seeds"] == [1, 2, 3]
    assert art.num_trees == sum(art.params["member_trees"])
    assert art.metrics.auprc > 0.6
    assert art.thresholds.review <= art.thresholds.block
    digest = art.save(tmp_path / "bag")
    loaded = ModelArtifact.load(tmp_path / "bag")
    assert loaded.artifact_sha256 == digest
    x = frame.filter(pl.Series(mask)).select(ULB_FEATURES).to_numpy()
    np.testing.assert_allclose(loaded.booster().predict(x), bag.validation_scores, atol=1e-12)
    # a one-seed bag is the single model train_model would fit with that seed
    single = train_model(frame, **{**common, "params": {**SMALL, "seed": 1}})  # type: ignore[arg-type]
    one = train_bagged_model(frame, seeds=(1,), **common)  # type: ignore[arg-type]
    assert one.artifact.model_text == single.artifact.model_text


def test_bag_refuses_no_seeds_and_missing_columns() -> None:
    with pytest.raises(FraudInputError):
        train_bagged_model(
            pl.DataFrame({"a": [1.0]}), feature_names=["a"], feature_set="ulb_pca_v1", seeds=()
        )
    with pytest.raises(FraudInputError):
        train_bagged_model(
            pl.DataFrame({"a": [1.0]}), feature_names=["a", "b"], feature_set="ulb_pca_v1"
        )


def test_extra_trees_blend_on_the_ulb_sample() -> None:
    from dualtrack.fraud.ensemble import blend_scores, fit_extra_trees

    frame = load_ulb(SAMPLE)
    x = frame.select(ULB_FEATURES).to_numpy()
    y = frame["Class"].to_numpy()
    train, test = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
    extra = fit_extra_trees(x[train], y[train])
    et = extra.predict_proba(x[test])[:, 1]
    assert len(extra.estimators_) == 100
    assert evaluate(y[test], et).auprc > 0.6
    other = np.full(len(et), 0.2)
    np.testing.assert_allclose(blend_scores(et, other), 0.5 * et + 0.1)
    with pytest.raises(FraudInputError):
        blend_scores(et, other[:-1])


def test_wiring_trains_the_ulb_bag() -> None:
    from dualtrack.fraud import wiring

    result = wiring.train_on_ulb(
        SAMPLE, params=SMALL, max_rounds=40, early_stopping_rounds=10, seeds=(1, 2)
    )
    assert result.artifact.feature_set == "ulb_pca_v1"
    assert result.artifact.params["bagged_seeds"] == [1, 2]
    assert result.artifact.num_trees == sum(result.artifact.params["member_trees"])
