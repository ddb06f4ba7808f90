"""Seeded synthetic credit-style data for tests, demos and benchmarks (no real people).

``make_credit_dataset`` draws numeric features, a binary target from a known logistic
model, and protected attributes of the kinds Hong Kong's anti-discrimination ordinances
cover (sex, disability, family status, race) plus an age band. ``shift`` moves the feature
distributions to simulate drift; ``bias`` makes the target depend on ``sex`` so fairness
tests have something to find.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PROTECTED = ("sex", "disability", "family_status", "race", "age_band")


def make_credit_dataset(
    n_rows: int,
    *,
    n_features: int = 30,
    seed: int = 0,
    shift: float = 0.0,
    bias: float = 0.0,
    dtype: type[np.floating[Any]] = np.float64,
) -> pd.DataFrame:
    """A DataFrame with ``f00..fNN``, ``target`` (about 10% positives) and protected columns."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_rows, n_features)).astype(dtype)
    if shift:
        x[:, : n_features // 3] += dtype(shift)
    weights = np.zeros(n_features)
    k = min(10, n_features)
    weights[:k] = np.linspace(1.0, 0.1, k)
    sex = rng.choice(np.array(["F", "M"]), n_rows)
    logit = -2.6 + x @ weights + 0.3 * np.sin(2.0 * x[:, min(1, n_features - 1)])
    if bias:
        logit += bias * (sex == "M")
    target = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    frame = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(n_features)])
    frame["target"] = target
    frame["sex"] = sex
    frame["disability"] = rng.choice(np.array(["no", "yes"]), n_rows, p=[0.93, 0.07])
    frame["family_status"] = rng.choice(np.array(["single", "married", "parent"]), n_rows)
    frame["race"] = rng.choice(
        np.array(["chinese", "filipino", "indonesian", "south_asian", "white", "other"]),
        n_rows,
        p=[0.88, 0.03, 0.03, 0.02, 0.02, 0.02],
    )
    frame["age_band"] = rng.choice(np.array(["18-29", "30-44", "45-59", "60+"]), n_rows)
    return frame
