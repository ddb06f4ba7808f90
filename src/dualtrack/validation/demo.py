"""Seeded demo files for the validation and monitoring journey (no real people).

:func:`write_demo_files` writes, into one folder, everything a new user needs to try the
deployment gate and monitoring on a scoring model handed in as a file:

* ``model.txt``: a small LightGBM booster trained on ``train.csv``;
* ``train.csv`` (reference) and ``valid.csv`` (validation set), with a ``target`` column and
  the protected attributes ``sex`` and ``age_band`` (independent of the target);
* ``decisions.csv``: two weeks of logged production decisions (``decision_id``,
  ``decided_at``, ``score`` and the features), ``decisions-shifted.csv``: the same volume
  after the applicant population moved (the first features shifted by one standard
  deviation), and ``labels.csv``: outcomes that arrived later for part of them.

The data come from :func:`dualtrack.validation.synthetic.make_credit_dataset`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dualtrack.validation.synthetic import make_credit_dataset

N_FEATURES = 8
FEATURES = tuple(f"f{i:02d}" for i in range(N_FEATURES))
DEMO_PROTECTED = ("sex", "age_band")
START = datetime(2026, 11, 2, tzinfo=UTC)


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    data = make_credit_dataset(n, n_features=N_FEATURES, seed=seed, shift=shift)
    return data.loc[:, [*FEATURES, "target", *DEMO_PROTECTED]]


def train_demo_model(train: pd.DataFrame, *, seed: int = 0) -> Any:
    """A small, well-regularised LightGBM booster (single-threaded, deterministic)."""
    import lightgbm as lgb

    params = {
        "objective": "binary",
        "learning_rate": 0.1,
        "num_leaves": 7,
        "min_data_in_leaf": 50,
        "verbose": -1,
        "num_threads": 1,
        "seed": seed,
        "deterministic": True,
    }
    dataset = lgb.Dataset(
        train.loc[:, list(FEATURES)].to_numpy(),
        train["target"].to_numpy(),
        feature_name=list(FEATURES),
    )
    return lgb.train(params, dataset, num_boost_round=60)


def _decisions(model: Any, n: int, seed: int, shift: float, start: datetime) -> pd.DataFrame:
    frame = _frame(n, seed, shift)
    rng = np.random.default_rng(seed + 1000)
    offsets = np.sort(rng.integers(0, 14 * 86_400, n))
    scores = model.predict(frame.loc[:, list(FEATURES)].to_numpy())
    out = frame.loc[:, list(FEATURES)].copy()
    out.insert(0, "decision_id", [f"D{seed:02d}{i:07d}" for i in range(n)])
    out.insert(1, "decided_at", [(start + timedelta(seconds=int(s))).isoformat() for s in offsets])
    out.insert(2, "score", np.round(scores, 6))
    out["_target"] = frame["target"].to_numpy()
    return out


def write_demo_files(out_dir: Path, *, rows: int = 10_000, seed: int = 0) -> dict[str, Path]:
    """Write the demo model and data files (see the module docstring); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    train = _frame(rows, seed + 1)
    valid = _frame(rows, seed + 2)
    model = train_demo_model(train, seed=seed)
    paths = {
        "model": out_dir / "model.txt",
        "train": out_dir / "train.csv",
        "valid": out_dir / "valid.csv",
        "decisions": out_dir / "decisions.csv",
        "decisions_shifted": out_dir / "decisions-shifted.csv",
        "labels": out_dir / "labels.csv",
    }
    model.save_model(str(paths["model"]))
    train.to_csv(paths["train"], index=False)
    valid.to_csv(paths["valid"], index=False)
    normal = _decisions(model, rows, seed + 3, 0.0, START)
    shifted = _decisions(model, rows, seed + 4, 1.0, START + timedelta(days=14))
    labels = pd.concat([normal, shifted])
    labelled = labels.sample(frac=0.8, random_state=seed)
    labelled.loc[:, ["decision_id", "_target"]].rename(columns={"_target": "label"}).to_csv(
        paths["labels"], index=False
    )
    normal.drop(columns="_target").to_csv(paths["decisions"], index=False)
    shifted.drop(columns="_target").to_csv(paths["decisions_shifted"], index=False)
    return paths


__all__ = ["DEMO_PROTECTED", "FEATURES", "train_demo_model", "write_demo_files"]
