"""Demo data for the VA-dealing desk: "Harbour OTC", the demo bank's virtual-asset dealer.

Everything goes through the desk's use cases (so the ledger shows it): five firms in the
licence register (licensed, licensed with conditions, a custodian, suspended, applied),
five clients in different CDD states with wallets proven by a real Ethereum signature
(EIP-191) or a Bitcoin signed message and a micro-payment test, HKD rates with a named
source for the demo trading day (25 Nov 2026, 08:00-20:00 HKT, every 10 minutes), and a few
checked transactions that raise VA cases. Keys are derived from fixed labels: demo only.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

import coincurve

from dualtrack.bootstrap import Platform
from dualtrack.identifiers.crypto import eth_address_from_public_key, p2wpkh_address
from dualtrack.identity.domain import Actor
from dualtrack.vadealing.domain import BeneficialOwner, FxRate, ObservedTransfer
from dualtrack.vadealing.wallet_proof import sign_bitcoin_message, sign_eth_message

if TYPE_CHECKING:
    from dualtrack.vadealing.wiring import VaDesk

HKT = timezone(timedelta(hours=8))
DEMO_DAY = datetime(2026, 11, 25, tzinfo=HKT)
RATE_SOURCE = "HKMA indicative (demo)"
_PRICES = {"BTC": Decimal("702315.40"), "ETH": Decimal("24870.15")}


def demo_key(label: str) -> coincurve.PrivateKey:
    """A private key derived from a public label (demo data only, never for real funds)."""
    return coincurve.PrivateKey(hashlib.sha256(f"dualtrack-demo:{label}".encode()).digest())


def btc_address(label: str) -> str:
    """The native segwit address of a demo key."""
    return p2wpkh_address(demo_key(label).public_key.format(compressed=True))


def eth_address(label: str) -> str:
    """The EIP-55 address of a demo key."""
    return eth_address_from_public_key(demo_key(label).public_key.format(compressed=False))


def demo_time(hour: int, minute: int = 0) -> datetime:
    """A time on the demo trading day (HKT)."""
    return DEMO_DAY.replace(hour=hour, minute=minute)


def demo_rates() -> list[FxRate]:
    """BTC and ETH in HKD every 10 minutes, 08:00-20:00 HKT, plus one 2018 rate."""
    rates = []
    for step in range(73):
        at = demo_time(8) + timedelta(minutes=10 * step)
        drift = Decimal(1) + Decimal(step % 7 - 3) / Decimal(1000)
        for code, price in _PRICES.items():
            rates.append(FxRate(code, (price * drift).quantize(Decimal("0.01")), at, RATE_SOURCE))
    rates.append(
        FxRate("BTC", Decimal("58120.00"), datetime(2018, 6, 1, 9, 55, tzinfo=HKT), RATE_SOURCE)
    )
    return rates


def full_party(name: str, account: str) -> dict[str, str]:
    """A complete travel-rule party (name, account and a customer id)."""
    return {"name": name, "account": account, "customer_id": account.upper()}


def sample_transactions() -> dict[str, dict[str, object]]:
    """The demo's named transactions (also used by the docs and the tests)."""
    firm_btc = btc_address("harbour-otc-hot-btc")
    firm_eth = eth_address("harbour-otc-hot-eth")
    return {
        "clean-buy": {
            "tx_id": "demo-tx-0001",
            "client_id": "C-1001",
            "kind": "buy",
            "asset": "BTC",
            "quantity": "0.05",
            "at": demo_time(9, 5).isoformat(),
            "funding": "bank",
        },
        "cdd-8000": {
            "tx_id": "demo-tx-0002",
            "client_id": "C-1002",
            "kind": "transfer_out",
            "asset": "BTC",
            "quantity": "0.015",
            "at": demo_time(10, 5).isoformat(),
            "chain": "bitcoin",
            "client_wallet": btc_address("client-C-1002-btc"),
            "firm_wallet": firm_btc,
            "travel_rule": {
                "originator": full_party("Harbour OTC Ltd", "harbour-otc-omnibus"),
                "beneficiary": {"name": "LEE Ka Yan", "account": "c-1002-btc"},
                "originating_vasp": "harbour-otc",
            },
        },
        "travel-rule-missing": {
            "tx_id": "demo-tx-0003",
            "client_id": "C-1001",
            "kind": "transfer_out",
            "asset": "ETH",
            "quantity": "0.8",
            "at": demo_time(11, 15).isoformat(),
            "chain": "ethereum",
            "client_wallet": eth_address("client-C-1001-eth"),
            "firm_wallet": firm_eth,
            "travel_rule": {
                "originator": {"name": "Harbour OTC Ltd"},
                "beneficiary": {"name": "WONG Mei Ling"},
            },
        },
        "high-risk-buy": {
            "tx_id": "demo-tx-0004",
            "client_id": "C-1003",
            "kind": "buy",
            "asset": "ETH",
            "quantity": "3",
            "at": demo_time(13, 40).isoformat(),
            "funding": "bank",
        },
        "sanctioned-originator": {
            "tx_id": "demo-tx-0005",
            "client_id": "C-1005",
            "kind": "transfer_in",
            "asset": "BTC",
            "quantity": "0.004",
            "at": demo_time(15, 20).isoformat(),
            "chain": "bitcoin",
            "client_wallet": btc_address("client-C-1005-btc"),
            "firm_wallet": firm_btc,
            "travel_rule": {
                "originator": full_party("CHAN Tai Man", "ext-7781"),
                "beneficiary": full_party("Tidewater Trading Ltd", "c-1005"),
                "originating_vasp": "kowloon-vasp",
                "beneficiary_vasp": "harbour-otc",
            },
        },
        "historical-2018": {
            "tx_id": "demo-tx-2018-0001",
            "client_id": "C-1001",
            "kind": "buy",
            "asset": "BTC",
            "quantity": "0.1",
            "at": datetime(2018, 6, 1, 10, 0, tzinfo=HKT).isoformat(),
            "funding": "bank",
        },
    }


def seed(platform: Platform, desk: VaDesk) -> None:
    """Seed the desk (idempotent: nothing happens when the own firm is registered)."""
    from dualtrack.vadealing.wiring import OWN_FIRM_ID, parse_transaction

    if desk.firms.get(OWN_FIRM_ID) is not None:
        return
    carol = Actor.of(platform.identity.get_user("carol"))
    ana = Actor.of(platform.identity.get_user("ana"))
    register, onboarding = desk.register, desk.onboarding
    who = carol.username
    vetted = date(2026, 6, 1)

    def firm(
        firm_id: str,
        name: str,
        kind: str,
        *,
        capital: tuple[str, str],
        status: str = "licensed",
        conditions: tuple[str, ...] = (),
        wallets: tuple[tuple[str, str], ...] = (),
        authority: str = "SFC",
    ) -> None:
        register.register_firm(
            firm_id=firm_id,
            name=name,
            kind=kind,  # type: ignore[arg-type]
            authority=authority,  # type: ignore[arg-type]
            actor=who,
            status="applied" if status == "applied" else "licensed",
            conditions=conditions,
        )
        officer = f"{firm_id}-RO1"
        register.add_officer(firm_id, officer, "responsible_officer", actor=who)
        register.record_fit_and_proper(
            firm_id, officer, "passed", checked_on=vetted, actor=who, reference="demo F&P file"
        )
        register.record_capital(
            firm_id,
            paid_up_hkd=Decimal(capital[0]),
            liquid_hkd=Decimal(capital[1]),
            as_of=date(2026, 9, 30),
            actor=who,
        )
        for chain, address in wallets:
            register.register_wallet(firm_id, chain, address, actor=who, label="hot")  # type: ignore[arg-type]
        if status in ("licensed_with_conditions", "suspended"):
            register.change_status(firm_id, status, actor=who, conditions=conditions)  # type: ignore[arg-type]

    def clients() -> None:
        onboarding.register_client("C-1001", "business", actor=who)
        onboarding.set_cdd_status("C-1001", "verified", actor=who, verified_on=date(2026, 3, 2))
        eth = eth_address("client-C-1001-eth")
        challenge = onboarding.issue_wallet_challenge("C-1001", "ethereum", eth, actor=who)
        signature = sign_eth_message(demo_key("client-C-1001-eth"), challenge.message)
        onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor=who)

        onboarding.register_client("C-1002", "occasional", actor=who)  # CDD pending
        test = onboarding.issue_micro_payment_test(
            "C-1002",
            "bitcoin",
            btc_address("client-C-1002-btc"),
            asset="BTC",
            firm_wallet=btc_address("harbour-otc-hot-btc"),
            actor=who,
        )
        onboarding.record_micro_payment(
            test.test_id,
            ObservedTransfer(
                chain="bitcoin",
                tx_hash="demo-" + hashlib.sha256(test.test_id.encode()).hexdigest()[:59],
                from_address=test.address,
                to_address=test.firm_wallet,
                asset="BTC",
                quantity=test.expected_quantity,
                observed_at=desk.clock.now(),
            ),
            actor=who,
        )

        onboarding.register_client("C-1003", "business", actor=who)
        onboarding.set_cdd_status("C-1003", "high_risk", actor=who)

        onboarding.register_client("C-1004", "business", actor=who)
        onboarding.set_cdd_status(
            "C-1004",
            "verified",
            actor=who,
            verified_on=date(2024, 5, 2),
            review_due=date(2026, 5, 2),
        )

        onboarding.register_client("C-1005", "business", actor=who)
        onboarding.set_cdd_status(
            "C-1005", "enhanced_due_diligence", actor=who, verified_on=date(2026, 4, 20)
        )
        onboarding.record_beneficial_owners(
            "C-1005",
            [
                BeneficialOwner("BO-1005-A", Decimal(40)),
                BeneficialOwner("BO-1005-B", Decimal(30)),
                BeneficialOwner("BO-1005-C", Decimal(20)),
            ],
            actor=who,
        )
        btc = btc_address("client-C-1005-btc")
        challenge = onboarding.issue_wallet_challenge("C-1005", "bitcoin", btc, actor=who)
        signature = sign_bitcoin_message(
            demo_key("client-C-1005-btc"), challenge.message, kind="p2wpkh"
        )
        onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor=who)

    def world() -> None:
        firm(
            OWN_FIRM_ID,
            "Harbour OTC Ltd",
            "dealer",
            capital=("6000000", "3500000"),
            wallets=(
                ("bitcoin", btc_address("harbour-otc-hot-btc")),
                ("ethereum", eth_address("harbour-otc-hot-eth")),
            ),
        )
        firm(
            "kowloon-vasp",
            "Kowloon Digital Assets Ltd",
            "dealer",
            capital=("5200000", "3100000"),
            status="licensed_with_conditions",
            conditions=("professional investors only",),
            wallets=(("bitcoin", btc_address("kowloon-vasp-btc")),),
        )
        firm(
            "lantau-custody",
            "Lantau Custody Ltd",
            "custodian",
            capital=("12000000", "0"),
            authority="HKMA",
        )
        firm(
            "tsuen-otc",
            "Tsuen Wan OTC Ltd",
            "dealer",
            capital=("5000000", "3000000"),
            status="suspended",
            wallets=(("bitcoin", btc_address("tsuen-otc-btc")),),
        )
        firm(
            "sai-kung-digital",
            "Sai Kung Digital Ltd",
            "dealer",
            capital=("4000000", "2000000"),
            status="applied",
        )
        clients()
        for rate in demo_rates():
            desk.fx.add(rate)
        desk.sink.record(
            actor=who,
            action="va.fx_rates_recorded",
            subject_type="va_fx_rate",
            subject_id="BTC,ETH",
            payload={"source": RATE_SOURCE, "count": len(demo_rates()), "day": "2026-11-25"},
        )

    desk.run(world)
    for tx in sample_transactions().values():
        desk.check(ana, parse_transaction(tx))


__all__ = [
    "DEMO_DAY",
    "RATE_SOURCE",
    "btc_address",
    "demo_key",
    "demo_rates",
    "eth_address",
    "sample_transactions",
    "seed",
]
