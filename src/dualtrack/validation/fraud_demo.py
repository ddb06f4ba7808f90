"""Validation and monitoring files for the fraud application's ``hk_payments_v1`` models.

The fraud simulator knows nothing about customers' sex or age, so seeded synthetic
protected attributes (independent of fraud) are attached per customer: the fairness tests
then have the columns the fraud AI system record names. The ``days`` a model was trained on
(``dualtrack fraud train`` with the same customers, days and seed) form the reference
sample; the ``valid_days`` after them, never seen in training, the validation set. A third file, ``shifted-transactions.csv``,
holds two later days of raw transactions from a busier population with more fraud: score it
with ``dualtrack fraud score`` (decisions are stored) and monitor, and drift alerts appear.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import polars as pl

SEXES = ("F", "M")
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")


def _attribute(customer_ids: pl.Series, salt: str, values: tuple[str, ...]) -> list[str]:
    out = []
    for cid in customer_ids.to_list():
        digest = hashlib.sha256(f"{salt}:{cid}".encode()).digest()
        out.append(values[digest[0] % len(values)])
    return out


def write_fraud_files(
    out_dir: Path,
    *,
    customers: int = 5_000,
    days: int = 20,
    seed: int = 7,
    valid_days: int = 14,
) -> dict[str, Path]:
    """Simulate, compute features, attach protected attributes and write Parquet files."""
    from dualtrack.fraud.features import FEATURE_NAMES, with_features
    from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig

    config = SimulatorConfig(n_customers=customers, days=days + valid_days, seed=seed)
    cut = days
    sim = HKPaymentsSimulator(config)
    frame = with_features(pl.concat([sim.day(d) for d in range(days + valid_days)]))
    day = frame["txn_id"].str.slice(1, 4).cast(pl.Int32)
    customer = frame["customer_id"] if "customer_id" in frame.columns else frame["txn_id"]
    frame = frame.with_columns(
        pl.Series("sex", _attribute(customer, "sex", SEXES)),
        pl.Series("age_band", _attribute(customer, "age", AGE_BANDS)),
        pl.col("is_fraud").cast(pl.Int8),
    )
    columns = ["txn_id", *FEATURE_NAMES, "is_fraud", "sex", "age_band"]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "reference": out_dir / "reference.parquet",
        "valid": out_dir / "valid.parquet",
        "shifted": out_dir / "shifted-transactions.csv",
    }
    frame.filter(day < cut).select(columns).write_parquet(paths["reference"])
    frame.filter(day >= cut).select(columns).write_parquet(paths["valid"])
    busy = replace(
        config,
        days=days + valid_days + 2,
        seed=seed + 1,
        txns_per_customer_day=config.txns_per_customer_day * 3,
        card_cnp_rate=config.card_cnp_rate * 4,
        app_scam_rate=config.app_scam_rate * 4,
    )
    later = range(days + valid_days, days + valid_days + 2)
    shifted = pl.concat([HKPaymentsSimulator(busy).day(d) for d in later])
    shifted.drop("is_fraud", "typology").write_csv(paths["shifted"])
    return paths


__all__ = ["write_fraud_files"]
