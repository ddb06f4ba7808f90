"""Entities and value objects of OTC virtual-asset dealing compliance (standard library only).

Three groups:

* the **licence register**: firms (dealers and custodians) with a licence status, responsible
  officers and their fit-and-proper results, capital figures and registered wallets;
* **client onboarding**: CDD status, beneficial owners and self-custody wallets with an
  ownership proof;
* **transactions** and the outcome of checking one: a decision, every rule hit with the
  control it implements, the HKD value and where its FX rate came from.

Money is ``Decimal`` throughout: a threshold test at HK$8,000 must not depend on binary
floating point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Decision = Literal["allow", "hold", "block"]
FirmKind = Literal["dealer", "custodian"]
Authority = Literal["SFC", "HKMA", "CCE"]
LicenceStatus = Literal["applied", "licensed", "licensed_with_conditions", "suspended", "revoked"]
OfficerRole = Literal["responsible_officer", "compliance_officer", "mlro", "director"]
FitAndProperOutcome = Literal["passed", "failed", "pending"]
CddStatus = Literal["pending", "verified", "expired", "high_risk", "enhanced_due_diligence"]
Relationship = Literal["business", "occasional"]
Chain = Literal["bitcoin", "ethereum"]
TxKind = Literal["transfer_out", "transfer_in", "buy", "sell"]
ProofMethod = Literal["signed_message", "micro_payment"]
Funding = Literal["cash", "bank", "virtual_asset"]

DECISION_RANK: Mapping[Decision, int] = {"allow": 0, "hold": 1, "block": 2}
TRANSFER_KINDS: frozenset[TxKind] = frozenset({"transfer_out", "transfer_in"})

# Statuses under which the firm may carry on dealing with the client.
# ``high_risk`` means "identified as high risk, enhanced due diligence still outstanding";
# ``enhanced_due_diligence`` means EDD has been completed and the client is cleared.
CDD_CLEARED: frozenset[CddStatus] = frozenset({"verified", "enhanced_due_diligence"})

# Licence transitions the register allows (revoked is terminal).
LICENCE_TRANSITIONS: Mapping[LicenceStatus, frozenset[LicenceStatus]] = {
    "applied": frozenset({"licensed", "licensed_with_conditions"}),
    "licensed": frozenset({"licensed_with_conditions", "suspended", "revoked"}),
    "licensed_with_conditions": frozenset({"licensed", "suspended", "revoked"}),
    "suspended": frozenset({"licensed", "licensed_with_conditions", "revoked"}),
    "revoked": frozenset(),
}
ACTIVE_LICENCE: frozenset[LicenceStatus] = frozenset({"licensed", "licensed_with_conditions"})


def worst(decisions: tuple[Decision, ...] | list[Decision]) -> Decision:
    """The most restrictive decision (block > hold > allow); ``allow`` for none."""
    result: Decision = "allow"
    for decision in decisions:
        if DECISION_RANK[decision] > DECISION_RANK[result]:
            result = decision
    return result


# --------------------------------------------------------------------------- licence register


@dataclass(frozen=True, slots=True)
class FitAndProperCheck:
    """The result of one fit-and-proper assessment of an officer."""

    outcome: FitAndProperOutcome
    checked_on: date
    reference: str = ""


@dataclass(frozen=True, slots=True)
class ResponsibleOfficer:
    """An officer of a licensed firm; ``officer_id`` is an internal reference, not a name."""

    officer_id: str
    role: OfficerRole
    fit_and_proper: FitAndProperCheck | None = None


@dataclass(frozen=True, slots=True)
class CapitalPosition:
    """Capital a firm reported, in HKD, as of a date."""

    paid_up_hkd: Decimal
    liquid_hkd: Decimal
    as_of: date


@dataclass(frozen=True, slots=True)
class CapitalRequirement:
    """A minimum-capital rule for one kind of firm, with the status of the figure."""

    kind: FirmKind
    paid_up_hkd: Decimal
    liquid_hkd: Decimal
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class CapitalAssessment:
    """Whether a firm's last reported capital meets the requirement for its kind."""

    firm_id: str
    meets: bool
    shortfalls: tuple[str, ...]
    requirement: CapitalRequirement
    position: CapitalPosition | None


@dataclass(frozen=True, slots=True)
class RegisteredWallet:
    """A wallet a firm has registered (for the platform's own firm: its only sending wallets)."""

    chain: Chain
    address: str
    label: str = ""
    registered_on: date | None = None


@dataclass(frozen=True, slots=True)
class Firm:
    """A VA dealer or custodian in the licence register."""

    firm_id: str
    name: str
    kind: FirmKind
    authority: Authority
    status: LicenceStatus
    status_since: date
    conditions: tuple[str, ...] = ()
    officers: tuple[ResponsibleOfficer, ...] = ()
    capital: CapitalPosition | None = None
    wallets: tuple[RegisteredWallet, ...] = ()

    def has_wallet(self, chain: Chain, address: str) -> bool:
        """True when ``address`` (already normalised) is one of the firm's wallets on ``chain``."""
        return any(w.chain == chain and w.address == address for w in self.wallets)


@dataclass(frozen=True, slots=True)
class CounterpartyDecision:
    """Answer to "may we deal with / transfer to this firm?", with a stable reason code."""

    firm_id: str
    allowed: bool
    reason_code: str
    reason: str
    checked_on: date
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True, slots=True)
class BeneficialOwner:
    """An owner of a corporate client; ``owner_ref`` is a pseudonymous reference."""

    owner_ref: str
    share_pct: Decimal


@dataclass(frozen=True, slots=True)
class WalletProof:
    """Evidence that the client controls a wallet (never the client's word alone).

    ``evidence`` holds digests and references (message hash, signature hash, on-chain
    transaction hash), never the raw signature of a personal message.
    """

    method: ProofMethod
    verified_at: datetime
    evidence: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ClientWallet:
    """A self-custody wallet the client uses; proven only with a ``WalletProof``."""

    chain: Chain
    address: str
    added_at: datetime
    proof: WalletProof | None = None

    @property
    def proven(self) -> bool:
        """True when ownership has been proven by a signature or a micro-payment test."""
        return self.proof is not None


@dataclass(frozen=True, slots=True)
class Client:
    """Onboarding state of a client (identified by an internal reference, not a name)."""

    client_id: str
    relationship: Relationship
    cdd_status: CddStatus = "pending"
    cdd_verified_on: date | None = None
    cdd_review_due: date | None = None
    beneficial_owners: tuple[BeneficialOwner, ...] = ()
    wallets: tuple[ClientWallet, ...] = ()

    def wallet(self, chain: Chain, address: str) -> ClientWallet | None:
        """The client's wallet with this (normalised) address, if recorded."""
        for wallet in self.wallets:
            if wallet.chain == chain and wallet.address == address:
                return wallet
        return None

    def effective_cdd_status(self, on: date) -> CddStatus:
        """CDD status as of ``on``: a cleared status past its review date counts as expired."""
        if self.cdd_status in CDD_CLEARED and self.cdd_review_due and on > self.cdd_review_due:
            return "expired"
        return self.cdd_status


@dataclass(frozen=True, slots=True)
class WalletChallenge:
    """A one-time message the client must sign with the wallet's key."""

    challenge_id: str
    client_id: str
    chain: Chain
    address: str
    message: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class MicroPaymentTest:
    """An expected small transfer from the client's wallet to one of the firm's wallets."""

    test_id: str
    client_id: str
    chain: Chain
    address: str
    firm_wallet: str
    asset: str
    expected_quantity: Decimal
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ObservedTransfer:
    """An on-chain transfer the firm observed (from its node or a chain-data provider)."""

    chain: Chain
    tx_hash: str
    from_address: str
    to_address: str
    asset: str
    quantity: Decimal
    observed_at: datetime


# --------------------------------------------------------------------------- transactions


@dataclass(frozen=True, slots=True)
class TravelRuleParty:
    """Originator or beneficiary information carried with a VA transfer (travel rule)."""

    name: str | None = None
    account: str | None = None
    physical_address: str | None = None
    national_id: str | None = None
    customer_id: str | None = None
    date_and_place_of_birth: str | None = None

    def value(self, field_name: str) -> str | None:
        """The named field's value (``None`` for an unknown field name)."""
        found = getattr(self, field_name, None)
        return found if isinstance(found, str) else None


@dataclass(frozen=True, slots=True)
class TravelRuleData:
    """Travel-rule message content for one transfer."""

    originator: TravelRuleParty | None = None
    beneficiary: TravelRuleParty | None = None
    originating_vasp: str | None = None
    beneficiary_vasp: str | None = None


@dataclass(frozen=True, slots=True)
class VaTransaction:
    """A proposed (or incoming) transaction to check.

    ``transfer_out``/``transfer_in`` are VA transfers between a firm wallet and
    ``client_wallet`` (or the wallet of ``counterparty_firm_id``, another VASP); ``buy`` and
    ``sell`` are the client buying or selling ``asset`` against fiat or another VA.
    ``quantity`` is in units of ``asset``.
    """

    tx_id: str
    client_id: str
    kind: TxKind
    asset: str
    quantity: Decimal
    at: datetime
    chain: Chain | None = None
    client_wallet: str | None = None
    firm_wallet: str | None = None
    counterparty_firm_id: str | None = None
    travel_rule: TravelRuleData | None = None
    funding: Funding | None = None

    @property
    def is_transfer(self) -> bool:
        """True for VA transfers (the HK$8,000 regime); false for other transactions."""
        return self.kind in TRANSFER_KINDS


@dataclass(frozen=True, slots=True)
class FxRate:
    """HKD per unit of a currency or asset at a time, with where the rate came from."""

    currency: str
    hkd_per_unit: Decimal
    as_of: datetime
    source: str


@dataclass(frozen=True, slots=True)
class AssetListing:
    """Why an asset is on the allow-list (VA-OTC24-02)."""

    asset: str
    category: Literal["token", "stablecoin"]
    basis: str
    issuer: str | None = None


@dataclass(frozen=True, slots=True)
class AddressRisk:
    """A blockchain-analytics risk score (0-100) for an address, with the provider's label."""

    score: int
    provider: str
    category: str = ""


def client_key(client_id: str) -> str:
    """Linked-transaction partition key for a client."""
    return f"client:{client_id}"


def wallet_key(chain: Chain, address: str) -> str:
    """Linked-transaction partition key for a (normalised) wallet address."""
    return f"wallet:{chain}:{address}"


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired: which control, its source, the figure used and why."""

    rule_id: str
    control_id: str
    source: str
    figure: str
    action: Decision
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            "rule_id": self.rule_id,
            "control_id": self.control_id,
            "source": self.source,
            "figure": self.figure,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LinkedEntry:
    """A checked transaction kept for linking (same client or same wallet within a window)."""

    tx_id: str
    client_id: str
    kind: TxKind
    asset: str
    quantity: Decimal
    hkd_value: Decimal | None
    at: datetime
    wallet: str | None
    decision: Decision


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of checking one transaction (immutable, JSON-serialisable via ``to_dict``)."""

    tx_id: str
    decision: Decision
    hits: tuple[RuleHit, ...]
    hkd_value: Decimal | None
    rate_source: str | None
    rate_as_of: datetime | None
    linked_total_hkd: Decimal | None
    controls_version: str
    checked_at: datetime
    rules_evaluated: tuple[str, ...] = field(default=())

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules that fired, in evaluation order."""
        return tuple(hit.rule_id for hit in self.hits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals as strings, datetimes in ISO 8601)."""
        return {
            "tx_id": self.tx_id,
            "decision": self.decision,
            "hits": [hit.to_dict() for hit in self.hits],
            "hkd_value": None if self.hkd_value is None else str(self.hkd_value),
            "rate_source": self.rate_source,
            "rate_as_of": None if self.rate_as_of is None else self.rate_as_of.isoformat(),
            "linked_total_hkd": (
                None if self.linked_total_hkd is None else str(self.linked_total_hkd)
            ),
            "controls_version": self.controls_version,
            "checked_at": self.checked_at.isoformat(),
            "rules_evaluated": list(self.rules_evaluated),
        }


__all__ = [
    "ACTIVE_LICENCE",
    "CDD_CLEARED",
    "DECISION_RANK",
    "LICENCE_TRANSITIONS",
    "TRANSFER_KINDS",
    "AddressRisk",
    "AssetListing",
    "Authority",
    "BeneficialOwner",
    "CapitalAssessment",
    "CapitalPosition",
    "CapitalRequirement",
    "CddStatus",
    "Chain",
    "CheckResult",
    "Client",
    "ClientWallet",
    "CounterpartyDecision",
    "Decision",
    "Firm",
    "FirmKind",
    "FitAndProperCheck",
    "FitAndProperOutcome",
    "Funding",
    "FxRate",
    "LicenceStatus",
    "LinkedEntry",
    "MicroPaymentTest",
    "ObservedTransfer",
    "OfficerRole",
    "ProofMethod",
    "RegisteredWallet",
    "Relationship",
    "ResponsibleOfficer",
    "RuleHit",
    "TravelRuleData",
    "TravelRuleParty",
    "TxKind",
    "VaTransaction",
    "WalletChallenge",
    "WalletProof",
    "client_key",
    "wallet_key",
    "worst",
]
