"""The governed lifecycle on real SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dualtrack.bootstrap import Platform
from dualtrack.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RoleNotAllowed,
    SelfApprovalForbidden,
)
from dualtrack.registry.domain import Lifecycle, OpportunityArea, SystemAttributes, Tier
from tests.conftest import People

H = "ab" * 32
D = "cd" * 32


def attributes(name: str = "Research bot", **flags: bool) -> SystemAttributes:
    return SystemAttributes(
        name=name,
        purpose="Answers questions",
        business_function="Wealth",
        opportunity_area=OpportunityArea.INVESTMENT,
        accountable_senior_manager="sam",
        owner="dev",
        **flags,
    )


def submitted(platform: Platform, people: People, **flags: bool) -> tuple[str, str]:
    system = platform.registry.register_system(people.dev, attributes(**flags))
    v = platform.registry.register_version(
        people.dev, system.id, version="1.0", artifact_sha256=H, data_fingerprint=D
    )
    platform.registry.submit(people.dev, v.id)
    return system.id, v.id


def test_full_high_tier_lifecycle(platform: Platform, people: People) -> None:
    system_id, vid = submitted(platform, people, gives_investment_advice=True)
    assert platform.registry.get_system(system_id).tier is Tier.HIGH
    platform.registry.record_validation(people.validator, vid, passed=True, summary="ok")
    approved = platform.registry.approve(people.manager, vid)
    assert approved.state is Lifecycle.APPROVED and approved.approved_by == "sam"
    deployed = platform.registry.deploy(people.dev, vid)
    assert deployed.state is Lifecycle.DEPLOYED
    assert platform.registry.deployed_version(system_id) == deployed
    assert platform.ledger.verify().ok


def test_self_approval_refused_in_service(platform: Platform, people: People) -> None:
    """The developer cannot validate or approve their own version, even after promotion."""
    from dualtrack.identity.domain import Actor, Role

    system = platform.registry.register_system(people.dev, attributes())
    v = platform.registry.register_version(
        people.dev2, system.id, version="1", artifact_sha256=H, data_fingerprint=D
    )
    platform.registry.submit(people.dev2, v.id)
    before = platform.ledger.verify().entries_checked
    with pytest.raises(SelfApprovalForbidden):
        platform.registry.record_validation(people.dev2, v.id, passed=True, summary="mine")
    assert platform.ledger.verify().entries_checked == before, "refusals write nothing"
    platform.registry.record_validation(people.compliance, v.id, passed=True, summary="ok")
    promoted = platform.identity.change_role(
        people.admin, username="dev2", role=Role.SENIOR_MANAGER, reason="promotion"
    )
    with pytest.raises(SelfApprovalForbidden):
        platform.registry.approve(Actor.of(promoted), v.id)
    assert platform.registry.get_version(v.id).state is Lifecycle.VALIDATED


def test_maker_cannot_check_even_with_the_right_role(platform: Platform, people: People) -> None:
    """A senior manager who submitted a version cannot approve it."""
    from dualtrack.identity.domain import Actor, Role

    boss_dev = Actor.of(
        platform.identity.create_user(
            people.admin, username="boss", display_name="Boss", role=Role.SENIOR_MANAGER
        )
    )
    system = platform.registry.register_system(people.dev, attributes())
    v = platform.registry.register_version(
        people.dev, system.id, version="1", artifact_sha256=H, data_fingerprint=D
    )
    platform.registry.submit(people.dev, v.id)
    platform.registry.record_validation(people.validator, v.id, passed=True, summary="ok")
    # The developer is the maker and is refused as such.
    with pytest.raises(SelfApprovalForbidden):
        platform.registry.approve(people.dev, v.id)
    with pytest.raises(RoleNotAllowed):
        platform.registry.approve(people.dev2, v.id)
    # boss did not make it, so boss may approve a LOW-tier version.
    assert platform.registry.approve(boss_dev, v.id).approved_by == "boss"


def test_high_tier_needs_senior_manager(platform: Platform, people: People) -> None:
    _, vid = submitted(platform, people, gives_investment_advice=True)
    platform.registry.record_validation(people.validator, vid, passed=True, summary="ok")
    with pytest.raises(RoleNotAllowed, match="senior_manager"):
        platform.registry.approve(people.compliance, vid)
    assert platform.registry.get_version(vid).state is Lifecycle.VALIDATED


def test_high_tier_needs_independent_validator(platform: Platform, people: People) -> None:
    _, vid = submitted(platform, people, gives_investment_advice=True)
    with pytest.raises(RoleNotAllowed):
        platform.registry.record_validation(people.compliance, vid, passed=True, summary="ok")


def test_approval_needs_validation_and_passing_run(platform: Platform, people: People) -> None:
    _, vid = submitted(platform, people)
    with pytest.raises(Conflict):
        platform.registry.approve(people.compliance, vid)
    record = platform.registry.record_validation(
        people.validator, vid, passed=False, summary="AUC low"
    )
    assert platform.registry.get_version(vid).state is Lifecycle.SUBMITTED
    with pytest.raises(RoleNotAllowed):
        platform.registry.override_validation(people.compliance, record.id, reason="x" * 30)
    with pytest.raises(InvalidInput):
        platform.registry.override_validation(people.manager, record.id, reason="ok")
    platform.registry.override_validation(
        people.manager, record.id, reason="Accepted: compensating manual review for 3 months."
    )
    assert platform.registry.get_version(vid).state is Lifecycle.VALIDATED
    assert platform.registry.approve(people.compliance, vid).state is Lifecycle.APPROVED
    actions = [e.action for e in platform.ledger.page(limit=20)]
    assert "validation.overridden" in actions


def test_illegal_transitions(platform: Platform, people: People) -> None:
    system = platform.registry.register_system(people.dev, attributes())
    v = platform.registry.register_version(
        people.dev, system.id, version="1", artifact_sha256=H, data_fingerprint=D
    )
    with pytest.raises(Conflict):
        platform.registry.deploy(people.dev, v.id)
    platform.registry.retire(people.compliance, v.id, reason="abandoned")
    with pytest.raises(IllegalTransition):
        platform.registry.submit(people.dev, v.id)


def test_deploy_retires_previous_version(platform: Platform, people: People) -> None:
    system = platform.registry.register_system(people.dev, attributes())
    ids = []
    for label in ("1", "2"):
        v = platform.registry.register_version(
            people.dev, system.id, version=label, artifact_sha256=H, data_fingerprint=D
        )
        platform.registry.submit(people.dev, v.id)
        platform.registry.record_validation(people.validator, v.id, passed=True, summary="ok")
        platform.registry.approve(people.compliance, v.id)
        platform.registry.deploy(people.dev, v.id)
        ids.append(v.id)
    assert platform.registry.get_version(ids[0]).state is Lifecycle.RETIRED
    assert platform.registry.deployed_version(system.id).id == ids[1]  # type: ignore[union-attr]


def test_artifact_change_sends_version_back(platform: Platform, people: People) -> None:
    _, vid = submitted(platform, people)
    platform.registry.record_validation(people.validator, vid, passed=True, summary="ok")
    platform.registry.approve(people.compliance, vid)
    changed = platform.registry.update_artifact(
        people.dev, vid, artifact_sha256="ef" * 32, data_fingerprint=D
    )
    assert changed.state is Lifecycle.SUBMITTED and changed.approved_by is None


def test_attribute_change_retiers_and_records_why(platform: Platform, people: People) -> None:
    system = platform.registry.register_system(people.dev, attributes())
    assert system.tier is Tier.LOW
    updated = platform.registry.update_system(
        people.compliance, system.id, {"gives_investment_advice": True}
    )
    assert updated.tier is Tier.HIGH and updated.revision == 2
    history = platform.registry.system_history(system.id)
    assert "re-tiered LOW -> HIGH" in history[-1]["change"]
    retier = [e for e in platform.ledger.page(limit=10) if e.action == "system.retiered"]
    assert retier and retier[0].payload["because_changed"] == ["gives_investment_advice"]


def test_inventory_as_of_past_time(platform: Platform, people: People) -> None:
    import time
    from datetime import UTC, datetime

    from dualtrack.ledger.domain import format_time

    system = platform.registry.register_system(people.dev, attributes())
    time.sleep(0.01)
    moment = format_time(datetime.now(UTC))
    time.sleep(0.01)
    platform.registry.update_system(people.compliance, system.id, {"gives_investment_advice": True})
    platform.registry.register_system(people.dev, attributes(name="Later system"))
    past = platform.registry.list_systems(as_of=moment)
    assert [s.attributes.name for s in past] == ["Research bot"]
    assert past[0].tier is Tier.LOW
    now = platform.registry.list_systems()
    assert {s.attributes.name for s in now} == {"Research bot", "Later system"}
    assert platform.registry.list_systems(as_of="2000-01-01T00:00:00.000000Z") == []


def test_duplicate_and_unknown(platform: Platform, people: People) -> None:
    platform.registry.register_system(people.dev, attributes())
    with pytest.raises(Conflict):
        platform.registry.register_system(people.dev, attributes())
    with pytest.raises(NotFound):
        platform.registry.get_version("nope")
    with pytest.raises(RoleNotAllowed):
        platform.registry.register_system(people.auditor, attributes(name="Other"))


def test_failed_use_case_writes_nothing(platform: Platform, people: People) -> None:
    """A use case that fails midway (here: duplicate version label) leaves no partial rows."""
    system = platform.registry.register_system(people.dev, attributes())
    platform.registry.register_version(
        people.dev, system.id, version="1", artifact_sha256=H, data_fingerprint=D
    )
    head = platform.ledger.verify().entries_checked
    with pytest.raises(Conflict):
        platform.registry.register_version(
            people.dev, system.id, version="1", artifact_sha256=H, data_fingerprint=D
        )
    assert platform.ledger.verify().entries_checked == head
    assert len(platform.registry.list_versions(system.id)) == 1


def test_control_gaps_and_evidence(platform: Platform, people: People) -> None:
    from dualtrack.controls.domain import EvidenceKind, GapStatus

    system = platform.registry.register_system(people.dev, attributes(uses_personal_data=True))
    gaps = {g.control.id: g for g in platform.controls.gaps(system.id)}
    assert gaps["PDPO-DPP4"].status is GapStatus.EVIDENCE_MISSING
    platform.controls.attach_evidence(
        people.compliance,
        system.id,
        "PDPO-DPP4",
        kind=EvidenceKind.FILE,
        reference="encryption-review.pdf",
        content=b"%PDF-1.7 review",
    )
    platform.controls.attach_evidence(
        people.compliance,
        system.id,
        "PCPD-08",
        kind=EvidenceKind.NOTE,
        reference="note",
        note="Training data not minimised",
        verdict="unmet",
    )
    gaps = {g.control.id: g for g in platform.controls.gaps(system.id)}
    assert gaps["PDPO-DPP4"].status is GapStatus.MET
    assert gaps["PCPD-08"].status is GapStatus.UNMET
    with pytest.raises(RoleNotAllowed):
        platform.controls.attach_evidence(
            people.analyst, system.id, "PDPO-DPP4", kind=EvidenceKind.NOTE, reference="n"
        )
    with pytest.raises(NotFound):
        platform.controls.attach_evidence(
            people.compliance, system.id, "NOPE-1", kind=EvidenceKind.NOTE, reference="n"
        )


def test_gaps_follow_the_latest_validation_run(platform: Platform, people: People) -> None:
    """An older failed run does not mark controls unmet once a later run passed."""
    from dualtrack.controls.domain import GapStatus

    system_id, vid = submitted(platform, people)
    platform.registry.record_validation(people.validator, vid, passed=False, summary="AUC low")
    gaps = {g.control.id: g for g in platform.controls.gaps(system_id)}
    assert gaps["HKMA-HLP-05"].status is GapStatus.UNMET
    platform.registry.record_validation(
        people.validator, vid, passed=True, summary="fixed", controls=("HKMA-HLP-05",)
    )
    gaps = {g.control.id: g for g in platform.controls.gaps(system_id)}
    assert gaps["HKMA-HLP-05"].status is GapStatus.MET
