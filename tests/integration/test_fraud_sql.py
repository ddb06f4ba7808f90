"""Fraud SQL adapters on SQLite and PostgreSQL: cases, decisions, coalesced group commits."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select

from dualtrack.adapters.fraud_sql import SqlCaseRepository, decisions_by_id
from dualtrack.adapters.fraud_tables import fraud_decisions
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.errors import RoleNotAllowed
from dualtrack.fraud import wiring
from dualtrack.fraud.domain import Alert, Case, CaseStatus, ReasonCode
from dualtrack.fraud.features import FEATURE_NAMES, STATE_COLUMNS, compute_batch
from dualtrack.fraud.governed import GovernedDecision
from dualtrack.fraud.simulator import HKPaymentsSimulator
from tests.conftest import People
from tests.fraud_support import TINY, deploy_tiny, txn

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _case(case_id: str, customer: str, status: CaseStatus = CaseStatus.OPEN) -> Case:
    return Case(case_id, customer, status, NOW, NOW)


def _alert(alert_id: str, case_id: str, minutes: int) -> Alert:
    return Alert(
        alert_id=alert_id,
        txn_id=f"T-{alert_id}",
        customer_ref="CUSTOMER_ID_a",
        action="review",
        score=0.5 + minutes / 100,
        reasons=(ReasonCode("amount", 900.0, 0.7, "amount HKD 900 is high"),),
        rule_hits=("payee_on_watchlist",),
        model_version="v1",
        created_at=NOW + timedelta(minutes=minutes),
        case_id=case_id,
    )


def test_case_repository_round_trips(platform: Platform) -> None:
    with platform.uow() as uow:
        repo = SqlCaseRepository(uow.connection)
        repo.add_case(_case("case-1", "CUSTOMER_ID_a"))
        repo.add_case(_case("case-2", "CUSTOMER_ID_b", CaseStatus.FALSE_POSITIVE))
        repo.add_alert(_alert("a2", "case-1", 5))
        repo.add_alert(_alert("a1", "case-1", 1))
        uow.commit()
    with platform.uow() as uow:
        repo = SqlCaseRepository(uow.connection)
        assert repo.get_case("case-1") == _case("case-1", "CUSTOMER_ID_a")
        assert repo.get_case("case-x") is None
        assert [a.alert_id for a in repo.alerts_for_case("case-1")] == ["a1", "a2"]
        assert repo.get_alert("a1") == _alert("a1", "case-1", 1)
        assert repo.open_case_for("CUSTOMER_ID_a") is not None
        assert repo.open_case_for("CUSTOMER_ID_b") is None, "resolved cases take no alerts"
        assert [c.case_id for c in repo.list_cases(status="false_positive")] == ["case-2"]
        moved = _case("case-1", "CUSTOMER_ID_a").move_to(
            CaseStatus.IN_REVIEW, actor="ana", at=NOW + timedelta(hours=1)
        )
        repo.update_case(moved)
        repo.update_alert(replace(_alert("a1", "case-1", 1), label="fraud"))
        uow.commit()
    with platform.uow() as uow:
        repo = SqlCaseRepository(uow.connection)
        case = repo.get_case("case-1")
        assert case is not None and case.status is CaseStatus.IN_REVIEW and case.assignee == "ana"
        assert repo.open_case_for("CUSTOMER_ID_a") == case, "in review still takes alerts"
        a1 = repo.get_alert("a1")
        assert a1 is not None and a1.label == "fraud"
        counts = repo.alert_counts(["case-1"])
        assert counts["case-1"][0] == 2
        assert counts["case-1"][2] == (NOW + timedelta(minutes=5)).isoformat()


def test_concurrent_scoring_is_coalesced_durable_and_exactly_once(
    platform: Platform, people: People
) -> None:
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    rows = [txn(f"C{i}", customer=f"C{i % 7:07d}", offset=i * 10) for i in range(60)]
    lanes = [[r for r in rows if r["customer_id"] == f"C{k:07d}"] for k in range(7)]

    def lane(items: list[dict[str, object]]) -> list[GovernedDecision]:
        return [governed.score([row])[0] for row in items]

    with ThreadPoolExecutor(7) as pool:
        decided = [d for part in pool.map(lane, lanes) for d in part]
    # the same IDs again from two threads at once: the stored decisions come back
    with ThreadPoolExecutor(2) as pool:
        replays = list(pool.map(governed.score, [rows[:30], rows[:30]]))
    assert all(d.replayed for batch in replays for d in batch)
    with platform.uow() as uow:
        stored = decisions_by_id(uow.connection, [r["txn_id"] for r in rows])  # type: ignore[misc]
    assert len(stored) == 60
    for d in decided:
        assert stored[d.txn_id].score == d.score and stored[d.txn_id].action == d.action
    entries = [e for e in platform.ledger.entries() if e.action == "fraud.decision"]
    assert len(entries) == 60 and len({e.subject_id for e in entries}) == 60
    assert platform.ledger.verify().ok


def test_analyst_roles_and_ledgered_verdicts(platform: Platform, people: People) -> None:
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.service(platform).score([txn("B1", amount=900_000.0)])
    desk = wiring.cases(platform)
    (item,) = desk.queue()
    with pytest.raises(RoleNotAllowed):
        desk.confirm_fraud(people.auditor, item.case.case_id)
    desk.start_review(people.analyst, item.case.case_id)
    desk.mark_false_positive(people.analyst, item.case.case_id, "known customer")
    view = desk.view(item.case.case_id)
    assert view.case.status is CaseStatus.FALSE_POSITIVE and view.case.resolved_by == "ana"
    assert [e.action for e in view.history] == [
        "fraud.case_opened",
        "fraud.case_in_review",
        "fraud.case_false_positive",
    ]
    (label,) = desk.labels()
    assert label.txn_id == "B1" and label.is_fraud is False and label.labelled_by == "ana"
    assert desk.queue() == []


def test_watchlisted_payee_is_blocked_with_reasons(platform: Platform, people: People) -> None:
    from dualtrack.fraud.service import RuleSet

    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.rules = RuleSet(watchlist=frozenset({"A-MULE-1"}))
    listed, clean = governed.score(
        [txn("W1", payee_id="A-MULE-1"), txn("W2", customer="C0000002", payee_id="A-OK-2")]
    )
    assert listed.action == "block" and "payee_on_watchlist" in listed.rule_hits
    assert listed.reasons, "escalated decisions carry reason codes"
    assert "payee_on_watchlist" not in clean.rule_hits


def test_queue_counts_alerts_and_top_scores(platform: Platform, people: People) -> None:
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    decided = wiring.service(platform).score(
        [txn("Q1", amount=600_000.0), txn("Q2", offset=30, amount=700_000.0)]
    )
    (item,) = wiring.cases(platform).queue()
    assert item.alerts == 2
    assert item.top_score == pytest.approx(max(d.score for d in decided))


def test_a_restarted_process_rebuilds_the_velocity_state_from_stored_decisions(
    platform: Platform, people: People, settings: Settings
) -> None:
    """Score part of a stream, stop, start a new process over the same database, score the
    rest: the features equal the batch features of the whole stream, as if nothing stopped."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    sim = HKPaymentsSimulator(TINY)
    stream = pl.concat([sim.day(d) for d in range(3)]).drop("is_fraud", "typology").head(900)
    rows = stream.to_dicts()
    expected = compute_batch(stream).to_numpy()
    first, rest = rows[:600], rows[600:]
    before = wiring.service(platform)
    for start in range(0, len(first), 200):
        before.score(first[start : start + 200])
    with platform.uow() as uow:
        kept = uow.connection.execute(
            select(fraud_decisions.c.state_event).where(
                fraud_decisions.c.txn_id == rows[0]["txn_id"]
            )
        ).scalar_one()
    event = json.loads(kept)
    assert set(event) == set(STATE_COLUMNS)
    assert event["customer_id"] != rows[0]["customer_id"], "identifiers are kept as pseudonyms"
    assert event["customer_id"].startswith("CUSTOMER_ID_")

    restarted_platform = bootstrap(settings)
    try:
        restarted = wiring.scoring_service(restarted_platform)  # takes the lease, folds
        assert restarted is not before
        decided = restarted.score(rest)
    finally:
        restarted_platform.close()
    got = np.array([[d.features[name] for name in FEATURE_NAMES] for d in decided])
    np.testing.assert_array_equal(got, expected[600:])
    # not vacuous: without the stored history the same rows get other features
    cold = compute_batch(stream.tail(300)).to_numpy()
    assert not np.array_equal(cold, expected[600:])


def test_history_folded_in_is_keyed_like_scored_transactions(
    platform: Platform, people: People
) -> None:
    """``warm_up`` (the demo's week of history) goes through the privacy policy, so the
    scored transactions that follow see it (their IDs are pseudonymised the same way)."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    sim = HKPaymentsSimulator(TINY)
    stream = pl.concat([sim.day(d) for d in range(3)]).head(900)
    expected = compute_batch(stream.drop("is_fraud", "typology")).to_numpy()
    governed = wiring.service(platform)
    assert wiring.warm_up(governed, stream.head(600)) == 600
    decided = governed.score(stream.tail(300).drop("is_fraud", "typology").to_dicts())
    got = np.array([[d.features[name] for name in FEATURE_NAMES] for d in decided])
    np.testing.assert_array_equal(got, expected[600:])
