"""Privacy policy storage and the ledger sink on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dualtrack.adapters.audit import LedgerAuditSink
from dualtrack.adapters.privacy_sql import SqlPrivacyUnitOfWork
from dualtrack.bootstrap import Platform
from dualtrack.demo import seed
from dualtrack.errors import RoleNotAllowed
from dualtrack.identity.domain import Actor
from dualtrack.privacy import default_policies
from dualtrack.privacy.governance import StoredPolicy, strict_policy
from dualtrack.privacy.wiring import service
from tests.conftest import People


def actions(platform: Platform) -> list[str]:
    return [e.action for e in platform.ledger.entries()]


def test_repository_round_trip_and_update(platform: Platform, people: People) -> None:
    from dualtrack.registry.domain import OpportunityArea, SystemAttributes

    system = platform.registry.register_system(
        people.dev,
        SystemAttributes(
            name="Fraud",
            purpose="p",
            business_function="b",
            opportunity_area=OpportunityArea.FRAUD_CRIME_DETECTION,
            accountable_senior_manager="sam",
            owner="dev",
        ),
    )
    policy = default_policies()["fraud-scoring"]
    stored = StoredPolicy(system.id, policy, "fraud-scoring", 1, "carol", "2026-11-25T09:00:00Z")
    with SqlPrivacyUnitOfWork(platform.engine) as uow:
        assert uow.policies.get(system.id) is None
        uow.policies.put(stored)
        uow.commit()
    with SqlPrivacyUnitOfWork(platform.engine) as uow:
        got = uow.policies.get(system.id)
        assert got is not None
        assert got.policy.to_dict() == policy.to_dict() and got.template == "fraud-scoring"
        uow.policies.put(StoredPolicy(system.id, strict_policy(system.id), None, 2, "admin", "t"))
        # No commit: the update must roll back.
    with SqlPrivacyUnitOfWork(platform.engine) as uow:
        assert [p.revision for p in uow.policies.list()] == [1]


def test_policy_change_and_ledger_entry_commit_together(platform: Platform) -> None:
    seed_privacy_demo(platform)
    analyst = Actor.of(platform.identity.get_user("ana"))
    compliance = Actor.of(platform.identity.get_user("carol"))
    gateway = service(platform)
    before = actions(platform).count("privacy.policy_set")
    with pytest.raises(RoleNotAllowed):
        gateway.set_policy(analyst, "Retail credit scorecard", template="fraud-scoring")
    assert gateway.policy("Retail credit scorecard").revision == 0
    stored = gateway.set_policy(
        compliance, "Retail credit scorecard", template="research-assistant"
    )
    assert stored.revision == 1 and stored.updated_by == "carol"
    assert actions(platform).count("privacy.policy_set") == before + 1
    assert platform.ledger.verify().ok


def seed_privacy_demo(platform: Platform) -> None:
    import dualtrack.bootstrap as b

    saved = b.FEATURES
    b.FEATURES = ("privacy",)  # type: ignore[misc]
    try:
        seed(platform)
    finally:
        b.FEATURES = saved  # type: ignore[misc]


def test_seed_demo_attaches_shipped_policies_once(platform: Platform) -> None:
    seed_privacy_demo(platform)
    from dualtrack.privacy.wiring import seed_demo

    seed_demo(platform)  # a second run changes nothing
    gateway = service(platform)
    fraud = gateway.policy("Card and FPS fraud detection")
    research = gateway.policy("Client research assistant")
    assert (fraud.template, fraud.revision) == ("fraud-scoring", 1)
    assert (research.template, research.revision) == ("research-assistant", 1)
    assert gateway.policy("Trade settlement exception router").revision == 0
    assert actions(platform).count("privacy.policy_set") == 2


def test_ledger_sink_fits_long_tokens(platform: Platform) -> None:
    sink = LedgerAuditSink(platform.uow)
    token = "enc:ADDRESS:" + "A" * 300
    sink.record(
        actor=Actor.system("t").username,
        action="privacy.reidentified",
        subject_type="privacy_token",
        subject_id=token,
        payload={"token": token},
    )
    entry = list(platform.ledger.entries())[-1]
    assert entry.subject_id.startswith("sha256:") and len(entry.subject_id) == 71
    assert token in entry.payload_json
