"""Fraud domain records: decisions, thresholds, alerts and cases.

Everything here is a frozen dataclass or an enum built from the standard library, so the
API, CLI and dashboard can serialise it with ``dataclasses.asdict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from dualtrack.fraud.errors import FraudInputError, IllegalCaseTransition

Action = Literal["allow", "review", "block"]
ACTION_RANK: dict[str, int] = {"allow": 0, "review": 1, "block": 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score cut-offs: ``score >= review`` reviews, ``score >= block`` blocks."""

    review: float
    block: float
    policy: str = "manual"  # "cost" or "budget" when derived, with its settings in ``basis``
    basis: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.block <= 1.0:
            raise FraudInputError(
                "thresholds must satisfy 0 <= review <= block <= 1",
                review=self.review,
                block=self.block,
            )

    def action(self, score: float) -> Action:
        """Model action for one score."""
        if score >= self.block:
            return "block"
        if score >= self.review:
            return "review"
        return "allow"


@dataclass(frozen=True, slots=True)
class CostPolicy:
    """Derive thresholds by minimising expected cost on validation data.

    ``review``: cost per missed fraud vs cost per false alert. ``block``: the same missed
    fraud cost against the (higher) cost of wrongly blocking a genuine payment.
    """

    cost_missed_fraud: float = 100.0
    cost_false_alert: float = 1.0
    cost_false_block: float = 20.0


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """Derive thresholds from the share of traffic analysts can review / the bank will block."""

    review_share: float = 0.005
    block_share: float = 0.0005


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """One readable reason behind a score, from a TreeSHAP contribution."""

    feature: str
    value: float
    contribution: float
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of scoring one transaction."""

    txn_id: str
    score: float
    action: Action
    model_action: Action
    rule_hits: tuple[str, ...]
    reasons: tuple[ReasonCode, ...]
    model_version: str


@dataclass(frozen=True, slots=True)
class ModelMetrics:
    """Ranking and calibration quality on a held-out set."""

    auprc: float
    roc_auc: float
    recall_at_1pct_fpr: float
    recall_at_01pct_fpr: float
    brier: float
    n: int
    positives: int


# ------------------------------------------------------------------------------- cases


class CaseStatus(StrEnum):
    """Life cycle of a fraud case."""

    OPEN = "open"
    IN_REVIEW = "in_review"
    CONFIRMED_FRAUD = "confirmed_fraud"
    FALSE_POSITIVE = "false_positive"

    @property
    def is_final(self) -> bool:
        """Resolved cases take no new alerts and no further transitions."""
        return self in (CaseStatus.CONFIRMED_FRAUD, CaseStatus.FALSE_POSITIVE)


CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.IN_REVIEW, CaseStatus.CONFIRMED_FRAUD, CaseStatus.FALSE_POSITIVE}
    ),
    CaseStatus.IN_REVIEW: frozenset(
        {CaseStatus.OPEN, CaseStatus.CONFIRMED_FRAUD, CaseStatus.FALSE_POSITIVE}
    ),
    CaseStatus.CONFIRMED_FRAUD: frozenset(),
    CaseStatus.FALSE_POSITIVE: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Alert:
    """A review or block decision waiting for (or given) an analyst's verdict."""

    alert_id: str
    txn_id: str
    customer_ref: str  # a pseudonym or internal customer number, never a name
    action: Action
    score: float
    reasons: tuple[ReasonCode, ...]
    rule_hits: tuple[str, ...]
    model_version: str
    created_at: datetime
    case_id: str
    label: Literal["fraud", "genuine"] | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """Alerts of one customer investigated together."""

    case_id: str
    customer_ref: str
    status: CaseStatus
    opened_at: datetime
    updated_at: datetime
    assignee: str | None = None
    resolved_by: str | None = None
    note: str = ""

    def move_to(self, target: CaseStatus, *, actor: str, at: datetime, note: str = "") -> Case:
        """Return the case in ``target`` status, or raise :class:`IllegalCaseTransition`."""
        if target not in CASE_TRANSITIONS[self.status]:
            raise IllegalCaseTransition(
                f"case cannot move from {self.status.value} to {target.value}",
                case_id=self.case_id,
                source=self.status.value,
                target=target.value,
            )
        return replace(
            self,
            status=target,
            updated_at=at,
            assignee=actor if target is CaseStatus.IN_REVIEW else self.assignee,
            resolved_by=actor if target.is_final else None,
            note=note or self.note,
        )


@dataclass(frozen=True, slots=True)
class Label:
    """An analyst's verdict on one transaction, exported for retraining and monitoring."""

    txn_id: str
    is_fraud: bool
    case_id: str
    alert_id: str
    model_version: str
    score: float
    labelled_at: datetime
    labelled_by: str


__all__ = [
    "ACTION_RANK",
    "CASE_TRANSITIONS",
    "Action",
    "Alert",
    "BudgetPolicy",
    "Case",
    "CaseStatus",
    "CostPolicy",
    "Decision",
    "Label",
    "ModelMetrics",
    "ReasonCode",
    "Thresholds",
]
