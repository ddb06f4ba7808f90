"""VA-dealing and screening repositories on SQLite and PostgreSQL, and their unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from dualtrack.adapters.screening_sql import (
    AmbientLedgerSink,
    AmbientUnit,
    SqlClearanceRepository,
    SqlScreeningStore,
    StoredListVersion,
)
from dualtrack.adapters.vadealing_sql import (
    SqlClientRepository,
    SqlFirmRepository,
    SqlFxRates,
    SqlLinkedTransactionStore,
    SqlProofChallengeStore,
    SqlVaCaseRepository,
)
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.identity.domain import Actor, Role
from dualtrack.screening import wiring as screening_wiring
from dualtrack.screening.domain import Clearance
from dualtrack.vadealing import wiring as va_wiring
from dualtrack.vadealing.cases import VaAlert, VaCase
from dualtrack.vadealing.domain import (
    Client,
    ClientWallet,
    Firm,
    FitAndProperCheck,
    FxRate,
    LinkedEntry,
    RegisteredWallet,
    ResponsibleOfficer,
    WalletChallenge,
    WalletProof,
)
from dualtrack.vadealing.errors import ClientNotFound
from dualtrack.vadealing.reporting import StrCaseFacts, build_str_draft

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_va_repositories_round_trip(platform: Platform) -> None:
    unit = AmbientUnit(platform.engine)
    firms = SqlFirmRepository(unit)
    firm = Firm(
        firm_id="f-1",
        name="Peak OTC",
        kind="dealer",
        authority="SFC",
        status="licensed_with_conditions",
        status_since=date(2026, 1, 2),
        conditions=("professional investors only",),
        officers=(
            ResponsibleOfficer(
                "ro-1", "responsible_officer", FitAndProperCheck("passed", date(2026, 1, 1))
            ),
        ),
        wallets=(RegisteredWallet("bitcoin", "bc1qexample", "hot", date(2026, 1, 3)),),
    )
    firms.save(firm)
    assert firms.get("f-1") == firm
    firms.save(replace(firm, status="suspended"))
    assert [f.status for f in firms.list()] == ["suspended"]
    assert firms.get("nope") is None

    clients = SqlClientRepository(unit)
    proof = WalletProof("signed_message", T0, (("scheme", "eip-191"), ("digest", "ab")))
    client = Client(
        "C-1",
        "business",
        "verified",
        date(2026, 3, 1),
        wallets=(ClientWallet("ethereum", "0xAbC", T0, proof),),
    )
    clients.save(client)
    assert clients.get("C-1") == client

    proofs = SqlProofChallengeStore(unit)
    challenge = WalletChallenge("wc-1", "C-1", "ethereum", "0xAbC", "sign me", T0, T0)
    proofs.put_challenge(challenge)
    assert proofs.get_challenge("wc-1") == challenge
    proofs.close("wc-1")
    assert proofs.get_challenge("wc-1") is None  # no replay

    fx = SqlFxRates(unit)
    for minutes, price in ((0, "700000"), (10, "701000"), (20, "702000")):
        fx.add(FxRate("BTC", Decimal(price), T0 + timedelta(minutes=minutes), "feed"))
    assert fx.knows("btc") and not fx.knows("XYZ")
    found = fx.rate_at("BTC", T0 + timedelta(minutes=15))
    assert found is not None and found.hkd_per_unit == Decimal("701000")
    assert fx.rate_at("BTC", T0 - timedelta(seconds=1)) is None
    # A rate given in another timezone compares by instant, not by text.
    hkt = (T0 + timedelta(minutes=15)).astimezone(timezone(timedelta(hours=8)))
    in_hkt = fx.rate_at("BTC", hkt)
    assert in_hkt is not None and in_hkt.hkd_per_unit == Decimal("701000")

    linked = SqlLinkedTransactionStore(unit)
    for i in range(3):
        entry = LinkedEntry(
            f"tx-{i}", "C-1", "buy", "BTC", Decimal("0.1"), Decimal("70000"),
            T0 + timedelta(hours=i), None, "allow",
        )  # fmt: skip
        linked.append("client:C-1", entry)
    assert [e.tx_id for e in linked.since("client:C-1", T0 + timedelta(minutes=30))] == [
        "tx-1",
        "tx-2",
    ]
    assert linked.since("client:C-2", T0) == []

    cases = SqlVaCaseRepository(unit)
    case = VaCase("vacase-1", "C-1", "open", T0, T0)
    cases.add_case(case)
    assert cases.open_case_for("C-1") == case
    cases.add_alert(
        VaAlert("vaalert-1", "vacase-1", "C-1", "rule", "chk-1", "hold", ("velocity",), "x", T0)
    )
    assert [a.codes for a in cases.alerts_for_case("vacase-1")] == [("velocity",)]
    draft = build_str_draft(
        StrCaseFacts("vacase-1", "f-1", "mlro", "C-1", T0, "grounds", ()), drafted_at=T0
    )
    cases.add_str("str-1", "vacase-1", draft)
    assert cases.get_str("str-1") == draft
    cases.update_case(replace(case, status="cleared", updated_at=T0 + timedelta(days=1)))
    assert cases.open_case_for("C-1") is None
    assert [r[0] for r in cases.resolved_rows()] == ["vacase-1"]
    assert cases.delete_cases(["vacase-1"]) == 1
    assert cases.get_case("vacase-1") is None


def _linked_entry(tx_id: str, hours: int) -> LinkedEntry:
    return LinkedEntry(
        tx_id, "C-1", "buy", "BTC", Decimal("0.1"), Decimal("70000"),
        T0 + timedelta(hours=hours), None, "allow",
    )  # fmt: skip


def set_next_linked_id(platform: Platform, next_id: int) -> None:
    """As if ``next_id - 1`` rows had been linked before."""
    with platform.engine.begin() as conn:
        if platform.engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('va_linked', 'id'), :n)"),
                {"n": next_id - 1},
            )
        else:  # SQLite's rowid follows the largest key
            conn.execute(
                text(
                    "INSERT INTO va_linked (id, key, at, tx_id, data) VALUES (:n, 'x', '', '', '')"
                ),
                {"n": next_id - 1},
            )


def test_linked_history_past_the_32_bit_limit(platform: Platform) -> None:
    """Every checked transaction adds linked rows that are kept for years: the key must not
    stop at 2**31 - 1 (on PostgreSQL neither the column nor the sequence behind it)."""
    linked = SqlLinkedTransactionStore(AmbientUnit(platform.engine))
    linked.append("client:C-1", _linked_entry("tx-before", 0))
    set_next_linked_id(platform, 2**31)
    linked.append("client:C-1", _linked_entry("tx-after", 1))
    linked.append("client:C-1", _linked_entry("tx-later", 1))  # same time: key order decides
    assert [e.tx_id for e in linked.since("client:C-1", T0)] == [
        "tx-before",
        "tx-after",
        "tx-later",
    ]
    with platform.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM va_linked WHERE tx_id LIKE 'tx-%' ORDER BY id"))
        assert list(ids.scalars()) == [1, 2**31, 2**31 + 1]


def test_screening_store_versions_and_clearances(platform: Platform) -> None:
    unit = AmbientUnit(platform.engine)
    store = SqlScreeningStore(unit)

    def version(n: int) -> StoredListVersion:
        return StoredListVersion(
            version_id=f"demo@{n}",
            list_id="demo",
            status="active",
            loaded_at=f"2026-11-25T0{n}:00:00.000000Z",
            loaded_by="carol",
            source="demo.jsonl",
            format="ftm-jsonl",
            content_hash=str(n) * 64,
            entry_count=n,
            raw=bytes(range(256)) * n,
            companions={"alt": "00ff"},
        )

    store.add_active_version(version(1))
    store.add_active_version(version(2))
    assert store.active_version_ids() == {"demo": "demo@2"}
    got = store.get_version("demo@1")
    assert got is not None and got.raw == bytes(range(256)) and got.companions == {"alt": "00ff"}
    assert [v["status"] for v in store.list_versions("demo")] == ["active", "superseded"]

    clearances = SqlClearanceRepository(unit)
    clearance = Clearance("C-1", "demo", "E-1", "h1", "carol", "not her", T0, "demo@2")
    clearances.add(clearance)
    clearances.add(replace(clearance, reason="re-cleared"))  # same key replaces
    assert clearances.is_cleared(
        client_id="C-1", list_id="demo", entry_id="E-1", entry_content_hash="h1"
    )
    assert not clearances.is_cleared(
        client_id="C-1", list_id="demo", entry_id="E-1", entry_content_hash="h2"
    )
    assert [c.reason for c in clearances.for_client("C-1")] == ["re-cleared"]


def test_one_transaction_for_rows_and_ledger(platform: Platform) -> None:
    unit = AmbientUnit(platform.engine)
    sink = AmbientLedgerSink(unit)
    firms = SqlFirmRepository(unit)
    with pytest.raises(RuntimeError), unit():
        firms.save(Firm("f-9", "X", "dealer", "SFC", "applied", date(2026, 1, 1)))
        sink.record(actor="a", action="va.test", subject_type="t", subject_id="f-9", payload={})
        raise RuntimeError("boom")
    assert firms.get("f-9") is None
    assert not [e for e in platform.ledger.page(limit=50) if e.action == "va.test"]


def test_desk_survives_restart_and_rolls_back_failed_checks(platform: Platform) -> None:
    carol = Actor.of(
        platform.identity.create_user(
            Actor.system("t"), username="carol", display_name="C", role=Role.COMPLIANCE_OFFICER
        )
    )
    platform.identity.create_user(
        Actor.system("t"), username="ana", display_name="A", role=Role.ANALYST
    )
    screening_wiring.seed_demo(platform)
    va_wiring.seed_demo(platform)
    desk = va_wiring.service(platform)
    checks = len(desk.list_checks())
    entries = platform.ledger.verify().entries_checked
    tx = va_wiring.parse_transaction(
        {**va_wiring_sample("cdd-8000"), "client_id": "C-404", "tx_id": "t-404"}
    )
    with pytest.raises(ClientNotFound):
        desk.check(carol, tx)
    assert len(desk.list_checks()) == checks
    assert platform.ledger.verify().entries_checked == entries

    # A second process (a fresh platform on the same database) rebuilds the index lazily.
    other = bootstrap(platform.settings)
    try:
        result = screening_wiring.service(other).screen(
            carol, client_id="C-77", name="CHAN Tai Man"
        )
        assert result.hits[0].entry_id == "HKD-0001"
        assert set(result.list_versions) == set(
            screening_wiring.service(platform).active().values()
        )
    finally:
        other.close()


def va_wiring_sample(name: str) -> dict[str, object]:
    from dualtrack.vadealing.demo import sample_transactions

    return sample_transactions()[name]


def test_concurrent_checks_and_screenings_do_not_deadlock(platform: Platform) -> None:
    import threading

    boot = Actor.system("t")
    carol = Actor.of(
        platform.identity.create_user(
            boot, username="carol", display_name="C", role=Role.COMPLIANCE_OFFICER
        )
    )
    platform.identity.create_user(boot, username="ana", display_name="A", role=Role.ANALYST)
    screening_wiring.seed_demo(platform)
    va_wiring.seed_demo(platform)
    desk = va_wiring.service(platform)
    screening = screening_wiring.service(platform)
    errors: list[BaseException] = []

    def checks(n: int) -> None:
        try:
            for i in range(3):
                sample = {**va_wiring_sample("sanctioned-originator"), "tx_id": f"cc-{n}-{i}"}
                desk.check(carol, va_wiring.parse_transaction(sample))
        except BaseException as exc:
            errors.append(exc)

    def screens(n: int) -> None:
        try:
            for i in range(3):
                screening.screen(carol, client_id=f"CC-{n}-{i}", name="CHAN Tai Man")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f, args=(n,)) for n in range(2) for f in (checks, screens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert errors == []
    assert len([c for c in desk.list_checks(limit=500) if c["check_id"]]) >= 6 + 6
    assert platform.ledger.verify().ok
