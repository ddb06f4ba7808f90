"""Small seeded datasets and models shared by the validation tests (session-scoped: fast)."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from dualtrack.validation.context import ValidationContext
from dualtrack.validation.domain import DatasetSpec
from dualtrack.validation.loading import as_scoring_model
from dualtrack.validation.synthetic import PROTECTED, make_credit_dataset

N_FEATURES = 8
FEATURES = [f"f{i:02d}" for i in range(N_FEATURES)]


@dataclass(frozen=True)
class Data:
    train: pd.DataFrame
    test: pd.DataFrame
    logistic: LogisticRegression
    booster: lgb.Booster
    spec: DatasetSpec


@pytest.fixture(scope="session")
def data() -> Data:
    train = make_credit_dataset(4000, n_features=N_FEATURES, seed=1)
    test = make_credit_dataset(3000, n_features=N_FEATURES, seed=2)
    logistic = LogisticRegression(max_iter=500).fit(train[FEATURES], train["target"])
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1, "num_threads": 1, "seed": 0},
        lgb.Dataset(train[FEATURES], train["target"]),
        num_boost_round=20,
    )
    spec = DatasetSpec(protected_attributes=PROTECTED, thresholds=(0.3, 0.5))
    return Data(train, test, logistic, booster, spec)


@pytest.fixture(scope="session")
def ctx(data: Data) -> ValidationContext:
    return ValidationContext.build(
        as_scoring_model(data.booster), data.test, data.spec, reference=data.train
    )


class NaNModel:
    """A fake model whose scores contain a NaN (inputs must be rejected)."""

    feature_names = tuple(FEATURES)

    def score(self, features: pd.DataFrame) -> np.ndarray:
        out = np.full(len(features), 0.2)
        out[0] = np.nan
        return out
