"""A small VA-dealing world for the unit tests: our firm, a counterparty, clients, FX rates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import coincurve
import pytest

from dualtrack.identifiers.crypto import eth_address_from_public_key, p2pkh_address
from dualtrack.vadealing.controls import ControlSet, load_control_set
from dualtrack.vadealing.domain import (
    AssetListing,
    Chain,
    FxRate,
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
from dualtrack.vadealing.wallet_proof import sign_bitcoin_message, sign_eth_message

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def key(label: str) -> coincurve.PrivateKey:
    """A deterministic test key."""
    return coincurve.PrivateKey(hashlib.sha256(label.encode()).digest())


def btc_address(label: str) -> str:
    return p2pkh_address(key(label).public_key.format(compressed=True))


def eth_address(label: str) -> str:
    return eth_address_from_public_key(key(label).public_key.format(compressed=False))


class RecordingAudit:
    """AuditSink fake that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def record(self, **event: Any) -> None:
        self.events.append(event)


@dataclass
class World:
    controls: ControlSet
    clock: FixedClock
    firms: InMemoryFirmRepository
    clients: InMemoryClientRepository
    fx: FxRateTable
    risk: InMemoryAddressRisk
    audit: RecordingAudit
    register: LicenceRegisterService
    onboarding: ClientOnboardingService
    service: VaComplianceService
    nonces: list[str] = field(default_factory=list)

    def prove(self, client_id: str, chain: Chain, label: str) -> str:
        """Whitelist and prove the wallet of key ``label`` for the client (real signature)."""
        address = btc_address(label) if chain == "bitcoin" else eth_address(label)
        challenge = self.onboarding.issue_wallet_challenge(client_id, chain, address, actor="t")
        signature = (
            sign_bitcoin_message(key(label), challenge.message)
            if chain == "bitcoin"
            else sign_eth_message(key(label), challenge.message)
        )
        self.onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor="t")
        return address

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock and publish fresh rates (same prices) just before the new time."""
        self.clock.advance(delta)
        now = self.clock.now()
        for code, price in PRICES.items():
            self.fx.add(FxRate(code, price, now - timedelta(minutes=1), "test-feed"))
        return now

    def tx(self, tx_id: str, client_id: str = "C-BIZ", **kw: Any) -> VaTransaction:
        base: dict[str, Any] = {
            "tx_id": tx_id,
            "client_id": client_id,
            "kind": "buy",
            "asset": "BTC",
            "quantity": Decimal("0.001"),
            "at": self.clock.now(),
        }
        base.update(kw)
        return VaTransaction(**base)


PRICES = {
    "BTC": Decimal("700000"),
    "ETH": Decimal("25000"),
    "USDT": Decimal("7.8"),
    "HKDS": Decimal("1"),
}

FULL_TRAVEL = TravelRuleData(
    originator=TravelRuleParty(name="Chan Tai Man", account="acct-1", customer_id="C-1"),
    beneficiary=TravelRuleParty(name="Chan Tai Man", account="wallet-1"),
    originating_vasp="FIRM-SELF",
)


def build_world(overrides: dict[str, dict[str, Any]] | None = None) -> World:
    controls = load_control_set(overrides=overrides)
    clock = FixedClock(T0)
    firms = InMemoryFirmRepository()
    clients = InMemoryClientRepository()
    audit = RecordingAudit()
    counter = iter(range(1, 10_000))
    register = LicenceRegisterService(firms, controls, clock=clock, audit=audit)
    onboarding = ClientOnboardingService(
        clients,
        firms,
        InMemoryProofChallengeStore(),
        controls,
        own_firm_id="FIRM-SELF",
        clock=clock,
        audit=audit,
        nonce_factory=lambda: f"{next(counter):032x}",
    )
    fx = FxRateTable(
        FxRate(code, price, T0 - timedelta(minutes=1), "test-feed")
        for code, price in PRICES.items()
    )
    risk = InMemoryAddressRisk()
    allow = StaticAssetAllowList(
        [
            *controls.asset_listings,
            AssetListing("HKDS", "stablecoin", "issuer licensed by the HKMA (fictional)", "ISS-1"),
        ]
    )
    service = VaComplianceService(
        firms=firms,
        clients=clients,
        fx=fx,
        linked=InMemoryLinkedTransactionStore(),
        controls=controls,
        own_firm_id="FIRM-SELF",
        clock=clock,
        allow_list=allow,
        address_risk=risk,
        audit=audit,
    )
    world = World(controls, clock, firms, clients, fx, risk, audit, register, onboarding, service)

    for firm_id, kind in (
        ("FIRM-SELF", "dealer"),
        ("FIRM-PEER", "dealer"),
        ("CUST-1", "custodian"),
    ):
        register.register_firm(
            firm_id=firm_id, name=f"{firm_id} Ltd", kind=kind, authority="SFC", actor="t"
        )
        register.change_status(firm_id, "licensed", actor="t")
        register.add_officer(firm_id, f"{firm_id}-RO", "responsible_officer", actor="t")
        register.record_fit_and_proper(
            firm_id, f"{firm_id}-RO", "passed", checked_on=date(2026, 1, 15), actor="t"
        )
        paid_up = Decimal("10000000") if kind == "custodian" else Decimal("5000000")
        register.record_capital(
            firm_id,
            paid_up_hkd=paid_up,
            liquid_hkd=Decimal("3000000"),
            as_of=date(2026, 3, 31),
            actor="t",
        )
    register.register_wallet("FIRM-SELF", "bitcoin", btc_address("firm-hot-btc"), actor="t")
    register.register_wallet("FIRM-SELF", "ethereum", eth_address("firm-hot-eth"), actor="t")
    register.register_wallet("FIRM-PEER", "bitcoin", btc_address("peer-btc"), actor="t")

    onboarding.register_client("C-BIZ", "business", actor="t")
    onboarding.set_cdd_status("C-BIZ", "verified", actor="t", verified_on=date(2026, 2, 1))
    onboarding.register_client("C-OCC", "occasional", actor="t")
    onboarding.register_client("C-OCC2", "occasional", actor="t")
    world.prove("C-BIZ", "bitcoin", "biz-btc")
    world.prove("C-BIZ", "ethereum", "biz-eth")
    world.prove("C-OCC", "bitcoin", "occ-btc")
    world.prove("C-OCC2", "bitcoin", "occ-btc")  # same wallet used by two clients
    return world


@pytest.fixture
def world() -> World:
    return build_world()
