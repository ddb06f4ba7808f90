"""The simulator is deterministic, streams by day and produces every typology."""

from __future__ import annotations

import polars as pl

from dualtrack.fraud.features import TRANSACTION_SCHEMA
from dualtrack.fraud.simulator import TYPOLOGIES, HKPaymentsSimulator, SimulatorConfig

from .conftest import SMALL


def test_same_seed_same_stream_other_seed_differs() -> None:
    config = SimulatorConfig(n_customers=300, n_merchants=50, days=2, seed=3)
    a = pl.concat(list(HKPaymentsSimulator(config).stream()))
    b = pl.concat(list(HKPaymentsSimulator(config).stream()))
    c = pl.concat(
        list(
            HKPaymentsSimulator(
                SimulatorConfig(n_customers=300, n_merchants=50, days=2, seed=4)
            ).stream()
        )
    )
    assert a.equals(b)
    assert not a.equals(c)


def test_day_is_reproducible_on_its_own(
    simulator: HKPaymentsSimulator, stream: pl.DataFrame
) -> None:
    day3 = simulator.day(3)
    assert day3.equals(stream.filter(pl.col("txn_id").str.starts_with("T0003")))


def test_schema_labels_and_typologies(stream: pl.DataFrame) -> None:
    assert list(stream.columns[: len(TRANSACTION_SCHEMA)]) == list(TRANSACTION_SCHEMA)
    assert stream["txn_id"].is_unique().all()
    assert stream["ts"].is_sorted()
    assert set(stream["typology"].unique()) - {""} == set(TYPOLOGIES)
    fraud = stream.filter(pl.col("is_fraud") == 1)
    assert (fraud["typology"] != "").all()
    assert 0.001 < fraud.height / stream.height < 0.05
    assert (stream["currency"] == "HKD").all()
    assert (stream["amount"] > 0).all()


def test_daily_rhythm_night_is_quieter(stream: pl.DataFrame) -> None:
    hk_hour = ((stream["ts"] + 8 * 3600) % 86400) // 3600
    night = (hk_hour.is_between(2, 5)).sum()
    evening = (hk_hour.is_between(19, 22)).sum()
    assert evening > 5 * night


def test_structuring_stays_under_the_line(stream: pl.DataFrame) -> None:
    amounts = stream.filter(pl.col("typology") == "structuring")["amount"]
    assert amounts.max() < 8_000 and amounts.min() > 7_400


def test_watchlist_holds_only_mule_accounts(simulator: HKPaymentsSimulator) -> None:
    mule_accounts = set(simulator.account_ids[simulator.mules].tolist())
    assert simulator.watchlist() <= mule_accounts
    everyone = HKPaymentsSimulator(
        SimulatorConfig(n_customers=500, n_merchants=20, days=1, watchlisted_mule_share=1.0)
    )
    assert everyone.watchlist() == set(everyone.account_ids[everyone.mules].tolist())
    assert SMALL.n_customers == len(simulator.customer_ids)


def test_amount_alone_does_not_separate_fraud(stream: pl.DataFrame) -> None:
    """Fraud amounts overlap with genuine ones (else the validation flags leakage, rightly)."""
    from sklearn.metrics import roc_auc_score

    y = stream["is_fraud"].to_numpy()
    amount_auc = roc_auc_score(y, stream["amount"].to_numpy())
    assert 0.6 < amount_auc < 0.9  # informative, as in real data, but far from a give-away
    fraud = stream.filter(pl.col("is_fraud") == 1)
    genuine = stream.filter(pl.col("is_fraud") == 0)
    # a sizeable share of frauds is smaller than the genuine 99th percentile
    assert (fraud["amount"] < genuine["amount"].quantile(0.99)).mean() > 0.5
