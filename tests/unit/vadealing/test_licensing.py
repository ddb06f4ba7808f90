"""Licence register: lifecycle, fit-and-proper, capital against the proposed minimums, and
the counterparty check table with near misses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dualtrack.errors import IllegalTransition
from dualtrack.vadealing.errors import DuplicateRecord, FirmNotFound, InvalidAddress

from .conftest import World, btc_address


def test_capital_requirements_carry_their_status(world: World) -> None:
    dealer = world.controls.capital_requirements["dealer"]
    custodian = world.controls.capital_requirements["custodian"]
    assert (dealer.paid_up_hkd, dealer.liquid_hkd) == (Decimal(5_000_000), Decimal(3_000_000))
    assert custodian.paid_up_hkd == Decimal(10_000_000)
    assert dealer.status == "proposal (FSTB/SFC consultation conclusions Dec 2025)"


@pytest.mark.parametrize(
    ("kind", "paid_up", "liquid", "meets"),
    [
        ("dealer", "5000000", "3000000", True),
        ("dealer", "4999999", "3000000", False),
        ("dealer", "5000000", "2999999", False),
        ("custodian", "10000000", "0", True),
        ("custodian", "9999999", "5000000", False),
    ],
)
def test_capital_assessment(
    world: World, kind: str, paid_up: str, liquid: str, meets: bool
) -> None:
    world.register.register_firm(
        firm_id="F-CAP",
        name="Cap Ltd",
        kind=kind,
        authority="SFC",
        actor="t",  # type: ignore[arg-type]
    )
    assessment = world.register.record_capital(
        "F-CAP",
        paid_up_hkd=Decimal(paid_up),
        liquid_hkd=Decimal(liquid),
        as_of=date(2026, 3, 31),
        actor="t",
    )
    assert assessment.meets is meets
    assert bool(assessment.shortfalls) is not meets


def test_missing_capital_figures_do_not_meet(world: World) -> None:
    world.register.register_firm(
        firm_id="F-NEW", name="New Ltd", kind="dealer", authority="SFC", actor="t"
    )
    assert not world.register.assess_capital("F-NEW").meets


def test_licence_lifecycle(world: World) -> None:
    world.register.register_firm(firm_id="F1", name="F1", kind="dealer", authority="SFC", actor="t")
    firm = world.register.change_status(
        "F1", "licensed_with_conditions", actor="t", conditions=("no retail clients",)
    )
    assert firm.conditions == ("no retail clients",)
    world.register.change_status("F1", "suspended", actor="t")
    world.register.change_status("F1", "revoked", actor="t")
    with pytest.raises(IllegalTransition):
        world.register.change_status("F1", "licensed", actor="t")


def test_applied_cannot_jump_to_suspended(world: World) -> None:
    world.register.register_firm(
        firm_id="F2", name="F2", kind="dealer", authority="HKMA", actor="t"
    )
    with pytest.raises(IllegalTransition):
        world.register.change_status("F2", "suspended", actor="t")


def test_duplicates_and_unknowns(world: World) -> None:
    with pytest.raises(DuplicateRecord):
        world.register.register_firm(
            firm_id="FIRM-PEER", name="x", kind="dealer", authority="SFC", actor="t"
        )
    with pytest.raises(FirmNotFound):
        world.register.get_firm("nope")
    with pytest.raises(InvalidAddress):
        world.register.register_wallet("FIRM-PEER", "bitcoin", "1BadAddress", actor="t")


def check(world: World, firm_id: str, **kw: object):  # type: ignore[no-untyped-def]
    return world.register.check_counterparty(firm_id, purpose="transfer", **kw)  # type: ignore[arg-type]


def test_licensed_peer_is_allowed(world: World) -> None:
    decision = check(world, "FIRM-PEER", chain="bitcoin", address=btc_address("peer-btc"))
    assert decision.allowed and decision.reason_code == "ok"


@pytest.mark.parametrize(
    ("status", "code"),
    [("suspended", "licence-suspended"), ("revoked", "licence-revoked")],
)
def test_inactive_licence_refused(world: World, status: str, code: str) -> None:
    world.register.change_status("FIRM-PEER", status, actor="t")  # type: ignore[arg-type]
    decision = check(world, "FIRM-PEER")
    assert not decision.allowed and decision.reason_code == code


def test_applicant_refused(world: World) -> None:
    world.register.register_firm(
        firm_id="F-APP", name="x", kind="dealer", authority="SFC", actor="t"
    )
    assert check(world, "F-APP").reason_code == "licence-applied"


def test_not_in_register(world: World) -> None:
    decision = check(world, "F-GHOST")
    assert not decision.allowed and decision.reason_code == "not-in-register"


def test_conditions_allowed_with_notes(world: World) -> None:
    world.register.change_status(
        "FIRM-PEER",
        "licensed_with_conditions",
        actor="t",
        conditions=("professional investors only",),
    )
    decision = check(world, "FIRM-PEER")
    assert decision.allowed and decision.reason_code == "ok-with-conditions"
    assert decision.notes == ("professional investors only",)


def test_purpose_must_match_kind(world: World) -> None:
    custody = world.register.check_counterparty("FIRM-PEER", purpose="custody")
    assert custody.reason_code == "not-a-custodian"
    assert world.register.check_counterparty("CUST-1", purpose="custody").allowed
    assert world.register.check_counterparty("CUST-1", purpose="deal").reason_code == "not-a-dealer"


@pytest.mark.parametrize(("days", "allowed"), [(365, True), (366, False)])
def test_fit_and_proper_goes_stale(world: World, days: int, allowed: bool) -> None:
    on = date(2026, 1, 15) + timedelta(days=days)
    assert check(world, "FIRM-PEER", on=on).allowed is allowed


def test_failed_fit_and_proper_refused(world: World) -> None:
    world.register.record_fit_and_proper(
        "FIRM-PEER", "FIRM-PEER-RO", "failed", checked_on=date(2026, 5, 1), actor="t"
    )
    assert check(world, "FIRM-PEER").reason_code == "no-fit-and-proper-officer"


def test_compliance_officer_alone_is_not_enough(world: World) -> None:
    world.register.register_firm(
        firm_id="F-CO", name="x", kind="dealer", authority="SFC", actor="t"
    )
    world.register.change_status("F-CO", "licensed", actor="t")
    world.register.add_officer("F-CO", "co", "compliance_officer", actor="t")
    world.register.record_fit_and_proper(
        "F-CO", "co", "passed", checked_on=date(2026, 5, 1), actor="t"
    )
    assert check(world, "F-CO").reason_code == "no-fit-and-proper-officer"


def test_capital_shortfall_refused(world: World) -> None:
    world.register.record_capital(
        "FIRM-PEER",
        paid_up_hkd=Decimal("4000000"),
        liquid_hkd=Decimal("3000000"),
        as_of=date(2026, 5, 31),
        actor="t",
    )
    decision = check(world, "FIRM-PEER")
    assert decision.reason_code == "capital-shortfall"
    assert "paid-up" in decision.reason


@pytest.mark.parametrize(
    ("address", "code"),
    [
        (btc_address("not-registered"), "wallet-not-registered"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "wallet-invalid"),
    ],
)
def test_wallet_must_be_registered_to_the_counterparty(
    world: World, address: str, code: str
) -> None:
    decision = check(world, "FIRM-PEER", chain="bitcoin", address=address)
    assert not decision.allowed and decision.reason_code == code


def test_register_writes_audit_events_without_names(world: World) -> None:
    actions = [e["action"] for e in world.audit.events]
    assert "va.firm_registered" in actions and "va.capital_recorded" in actions
    assert all("FIRM-SELF Ltd" not in repr(e["payload"]) for e in world.audit.events)
