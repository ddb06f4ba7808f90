"""Cases: alerts group per customer, legal transitions only, labels, audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dualtrack.fraud.domain import CaseStatus, Decision, ReasonCode
from dualtrack.fraud.errors import CaseNotFound, IllegalCaseTransition
from dualtrack.fraud.memory import InMemoryCaseRepository
from dualtrack.fraud.service import CaseService

from .conftest import FrozenClock


class ListAudit:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def record(self, *, actor, action, subject_type, subject_id, payload) -> None:
        self.events.append(
            {"actor": actor, "action": action, "subject_id": subject_id, "payload": dict(payload)}
        )


def _decision(txn_id: str, action: str) -> Decision:
    reason = ReasonCode("cust_amount_ratio", 12.0, 1.5, "amount is 12.0x the customer's usual")
    return Decision(txn_id, 0.9, action, action, (), (reason,), "v1")  # type: ignore[arg-type]


@pytest.fixture
def service() -> tuple[CaseService, ListAudit]:
    audit = ListAudit()
    clock = FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))
    return CaseService(InMemoryCaseRepository(), audit, clock=clock), audit


def test_alerts_group_into_one_open_case_per_customer(service) -> None:
    cases, audit = service
    alerts = cases.raise_alerts(
        [
            _decision("t1", "review"),
            _decision("t2", "allow"),
            _decision("t3", "block"),
            _decision("t4", "review"),
        ],
        {"t1": "cust-A", "t2": "cust-A", "t3": "cust-A", "t4": "cust-B"},
    )
    assert [a.txn_id for a in alerts] == ["t1", "t3", "t4"]
    assert alerts[0].case_id == alerts[1].case_id != alerts[2].case_id
    assert [a.txn_id for a in cases.alerts(alerts[0].case_id)] == ["t1", "t3"]
    raised = [e for e in audit.events if e["action"] == "fraud.alert_raised"]
    assert len(raised) == 3
    assert all("cust-" not in str(e["payload"]) for e in raised)


def test_resolution_labels_and_new_case_after_resolution(service) -> None:
    cases, audit = service
    [alert] = cases.raise_alerts([_decision("t1", "review")], {"t1": "cust-A"})
    cases.start_review(alert.case_id, actor="analyst1")
    resolved = cases.confirm_fraud(alert.case_id, actor="analyst1", note="called customer")
    assert resolved.status is CaseStatus.CONFIRMED_FRAUD and resolved.resolved_by == "analyst1"
    [again] = cases.raise_alerts([_decision("t9", "block")], {"t9": "cust-A"})
    assert again.case_id != alert.case_id
    cases.mark_false_positive(again.case_id, actor="analyst2")
    labels = {label.txn_id: label.is_fraud for label in cases.export_labels()}
    assert labels == {"t1": True, "t9": False}
    actions = [e["action"] for e in audit.events if e["actor"] != "system"]
    assert actions == [
        "fraud.case_in_review",
        "fraud.case_confirmed_fraud",
        "fraud.case_false_positive",
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "release"),  # open -> open
        (["confirm_fraud"], "mark_false_positive"),
        (["mark_false_positive"], "start_review"),
        (["start_review", "confirm_fraud"], "release"),
    ],
)
def test_illegal_transitions(service, path: list[str], illegal: str) -> None:
    cases, _ = service
    [alert] = cases.raise_alerts([_decision("t1", "review")], {"t1": "cust-A"})
    for step in path:
        getattr(cases, step)(alert.case_id, actor="a")
    with pytest.raises(IllegalCaseTransition):
        getattr(cases, illegal)(alert.case_id, actor="a")


def test_release_back_to_queue_is_legal(service) -> None:
    cases, _ = service
    [alert] = cases.raise_alerts([_decision("t1", "review")], {"t1": "cust-A"})
    cases.start_review(alert.case_id, actor="a")
    assert cases.release(alert.case_id, actor="a").status is CaseStatus.OPEN


def test_queue_shows_unresolved_cases(service) -> None:
    cases, _ = service
    alerts = cases.raise_alerts(
        [_decision("t1", "review"), _decision("t2", "block")], {"t1": "cust-A", "t2": "cust-B"}
    )
    cases.mark_false_positive(alerts[0].case_id, actor="a")
    assert [c.case_id for c in cases.queue()] == [alerts[1].case_id]
    resolved = cases.queue(status=CaseStatus.FALSE_POSITIVE)
    assert [c.case_id for c in resolved] == [alerts[0].case_id]


def test_unknown_case(service) -> None:
    cases, _ = service
    with pytest.raises(CaseNotFound):
        cases.confirm_fraud("case-missing", actor="a")
