"""Shared fixtures: a small simulated stream and a model trained on it (module scope)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pytest

from dualtrack.fraud.features import FEATURE_NAMES, with_features
from dualtrack.fraud.model import ModelArtifact, train_model
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig

SMALL = SimulatorConfig(
    n_customers=1_500,
    n_merchants=300,
    days=12,
    seed=11,
    card_cnp_rate=12.0,
    account_takeover_rate=8.0,
    app_scam_rate=8.0,
    mule_fan_in_rate=4.0,
    structuring_rate=4.0,
)


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture(scope="session")
def simulator() -> HKPaymentsSimulator:
    return HKPaymentsSimulator(SMALL)


@pytest.fixture(scope="session")
def stream(simulator: HKPaymentsSimulator) -> pl.DataFrame:
    return pl.concat(list(simulator.stream()))


@pytest.fixture(scope="session")
def artifact(stream: pl.DataFrame) -> ModelArtifact:
    frame = with_features(stream)
    result = train_model(
        frame,
        feature_names=FEATURE_NAMES,
        feature_set="hk_payments_v1",
        params={"learning_rate": 0.15, "num_leaves": 15, "num_threads": 1, "metric": "auc"},
        max_rounds=80,
        early_stopping_rounds=20,
    )
    return result.artifact


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    yield FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))
