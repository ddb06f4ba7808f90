"""REST API of the OTC virtual-asset dealing desk: licence register, clients, FX rates,
transaction checks, VA cases with STR drafts, and record retention.

Staff responses carry the full reasons (rule ids, control ids, sources). A client-facing
response (``?audience=client``) carries only the outcome and a reference: telling a client
why a transaction is held could tip them off (AMLO s.25A; VA-AML-11).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import Field, StringConstraints

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import Flag, IsoDate, IsoTime, Strict
from dualtrack.vadealing.domain import ObservedTransfer
from dualtrack.vadealing.wiring import client_view, parse_transaction, service

router = APIRouter(prefix="/api/v1", tags=["va-dealing"])

Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Short = Annotated[str, StringConstraints(max_length=500)]
Audience = Literal["staff", "client"]
AUDIENCE = Query(
    "staff",
    description="`client` returns only the outcome and a reference, never the reason "
    "(no tipping-off); `staff` returns the rule hits with their sources.",
)


class TravelParty(Strict):
    name: Short | None = None
    account: Short | None = None
    physical_address: Short | None = None
    national_id: Short | None = None
    customer_id: Short | None = None
    date_and_place_of_birth: Short | None = None


class TravelRule(Strict):
    originator: TravelParty | None = None
    beneficiary: TravelParty | None = None
    originating_vasp: Short | None = None
    beneficiary_vasp: Short | None = None


class TransactionIn(Strict):
    """A proposed or incoming VA transaction. ``quantity`` is in units of ``asset``."""

    tx_id: Id
    client_id: Id
    kind: Literal["transfer_out", "transfer_in", "buy", "sell"]
    asset: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    quantity: Decimal = Field(description='Units of the asset, e.g. "0.015".')
    at: IsoTime = Field(description="Trade time with a timezone (the HKD rate is taken here).")
    chain: Literal["bitcoin", "ethereum"] | None = None
    client_wallet: Annotated[str, StringConstraints(max_length=200)] | None = None
    firm_wallet: Annotated[str, StringConstraints(max_length=200)] | None = None
    counterparty_firm_id: Id | None = None
    travel_rule: TravelRule | None = None
    funding: Literal["cash", "bank", "virtual_asset"] | None = None


class FirmIn(Strict):
    firm_id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Literal["dealer", "custodian"]
    authority: Literal["SFC", "HKMA", "CCE"]
    status: Literal["applied", "licensed"] = "applied"
    conditions: list[Short] = Field(default_factory=list, max_length=20)


class LicenceChange(Strict):
    status: Literal["licensed", "licensed_with_conditions", "suspended", "revoked"]
    conditions: list[Short] | None = Field(None, max_length=20)


class OfficerIn(Strict):
    officer_id: Id
    role: Literal["responsible_officer", "compliance_officer", "mlro", "director"]


class FitAndProperIn(Strict):
    outcome: Literal["passed", "failed", "pending"]
    checked_on: IsoDate
    reference: Short = ""


class CapitalIn(Strict):
    paid_up_hkd: Decimal
    liquid_hkd: Decimal
    as_of: IsoDate


class WalletIn(Strict):
    chain: Literal["bitcoin", "ethereum"]
    address: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    label: Short = ""


class MicroPaymentIn(Strict):
    chain: Literal["bitcoin", "ethereum"]
    address: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    asset: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    firm_wallet: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SignatureIn(Strict):
    signature: Annotated[str, StringConstraints(min_length=1, max_length=400)]


class ObservedIn(Strict):
    """An on-chain transfer the firm observed (from its node or a chain-data provider)."""

    chain: Literal["bitcoin", "ethereum"]
    tx_hash: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    from_address: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    to_address: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    asset: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    quantity: Decimal
    observed_at: IsoTime


class ClientIn(Strict):
    client_id: Id
    relationship: Literal["business", "occasional"]


class CddIn(Strict):
    status: Literal["pending", "verified", "expired", "high_risk", "enhanced_due_diligence"]
    verified_on: IsoDate | None = None
    review_due: IsoDate | None = None


class RateIn(Strict):
    currency: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    hkd_per_unit: Decimal
    as_of: IsoTime
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CaseAction(Strict):
    action: Literal["review", "release", "clear", "confirm"]
    note: Annotated[str, StringConstraints(max_length=4000)] = ""


class RetentionIn(Strict):
    apply: Flag = False
    on: IsoDate | None = Field(None, description="Evaluate as of this date (dry runs only).")
    record_ids: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=1000
    )


def _audience(check: dict[str, Any], audience: Audience) -> dict[str, Any]:
    return client_view(check) if audience == "client" else check


@router.post("/va/transactions/check")
def check_transaction(
    body: TransactionIn, platform: PlatformDep, actor: ActorDep, audience: Audience = AUDIENCE
) -> dict[str, Any]:
    """Check a VA transaction against every control (CDD thresholds with linked
    transactions, travel rule, registered/proven wallets, allow-list, wallet and counterparty
    screening, structuring, velocity, round-tripping). The result is stored, ledgered, and a
    hold or block raises an alert in the client's VA case."""
    tx = parse_transaction(body.model_dump(exclude_none=True))
    return _audience(service(platform).check(actor, tx), audience)


@router.get("/va/transactions/checks")
def list_checks(
    platform: PlatformDep,
    actor: ActorDep,
    client_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Recent checks, newest first (staff view)."""
    return service(platform).list_checks(client_id=client_id, limit=limit)


@router.get("/va/transactions/checks/{check_id}")
def get_check(
    check_id: str, platform: PlatformDep, actor: ActorDep, audience: Audience = AUDIENCE
) -> dict[str, Any]:
    """One stored check, as staff or as the client may see it."""
    return _audience(service(platform).get_check(check_id), audience)


@router.get("/va/firms")
def list_firms(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The licence register: status, authority, officers' fit-and-proper results, capital
    against the (proposed, configurable) minimums, registered wallets, and whether we may
    deal with / transfer to each firm."""
    return service(platform).list_firms()


@router.get("/va/firms/{firm_id}")
def get_firm(firm_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """One firm of the licence register."""
    return service(platform).firm_view(firm_id)


@router.post("/va/firms", status_code=201)
def register_firm(body: FirmIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Add a dealer or custodian (compliance officers and admins)."""
    return service(platform).register_firm(actor, **body.model_dump())


@router.post("/va/firms/{firm_id}/status")
def change_licence(
    firm_id: str, body: LicenceChange, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Move a licence along applied -> licensed (with conditions) -> suspended -> revoked."""
    return service(platform).change_licence(actor, firm_id, body.status, body.conditions)


@router.get("/va/firms/{firm_id}/counterparty-check")
def counterparty_check(
    firm_id: str,
    platform: PlatformDep,
    actor: ActorDep,
    purpose: Literal["deal", "transfer", "custody"] = "deal",
    chain: Literal["bitcoin", "ethereum"] | None = None,
    address: Annotated[str, StringConstraints(max_length=200)] | None = None,
) -> dict[str, Any]:
    """May we deal with / transfer to / custody with this firm (and this wallet)? With the
    reason code and reason."""
    return service(platform).counterparty_check(
        firm_id, purpose=purpose, chain=chain, address=address
    )


@router.post("/va/firms/{firm_id}/officers")
def add_officer(
    firm_id: str, body: OfficerIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Add an officer to a firm (its fit-and-proper result is recorded separately)."""
    return service(platform).add_officer(actor, firm_id, body.officer_id, body.role)


@router.post("/va/firms/{firm_id}/officers/{officer_id}/fit-and-proper")
def record_fit_and_proper(
    firm_id: str, officer_id: str, body: FitAndProperIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Record the outcome and date of an officer's fit-and-proper assessment."""
    return service(platform).record_fit_and_proper(
        actor,
        firm_id,
        officer_id,
        body.outcome,
        checked_on=body.checked_on,
        reference=body.reference,
    )


@router.post("/va/firms/{firm_id}/capital")
def record_capital(
    firm_id: str, body: CapitalIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Record reported capital; the answer shows it against the proposed minimums."""
    return service(platform).record_capital(
        actor, firm_id, paid_up_hkd=body.paid_up_hkd, liquid_hkd=body.liquid_hkd, as_of=body.as_of
    )


@router.post("/va/firms/{firm_id}/wallets")
def register_firm_wallet(
    firm_id: str, body: WalletIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Register a wallet of the firm (a bad checksum is refused)."""
    return service(platform).register_firm_wallet(
        actor, firm_id, body.chain, body.address, body.label
    )


@router.post("/va/clients/{client_id}/wallet-challenges", status_code=201)
def wallet_challenge(
    client_id: str, body: WalletIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Issue a one-time message for the client to sign with the wallet's key (Bitcoin
    signed message or EIP-191). The wallet is recorded but stays unproven until then."""
    return service(platform).issue_wallet_challenge(actor, client_id, body.chain, body.address)


@router.post("/va/wallet-challenges/{challenge_id}/signature")
def prove_by_signature(
    challenge_id: str, body: SignatureIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Verify the client's signature over the challenge; on success the wallet is proven."""
    return service(platform).prove_wallet_by_signature(actor, challenge_id, body.signature)


@router.post("/va/clients/{client_id}/micro-payment-tests", status_code=201)
def micro_payment_test(
    client_id: str, body: MicroPaymentIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Ask the client to send a random small amount FROM the wallet to a firm wallet."""
    return service(platform).issue_micro_payment_test(
        actor, client_id, body.chain, body.address, asset=body.asset, firm_wallet=body.firm_wallet
    )


@router.post("/va/micro-payment-tests/{test_id}/observed")
def record_micro_payment(
    test_id: str, body: ObservedIn, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Match an observed on-chain transfer with the test; a match proves the wallet."""
    observed = ObservedTransfer(**body.model_dump())
    return service(platform).record_micro_payment(actor, test_id, observed)


@router.get("/va/clients")
def list_clients(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Clients' onboarding state: CDD status, beneficial owners, wallets and their proofs."""
    return service(platform).list_clients()


@router.get("/va/clients/{client_id}")
def get_client(client_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """One client's onboarding state."""
    return service(platform).client_view(client_id)


@router.post("/va/clients", status_code=201)
def register_client(body: ClientIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Open an onboarding record (CDD pending)."""
    return service(platform).register_client(actor, body.client_id, body.relationship)


@router.post("/va/clients/{client_id}/cdd")
def set_cdd(client_id: str, body: CddIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Record a CDD outcome (cleared statuses need ``verified_on``)."""
    return service(platform).set_cdd(
        actor, client_id, body.status, verified_on=body.verified_on, review_due=body.review_due
    )


@router.post("/va/fx-rates", status_code=201)
def add_rate(body: RateIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Record a published HKD rate with its source (used at trade time by checks)."""
    rate = service(platform).add_rate(
        actor,
        currency=body.currency,
        hkd_per_unit=body.hkd_per_unit,
        as_of=body.as_of,
        source=body.source,
    )
    return {
        "currency": rate.currency,
        "hkd_per_unit": str(rate.hkd_per_unit),
        "as_of": rate.as_of.isoformat(),
        "source": rate.source,
    }


@router.get("/va/rules")
def rules(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Every transaction rule with its control id, source, action and figures."""
    return service(platform).rules()


@router.get("/va/cases")
def case_queue(
    platform: PlatformDep,
    actor: ActorDep,
    status: Literal["open", "in_review", "confirmed_suspicious", "cleared"] | None = None,
) -> list[dict[str, Any]]:
    """VA cases (unresolved by default), oldest first."""
    return service(platform).case_queue(status)


@router.get("/va/cases/{case_id}")
def get_case(case_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """A case with its alerts and STR draft (staff only)."""
    return service(platform).case_view(case_id)


@router.post("/va/cases/{case_id}/actions")
def act_on_case(
    case_id: str, body: CaseAction, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """review | release | clear (with a note) | confirm (grounds; drafts an STR for the
    JFIU; compliance officers and admins only)."""
    return service(platform).act_on_case(actor, case_id, body.action, body.note)


@router.get("/va/cases/{case_id}/str", response_class=PlainTextResponse)
def str_text(case_id: str, platform: PlatformDep, actor: ActorDep) -> str:
    """The case's suspicious transaction report draft as plain text (not for the client)."""
    return service(platform).str_text(case_id)


@router.post("/va/retention")
def retention(body: RetentionIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Apply the record-retention policy (AMLO 5 years, SFC 7 years; the longer applies).
    Dry run by default; ``apply`` deletes what may be deleted and writes the deletion
    evidence to the ledger. Named records still inside retention are refused (409)."""
    return service(platform).retention(
        actor, apply=body.apply, on=body.on, record_ids=body.record_ids
    )
