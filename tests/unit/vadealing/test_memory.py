"""In-memory adapters: FX lookups by time, linked-store partitions and pruning."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from dualtrack.vadealing.domain import FxRate, LinkedEntry, client_key, wallet_key
from dualtrack.vadealing.memory import FxRateTable, InMemoryLinkedTransactionStore

from .conftest import T0


def test_fx_table_takes_latest_rate_at_or_before_time() -> None:
    table = FxRateTable(
        [
            FxRate("btc", Decimal("2"), T0 + timedelta(minutes=10), "b"),
            FxRate("BTC", Decimal("1"), T0, "a"),
        ]
    )
    assert table.knows("BTC") and table.knows("btc")
    assert not table.knows("ETH")
    assert table.rate_at("BTC", T0 - timedelta(seconds=1)) is None
    first = table.rate_at("BTC", T0 + timedelta(minutes=9))
    assert first is not None and first.source == "a"
    second = table.rate_at("BTC", T0 + timedelta(minutes=10))
    assert second is not None and second.source == "b"


def _entry(tx_id: str, minutes: int) -> LinkedEntry:
    return LinkedEntry(
        tx_id=tx_id,
        client_id="C1",
        kind="buy",
        asset="BTC",
        quantity=Decimal(1),
        hkd_value=Decimal(1),
        at=T0 + timedelta(minutes=minutes),
        wallet=None,
        decision="allow",
    )


def test_linked_store_is_partitioned_by_key_and_prunes() -> None:
    store = InMemoryLinkedTransactionStore(horizon=timedelta(hours=1))
    store.append(client_key("C1"), _entry("a", 0))
    store.append(wallet_key("bitcoin", "bc1x"), _entry("b", 0))
    assert [e.tx_id for e in store.since(client_key("C1"), T0)] == ["a"]
    assert store.since(client_key("C2"), T0) == ()
    store.append(client_key("C1"), _entry("c", 120))  # pushes "a" past the horizon
    assert [e.tx_id for e in store.since(client_key("C1"), T0 - timedelta(days=1))] == ["c"]
    assert [e.tx_id for e in store.since(client_key("C1"), T0 + timedelta(minutes=121))] == []
