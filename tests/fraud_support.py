"""Shared helpers for the fraud integration, API, CLI and browser tests: a tiny model
(trained once per test session), its path through maker-checker, and transactions."""

from __future__ import annotations

import functools
from typing import Any

from dualtrack.bootstrap import Platform
from dualtrack.demo import SYSTEMS
from dualtrack.errors import NotFound
from dualtrack.fraud import wiring
from dualtrack.fraud.model import TrainingResult
from dualtrack.fraud.simulator import SimulatorConfig
from dualtrack.identity.domain import Actor
from dualtrack.registry.domain import ModelVersion

TINY = SimulatorConfig(
    n_customers=400,
    n_merchants=100,
    days=8,
    seed=5,
    card_cnp_rate=40.0,
    account_takeover_rate=30.0,
    app_scam_rate=30.0,
    mule_fan_in_rate=15.0,
    structuring_rate=15.0,
)
BASE_TS = 1_767_600_000  # 2026-01-05T08:00:00Z


@functools.cache
def tiny_training() -> TrainingResult:
    return wiring.train_on_simulation(
        TINY,
        params={"learning_rate": 0.2, "num_leaves": 7, "num_threads": 1, "metric": "auc"},
        max_rounds=20,
        early_stopping_rounds=10,
    )


def fraud_system_id(platform: Platform, dev: Actor) -> str:
    fraud = next(s for s in SYSTEMS if s.name == wiring.FRAUD_SYSTEM_NAME)
    try:
        return platform.registry.find_system(fraud.name).id
    except NotFound:
        return platform.registry.register_system(dev, fraud).id


def deploy_tiny(
    platform: Platform,
    dev: Actor,
    validator: Actor,
    approver: Actor,
    *,
    version: str = "test-1",
) -> ModelVersion:
    """Register the tiny model, take it through validation and approval, deploy it."""
    fraud_system_id(platform, dev)
    model = wiring.register_trained(
        platform, dev, tiny_training(), version=version, source="simulator"
    )
    registry = platform.registry
    registry.submit(dev, model.id)
    registry.record_validation(validator, model.id, passed=True, summary="tiny test model")
    registry.approve(approver, model.id)
    deployed = registry.deploy(dev, model.id)
    wiring.service(platform).refresh()
    return deployed


def txn(txn_id: str, *, customer: str = "C0000001", offset: int = 0, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "txn_id": txn_id,
        "ts": BASE_TS + offset,
        "customer_id": customer,
        "account_id": f"A{customer[1:]}1",
        "channel": "fps",
        "payee_id": "A00000991",
        "payee_proxy_type": "phone",
        "mcc": 0,
        "amount": 250.0,
        "currency": "HKD",
        "device_id": f"D{customer[1:]}",
        "is_overseas": False,
    }
    row.update(over)
    return row
