"""Transaction controls: each rule with its figure, near misses either side, and bad input."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dualtrack.errors import ConfigurationError
from dualtrack.vadealing.domain import (
    AddressRisk,
    TravelRuleData,
    TravelRuleParty,
    VaTransaction,
)
from dualtrack.vadealing.errors import ClientNotFound, InvalidTransaction

from .conftest import FULL_TRAVEL, T0, World, btc_address, build_world, eth_address


def transfer(world: World, tx_id: str, client: str, qty: str, **kw: Any) -> VaTransaction:
    """An ETH transfer out from the firm's hot wallet (0.32 ETH = HK$8,000)."""
    fields: dict[str, Any] = {
        "kind": "transfer_out",
        "asset": "ETH",
        "quantity": Decimal(qty),
        "chain": "ethereum",
        "firm_wallet": eth_address("firm-hot-eth"),
        "client_wallet": eth_address("biz-eth"),
        "travel_rule": FULL_TRAVEL,
    }
    fields.update(kw)
    return world.tx(tx_id, client, **fields)


def btc_transfer(world: World, tx_id: str, client: str, qty: str, **kw: Any) -> VaTransaction:
    fields: dict[str, Any] = {
        "kind": "transfer_out",
        "asset": "BTC",
        "quantity": Decimal(qty),
        "chain": "bitcoin",
        "firm_wallet": btc_address("firm-hot-btc"),
        "client_wallet": btc_address("occ-btc"),
        "travel_rule": FULL_TRAVEL,
    }
    fields.update(kw)
    return world.tx(tx_id, client, **fields)


def test_clean_transfer_is_allowed_with_value_and_rate_source(world: World) -> None:
    result = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1"))
    assert result.decision == "allow", result.hits
    assert result.hits == ()
    assert result.hkd_value == Decimal("25000.00")
    assert result.rate_source == "test-feed"
    assert result.rate_as_of == T0 - timedelta(minutes=1)
    assert "travel_rule_outgoing" in result.rules_evaluated
    assert result.to_dict()["hkd_value"] == "25000.00"


# ---------------------------------------------------------------- CDD thresholds


@pytest.mark.parametrize(
    ("qty", "fires"),
    [("0.31999", False), ("0.32", True), ("0.33", True)],  # HK$7,999.75 / 8,000 / 8,250
)
def test_occasional_va_transfer_cdd_threshold(world: World, qty: str, fires: bool) -> None:
    tx = transfer(world, "t1", "C-OCC", qty, chain="ethereum")
    world.prove("C-OCC", "ethereum", "occ-eth")
    tx = transfer(world, "t1", "C-OCC", qty, client_wallet=eth_address("occ-eth"))
    result = world.service.check_transaction(tx)
    assert ("cdd_occasional_va_transfer" in result.rule_ids) is fires
    assert result.decision == ("hold" if fires else "allow")
    if fires:
        hit = next(h for h in result.hits if h.rule_id == "cdd_occasional_va_transfer")
        assert hit.control_id == "VA-AML-03"
        assert "8,000" in hit.figure
        assert "S-AMLO" in hit.source


def test_linked_transfers_by_the_same_client_add_up(world: World) -> None:
    world.prove("C-OCC", "ethereum", "occ-eth")
    wallet = eth_address("occ-eth")
    first = world.service.check_transaction(
        transfer(world, "t1", "C-OCC", "0.2", client_wallet=wallet)
    )
    assert first.decision == "allow"
    later = world.advance(timedelta(hours=5))
    second = world.service.check_transaction(
        transfer(world, "t2", "C-OCC", "0.2", client_wallet=wallet, at=later)
    )
    assert "cdd_occasional_va_transfer" in second.rule_ids
    assert second.linked_total_hkd == Decimal("10000.00")


def test_linked_transfers_through_the_same_wallet_add_up_across_clients(world: World) -> None:
    # C-OCC and C-OCC2 both proved the same BTC wallet; HK$7,000 each.
    a = world.service.check_transaction(btc_transfer(world, "t1", "C-OCC", "0.01"))
    assert a.decision == "allow", a.hits
    b = world.service.check_transaction(btc_transfer(world, "t2", "C-OCC2", "0.01"))
    assert "cdd_occasional_va_transfer" in b.rule_ids


def test_linked_window_expires(world: World) -> None:
    world.service.check_transaction(btc_transfer(world, "t1", "C-OCC", "0.01"))
    later = world.advance(timedelta(hours=169))
    result = world.service.check_transaction(btc_transfer(world, "t2", "C-OCC", "0.01", at=later))
    assert "cdd_occasional_va_transfer" not in result.rule_ids


def test_blocked_transactions_are_not_counted_as_linked(world: World) -> None:
    blocked = world.service.check_transaction(
        btc_transfer(world, "t1", "C-OCC", "0.01", firm_wallet=btc_address("rogue"))
    )
    assert blocked.decision == "block"
    again = world.service.check_transaction(btc_transfer(world, "t2", "C-OCC", "0.01"))
    assert "cdd_occasional_va_transfer" not in again.rule_ids


@pytest.mark.parametrize(
    ("qty", "fires"),
    [("4.7999", False), ("4.8", True)],  # HK$119,997.50 / 120,000 in ETH
)
def test_occasional_transaction_threshold(world: World, qty: str, fires: bool) -> None:
    result = world.service.check_transaction(
        world.tx("b1", "C-OCC", kind="buy", asset="ETH", quantity=Decimal(qty))
    )
    assert ("cdd_occasional_transaction" in result.rule_ids) is fires
    assert "cdd_occasional_va_transfer" not in result.rule_ids


def test_verified_occasional_client_is_not_held(world: World) -> None:
    world.onboarding.set_cdd_status("C-OCC", "verified", actor="t", verified_on=T0.date())
    result = world.service.check_transaction(
        world.tx("b1", "C-OCC", kind="buy", asset="ETH", quantity=Decimal("10"))
    )
    assert result.decision == "allow", result.hits


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ("pending", "cdd_business_relationship"),
        ("expired", "cdd_business_relationship"),
        ("high_risk", "cdd_high_risk_edd"),
    ],
)
def test_business_client_without_cleared_cdd_is_held(world: World, status: str, rule: str) -> None:
    world.onboarding.set_cdd_status("C-BIZ", status, actor="t")  # type: ignore[arg-type]
    result = world.service.check_transaction(world.tx("b1"))
    assert result.decision == "hold"
    assert rule in result.rule_ids


def test_cdd_review_date_passed_counts_as_expired(world: World) -> None:
    world.onboarding.set_cdd_status(
        "C-BIZ",
        "verified",
        actor="t",
        verified_on=T0.date(),
        review_due=T0.date() - timedelta(days=1),
    )
    result = world.service.check_transaction(world.tx("b1"))
    assert "cdd_business_relationship" in result.rule_ids
    assert "expired" in result.hits[0].reason


def test_edd_completed_client_is_cleared(world: World) -> None:
    world.onboarding.set_cdd_status(
        "C-BIZ", "enhanced_due_diligence", actor="t", verified_on=T0.date()
    )
    assert world.service.check_transaction(world.tx("b1")).decision == "allow"


# ---------------------------------------------------------------- travel rule


def test_outgoing_transfer_with_partial_travel_rule_data_is_held(world: World) -> None:
    partial = TravelRuleData(
        originator=TravelRuleParty(name="Chan Tai Man", account="acct-1"),
        beneficiary=TravelRuleParty(name="Chan Tai Man"),
    )
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "1", travel_rule=partial)
    )
    hit = next(h for h in result.hits if h.rule_id == "travel_rule_outgoing")
    assert result.decision == "hold"
    assert hit.control_id == "VA-AML-07"
    assert "beneficiary.account" in hit.reason
    assert "originator.(" in hit.reason  # no address / ID / customer id / birth data
    assert "Chan" not in hit.reason


def test_below_threshold_needs_only_names_and_accounts(world: World) -> None:
    reduced = TravelRuleData(
        originator=TravelRuleParty(name="A", account="x"),
        beneficiary=TravelRuleParty(name="A", account="y"),
    )
    small = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "0.31999", travel_rule=reduced)
    )
    assert "travel_rule_outgoing" not in small.rule_ids
    big = world.service.check_transaction(
        transfer(world, "t2", "C-BIZ", "0.32", travel_rule=reduced)
    )
    assert "travel_rule_outgoing" in big.rule_ids


def test_missing_travel_rule_data_even_below_threshold_is_held(world: World) -> None:
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "0.01", travel_rule=None)
    )
    assert "travel_rule_outgoing" in result.rule_ids


def test_incoming_transfer_is_checked(world: World) -> None:
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "1", kind="transfer_in", travel_rule=None)
    )
    assert "travel_rule_incoming" in result.rule_ids
    assert "travel_rule_outgoing" not in result.rule_ids


@pytest.mark.parametrize(
    "name", ["Chan\x00Tai Man", "Chan\u202eTai", "Chan\nTai", "Chan\u200bTai", "x" * 141]
)
def test_travel_rule_names_with_control_characters_are_held(world: World, name: str) -> None:
    data = TravelRuleData(
        originator=TravelRuleParty(name=name, account="a", customer_id="c"),
        beneficiary=TravelRuleParty(name="B", account="b"),
    )
    result = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1", travel_rule=data))
    hit = next(h for h in result.hits if h.rule_id == "travel_rule_data_quality")
    assert result.decision == "hold"
    assert "originator.name" in hit.reason
    assert name not in hit.reason


def test_plain_chinese_name_is_fine(world: World) -> None:
    data = TravelRuleData(
        originator=TravelRuleParty(name="陳大文", account="a", customer_id="c"),
        beneficiary=TravelRuleParty(name="陳大文", account="b"),
    )
    result = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1", travel_rule=data))
    assert result.decision == "allow", result.hits


# ---------------------------------------------------------------- wallets


def test_bad_address_checksum_blocks(world: World) -> None:
    good = eth_address("biz-eth")
    flipped = good[:-1] + (good[-1].lower() if good[-1].isupper() else good[-1].upper())
    if flipped == good:  # last char is a digit: flip another letter
        i = next(i for i in range(2, 42) if good[i].isalpha())
        flipped = good[:i] + good[i].swapcase() + good[i + 1 :]
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "1", client_wallet=flipped)
    )
    assert result.decision == "block"
    assert "address_checksum" in result.rule_ids
    assert flipped not in " ".join(h.reason for h in result.hits)


def test_bad_btc_checksum_blocks(world: World) -> None:
    good = btc_address("occ-btc")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    result = world.service.check_transaction(
        btc_transfer(world, "t1", "C-OCC", "0.001", client_wallet=bad)
    )
    assert result.decision == "block"
    assert "address_checksum" in result.rule_ids


def test_firm_side_wallet_must_be_registered(world: World) -> None:
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "1", firm_wallet=eth_address("not-ours"))
    )
    assert result.decision == "block"
    assert result.rule_ids == ("firm_wallet_registered",)


def test_unproven_client_wallet_blocks_outgoing_and_holds_incoming(world: World) -> None:
    # The client's word alone: the wallet is whitelisted but never proven.
    wallet = eth_address("declared-only")
    world.onboarding.add_wallet("C-BIZ", "ethereum", wallet, actor="t")
    out = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1", client_wallet=wallet))
    assert out.decision == "block"
    assert "client_wallet_proven_outgoing" in out.rule_ids
    inc = world.service.check_transaction(
        transfer(world, "t2", "C-BIZ", "1", client_wallet=wallet, kind="transfer_in")
    )
    assert inc.decision == "hold"
    assert "client_wallet_proven_incoming" in inc.rule_ids


def test_unknown_client_wallet_blocks(world: World) -> None:
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "1", client_wallet=eth_address("stranger"))
    )
    assert "client_wallet_proven_outgoing" in result.rule_ids
    assert "whitelist" in result.hits[0].reason


@pytest.mark.parametrize(
    ("counterparty", "wallet_label", "allowed"),
    [
        ("FIRM-PEER", "peer-btc", True),
        ("FIRM-PEER", "not-peer", False),  # wallet not registered to the peer
        ("FIRM-GHOST", "peer-btc", False),  # not in the register
    ],
)
def test_transfer_to_another_vasp_uses_the_counterparty_check(
    world: World, counterparty: str, wallet_label: str, allowed: bool
) -> None:
    result = world.service.check_transaction(
        btc_transfer(
            world,
            "t1",
            "C-BIZ",
            "0.001",
            client_wallet=btc_address(wallet_label),
            counterparty_firm_id=counterparty,
        )
    )
    assert ("counterparty_vasp" not in result.rule_ids) is allowed
    assert "client_wallet_proven_outgoing" not in result.rule_ids


def test_suspended_counterparty_blocks(world: World) -> None:
    world.register.change_status("FIRM-PEER", "suspended", actor="t")
    result = world.service.check_transaction(
        btc_transfer(
            world,
            "t1",
            "C-BIZ",
            "0.001",
            client_wallet=btc_address("peer-btc"),
            counterparty_firm_id="FIRM-PEER",
        )
    )
    hit = next(h for h in result.hits if h.rule_id == "counterparty_vasp")
    assert "licence-suspended" in hit.reason
    assert result.decision == "block"


@pytest.mark.parametrize(("score", "decision"), [(49, "allow"), (50, "hold"), (80, "block")])
def test_wallet_screening_score_bands(world: World, score: int, decision: str) -> None:
    world.risk.set(
        "ethereum", eth_address("biz-eth"), AddressRisk(score, "fake-analytics", "mixer")
    )
    result = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1"))
    assert result.decision == decision


# ---------------------------------------------------------------- assets and valuation


@pytest.mark.parametrize(("asset", "allowed"), [("BTC", True), ("HKDS", True), ("USDT", False)])
def test_asset_allow_list(world: World, asset: str, allowed: bool) -> None:
    result = world.service.check_transaction(world.tx("b1", asset=asset, quantity=Decimal("1")))
    assert ("asset_allow_list" not in result.rule_ids) is allowed
    if not allowed:
        assert result.decision == "block"
        assert result.hits[0].control_id == "VA-OTC24-02"


def test_unknown_currency_is_held_not_passed(world: World) -> None:
    result = world.service.check_transaction(world.tx("b1", asset="DOGE", quantity=Decimal("1")))
    assert result.decision == "block"  # also off the allow-list
    hit = next(h for h in result.hits if h.rule_id == "hkd_valuation")
    assert hit.action == "hold"
    assert "unknown currency" in hit.reason
    assert result.hkd_value is None and result.rate_source is None


def test_allow_listed_asset_without_rate_is_held() -> None:
    world = build_world()
    world.clock.set(T0 - timedelta(hours=1))
    result = world.service.check_transaction(world.tx("b1", at=T0 - timedelta(hours=1)))
    assert result.decision == "hold"
    assert result.rule_ids == ("hkd_valuation",)
    assert "no rate" in result.hits[0].reason


def test_stale_rate_is_held(world: World) -> None:
    late = T0 + timedelta(minutes=20)
    result = world.service.check_transaction(world.tx("b1", at=late))
    assert result.rule_ids == ("hkd_valuation",)
    assert "older" in result.hits[0].reason


def test_unknown_value_requires_full_travel_rule_set(world: World) -> None:
    late = T0 + timedelta(minutes=20)
    reduced = TravelRuleData(
        originator=TravelRuleParty(name="A", account="x"),
        beneficiary=TravelRuleParty(name="A", account="y"),
    )
    result = world.service.check_transaction(
        transfer(world, "t1", "C-BIZ", "0.0001", travel_rule=reduced, at=late)
    )
    assert {"hkd_valuation", "travel_rule_outgoing"} <= set(result.rule_ids)


def test_hkd_is_valued_at_par(world: World) -> None:
    # HKD is not on the allow-list (it is not a VA), but valuation works.
    result = world.service.check_transaction(world.tx("b1", asset="HKD", quantity=Decimal("100")))
    assert result.hkd_value == Decimal("100.00")
    assert result.rate_source == "identity"


# ---------------------------------------------------------------- patterns


def test_structuring_just_under_threshold(world: World) -> None:
    # HK$7,500 three times within 72h (band 7,200-7,999.99), verified client.
    results = []
    for i in range(3):
        results.append(
            world.service.check_transaction(
                transfer(world, f"t{i}", "C-BIZ", "0.3", at=T0 + timedelta(minutes=i))
            )
        )
    assert [("structuring" in r.rule_ids) for r in results] == [False, False, True]
    hit = next(h for h in results[2].hits if h.rule_id == "structuring")
    assert hit.control_id == "VA-AML-03"


def test_amounts_below_the_band_are_not_structuring(world: World) -> None:
    for i in range(3):
        result = world.service.check_transaction(
            transfer(world, f"t{i}", "C-BIZ", "0.28", at=T0 + timedelta(minutes=i))  # HK$7,000
        )
    assert "structuring" not in result.rule_ids


def test_velocity_count(world: World) -> None:
    controls_max = world.controls.rule("velocity").integer("max_count")
    result = None
    for i in range(controls_max + 1):
        result = world.service.check_transaction(
            world.tx(f"b{i}", quantity=Decimal("0.0001"), at=T0 + timedelta(seconds=i))
        )
        if i < controls_max:
            assert "velocity" not in result.rule_ids
    assert result is not None and "velocity" in result.rule_ids


def test_velocity_value() -> None:
    world = build_world({"velocity": {"max_total_hkd": "100000"}})
    first = world.service.check_transaction(world.tx("b1", quantity=Decimal("0.1")))  # 70k
    second = world.service.check_transaction(world.tx("b2", quantity=Decimal("0.05")))  # 105k
    assert "velocity" not in first.rule_ids
    assert "velocity" in second.rule_ids


def test_round_trip_through_a_wallet(world: World) -> None:
    out = world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1"))
    assert out.decision == "allow"
    back = world.service.check_transaction(
        transfer(
            world, "t2", "C-BIZ", "0.98", kind="transfer_in", at=world.advance(timedelta(hours=2))
        )
    )
    assert "round_tripping" in back.rule_ids
    far = world.service.check_transaction(
        transfer(
            world, "t3", "C-BIZ", "0.5", kind="transfer_in", at=world.advance(timedelta(hours=1))
        )
    )
    assert "round_tripping" not in far.rule_ids


def test_round_trip_buy_then_sell(world: World) -> None:
    world.service.check_transaction(world.tx("b1", asset="ETH", quantity=Decimal("2")))
    sell = world.service.check_transaction(
        world.tx("s1", kind="sell", asset="ETH", quantity=Decimal("2"))
    )
    assert "round_tripping" in sell.rule_ids


# ---------------------------------------------------------------- bad input, config, audit


@pytest.mark.parametrize(
    "change",
    [
        {"tx_id": ""},
        {"tx_id": "t\x07"},
        {"at": datetime(2026, 6, 1, 9, 0)},
        {"quantity": Decimal("0")},
        {"quantity": Decimal("-1")},
        {"quantity": Decimal("NaN")},
        {"kind": "transfer_out", "chain": None},
    ],
)
def test_structurally_bad_transactions_raise(world: World, change: dict[str, Any]) -> None:
    tx = dataclasses.replace(world.tx("b1"), **change)
    with pytest.raises(InvalidTransaction):
        world.service.check_transaction(tx)


def test_unknown_client_raises(world: World) -> None:
    with pytest.raises(ClientNotFound):
        world.service.check_transaction(world.tx("b1", client_id="C-NOBODY"))


def test_valuation_rule_cannot_be_disabled() -> None:
    with pytest.raises(ConfigurationError):
        build_world({"hkd_valuation": {"enabled": False}})


def test_disabled_rule_does_not_fire() -> None:
    world = build_world({"asset_allow_list": {"enabled": False}})
    result = world.service.check_transaction(world.tx("b1", asset="USDT", quantity=Decimal("1")))
    assert "asset_allow_list" not in result.rule_ids
    assert "asset_allow_list" not in result.rules_evaluated


def test_override_moves_threshold() -> None:
    world = build_world({"cdd_occasional_va_transfer": {"threshold_hkd": "10000"}})
    result = world.service.check_transaction(
        btc_transfer(world, "t1", "C-OCC", "0.0125")  # HK$8,750
    )
    assert "cdd_occasional_va_transfer" not in result.rule_ids


def test_audit_payload_has_no_personal_data(world: World) -> None:
    world.service.check_transaction(transfer(world, "t1", "C-BIZ", "1", travel_rule=None))
    event = world.audit.events[-1]
    assert event["action"] == "va.transaction_checked"
    assert event["subject_id"] == "t1"
    text = repr(event)
    assert "Chan" not in text
    assert eth_address("biz-eth") not in text
    assert event["payload"]["decision"] == "hold"


def test_preview_does_not_record(world: World) -> None:
    for i in range(2):
        world.service.check_transaction(btc_transfer(world, f"p{i}", "C-OCC", "0.01"), record=False)
    result = world.service.check_transaction(btc_transfer(world, "t1", "C-OCC", "0.01"))
    assert "cdd_occasional_va_transfer" not in result.rule_ids


def test_result_times_are_utc(world: World) -> None:
    result = world.service.check_transaction(world.tx("b1"))
    assert result.checked_at.tzinfo is not None
    assert result.checked_at.utcoffset() == UTC.utcoffset(None)
