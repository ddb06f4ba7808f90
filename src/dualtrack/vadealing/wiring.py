"""Composition of the OTC virtual-asset dealing desk into the platform.

``service(platform)`` returns the platform's :class:`VaDesk` (built once per process). It
wires the library's services (:class:`LicenceRegisterService`,
:class:`ClientOnboardingService`, :class:`VaComplianceService`, :class:`VaCaseService`)
to SQL repositories and to the hash-chained ledger, and every use case runs in ONE
transaction (the *ambient unit*, shared with screening): the check, its linked-history
rows, the alerts and cases it raises and every ledger entry commit together or not at all.

Connected to screening: on a transfer the client wallet is screened against the wallet
entries of every active list (a listed wallet feeds the ``wallet_screening`` rule, VA-AML-10,
as an address-risk score of 100), and the counterparty name carried in the travel-rule data
(the beneficiary of an outgoing transfer, the originator of an incoming one) is screened by
name. A potential name match holds the transaction and raises a screening alert in the
client's case. Name screenings from the screening page raise alerts in the same cases.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast, get_args

from dualtrack.adapters.codec import to_jsonable
from dualtrack.adapters.screening_sql import AmbientLedgerSink, AmbientUnit
from dualtrack.adapters.vadealing_sql import (
    SqlCheckRepository,
    SqlClientRepository,
    SqlFirmRepository,
    SqlFxRates,
    SqlLinkedTransactionStore,
    SqlProofChallengeStore,
    SqlVaCaseRepository,
)
from dualtrack.bootstrap import Platform
from dualtrack.errors import InvalidInput, NotFound, PlatformError
from dualtrack.identity.domain import Actor, Role
from dualtrack.screening.domain import ScreeningResult
from dualtrack.screening.wiring import ScreeningDesk, require_role
from dualtrack.vadealing.addresses import try_normalise_address
from dualtrack.vadealing.cases import CaseStatus, VaCaseService
from dualtrack.vadealing.controls import ControlSet, load_control_set
from dualtrack.vadealing.domain import (
    AddressRisk,
    Chain,
    Funding,
    FxRate,
    ObservedTransfer,
    RuleHit,
    TravelRuleData,
    TravelRuleParty,
    TxKind,
    VaTransaction,
)
from dualtrack.vadealing.errors import InvalidTransaction
from dualtrack.vadealing.licensing import Purpose
from dualtrack.vadealing.memory import SystemClock
from dualtrack.vadealing.reporting import (
    StrCaseFacts,
    StrTransaction,
    build_str_draft,
    client_message,
    render_str_text,
    str_to_dict,
)
from dualtrack.vadealing.retention import (
    RecordMeta,
    Regime,
    content_digest,
    default_retention_policy,
    deletable_records,
    make_deletion_evidence,
)
from dualtrack.vadealing.service import (
    ClientOnboardingService,
    LicenceRegisterService,
    VaComplianceService,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The platform's own dealer in the licence register (its registered wallets are the only
#: ones it may send from). A deployment registers its firm under this id.
OWN_FIRM_ID = "harbour-otc"
#: Regimes whose retention periods apply to stored VA records (AMLO 5 years, SFC 7 years;
#: the longer one wins, so nothing younger than 5 years is ever deletable).
RETENTION_REGIMES: frozenset[Regime] = frozenset({"AMLO", "SFC"})

OPERATORS = frozenset({Role.COMPLIANCE_OFFICER, Role.ANALYST, Role.ADMIN})
MLRO_ROLES = frozenset({Role.COMPLIANCE_OFFICER, Role.ADMIN})
CASE_ACTIONS = ("review", "release", "clear", "confirm")
_PARTY_FIELDS = frozenset(TravelRuleParty.__slots__)


# ------------------------------------------------------------------------- input parsing


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> Any:
    if value is None:
        return None
    if value not in allowed:
        raise InvalidTransaction(f"{what} must be one of {', '.join(allowed)}")
    return value


def _party(data: Any, what: str) -> TravelRuleParty | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InvalidTransaction(f"travel_rule.{what} must be an object")
    unknown = sorted(set(data) - _PARTY_FIELDS)
    if unknown:
        raise InvalidTransaction(f"travel_rule.{what} has unknown fields", fields=unknown)
    return TravelRuleParty(**{k: (None if v is None else str(v)) for k, v in data.items()})


def parse_transaction(data: Mapping[str, Any]) -> VaTransaction:
    """A :class:`VaTransaction` from JSON-like input, or a clear :class:`InvalidTransaction`."""
    for key in ("tx_id", "client_id", "kind", "asset", "quantity", "at"):
        if data.get(key) in (None, ""):
            raise InvalidTransaction(f"{key} is required")
    try:
        quantity = Decimal(str(data["quantity"]))
    except InvalidOperation:
        raise InvalidTransaction("quantity is not a number") from None
    raw_at = data["at"]
    try:
        at = raw_at if isinstance(raw_at, datetime) else datetime.fromisoformat(str(raw_at))
    except ValueError:
        raise InvalidTransaction("at must be an ISO 8601 time with a timezone") from None
    if at.tzinfo is None:
        raise InvalidTransaction("at must carry a timezone, e.g. 2026-11-25T09:00:00+08:00")
    travel = data.get("travel_rule")
    if travel is not None and not isinstance(travel, Mapping):
        raise InvalidTransaction("travel_rule must be an object")
    return VaTransaction(
        tx_id=str(data["tx_id"]),
        client_id=str(data["client_id"]),
        kind=cast(TxKind, _choice(data["kind"], get_args(TxKind), "kind")),
        asset=str(data["asset"]),
        quantity=quantity,
        at=at,
        chain=cast(Chain | None, _choice(data.get("chain"), get_args(Chain), "chain")),
        client_wallet=data.get("client_wallet"),
        firm_wallet=data.get("firm_wallet"),
        counterparty_firm_id=data.get("counterparty_firm_id"),
        funding=cast(Funding | None, _choice(data.get("funding"), get_args(Funding), "funding")),
        travel_rule=None
        if travel is None
        else TravelRuleData(
            originator=_party(travel.get("originator"), "originator"),
            beneficiary=_party(travel.get("beneficiary"), "beneficiary"),
            originating_vasp=travel.get("originating_vasp"),
            beneficiary_vasp=travel.get("beneficiary_vasp"),
        ),
    )


def transaction_json(tx: VaTransaction) -> dict[str, Any]:
    """JSON form of a transaction as stored with its check."""
    body: dict[str, Any] = to_jsonable(tx)
    return body


# ------------------------------------------------------------------------- address risk


class ScopedAddressRisk:
    """``AddressRiskProvider`` answering from the wallet screening of the current check."""

    def __init__(self) -> None:
        self._scores: ContextVar[Mapping[tuple[str, str], AddressRisk] | None] = ContextVar(
            "va-address-risk", default=None
        )

    def risk(self, chain: Chain, address: str) -> AddressRisk | None:
        scores = self._scores.get()
        return None if scores is None else scores.get((chain, address))

    def scoped(self, scores: Mapping[tuple[str, str], AddressRisk]) -> Callable[[], None]:
        token = self._scores.set(scores)
        return lambda: self._scores.reset(token)


# ------------------------------------------------------------------------- the desk


@dataclass
class VaDesk:
    """The governed VA-dealing desk of one platform."""

    unit: AmbientUnit
    sink: AmbientLedgerSink
    controls: ControlSet
    register: LicenceRegisterService
    onboarding: ClientOnboardingService
    compliance: VaComplianceService
    cases: VaCaseService
    firms: SqlFirmRepository
    clients: SqlClientRepository
    fx: SqlFxRates
    checks: SqlCheckRepository
    case_store: SqlVaCaseRepository
    screening: ScreeningDesk
    address_risk: ScopedAddressRisk
    clock: SystemClock = field(default_factory=SystemClock)
    own_firm_id: str = OWN_FIRM_ID
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` in one transaction with its ledger entries."""
        with self.unit():
            return work()

    # ------------------------------------------------------------------ licence register

    def firm_view(self, firm_id: str) -> dict[str, Any]:
        """A firm with its capital assessment and counterparty answers."""
        firm = self.register.get_firm(firm_id)
        capital = self.register.assess_capital(firm_id)
        body: dict[str, Any] = to_jsonable(firm)
        body["capital_assessment"] = {
            "meets": capital.meets,
            "shortfalls": list(capital.shortfalls),
            "requirement": to_jsonable(capital.requirement),
        }
        body["may_deal"] = to_jsonable(self.register.check_counterparty(firm_id, purpose="deal"))
        body["may_transfer"] = to_jsonable(
            self.register.check_counterparty(firm_id, purpose="transfer")
        )
        body["own_firm"] = firm_id == self.own_firm_id
        return body

    def list_firms(self) -> list[dict[str, Any]]:
        """The licence register with capital and counterparty answers."""
        return [self.firm_view(f.firm_id) for f in self.register.list_firms()]

    def counterparty_check(
        self,
        firm_id: str,
        *,
        purpose: Purpose,
        chain: Chain | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        """ "May we deal with / transfer to / custody with this firm?" with the reason."""
        if purpose not in get_args(Purpose):
            raise InvalidInput("purpose must be deal, transfer or custody")
        decision = self.register.check_counterparty(
            firm_id, purpose=purpose, chain=chain, address=address
        )
        body: dict[str, Any] = to_jsonable(decision)
        return body

    def register_firm(self, actor: Actor, **fields: Any) -> dict[str, Any]:
        """Add a dealer or custodian to the register."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(lambda: self.register.register_firm(actor=actor.username, **fields))
        return self.firm_view(str(fields["firm_id"]))

    def change_licence(
        self, actor: Actor, firm_id: str, status: str, conditions: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Move a firm's licence along its lifecycle."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(
            lambda: self.register.change_status(
                firm_id,
                status,  # type: ignore[arg-type]
                actor=actor.username,
                conditions=conditions,
            )
        )
        return self.firm_view(firm_id)

    def add_officer(self, actor: Actor, firm_id: str, officer_id: str, role: str) -> dict[str, Any]:
        """Add a responsible officer (or compliance officer, MLRO, director) to a firm."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(
            lambda: self.register.add_officer(
                firm_id,
                officer_id,
                role,  # type: ignore[arg-type]
                actor=actor.username,
            )
        )
        return self.firm_view(firm_id)

    def record_fit_and_proper(
        self,
        actor: Actor,
        firm_id: str,
        officer_id: str,
        outcome: str,
        *,
        checked_on: date,
        reference: str = "",
    ) -> dict[str, Any]:
        """Record an officer's fit-and-proper result."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(
            lambda: self.register.record_fit_and_proper(
                firm_id,
                officer_id,
                outcome,  # type: ignore[arg-type]
                checked_on=checked_on,
                actor=actor.username,
                reference=reference,
            )
        )
        return self.firm_view(firm_id)

    def record_capital(
        self, actor: Actor, firm_id: str, *, paid_up_hkd: Decimal, liquid_hkd: Decimal, as_of: date
    ) -> dict[str, Any]:
        """Record reported capital; the view shows it against the proposed minimums."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(
            lambda: self.register.record_capital(
                firm_id,
                paid_up_hkd=paid_up_hkd,
                liquid_hkd=liquid_hkd,
                as_of=as_of,
                actor=actor.username,
            )
        )
        return self.firm_view(firm_id)

    def register_firm_wallet(
        self, actor: Actor, firm_id: str, chain: str, address: str, label: str = ""
    ) -> dict[str, Any]:
        """Register a firm wallet (checksum verified)."""
        require_role(actor, MLRO_ROLES, "change the licence register")
        self.run(
            lambda: self.register.register_wallet(
                firm_id,
                chain,  # type: ignore[arg-type]
                address,
                actor=actor.username,
                label=label,
            )
        )
        return self.firm_view(firm_id)

    # ------------------------------------------------------------------ clients

    def client_view(self, client_id: str) -> dict[str, Any]:
        """A client's onboarding state, with its effective CDD status today."""
        client = self.onboarding.get_client(client_id)
        body: dict[str, Any] = to_jsonable(client)
        body["effective_cdd_status"] = client.effective_cdd_status(self.clock.now().date())
        body["beneficial_owners_above_threshold"] = to_jsonable(
            self.onboarding.beneficial_owners_above_threshold(client_id)
        )
        for wallet in body["wallets"]:
            wallet["proven"] = wallet["proof"] is not None
        return body

    def list_clients(self) -> list[dict[str, Any]]:
        """Every client's onboarding state."""
        return [self.client_view(c.client_id) for c in self.clients.list()]

    def register_client(self, actor: Actor, client_id: str, relationship: str) -> dict[str, Any]:
        """Open an onboarding record (CDD pending)."""
        require_role(actor, OPERATORS, "onboard clients")
        self.run(
            lambda: self.onboarding.register_client(
                client_id,
                relationship,  # type: ignore[arg-type]
                actor=actor.username,
            )
        )
        return self.client_view(client_id)

    def set_cdd(
        self,
        actor: Actor,
        client_id: str,
        status: str,
        *,
        verified_on: date | None = None,
        review_due: date | None = None,
    ) -> dict[str, Any]:
        """Record a CDD outcome."""
        require_role(actor, OPERATORS, "record CDD outcomes")
        self.run(
            lambda: self.onboarding.set_cdd_status(
                client_id,
                status,  # type: ignore[arg-type]
                actor=actor.username,
                verified_on=verified_on,
                review_due=review_due,
            )
        )
        return self.client_view(client_id)

    def issue_wallet_challenge(
        self, actor: Actor, client_id: str, chain: str, address: str
    ) -> dict[str, Any]:
        """A one-time message the client signs with the wallet's key (signed-message proof)."""
        require_role(actor, OPERATORS, "prove client wallets")
        challenge = self.run(
            lambda: self.onboarding.issue_wallet_challenge(
                client_id,
                chain,  # type: ignore[arg-type]
                address,
                actor=actor.username,
            )
        )
        body: dict[str, Any] = to_jsonable(challenge)
        return body

    def prove_wallet_by_signature(
        self, actor: Actor, challenge_id: str, signature: str
    ) -> dict[str, Any]:
        """Verify the signature over the challenge; the wallet becomes proven."""
        require_role(actor, OPERATORS, "prove client wallets")
        wallet = self.run(
            lambda: self.onboarding.prove_wallet_by_signature(
                challenge_id, signature, actor=actor.username
            )
        )
        body: dict[str, Any] = to_jsonable(wallet)
        return body

    def issue_micro_payment_test(
        self,
        actor: Actor,
        client_id: str,
        chain: str,
        address: str,
        *,
        asset: str,
        firm_wallet: str,
    ) -> dict[str, Any]:
        """Ask the client to send a random small amount from the wallet to a firm wallet."""
        require_role(actor, OPERATORS, "prove client wallets")
        test = self.run(
            lambda: self.onboarding.issue_micro_payment_test(
                client_id,
                chain,  # type: ignore[arg-type]
                address,
                asset=asset,
                firm_wallet=firm_wallet,
                actor=actor.username,
            )
        )
        body: dict[str, Any] = to_jsonable(test)
        return body

    def record_micro_payment(
        self, actor: Actor, test_id: str, observed: ObservedTransfer
    ) -> dict[str, Any]:
        """Match an observed on-chain transfer against the test; prove the wallet on a match."""
        require_role(actor, OPERATORS, "prove client wallets")
        wallet = self.run(
            lambda: self.onboarding.record_micro_payment(test_id, observed, actor=actor.username)
        )
        body: dict[str, Any] = to_jsonable(wallet)
        return body

    # ------------------------------------------------------------------ FX

    def add_rate(
        self, actor: Actor, *, currency: str, hkd_per_unit: Decimal, as_of: datetime, source: str
    ) -> FxRate:
        """Record a published HKD rate with its source."""
        require_role(actor, OPERATORS, "record FX rates")
        if as_of.tzinfo is None:
            raise InvalidInput("as_of must carry a timezone")
        if not hkd_per_unit.is_finite() or hkd_per_unit <= 0:
            raise InvalidInput("hkd_per_unit must be a positive number")
        if not source.strip():
            raise InvalidInput("a rate needs its source")
        rate = FxRate(currency.upper(), hkd_per_unit, as_of, source)

        def work() -> FxRate:
            self.fx.add(rate)
            self.sink.record(
                actor=actor.username,
                action="va.fx_rate_recorded",
                subject_type="va_fx_rate",
                subject_id=rate.currency,
                payload={
                    "hkd_per_unit": str(hkd_per_unit),
                    "as_of": as_of.isoformat(),
                    "source": source,
                },
            )
            return rate

        return self.run(work)

    # ------------------------------------------------------------------ transaction check

    def check(self, actor: Actor, tx: VaTransaction) -> dict[str, Any]:
        """Check a transaction, store the outcome, raise alerts; returns the staff view."""
        require_role(actor, OPERATORS, "check VA transactions")
        check_id = f"vachk-{uuid.uuid4().hex[:16]}"
        with self._lock, self.unit():
            scores, wallet_note = self._screen_wallet(actor, tx, check_id)
            name_result, name_note = self._screen_counterparty(actor, tx, check_id)
            reset = self.address_risk.scoped(scores)
            try:
                result = self.compliance.check_transaction(tx, actor=actor.username)
            finally:
                reset()
            decision = result.decision
            screening_hold = name_result is not None and bool(name_result.hits)
            if screening_hold and decision == "allow":
                decision = "hold"
            body: dict[str, Any] = {
                "check_id": check_id,
                "decision": decision,
                "rule_decision": result.decision,
                "result": result.to_dict(),
                "transaction": transaction_json(tx),
                "screening": {
                    "wallet": wallet_note,
                    "counterparty_name": name_note,
                    "counterparty_hits": []
                    if name_result is None
                    else [h.to_dict() for h in name_result.hits],
                },
                "checked_by": actor.username,
                "client_message": client_message(decision, reference=check_id),
                "alerts": [],
                "case_id": None,
            }
            if result.decision != "allow":
                alert = self.cases.raise_alert(
                    client_id=tx.client_id,
                    source="rule",
                    ref=check_id,
                    action=result.decision,
                    codes=list(result.rule_ids),
                    summary="; ".join(f"{h.rule_id}: {h.reason}" for h in result.hits),
                    actor=actor.username,
                )
                body["alerts"].append(alert.alert_id)
                body["case_id"] = alert.case_id
            if screening_hold and name_result is not None:
                alert = self.cases.raise_alert(
                    client_id=tx.client_id,
                    source="screening",
                    ref=name_result.screening_id,
                    action="hold",
                    codes=[f"{h.list_id}:{h.entry_id}" for h in name_result.hits],
                    summary=f"travel-rule counterparty name: {_hits_summary(name_result)}",
                    actor=actor.username,
                )
                body["alerts"].append(alert.alert_id)
                body["case_id"] = alert.case_id
            self.checks.add(
                check_id=check_id,
                tx_id=tx.tx_id,
                client_id=tx.client_id,
                tx_at=tx.at,
                checked_at=result.checked_at,
                decision=decision,
                data=body,
            )
        return body

    def _screen_wallet(
        self, actor: Actor, tx: VaTransaction, check_id: str
    ) -> tuple[dict[tuple[str, str], AddressRisk], str]:
        if not tx.is_transfer or tx.chain is None or not tx.client_wallet:
            return {}, "not a transfer"
        address = try_normalise_address(tx.chain, tx.client_wallet)
        if address is None:
            return {}, "address invalid (see address_checksum)"
        if not self.screening.active():
            return {}, "no screening list in service"
        try:
            result = self.screening.screen(
                actor,
                client_id=tx.client_id,
                wallet_address=address,
                context=f"va-check:{check_id}:wallet",
                raise_alerts=False,
            )
        except PlatformError as exc:
            return {}, f"not screened ({exc.code})"
        if not result.hits:
            return {}, f"no hit ({result.screening_id})"
        hit = result.hits[0]
        risk = AddressRisk(
            score=100, provider=f"screening:{hit.list_version}", category=hit.list_id
        )
        return {(tx.chain, address): risk}, f"listed on {hit.list_id} ({result.screening_id})"

    def _screen_counterparty(
        self, actor: Actor, tx: VaTransaction, check_id: str
    ) -> tuple[ScreeningResult | None, str]:
        travel = tx.travel_rule
        if not tx.is_transfer or travel is None:
            return None, "no travel-rule counterparty"
        party = travel.beneficiary if tx.kind == "transfer_out" else travel.originator
        if party is None or not party.name:
            return None, "no counterparty name"
        if not self.screening.active():
            return None, "no screening list in service"
        try:
            result = self.screening.screen(
                actor,
                client_id=tx.client_id,
                name=party.name,
                context=f"va-check:{check_id}:counterparty",
                raise_alerts=False,
            )
        except PlatformError as exc:
            return None, f"not screened ({exc.code})"
        return result, f"{result.decision} ({result.screening_id})"

    def get_check(self, check_id: str) -> dict[str, Any]:
        """A stored check (staff view)."""
        found = self.checks.get(check_id)
        if found is None:
            raise NotFound("no such VA check", check_id=check_id)
        return found

    def list_checks(
        self, *, client_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Recent checks, newest first (staff view)."""
        return self.checks.list(client_id=client_id, limit=limit)

    # ------------------------------------------------------------------ screening hook

    def on_screening_hits(self, result: ScreeningResult, actor: str, context: str) -> None:
        """Raise a screening alert in the client's case (runs inside the screening's unit)."""
        self.cases.raise_alert(
            client_id=result.client_id,
            source="screening",
            ref=result.screening_id,
            action="review",
            codes=[f"{h.list_id}:{h.entry_id}" for h in result.hits],
            summary=f"{context} screening: {_hits_summary(result)}",
            actor=actor,
        )

    # ------------------------------------------------------------------ cases

    def case_view(self, case_id: str) -> dict[str, Any]:
        """A case with its alerts (staff only) and its STR draft, if any."""
        case = self.cases.get_case(case_id)
        body: dict[str, Any] = to_jsonable(case)
        body["alerts"] = [to_jsonable(a) for a in self.cases.alerts(case_id)]
        body["str"] = None
        if case.str_id:
            draft = self.case_store.get_str(case.str_id)
            body["str"] = None if draft is None else str_to_dict(draft)
        return body

    def case_queue(self, status: str | None = None) -> list[dict[str, Any]]:
        """Cases (unresolved by default) with their alert counts."""
        if status is not None and status not in get_args(CaseStatus):
            raise InvalidInput("unknown case status", status=status)
        cases = self.cases.queue(status=cast(CaseStatus | None, status))
        out = []
        for case in cases:
            body: dict[str, Any] = to_jsonable(case)
            alerts = self.cases.alerts(case.case_id)
            body["alert_count"] = len(alerts)
            body["sources"] = sorted({a.source for a in alerts})
            out.append(body)
        return out

    def act_on_case(
        self, actor: Actor, case_id: str, action: str, note: str = ""
    ) -> dict[str, Any]:
        """review | release | clear | confirm (confirm drafts an STR for the JFIU)."""
        require_role(actor, OPERATORS, "work VA cases")
        if action not in CASE_ACTIONS:
            raise InvalidInput("action must be review, release, clear or confirm")

        def work() -> None:
            if action == "review":
                self.cases.start_review(case_id, actor=actor.username)
            elif action == "release":
                self.cases.release(case_id, actor=actor.username)
            elif action == "clear":
                self.cases.clear(case_id, actor=actor.username, note=note)
            else:
                require_role(actor, MLRO_ROLES, "confirm suspicion and draft an STR")
                self._confirm(actor, case_id, note)

        self.run(work)
        return self.case_view(case_id)

    def _confirm(self, actor: Actor, case_id: str, note: str) -> None:
        if not note.strip():
            raise InvalidInput("confirming a case needs the grounds for suspicion")
        case = self.cases.get_case(case_id)
        transactions: list[StrTransaction] = []
        hits: list[RuleHit] = []
        for alert in self.cases.alerts(case_id):
            if alert.source != "rule":
                continue
            stored = self.checks.get(alert.ref)
            if stored is None:
                continue
            tx = stored["transaction"]
            result = stored["result"]
            transactions.append(
                StrTransaction(
                    tx_id=tx["tx_id"],
                    at=datetime.fromisoformat(tx["at"]),
                    kind=tx["kind"],
                    asset=tx["asset"],
                    quantity=Decimal(tx["quantity"]),
                    hkd_value=None if result["hkd_value"] is None else Decimal(result["hkd_value"]),
                    wallet_ref=_wallet_ref(tx.get("client_wallet")),
                )
            )
            hits.extend(RuleHit(**h) for h in result["hits"])
        facts = StrCaseFacts(
            case_id=case_id,
            reporting_firm_id=self.own_firm_id,
            mlro_ref=actor.username,
            subject_ref=case.client_id,
            opened_at=case.opened_at,
            grounds=note,
            transactions=tuple(transactions),
            rule_hits=tuple(hits),
            actions_taken=("transactions held pending review", "client not informed of reason"),
        )
        draft = build_str_draft(facts, drafted_at=self.clock.now())
        str_id = f"str-{uuid.uuid4().hex[:12]}"
        self.case_store.add_str(str_id, case_id, draft)
        self.cases.confirm_suspicious(case_id, actor=actor.username, note=note, str_id=str_id)
        self.sink.record(
            actor=actor.username,
            action="va.str_drafted",
            subject_type="va_case",
            subject_id=case_id,
            payload={
                "str_id": str_id,
                "transactions": len(transactions),
                "total_hkd": str(draft.total_hkd),
                "indicators": list(draft.indicators),
            },
        )

    def str_text(self, case_id: str) -> str:
        """The case's STR draft as plain text for the MLRO."""
        case = self.cases.get_case(case_id)
        draft = self.case_store.get_str(case.str_id) if case.str_id else None
        if draft is None:
            raise NotFound("this case has no STR draft", case_id=case_id)
        return render_str_text(draft)

    # ------------------------------------------------------------------ retention

    def retention(
        self,
        actor: Actor,
        *,
        apply: bool,
        on: date | None = None,
        record_ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Which stored VA records the policy lets us delete; with ``apply``, delete them.

        Named ``record_ids`` that are still inside retention are refused
        (``RetentionLocked``); deletions are evidenced in the ledger."""
        require_role(actor, MLRO_ROLES, "apply record retention")
        today = self.clock.now().date()
        if apply and on is not None and on != today:
            raise InvalidInput("retention is applied as of today; --on is for dry runs")
        when = on or today
        policy = default_retention_policy()
        with self._lock, self.unit():
            metas: list[RecordMeta] = []
            for check_id, _tx, tx_at, text in self.checks.retention_rows():
                metas.append(
                    RecordMeta(
                        record_id=f"check:{check_id}",
                        category="transaction",
                        regimes=RETENTION_REGIMES,
                        relevant_date=date.fromisoformat(tx_at[:10]),
                        content_sha256=content_digest(text.encode("utf-8")),
                    )
                )
            for case_id, status, updated_at, text in self.case_store.resolved_rows():
                metas.append(
                    RecordMeta(
                        record_id=f"case:{case_id}",
                        category="str" if status == "confirmed_suspicious" else "transaction",
                        regimes=RETENTION_REGIMES,
                        relevant_date=date.fromisoformat(updated_at[:10]),
                        content_sha256=content_digest(text.encode("utf-8")),
                    )
                )
            decisions = deletable_records(metas, policy, when)
            by_id = {m.record_id: m for m in metas}
            if record_ids:
                unknown = [r for r in record_ids if r not in by_id]
                if unknown:
                    raise NotFound("no such VA record", record_ids=unknown)
                chosen = [by_id[r] for r in record_ids]
            else:
                chosen = [by_id[d.record_id] for d in decisions if d.deletable]
            evidence = None
            if apply and chosen:
                made = make_deletion_evidence(
                    chosen, policy, deleted_at=self.clock.now(), deleted_by=actor.username
                )
                checks = [r.record_id[6:] for r in chosen if r.record_id.startswith("check:")]
                cases = [r.record_id[5:] for r in chosen if r.record_id.startswith("case:")]
                self.checks.delete(checks)
                self.case_store.delete_cases(cases)
                evidence = to_jsonable(made)
                self.sink.record(
                    actor=actor.username,
                    action="va.records_deleted",
                    subject_type="va_retention",
                    subject_id=made.evidence_id,
                    payload=evidence,
                )
            elif apply and record_ids:
                raise InvalidInput("nothing to delete")
        return {
            "policy": policy.version,
            "regimes": sorted(RETENTION_REGIMES),
            "as_of": when.isoformat(),
            "applied": apply,
            "records": [
                {
                    "record_id": d.record_id,
                    "deletable": d.deletable,
                    "deletable_from": None
                    if d.deletable_from is None
                    else d.deletable_from.isoformat(),
                    "reason": d.reason,
                }
                for d in decisions
            ],
            "selected": [m.record_id for m in chosen],
            "evidence": evidence,
        }

    def rules(self) -> list[dict[str, Any]]:
        """Every transaction rule with its control, source, action and figures."""
        return [
            {
                "rule_id": r.rule_id,
                "control_id": r.control_id,
                "source": r.source,
                "action": r.action,
                "enabled": r.enabled,
                "figures": to_jsonable(dict(r.figures)),
                "description": r.description,
            }
            for r in self.controls.rules
        ]


def _hits_summary(result: ScreeningResult) -> str:
    return "; ".join(
        f"{h.list_id}:{h.entry_id} score {h.score:.2f} ({h.reason})" for h in result.hits[:5]
    )


def _wallet_ref(address: str | None) -> str | None:
    if not address:
        return None
    return "wallet-sha256:" + hashlib.sha256(address.encode()).hexdigest()[:16]


def client_view(check: Mapping[str, Any]) -> dict[str, Any]:
    """What the client may see about a check: the outcome, never the reason (no tipping-off)."""
    decision = str(check["decision"])
    outcome = {"allow": "accepted", "hold": "processing", "block": "not completed"}[decision]
    return {
        "reference": check["check_id"],
        "outcome": outcome,
        "message": client_message(cast(Any, decision), reference=str(check["check_id"])),
    }


def _build(platform: Platform) -> VaDesk:
    from dualtrack.screening import wiring as screening_wiring

    unit = screening_wiring.ambient(platform)
    sink = AmbientLedgerSink(unit)
    controls = load_control_set()
    clock = SystemClock()
    firms = SqlFirmRepository(unit)
    clients = SqlClientRepository(unit)
    fx = SqlFxRates(unit)
    risk = ScopedAddressRisk()
    case_store = SqlVaCaseRepository(unit)
    desk = VaDesk(
        unit=unit,
        sink=sink,
        controls=controls,
        register=LicenceRegisterService(firms, controls, clock=clock, audit=sink),
        onboarding=ClientOnboardingService(
            clients,
            firms,
            SqlProofChallengeStore(unit),
            controls,
            own_firm_id=OWN_FIRM_ID,
            clock=clock,
            audit=sink,
        ),
        compliance=VaComplianceService(
            firms=firms,
            clients=clients,
            fx=fx,
            linked=SqlLinkedTransactionStore(unit),
            controls=controls,
            own_firm_id=OWN_FIRM_ID,
            clock=clock,
            address_risk=risk,
            audit=sink,
        ),
        cases=VaCaseService(case_store, sink, clock=clock),
        firms=firms,
        clients=clients,
        fx=fx,
        checks=SqlCheckRepository(unit),
        case_store=case_store,
        screening=platform.feature("screening", screening_wiring._build),
        address_risk=risk,
        clock=clock,
    )
    desk.screening.listeners.append(desk.on_screening_hits)
    return desk


def service(platform: Platform) -> VaDesk:
    """The platform's VA-dealing desk (built once per process)."""
    return platform.feature("vadealing", _build)


# ------------------------------------------------------------------------- demo

DEMO_RATE_SOURCE = "HKMA indicative (demo)"


def seed_demo(platform: Platform) -> None:
    """Demo dealers, custodians, clients, FX rates and a few checked transactions."""
    from dualtrack.vadealing.demo import seed

    seed(platform, service(platform))


__all__ = [
    "DEMO_RATE_SOURCE",
    "OWN_FIRM_ID",
    "RETENTION_REGIMES",
    "ScopedAddressRisk",
    "VaDesk",
    "client_view",
    "parse_transaction",
    "seed_demo",
    "service",
]
