"""Replay labelled transaction streams through the compliance service and score the rules.

The evaluation data (``data/vadealing/world.json`` and ``stream.jsonl``, written by the
seeded generator next to them) describe a world (firms, clients, wallets with *real*
ownership signatures, FX rates, wallet risk scores) and a time-ordered stream of
transactions, each labelled with the rules that must fire and the expected decision.
``build_world`` rebuilds that world through the public services, so every wallet proof is
verified again on load; ``run_stream`` checks each transaction and compares.

The JSON helpers (``tx_to_json`` / ``tx_from_json``) are also the wire format the API layer
can reuse.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from dualtrack.vadealing.controls import ControlSet, load_control_set
from dualtrack.vadealing.domain import (
    AddressRisk,
    AssetListing,
    CheckResult,
    Decision,
    FxRate,
    ObservedTransfer,
    TravelRuleData,
    TravelRuleParty,
    VaTransaction,
)
from dualtrack.vadealing.memory import (
    FixedClock,
    FxRateTable,
    InMemoryAddressRisk,
    InMemoryClientRepository,
    InMemoryFirmRepository,
    InMemoryLinkedTransactionStore,
    InMemoryProofChallengeStore,
    StaticAssetAllowList,
)
from dualtrack.vadealing.service import (
    ClientOnboardingService,
    LicenceRegisterService,
    VaComplianceService,
)

OWN_FIRM_ID = "FIRM-SELF"


# --------------------------------------------------------------------------- JSON helpers


def _party_to_json(party: TravelRuleParty | None) -> dict[str, str] | None:
    if party is None:
        return None
    return {
        name: value
        for name in TravelRuleParty.__slots__
        if (value := party.value(name)) is not None
    }


def _party_from_json(data: Mapping[str, Any] | None) -> TravelRuleParty | None:
    if data is None:
        return None
    return TravelRuleParty(**{k: str(v) for k, v in data.items()})


def tx_to_json(tx: VaTransaction) -> dict[str, Any]:
    """JSON-ready form of a transaction (Decimal as string, time in ISO 8601)."""
    travel = tx.travel_rule
    return {
        "tx_id": tx.tx_id,
        "client_id": tx.client_id,
        "kind": tx.kind,
        "asset": tx.asset,
        "quantity": str(tx.quantity),
        "at": tx.at.isoformat(),
        "chain": tx.chain,
        "client_wallet": tx.client_wallet,
        "firm_wallet": tx.firm_wallet,
        "counterparty_firm_id": tx.counterparty_firm_id,
        "funding": tx.funding,
        "travel_rule": None
        if travel is None
        else {
            "originator": _party_to_json(travel.originator),
            "beneficiary": _party_to_json(travel.beneficiary),
            "originating_vasp": travel.originating_vasp,
            "beneficiary_vasp": travel.beneficiary_vasp,
        },
    }


def tx_from_json(data: Mapping[str, Any]) -> VaTransaction:
    """Inverse of ``tx_to_json``."""
    travel = data.get("travel_rule")
    return VaTransaction(
        tx_id=str(data["tx_id"]),
        client_id=str(data["client_id"]),
        kind=data["kind"],
        asset=str(data["asset"]),
        quantity=Decimal(str(data["quantity"])),
        at=datetime.fromisoformat(str(data["at"])),
        chain=data.get("chain"),
        client_wallet=data.get("client_wallet"),
        firm_wallet=data.get("firm_wallet"),
        counterparty_firm_id=data.get("counterparty_firm_id"),
        funding=data.get("funding"),
        travel_rule=None
        if travel is None
        else TravelRuleData(
            originator=_party_from_json(travel.get("originator")),
            beneficiary=_party_from_json(travel.get("beneficiary")),
            originating_vasp=travel.get("originating_vasp"),
            beneficiary_vasp=travel.get("beneficiary_vasp"),
        ),
    )


# --------------------------------------------------------------------------- world


@dataclass
class EvalWorld:
    """The services and stores of a rebuilt evaluation world."""

    controls: ControlSet
    clock: FixedClock
    register: LicenceRegisterService
    onboarding: ClientOnboardingService
    service: VaComplianceService
    fx: FxRateTable
    firms: InMemoryFirmRepository
    clients: InMemoryClientRepository
    risk: InMemoryAddressRisk
    allow_list: StaticAssetAllowList

    def fresh_service(self, controls: ControlSet | None = None) -> VaComplianceService:
        """A compliance service over the same world with an empty linked-transaction store."""
        return VaComplianceService(
            firms=self.firms,
            clients=self.clients,
            fx=self.fx,
            linked=InMemoryLinkedTransactionStore(),
            controls=controls or self.controls,
            own_firm_id=OWN_FIRM_ID,
            clock=self.clock,
            allow_list=self.allow_list,
            address_risk=self.risk,
        )


class _QueuedNonces:
    """Hands out the recorded challenge nonces in order (so messages match the signatures)."""

    def __init__(self) -> None:
        self.queue: list[str] = []

    def __call__(self) -> str:
        if not self.queue:
            raise RuntimeError("no recorded nonce left for a wallet challenge")
        return self.queue.pop(0)


def build_world(
    spec: Mapping[str, Any], *, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> EvalWorld:
    """Rebuild a world from its JSON spec through the public services.

    Raises ``WalletProofFailed`` if a recorded ownership signature or micro-payment no longer
    verifies.
    """
    controls = load_control_set(overrides=overrides)
    start = datetime.fromisoformat(spec["start"])
    clock = FixedClock(start)
    firms = InMemoryFirmRepository()
    clients = InMemoryClientRepository()
    nonces = _QueuedNonces()
    register = LicenceRegisterService(firms, controls, clock=clock)
    onboarding = ClientOnboardingService(
        clients,
        firms,
        InMemoryProofChallengeStore(),
        controls,
        own_firm_id=OWN_FIRM_ID,
        clock=clock,
        nonce_factory=nonces,
    )
    actor = "evaluation"
    for firm in spec["firms"]:
        register.register_firm(
            firm_id=firm["firm_id"],
            name=firm["name"],
            kind=firm["kind"],
            authority=firm["authority"],
            actor=actor,
        )
        for status in firm["status_path"]:
            register.change_status(firm["firm_id"], status, actor=actor)
        for officer in firm["officers"]:
            register.add_officer(
                firm["firm_id"], officer["officer_id"], officer["role"], actor=actor
            )
            register.record_fit_and_proper(
                firm["firm_id"],
                officer["officer_id"],
                officer["outcome"],
                checked_on=date.fromisoformat(officer["checked_on"]),
                actor=actor,
            )
        register.record_capital(
            firm["firm_id"],
            paid_up_hkd=Decimal(firm["paid_up_hkd"]),
            liquid_hkd=Decimal(firm["liquid_hkd"]),
            as_of=date.fromisoformat(firm["capital_as_of"]),
            actor=actor,
        )
        for wallet in firm["wallets"]:
            register.register_wallet(
                firm["firm_id"], wallet["chain"], wallet["address"], actor=actor
            )

    for client in spec["clients"]:
        cid = client["client_id"]
        onboarding.register_client(cid, client["relationship"], actor=actor)
        if client["cdd_status"] != "pending":
            verified = client.get("verified_on")
            onboarding.set_cdd_status(
                cid,
                client["cdd_status"],
                actor=actor,
                verified_on=date.fromisoformat(verified) if verified else None,
            )
        for wallet in client["wallets"]:
            proof = wallet.get("proof")
            if proof is None:
                onboarding.add_wallet(cid, wallet["chain"], wallet["address"], actor=actor)
            elif proof["method"] == "signed_message":
                nonces.queue.append(proof["nonce"])
                challenge = onboarding.issue_wallet_challenge(
                    cid, wallet["chain"], wallet["address"], actor=actor
                )
                onboarding.prove_wallet_by_signature(
                    challenge.challenge_id, proof["signature"], actor=actor
                )
            else:
                nonces.queue.append(proof["nonce"])
                test = onboarding.issue_micro_payment_test(
                    cid,
                    wallet["chain"],
                    wallet["address"],
                    asset=proof["asset"],
                    firm_wallet=proof["firm_wallet"],
                    actor=actor,
                )
                onboarding.record_micro_payment(
                    test.test_id,
                    ObservedTransfer(
                        chain=wallet["chain"],
                        tx_hash=proof["tx_hash"],
                        from_address=wallet["address"],
                        to_address=proof["firm_wallet"],
                        asset=proof["asset"],
                        quantity=Decimal(proof["quantity"]),
                        observed_at=start,
                    ),
                    actor=actor,
                )

    fx = FxRateTable(
        FxRate(
            r["currency"],
            Decimal(r["hkd_per_unit"]),
            datetime.fromisoformat(r["as_of"]),
            r["source"],
        )
        for r in spec["fx_rates"]
    )
    risk = InMemoryAddressRisk()
    for item in spec.get("address_risk", []):
        risk.set(item["chain"], item["address"], AddressRisk(item["score"], item["provider"]))
    listings = [*controls.asset_listings]
    for item in spec.get("extra_assets", []):
        listings.append(
            AssetListing(item["asset"], item["category"], item["basis"], item.get("issuer"))
        )
    for status_change in spec.get("status_changes", []):
        register.change_status(status_change["firm_id"], status_change["status"], actor=actor)
    allow_list = StaticAssetAllowList(listings)
    service = VaComplianceService(
        firms=firms,
        clients=clients,
        fx=fx,
        linked=InMemoryLinkedTransactionStore(),
        controls=controls,
        own_firm_id=OWN_FIRM_ID,
        clock=clock,
        allow_list=allow_list,
        address_risk=risk,
    )
    return EvalWorld(
        controls, clock, register, onboarding, service, fx, firms, clients, risk, allow_list
    )


# --------------------------------------------------------------------------- stream


@dataclass(frozen=True, slots=True)
class LabelledTx:
    """One stream record: the transaction and what must happen to it."""

    tx: VaTransaction
    expected_rules: frozenset[str]
    expected_decision: Decision
    scenario: str


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A record whose fired rules or decision differ from the label."""

    tx_id: str
    scenario: str
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    expected_decision: Decision
    decision: Decision


@dataclass
class StreamReport:
    """Per-rule counts and every mismatch."""

    records: int = 0
    decision_matches: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    fired: Counter[str] = field(default_factory=Counter)
    true_positive: Counter[str] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Summary without per-record results."""
        rules = sorted(set(self.expected) | set(self.fired))
        return {
            "records": self.records,
            "decision_accuracy": self.decision_matches / self.records if self.records else 0.0,
            "rules": {
                rule: {
                    "expected": self.expected[rule],
                    "fired": self.fired[rule],
                    "true_positive": self.true_positive[rule],
                }
                for rule in rules
            },
            "mismatches": len(self.mismatches),
        }


def load_world(path: Path) -> dict[str, Any]:
    """The world spec (JSON)."""
    return cast(dict[str, Any], json.loads(path.read_text("utf-8")))


def load_stream(path: Path) -> list[LabelledTx]:
    """The labelled stream (JSONL, one record per line, time-ordered)."""
    records: list[LabelledTx] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        records.append(
            LabelledTx(
                tx=tx_from_json(data["tx"]),
                expected_rules=frozenset(data["expected_rules"]),
                expected_decision=data["expected_decision"],
                scenario=data["scenario"],
            )
        )
    return records


def run_stream(
    world: EvalWorld, stream: Iterable[LabelledTx], *, keep_results: bool = False
) -> StreamReport:
    """Check every record in order (the clock follows the stream) and compare with labels."""
    report = StreamReport()
    for record in stream:
        world.clock.set(record.tx.at)
        result = world.service.check_transaction(record.tx)
        fired = set(result.rule_ids)
        report.records += 1
        report.expected.update(record.expected_rules)
        report.fired.update(fired)
        report.true_positive.update(fired & record.expected_rules)
        if result.decision == record.expected_decision:
            report.decision_matches += 1
        if fired != record.expected_rules or result.decision != record.expected_decision:
            report.mismatches.append(
                Mismatch(
                    tx_id=record.tx.tx_id,
                    scenario=record.scenario,
                    missing=tuple(sorted(record.expected_rules - fired)),
                    unexpected=tuple(sorted(fired - record.expected_rules)),
                    expected_decision=record.expected_decision,
                    decision=result.decision,
                )
            )
        if keep_results:
            report.results.append(result)
    return report


def check_many(service: VaComplianceService, txs: Sequence[VaTransaction]) -> list[CheckResult]:
    """Check transactions in order (helper for the benchmark)."""
    return [service.check_transaction(tx) for tx in txs]


__all__ = [
    "EvalWorld",
    "LabelledTx",
    "Mismatch",
    "StreamReport",
    "build_world",
    "check_many",
    "load_stream",
    "load_world",
    "run_stream",
    "tx_from_json",
    "tx_to_json",
]
