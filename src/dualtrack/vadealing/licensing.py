"""Pure licence-register decisions: capital against the proposed minimums, fit-and-proper
currency, and the counterparty check ("may we deal with / transfer to this firm?")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from dualtrack.vadealing.addresses import is_valid_address, normalise_address
from dualtrack.vadealing.controls import ControlSet
from dualtrack.vadealing.domain import (
    ACTIVE_LICENCE,
    CapitalAssessment,
    Chain,
    CounterpartyDecision,
    Firm,
)

Purpose = Literal["deal", "transfer", "custody"]


def assess_capital(firm: Firm, controls: ControlSet) -> CapitalAssessment:
    """Compare the firm's last reported capital with the requirement for its kind."""
    requirement = controls.capital_requirements[firm.kind]
    position = firm.capital
    shortfalls: list[str] = []
    if position is None:
        shortfalls.append("no capital figures reported")
    else:
        if position.paid_up_hkd < requirement.paid_up_hkd:
            shortfalls.append(
                f"paid-up HK${position.paid_up_hkd:,.0f} < HK${requirement.paid_up_hkd:,.0f}"
            )
        if position.liquid_hkd < requirement.liquid_hkd:
            shortfalls.append(
                f"liquid HK${position.liquid_hkd:,.0f} < HK${requirement.liquid_hkd:,.0f}"
            )
    return CapitalAssessment(
        firm_id=firm.firm_id,
        meets=not shortfalls,
        shortfalls=tuple(shortfalls),
        requirement=requirement,
        position=position,
    )


def has_current_fit_and_proper_officer(firm: Firm, controls: ControlSet, on: date) -> bool:
    """True when at least one responsible officer passed fit-and-proper within the validity."""
    horizon = timedelta(days=controls.fit_and_proper_valid_days)
    return any(
        officer.role == "responsible_officer"
        and officer.fit_and_proper is not None
        and officer.fit_and_proper.outcome == "passed"
        and officer.fit_and_proper.checked_on <= on <= officer.fit_and_proper.checked_on + horizon
        for officer in firm.officers
    )


def assess_counterparty(
    firm: Firm | None,
    controls: ControlSet,
    *,
    firm_id: str,
    purpose: Purpose,
    on: date,
    chain: Chain | None = None,
    address: str | None = None,
) -> CounterpartyDecision:
    """Decide whether the platform may deal with, transfer to, or custody with ``firm``.

    Checks, in order: in the register; licence active; right kind for the purpose; a
    responsible officer with a current fit-and-proper pass; capital at the minimum; and,
    when an address is given, that it is one of the firm's registered wallets.
    """

    def refuse(code: str, reason: str) -> CounterpartyDecision:
        return CounterpartyDecision(
            firm_id=firm_id, allowed=False, reason_code=code, reason=reason, checked_on=on
        )

    if firm is None:
        return refuse("not-in-register", "firm is not in the licence register")
    if firm.status not in ACTIVE_LICENCE:
        return refuse(f"licence-{firm.status}", f"licence status is {firm.status}")
    if purpose == "custody" and firm.kind != "custodian":
        return refuse("not-a-custodian", "firm is not a licensed custodian")
    if purpose == "deal" and firm.kind != "dealer":
        return refuse("not-a-dealer", "firm is not a licensed dealer")
    if not has_current_fit_and_proper_officer(firm, controls, on):
        return refuse(
            "no-fit-and-proper-officer",
            "no responsible officer with a current fit-and-proper pass",
        )
    capital = assess_capital(firm, controls)
    if not capital.meets:
        return refuse("capital-shortfall", "; ".join(capital.shortfalls))
    if address is not None and chain is not None:
        if not is_valid_address(chain, address):
            return refuse("wallet-invalid", "wallet address fails its checksum")
        if not firm.has_wallet(chain, normalise_address(chain, address)):
            return refuse("wallet-not-registered", "wallet is not registered to the firm")
    if firm.status == "licensed_with_conditions":
        return CounterpartyDecision(
            firm_id=firm_id,
            allowed=True,
            reason_code="ok-with-conditions",
            reason="licensed subject to conditions",
            checked_on=on,
            notes=firm.conditions,
        )
    return CounterpartyDecision(
        firm_id=firm_id, allowed=True, reason_code="ok", reason="licensed", checked_on=on
    )


__all__ = [
    "Purpose",
    "assess_capital",
    "assess_counterparty",
    "has_current_fit_and_proper_officer",
]
