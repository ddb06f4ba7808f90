"""Seeded generator of the labelled VA-dealing evaluation stream.

Writes ``world.json`` (firms, clients, wallets with real ownership signatures made with
keys derived from the seed, FX rates every 10 minutes, wallet risk scores) and
``stream.jsonl`` (time-ordered transactions, each labelled with the rules that must fire
and the expected decision) next to this file.

Labels come from the scenario design, not from running the engine: every scenario uses its
own clients and wallets, and the background traffic is shaped so that it cannot trip any
rule (amounts outside the structuring bands, at most 10 transactions per client per 24h,
buys and sells in different assets, deposits and withdrawals on different wallets).

Run: ``python data/vadealing/generate_stream.py [--seed N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import coincurve

from dualtrack.identifiers.crypto import (
    eth_address_from_public_key,
    p2pkh_address,
    p2wpkh_address,
    to_eip55,
)
from dualtrack.vadealing.controls import load_control_set
from dualtrack.vadealing.domain import TravelRuleData, TravelRuleParty, VaTransaction
from dualtrack.vadealing.evaluation import OWN_FIRM_ID, tx_to_json
from dualtrack.vadealing.memory import (
    FixedClock,
    InMemoryClientRepository,
    InMemoryFirmRepository,
    InMemoryProofChallengeStore,
)
from dualtrack.vadealing.service import ClientOnboardingService, LicenceRegisterService
from dualtrack.vadealing.wallet_proof import sign_bitcoin_message, sign_eth_message

DEFAULT_SEED = 20261125
START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 4
RATE_STEP = timedelta(minutes=10)
NAMES = [
    "Chan Tai Man",
    "Wong Siu Ming",
    "Lee Ka Yan",
    "Cheung Wai Kit",
    "Lam Mei Ling",
    "Ho Chun Hei",
    "Ng Sze Wan",
    "陳大文",
    "黃小明",
    "Tsang Hoi Yan",
]
CENT = Decimal("0.01")
SAT = Decimal("0.00000001")


@dataclass
class Wallet:
    chain: str
    address: str
    label: str
    proof: str  # "signed" | "micro" | "none"


@dataclass
class ClientSpec:
    client_id: str
    relationship: str
    cdd_status: str
    name: str
    wallets: list[Wallet] = field(default_factory=list)


class Generator:
    """Holds the seeded state and the scratch services used to build real proofs."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.clients: list[ClientSpec] = []
        self.records: list[dict[str, Any]] = []
        self.risk: list[dict[str, Any]] = []
        self.rates: dict[str, list[tuple[datetime, Decimal]]] = {}
        self._counter = 0
        self._build_rates()
        self.firm_btc = self.btc("firm-hot-btc", segwit=True)
        self.firm_eth = self.eth("firm-hot-eth")
        self.peer_btc = self.btc("peer-btc")
        self.susp_btc = self.btc("susp-btc")

    # ------------------------------------------------------------------ keys and addresses

    def key(self, label: str) -> coincurve.PrivateKey:
        return coincurve.PrivateKey(hashlib.sha256(f"{self.seed}:{label}".encode()).digest())

    def btc(self, label: str, *, segwit: bool = False) -> str:
        public = self.key(label).public_key.format(compressed=True)
        return p2wpkh_address(public) if segwit else p2pkh_address(public)

    def eth(self, label: str) -> str:
        return eth_address_from_public_key(self.key(label).public_key.format(compressed=False))

    def nonce(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    # ------------------------------------------------------------------ rates

    def _build_rates(self) -> None:
        prices = {"BTC": Decimal("700000"), "ETH": Decimal("25000")}
        t = START - RATE_STEP
        while t <= START + timedelta(days=DAYS):
            for code in ("BTC", "ETH"):
                step = Decimal(str(round(self.rng.uniform(-0.002, 0.002), 6)))
                prices[code] = (prices[code] * (1 + step)).quantize(CENT)
                self.rates.setdefault(code, []).append((t, prices[code]))
            self.rates.setdefault("USDT", []).append((t, Decimal("7.80")))
            self.rates.setdefault("HKDS", []).append((t, Decimal("1")))
            t += RATE_STEP
        # An allow-listed token whose feed stopped, and one whose feed has not started.
        self.rates["SOLX"] = [(START - RATE_STEP, Decimal("1200"))]
        self.rates["NEWT"] = [(START + timedelta(days=DAYS, hours=1), Decimal("50"))]

    def rate_at(self, code: str, at: datetime) -> Decimal:
        best = None
        for when, price in self.rates[code]:
            if when <= at:
                best = price
        assert best is not None, code
        return best

    def qty_for(self, code: str, hkd: Decimal, at: datetime) -> Decimal:
        if code in ("HKDS",):
            return hkd.quantize(CENT)
        return (hkd / self.rate_at(code, at)).quantize(SAT)

    # ------------------------------------------------------------------ clients

    def client(
        self, prefix: str, relationship: str = "business", cdd: str = "verified"
    ) -> ClientSpec:
        self._counter += 1
        spec = ClientSpec(
            client_id=f"{prefix}-{self._counter:03d}",
            relationship=relationship,
            cdd_status=cdd,
            name=self.rng.choice(NAMES),
        )
        self.clients.append(spec)
        return spec

    def wallet(
        self, client: ClientSpec, chain: str, proof: str = "signed", shared: Wallet | None = None
    ) -> Wallet:
        if shared is not None:
            wallet = Wallet(shared.chain, shared.address, shared.label, proof)
        else:
            label = f"{client.client_id}-{chain}-{len(client.wallets)}"
            address = (
                self.btc(label, segwit=self.rng.random() < 0.5)
                if chain == "bitcoin"
                else self.eth(label)
            )
            wallet = Wallet(chain, address, label, proof)
        client.wallets.append(wallet)
        return wallet

    # ------------------------------------------------------------------ transactions

    def travel(self, client: ClientSpec, account: str, *, kind: str) -> TravelRuleData:
        me = TravelRuleParty(name=client.name, account=account, customer_id=client.client_id)
        firm = TravelRuleParty(name=client.name, account=f"{OWN_FIRM_ID}:{client.client_id}")
        if kind == "transfer_in":
            return TravelRuleData(originator=me, beneficiary=firm, beneficiary_vasp=OWN_FIRM_ID)
        return TravelRuleData(
            originator=TravelRuleParty(
                name=client.name,
                account=f"{OWN_FIRM_ID}:{client.client_id}",
                customer_id=client.client_id,
            ),
            beneficiary=TravelRuleParty(name=client.name, account=account),
            originating_vasp=OWN_FIRM_ID,
        )

    def emit(self, scenario: str, rules: list[str], decision: str, tx: VaTransaction) -> None:
        self.records.append(
            {
                "scenario": scenario,
                "expected_rules": sorted(rules),
                "expected_decision": decision,
                "tx": tx,
            }
        )

    def trade(
        self,
        client: ClientSpec,
        kind: str,
        asset: str,
        hkd: Decimal,
        at: datetime,
        *,
        qty: Decimal | None = None,
    ) -> VaTransaction:
        return VaTransaction(
            tx_id="",
            client_id=client.client_id,
            kind=kind,
            asset=asset,  # type: ignore[arg-type]
            quantity=qty if qty is not None else self.qty_for(asset, hkd, at),
            at=at,
            funding="bank",
        )

    def transfer(
        self,
        client: ClientSpec,
        kind: str,
        wallet: Wallet | str,
        asset: str,
        hkd: Decimal,
        at: datetime,
        *,
        chain: str | None = None,
        qty: Decimal | None = None,
        travel: TravelRuleData | str | None = "full",
        firm_wallet: str | None = None,
        counterparty: str | None = None,
    ) -> VaTransaction:
        address = wallet.address if isinstance(wallet, Wallet) else wallet
        chain = chain or (wallet.chain if isinstance(wallet, Wallet) else "bitcoin")
        if travel == "full":
            travel = self.travel(client, address, kind=kind)
        return VaTransaction(
            tx_id="",
            client_id=client.client_id,
            kind=kind,
            asset=asset,  # type: ignore[arg-type]
            quantity=qty if qty is not None else self.qty_for(asset, hkd, at),
            at=at,
            chain=chain,  # type: ignore[arg-type]
            client_wallet=address,
            firm_wallet=firm_wallet or (self.firm_btc if chain == "bitcoin" else self.firm_eth),
            counterparty_firm_id=counterparty,
            travel_rule=travel if not isinstance(travel, str) else None,
        )

    def slot(self) -> datetime:
        """A scenario start time leaving a day of rate coverage after it."""
        minutes = self.rng.randrange(60, (DAYS - 1) * 24 * 60)
        return START + timedelta(minutes=minutes)


# ====================================================================== scenarios

H = timedelta(hours=1)


def scenarios(g: Generator) -> None:
    d = Decimal

    c = g.client("C-S01")
    g.emit("clean_buy", [], "allow", g.trade(c, "buy", "BTC", d(20000), g.slot()))

    c = g.client("C-S02")
    w = g.wallet(c, "ethereum")
    g.emit(
        "clean_transfer_out",
        [],
        "allow",
        g.transfer(c, "transfer_out", w, "ETH", d(25000), g.slot()),
    )

    c = g.client("C-S03")
    w = g.wallet(c, "bitcoin", proof="micro")
    g.emit(
        "clean_micro_payment_wallet",
        [],
        "allow",
        g.transfer(c, "transfer_out", w, "BTC", d(15000), g.slot()),
    )

    c = g.client("C-S04", "occasional", "pending")
    w = g.wallet(c, "bitcoin")
    g.emit(
        "cdd_va_transfer_single",
        ["cdd_occasional_va_transfer"],
        "hold",
        g.transfer(c, "transfer_out", w, "BTC", d(g.rng.randrange(8100, 60000)), g.slot()),
    )

    c = g.client("C-S05", "occasional", "pending")
    w = g.wallet(c, "ethereum")
    g.emit(
        "cdd_va_transfer_boundary_below",
        [],
        "allow",
        g.transfer(c, "transfer_out", w, "HKDS", d("7999.99"), g.slot()),
    )

    c = g.client("C-S06", "occasional", "pending")
    w = g.wallet(c, "ethereum")
    g.emit(
        "cdd_va_transfer_boundary_at",
        ["cdd_occasional_va_transfer"],
        "hold",
        g.transfer(c, "transfer_out", w, "HKDS", d("8000.00"), g.slot()),
    )

    c = g.client("C-S07", "occasional", "pending")
    w = g.wallet(c, "bitcoin")
    t = g.slot()
    # Each amount stays below the structuring band (7,200-7,999.99); together >= 8,000.
    first = g.rng.randrange(4100, 6900)
    second = g.rng.randrange(max(8050 - first, 1000), 7100)
    g.emit(
        "cdd_linked_same_client", [], "allow", g.transfer(c, "transfer_out", w, "BTC", d(first), t)
    )
    g.emit(
        "cdd_linked_same_client",
        ["cdd_occasional_va_transfer"],
        "hold",
        g.transfer(c, "transfer_out", w, "BTC", d(second), t + g.rng.randrange(1, 24) * H),
    )

    a = g.client("C-S08", "occasional", "pending")
    b = g.client("C-S08", "occasional", "pending")
    w = g.wallet(a, "bitcoin")
    g.wallet(b, "bitcoin", shared=w)
    t = g.slot()
    g.emit(
        "cdd_linked_same_wallet", [], "allow", g.transfer(a, "transfer_out", w, "BTC", d(5000), t)
    )
    g.emit(
        "cdd_linked_same_wallet",
        ["cdd_occasional_va_transfer"],
        "hold",
        g.transfer(b, "transfer_out", w, "BTC", d(4000), t + 2 * H),
    )

    c = g.client("C-S09", "occasional", "pending")
    g.emit(
        "cdd_occasional_trade",
        ["cdd_occasional_transaction"],
        "hold",
        g.trade(c, "buy", "ETH", d(g.rng.randrange(121000, 500000)), g.slot()),
    )

    c = g.client("C-S10", "occasional", "pending")
    t = g.slot()
    first = g.rng.randrange(50000, 100000)
    g.emit("cdd_occasional_trade_linked", [], "allow", g.trade(c, "buy", "BTC", d(first), t))
    g.emit(
        "cdd_occasional_trade_linked",
        ["cdd_occasional_transaction"],
        "hold",
        g.trade(c, "buy", "ETH", d(g.rng.randrange(120100 - first, 100000)), t + 5 * H),
    )

    c = g.client("C-S11", "occasional", "pending")
    g.emit(
        "cdd_trade_boundary_below", [], "allow", g.trade(c, "buy", "HKDS", d("119999.99"), g.slot())
    )
    c = g.client("C-S11", "occasional", "pending")
    g.emit(
        "cdd_trade_boundary_at",
        ["cdd_occasional_transaction"],
        "hold",
        g.trade(c, "buy", "HKDS", d("120000.00"), g.slot()),
    )

    c = g.client("C-S12", "business", "pending")
    g.emit(
        "cdd_business_pending",
        ["cdd_business_relationship"],
        "hold",
        g.trade(c, "buy", "BTC", d(10000), g.slot()),
    )

    c = g.client("C-S13", "business", "high_risk")
    g.emit(
        "cdd_high_risk", ["cdd_high_risk_edd"], "hold", g.trade(c, "buy", "BTC", d(10000), g.slot())
    )

    c = g.client("C-S14")
    w = g.wallet(c, "ethereum")
    partial = TravelRuleData(
        originator=TravelRuleParty(name=c.name, account="acct", customer_id=c.client_id),
        beneficiary=TravelRuleParty(name=c.name),
    )
    g.emit(
        "travel_rule_outgoing_incomplete",
        ["travel_rule_outgoing"],
        "hold",
        g.transfer(c, "transfer_out", w, "ETH", d(20000), g.slot(), travel=partial),
    )

    c = g.client("C-S15")
    w = g.wallet(c, "bitcoin")
    g.emit(
        "travel_rule_incoming_missing",
        ["travel_rule_incoming"],
        "hold",
        g.transfer(c, "transfer_in", w, "BTC", d(20000), g.slot(), travel=None),
    )

    c = g.client("C-S16")
    w = g.wallet(c, "ethereum")
    bad = TravelRuleData(
        originator=TravelRuleParty(name=c.name + "\u202e", account="acct", customer_id=c.client_id),
        beneficiary=TravelRuleParty(name=c.name, account=w.address),
    )
    g.emit(
        "travel_rule_control_characters",
        ["travel_rule_data_quality"],
        "hold",
        g.transfer(c, "transfer_out", w, "ETH", d(20000), g.slot(), travel=bad),
    )

    c = g.client("C-S17")
    w = g.wallet(c, "ethereum")
    g.emit(
        "firm_wallet_unregistered",
        ["firm_wallet_registered"],
        "block",
        g.transfer(c, "transfer_out", w, "ETH", d(20000), g.slot(), firm_wallet=g.eth("rogue")),
    )

    c = g.client("C-S18")
    w = g.wallet(c, "ethereum", proof="none")
    g.emit(
        "client_wallet_unproven_out",
        ["client_wallet_proven_outgoing"],
        "block",
        g.transfer(c, "transfer_out", w, "ETH", d(20000), g.slot()),
    )

    c = g.client("C-S19")
    w = g.wallet(c, "bitcoin", proof="none")
    g.emit(
        "client_wallet_unproven_in",
        ["client_wallet_proven_incoming"],
        "hold",
        g.transfer(c, "transfer_in", w, "BTC", d(20000), g.slot()),
    )

    c = g.client("C-S20")
    g.emit(
        "counterparty_licensed",
        [],
        "allow",
        g.transfer(
            c, "transfer_out", g.peer_btc, "BTC", d(20000), g.slot(), counterparty="FIRM-PEER"
        ),
    )
    c = g.client("C-S21")
    g.emit(
        "counterparty_suspended",
        ["counterparty_vasp"],
        "block",
        g.transfer(
            c, "transfer_out", g.susp_btc, "BTC", d(20000), g.slot(), counterparty="FIRM-SUSP"
        ),
    )
    c = g.client("C-S22")
    g.emit(
        "counterparty_wallet_not_registered",
        ["counterparty_vasp"],
        "block",
        g.transfer(
            c,
            "transfer_out",
            g.btc("peer-unregistered"),
            "BTC",
            d(20000),
            g.slot(),
            counterparty="FIRM-PEER",
        ),
    )

    c = g.client("C-S23")
    g.emit(
        "asset_not_allowed",
        ["asset_allow_list"],
        "block",
        g.trade(c, "buy", "USDT", d(10000), g.slot()),
    )

    for prefix, score, decision in (("C-S24", 90, "block"), ("C-S25", 60, "hold")):
        c = g.client(prefix)
        w = g.wallet(c, "ethereum")
        g.risk.append(
            {
                "chain": "ethereum",
                "address": w.address,
                "score": score,
                "provider": "synthetic-analytics",
            }
        )
        g.emit(
            f"wallet_screening_{decision}",
            ["wallet_screening"],
            decision,
            g.transfer(c, "transfer_out", w, "ETH", d(20000), g.slot()),
        )

    c = g.client("C-S26")
    w = g.wallet(c, "ethereum")
    t = g.slot()
    for i, amount in enumerate(g.rng.randrange(7250, 7950) for _ in range(3)):
        rules = ["structuring"] if i == 2 else []
        g.emit(
            "structuring",
            rules,
            "hold" if rules else "allow",
            g.transfer(c, "transfer_out", w, "ETH", d(amount), t + i * H),
        )

    c = g.client("C-S27")
    t = g.slot()
    for i in range(13):
        rules = ["velocity"] if i == 12 else []
        g.emit(
            "velocity_count",
            rules,
            "hold" if rules else "allow",
            g.trade(c, "buy", "BTC", d(2000), t + i * timedelta(minutes=30)),
        )

    c = g.client("C-S28")
    t = g.slot()
    for i, amount in enumerate((900000, 900000, 300000)):
        rules = ["velocity"] if i == 2 else []
        g.emit(
            "velocity_value",
            rules,
            "hold" if rules else "allow",
            g.trade(c, "buy", "BTC", d(amount), t + i * 2 * H),
        )

    c = g.client("C-S29")
    w = g.wallet(c, "ethereum")
    t = g.slot()
    g.emit(
        "round_trip_wallet",
        [],
        "allow",
        g.transfer(c, "transfer_out", w, "ETH", d(0), t, qty=d("1.0")),
    )
    g.emit(
        "round_trip_wallet",
        ["round_tripping"],
        "hold",
        g.transfer(c, "transfer_in", w, "ETH", d(0), t + 6 * H, qty=d("0.98")),
    )

    c = g.client("C-S30")
    t = g.slot()
    g.emit("round_trip_trade", [], "allow", g.trade(c, "buy", "ETH", d(0), t, qty=d("2.0")))
    g.emit(
        "round_trip_trade",
        ["round_tripping"],
        "hold",
        g.trade(c, "sell", "ETH", d(0), t + 3 * H, qty=d("1.95")),
    )

    c = g.client("C-S31")
    g.emit(
        "unknown_currency",
        ["asset_allow_list", "hkd_valuation"],
        "block",
        g.trade(c, "buy", "XYZ", d(0), g.slot(), qty=d(100)),
    )
    c = g.client("C-S32")
    g.emit(
        "stale_rate",
        ["hkd_valuation"],
        "hold",
        g.trade(c, "buy", "SOLX", d(0), START + timedelta(days=1), qty=d(10)),
    )
    c = g.client("C-S33")
    g.emit(
        "no_rate_yet",
        ["hkd_valuation"],
        "hold",
        g.trade(c, "buy", "NEWT", d(0), g.slot(), qty=d(10)),
    )

    c = g.client("C-S34")
    w = g.wallet(c, "ethereum")
    body = w.address[2:]
    i = next(i for i, ch in enumerate(body) if ch.isalpha())
    flipped = "0x" + body[:i] + body[i].swapcase() + body[i + 1 :]
    assert to_eip55(flipped) != flipped
    g.emit(
        "bad_checksum_eth",
        ["address_checksum"],
        "block",
        g.transfer(c, "transfer_out", flipped, "ETH", d(20000), g.slot(), chain="ethereum"),
    )

    c = g.client("C-S35")
    legacy = g.btc("C-S35-legacy")
    broken = legacy[:-1] + ("2" if legacy[-1] != "2" else "3")
    g.emit(
        "bad_checksum_btc",
        ["address_checksum"],
        "block",
        g.transfer(c, "transfer_out", broken, "BTC", d(20000), g.slot(), chain="bitcoin"),
    )


def background(g: Generator, clients: int = 40) -> None:
    """Clean traffic shaped so that no rule can fire (see the module docstring)."""
    end = START + timedelta(days=DAYS) - H
    for _ in range(clients):
        c = g.client("C-BG")
        eth_w = g.wallet(c, "ethereum")
        btc_w = g.wallet(c, "bitcoin")
        t = START + timedelta(minutes=g.rng.randrange(30, 600))
        while t < end:
            roll = g.rng.random()
            hkd = Decimal(g.rng.randrange(10000, 60000))
            if roll < 0.4:
                tx = g.trade(c, "buy", "BTC", Decimal(g.rng.randrange(1000, 60000)), t)
            elif roll < 0.55:
                tx = g.trade(c, "sell", "ETH", hkd, t)
            elif roll < 0.8:
                tx = g.transfer(c, "transfer_out", eth_w, "ETH", hkd, t)
            else:
                tx = g.transfer(c, "transfer_in", btc_w, "BTC", hkd, t)
            g.emit("background", [], "allow", tx)
            t += timedelta(minutes=g.rng.randrange(150, 720))


# ====================================================================== output


def build_world_spec(g: Generator) -> dict[str, Any]:
    """The world JSON, with real proofs made through the onboarding service."""
    controls = load_control_set()
    clock = FixedClock(START)
    firms = InMemoryFirmRepository()
    register = LicenceRegisterService(firms, controls, clock=clock)
    register.register_firm(
        firm_id=OWN_FIRM_ID,
        name="Own Dealer Ltd",
        kind="dealer",
        authority="SFC",
        actor="gen",
        status="licensed",
    )
    register.register_wallet(OWN_FIRM_ID, "bitcoin", g.firm_btc, actor="gen")
    register.register_wallet(OWN_FIRM_ID, "ethereum", g.firm_eth, actor="gen")
    pending: list[str] = []
    onboarding = ClientOnboardingService(
        InMemoryClientRepository(),
        firms,
        InMemoryProofChallengeStore(),
        controls,
        own_firm_id=OWN_FIRM_ID,
        clock=clock,
        nonce_factory=lambda: pending.pop(0),
    )

    def officer(fid: str) -> list[dict[str, str]]:
        return [
            {
                "officer_id": f"{fid}-RO1",
                "role": "responsible_officer",
                "outcome": "passed",
                "checked_on": "2026-01-10",
            }
        ]

    def firm(
        fid: str, kind: str, path: list[str], wallets: list[tuple[str, str]], paid: str, liquid: str
    ) -> dict[str, Any]:
        return {
            "firm_id": fid,
            "name": f"{fid} Ltd",
            "kind": kind,
            "authority": "SFC",
            "status_path": path,
            "officers": officer(fid),
            "paid_up_hkd": paid,
            "liquid_hkd": liquid,
            "capital_as_of": "2026-03-31",
            "wallets": [{"chain": ch, "address": a} for ch, a in wallets],
        }

    clients_out = []
    for c in g.clients:
        onboarding.register_client(c.client_id, c.relationship, actor="gen")
        wallets = []
        for w in c.wallets:
            entry: dict[str, Any] = {"chain": w.chain, "address": w.address}
            if w.proof == "signed":
                nonce = g.nonce()
                pending.append(nonce)
                ch = onboarding.issue_wallet_challenge(
                    c.client_id,
                    w.chain,
                    w.address,  # type: ignore[arg-type]
                    actor="gen",
                )
                key = g.key(w.label)
                sig = (
                    sign_bitcoin_message(
                        key, ch.message, kind="p2wpkh" if w.address.startswith("bc1") else "p2pkh"
                    )
                    if w.chain == "bitcoin"
                    else sign_eth_message(key, ch.message)
                )
                entry["proof"] = {"method": "signed_message", "nonce": nonce, "signature": sig}
            elif w.proof == "micro":
                nonce = g.nonce()
                pending.append(nonce)
                firm_wallet = g.firm_btc if w.chain == "bitcoin" else g.firm_eth
                test = onboarding.issue_micro_payment_test(
                    c.client_id,
                    w.chain,
                    w.address,
                    asset="BTC" if w.chain == "bitcoin" else "ETH",  # type: ignore[arg-type]
                    firm_wallet=firm_wallet,
                    actor="gen",
                )
                entry["proof"] = {
                    "method": "micro_payment",
                    "nonce": nonce,
                    "asset": test.asset,
                    "firm_wallet": firm_wallet,
                    "quantity": str(test.expected_quantity),
                    "tx_hash": hashlib.sha256(nonce.encode()).hexdigest(),
                }
            wallets.append(entry)
        clients_out.append(
            {
                "client_id": c.client_id,
                "relationship": c.relationship,
                "cdd_status": c.cdd_status,
                "verified_on": "2026-02-01"
                if c.cdd_status in ("verified", "enhanced_due_diligence", "high_risk")
                else None,
                "wallets": wallets,
            }
        )

    rates = [
        {
            "currency": code,
            "hkd_per_unit": str(price),
            "as_of": when.isoformat(),
            "source": "synthetic-feed" if code in ("BTC", "ETH") else "synthetic-fixed",
        }
        for code, series in sorted(g.rates.items())
        for when, price in series
    ]
    return {
        "seed": g.seed,
        "start": START.isoformat(),
        "firms": [
            firm(
                OWN_FIRM_ID,
                "dealer",
                ["licensed"],
                [("bitcoin", g.firm_btc), ("ethereum", g.firm_eth)],
                "6000000",
                "3500000",
            ),
            firm(
                "FIRM-PEER", "dealer", ["licensed"], [("bitcoin", g.peer_btc)], "5000000", "3000000"
            ),
            firm(
                "FIRM-SUSP", "dealer", ["licensed"], [("bitcoin", g.susp_btc)], "5000000", "3000000"
            ),
            firm("CUST-A", "custodian", ["licensed"], [], "12000000", "0"),
        ],
        "status_changes": [{"firm_id": "FIRM-SUSP", "status": "suspended"}],
        "clients": clients_out,
        "fx_rates": rates,
        "address_risk": g.risk,
        "extra_assets": [
            {
                "asset": "HKDS",
                "category": "stablecoin",
                "basis": "synthetic stablecoin of a fictional HKMA-licensed issuer",
                "issuer": "ISSUER-1",
            },
            {"asset": "SOLX", "category": "token", "basis": "synthetic token (feed stopped)"},
            {"asset": "NEWT", "category": "token", "basis": "synthetic token (feed not started)"},
        ],
    }


def generate(seed: int, out: Path, *, repeats: int = 3) -> tuple[int, int]:
    g = Generator(seed)
    for _ in range(repeats):
        scenarios(g)
    background(g)
    world = build_world_spec(g)
    g.records.sort(key=lambda r: (r["tx"].at, r["scenario"]))
    lines = []
    for n, record in enumerate(g.records):
        tx = record["tx"]
        data = tx_to_json(tx)
        data["tx_id"] = f"tx-{n:05d}"
        lines.append(
            json.dumps(
                {
                    "scenario": record["scenario"],
                    "expected_rules": record["expected_rules"],
                    "expected_decision": record["expected_decision"],
                    "tx": data,
                },
                sort_keys=True,
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "world.json").write_text(json.dumps(world, indent=1, sort_keys=True) + "\n", "utf-8")
    (out / "stream.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return len(world["clients"]), len(lines)


def main(argv: list[str] | None = None, *, writer: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args(argv)
    clients, records = generate(args.seed, args.out)
    writer(json.dumps({"seed": args.seed, "clients": clients, "records": records}))


if __name__ == "__main__":
    main()
