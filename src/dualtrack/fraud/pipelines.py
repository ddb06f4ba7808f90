"""End-to-end training entry points for the CLI (``dualtrack fraud train``) and the API.

Both return a :class:`~dualtrack.fraud.model.TrainingResult`; the caller saves the
artifact (``result.artifact.save(directory)``) and registers it as a model version with
its ``artifact_sha256``, ``training_fingerprint`` and metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from dualtrack.fraud.datasets import ULB_FEATURES, load_ulb
from dualtrack.fraud.domain import BudgetPolicy, CostPolicy
from dualtrack.fraud.ensemble import BAGGED_SEEDS, ULB_BAG_PARAMS, train_bagged_model
from dualtrack.fraud.features import FEATURE_NAMES, with_features
from dualtrack.fraud.model import TrainingResult, train_model
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig


def train_ulb(
    csv_path: Path,
    *,
    holdout: Literal["time", "none"] = "time",
    policy: CostPolicy | BudgetPolicy | None = None,
    params: dict[str, Any] | None = None,
    seeds: Sequence[int] = BAGGED_SEEDS,
) -> TrainingResult:
    """Train on a ULB-format CSV.

    ``holdout="time"`` keeps the last 20% by ``Time`` out of training entirely (as in the
    benchmark); ``"none"`` trains on everything. Either way the last 15% (by time) of the
    training rows drive early stopping, metrics and thresholds. The model is the benchmark's
    seed bag (``seeds`` members with ``ULB_BAG_PARAMS``, which ``params`` override).
    """
    frame = load_ulb(csv_path).sort("Time", maintain_order=True)
    if holdout == "time":
        frame = frame.head(int(frame.height * 0.8))
    return train_bagged_model(
        frame,
        feature_names=ULB_FEATURES,
        feature_set="ulb_pca_v1",
        label="Class",
        policy=policy,
        params={**ULB_BAG_PARAMS, **(params or {})},
        seeds=seeds,
    )


def train_simulated(
    config: SimulatorConfig | None = None,
    *,
    policy: CostPolicy | BudgetPolicy | None = None,
    params: dict[str, Any] | None = None,
) -> TrainingResult:
    """Simulate a Hong Kong payments history and train the ``hk_payments_v1`` model.

    The last 15% of days validate (time-ordered), so thresholds are set on later traffic
    than the model learnt from.
    """
    sim = HKPaymentsSimulator(config)
    frame = with_features(pl.concat(list(sim.stream())))
    days = frame["txn_id"].str.slice(1, 4).cast(pl.Int32).to_numpy()
    cut = int(np.ceil(sim.config.days * 0.85))
    return train_model(
        frame,
        feature_names=FEATURE_NAMES,
        feature_set="hk_payments_v1",
        validation_mask=days >= cut,
        policy=policy,
        params=params,
    )


__all__ = ["train_simulated", "train_ulb"]
