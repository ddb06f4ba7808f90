"""Seed-bagged LightGBM ensembles, stored as one ordinary LightGBM model.

A bag trains ``len(seeds)`` LightGBM models that differ only in their random seed (which
drives row subsampling and feature subsampling), each early-stopped on the same validation
rows, and averages them on the log-odds scale. Averaging log-odds is itself a tree ensemble:
:func:`merge_models` concatenates the members' trees and scales every leaf value by
``1 / len(seeds)``, so the result is a single LightGBM model text. The artifact format does not
change (``model.txt`` + ``metadata.json``), ``Booster.predict`` and exact TreeSHAP
(``pred_contrib``) work on it as on any model, and a scorer needs no new code. Prediction
costs grow with the total tree count (about ``len(seeds)`` times one member).

The recipe (:data:`BAGGED_SEEDS`, parameters) was chosen by inner cross-validation on the
training part of the ULB stratified split only (``bench/fraud_recipe_cv.py``; protocol in
docs/fraud.md). The Hong Kong payments simulator model keeps :func:`train_model`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.ensemble import ExtraTreesClassifier

from dualtrack.fraud.domain import BudgetPolicy, CostPolicy
from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.model import (
    DEFAULT_PARAMS,
    FeatureSet,
    ModelArtifact,
    TrainingResult,
    choose_thresholds,
    evaluate,
    fit_logistic_baseline,
    frame_fingerprint,
    training_arrays,
)

logger = logging.getLogger(__name__)

#: Smaller, more regularised trees (one of the recipes compared by inner cross-validation).
REGULARISED_PARAMS: dict[str, Any] = {
    **DEFAULT_PARAMS,
    "num_leaves": 15,
    "min_child_samples": 100,
    "colsample_bytree": 0.4,
    "reg_alpha": 1.0,
    "reg_lambda": 20.0,
}

#: Parameters of every ULB bag member (chosen by inner cross-validation).
ULB_BAG_PARAMS: dict[str, Any] = dict(DEFAULT_PARAMS)

#: Seeds of the bag members.
BAGGED_SEEDS: tuple[int, ...] = (1, 2, 3)

_TREE = re.compile(r"^Tree=\d+\n", re.MULTILINE)
_SCALED_KEYS = ("leaf_value=", "internal_value=")


def _split_model(text: str) -> tuple[str, list[str], str]:
    """(header, tree blocks without their ``Tree=`` line, tail from ``end of trees``)."""
    end = text.find("end of trees")
    if end < 0:
        raise FraudInputError("not a LightGBM model text (no 'end of trees')")
    body, tail = text[:end], text[end:]
    parts = _TREE.split(body)
    return parts[0], parts[1:], tail


def _scale_tree(block: str, factor: float) -> str:
    lines = []
    for line in block.split("\n"):
        key = next((k for k in _SCALED_KEYS if line.startswith(k)), None)
        if key is None:
            lines.append(line)
        else:
            values = (repr(float(v) * factor) for v in line[len(key) :].split())
            lines.append(key + " ".join(values))
    return "\n".join(lines)


def merge_models(model_texts: Sequence[str]) -> str:
    """One LightGBM model text whose raw score is the mean of the members' raw scores.

    The members must share objective and features (same header apart from ``tree_sizes``).
    The header's ``tree_sizes`` line (an optional parsing aid) is dropped and trees are
    renumbered; the tail (feature importances, parameters) is the first member's.
    """
    if not model_texts:
        raise FraudInputError("merge_models needs at least one model")
    if len(model_texts) == 1:
        return model_texts[0]
    factor = 1.0 / len(model_texts)
    header = ""
    tail = ""
    trees: list[str] = []
    for i, text in enumerate(model_texts):
        own_header, blocks, own_tail = _split_model(text)
        own_header = re.sub(r"^tree_sizes=.*\n", "", own_header, flags=re.MULTILINE)
        if i == 0:
            header, tail = own_header, own_tail
        elif own_header != header:
            raise FraudInputError("bag members differ in objective or features", member=i)
        trees.extend(_scale_tree(block, factor) for block in blocks)
    body = "".join(f"Tree={n}\n{block}" for n, block in enumerate(trees))
    return header + body + tail


def train_bagged_model(
    frame: pl.DataFrame,
    *,
    feature_names: Sequence[str],
    feature_set: FeatureSet,
    label: str = "is_fraud",
    validation_mask: npt.NDArray[np.bool_] | None = None,
    policy: CostPolicy | BudgetPolicy | None = None,
    params: dict[str, Any] | None = None,
    seeds: Sequence[int] = BAGGED_SEEDS,
    max_rounds: int = 3_000,
    early_stopping_rounds: int = 200,
) -> TrainingResult:
    """Like :func:`~dualtrack.fraud.model.train_model`, but a bag of ``seeds`` members.

    Each member is early-stopped on the validation rows; metrics, thresholds and the
    logistic baseline are computed on the same rows from the merged model. The artifact's
    ``params`` record the members' parameters plus ``bagged_seeds`` and
    ``member_trees``; ``num_trees`` is the merged model's tree count.
    """
    if not seeds:
        raise FraudInputError("a bag needs at least one seed")
    x, y, fit, val = training_arrays(frame, feature_names, label, validation_mask)
    merged_params = {**DEFAULT_PARAMS, **(params or {})}
    names = list(feature_names)
    texts: list[str] = []
    member_trees: list[int] = []
    for seed in seeds:
        booster = lgb.train(
            {**merged_params, "seed": int(seed)},
            lgb.Dataset(x[fit], y[fit], feature_name=names),
            num_boost_round=max_rounds,
            valid_sets=[lgb.Dataset(x[val], y[val], feature_name=names)],
            callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
        )
        best = booster.best_iteration or booster.current_iteration()
        texts.append(booster.model_to_string(num_iteration=best))
        member_trees.append(int(best))
    model_text = merge_models(texts)
    final = lgb.Booster(model_str=model_text)
    scores = np.asarray(final.predict(x[val]), dtype=np.float64)
    baseline_scores = fit_logistic_baseline(x[fit], y[fit], x[val])
    thresholds = choose_thresholds(y[val], scores, policy or CostPolicy())
    recorded = {k: v for k, v in merged_params.items() if k not in ("num_threads", "seed")}
    recorded |= {"bagged_seeds": [int(s) for s in seeds], "member_trees": member_trees}
    artifact = ModelArtifact(
        model_text=model_text,
        feature_set=feature_set,
        feature_names=tuple(feature_names),
        thresholds=thresholds,
        metrics=evaluate(y[val], scores),
        training_fingerprint=frame_fingerprint(frame.select([*feature_names, label])),
        params=recorded,
        num_trees=final.num_trees(),
        created_with={"lightgbm": lgb.__version__, "polars": pl.__version__},
        baseline_metrics=evaluate(y[val], baseline_scores),
    )
    logger.info("trained a %s-member %s bag, %s trees", len(seeds), feature_set, sum(member_trees))
    return TrainingResult(artifact, scores, baseline_scores)


#: The ExtraTrees partner of the ULB benchmark blend (as in the inner cross-validation).
EXTRA_TREES_PARAMS: dict[str, Any] = {
    "n_estimators": 100,
    "max_features": "sqrt",
    "min_samples_leaf": 1,
    "random_state": 1,
}


def fit_extra_trees(
    x: npt.NDArray[np.float64], y: npt.NDArray[Any], *, n_jobs: int = 1
) -> ExtraTreesClassifier:
    """Fit the benchmark blend's ExtraTrees model (:data:`EXTRA_TREES_PARAMS`)."""
    model = ExtraTreesClassifier(**EXTRA_TREES_PARAMS, n_jobs=n_jobs)
    return model.fit(x, y)


def blend_scores(
    bag_probabilities: npt.NDArray[np.float64], extra_trees_probabilities: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The ULB benchmark blend: the mean of the bag's and ExtraTrees' fraud probabilities.

    Used by ``bench/fraud_quality.py`` only; a registered artifact is the LightGBM bag alone
    (one LightGBM model, TreeSHAP reason codes), see docs/fraud.md.
    """
    a = np.asarray(bag_probabilities, dtype=np.float64)
    b = np.asarray(extra_trees_probabilities, dtype=np.float64)
    if a.shape != b.shape:
        raise FraudInputError("blend inputs differ in shape", left=a.shape, right=b.shape)
    return 0.5 * a + 0.5 * b


__all__ = [
    "BAGGED_SEEDS",
    "EXTRA_TREES_PARAMS",
    "REGULARISED_PARAMS",
    "ULB_BAG_PARAMS",
    "blend_scores",
    "fit_extra_trees",
    "merge_models",
    "train_bagged_model",
]
