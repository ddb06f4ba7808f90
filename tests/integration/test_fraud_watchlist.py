"""The stored payee watch list on SQLite and PostgreSQL: changes, revisions, the ledger, and
scoring processes that pick changes up without a restart."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text

from dualtrack.adapters.db import migrate
from dualtrack.adapters.fraud_tables import fraud_watchlist
from dualtrack.adapters.fraud_watchlist_sql import SqlWatchlistChanges, SqlWatchlistRepository
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.errors import InvalidInput, RoleNotAllowed
from dualtrack.fraud import wiring
from tests.conftest import People
from tests.fraud_support import deploy_tiny, txn


def _changes(platform: Platform, after: int) -> tuple[int, set[str], set[str]]:
    found = SqlWatchlistChanges(platform.engine).changes(after)
    return found.revision, {p for p, _action in found.listed}, set(found.unlisted)


def test_changes_are_ledgered_with_pseudonyms_and_read_by_revision(
    platform: Platform, people: People
) -> None:
    desk = wiring.watchlist(platform)
    assert _changes(platform, -1) == (0, set(), set())
    first = desk.list_payees(
        people.analyst, ["M1", "M2", "M2"], source="scameter", reason="police alert 17"
    )
    assert first.to_dict() == {"changed": 2, "unchanged": 0, "revision": 1}
    again = desk.list_payees(people.analyst, ["M2", "M3"], source="investigation")
    assert again.to_dict() == {"changed": 2, "unchanged": 0, "revision": 2}
    same = desk.list_payees(people.analyst, ["M2"], source="investigation", action="review")
    assert same.to_dict() == {"changed": 0, "unchanged": 1, "revision": 2}
    assert _changes(platform, 0) == (2, {"M1", "M2", "M3"}, set())
    # M2's second listing is recorded, but its entry (what scoring reads) did not change
    assert _changes(platform, 1) == (2, {"M3"}, set())
    assert _changes(platform, 2) == (2, set(), set())

    with pytest.raises(RoleNotAllowed):
        desk.unlist_payees(people.analyst, ["M1"], reason="cleared")
    with pytest.raises(InvalidInput):
        desk.unlist_payees(people.compliance, ["M1"], reason="  ")
    off = desk.unlist_payees(people.compliance, ["M1", "NEVERLISTED"], reason="cleared")
    assert off.to_dict() == {"changed": 1, "unchanged": 1, "revision": 3}
    assert _changes(platform, 2) == (3, set(), {"M1"})
    relisted = desk.list_payees(people.analyst, ["M1"], source="scameter")
    assert relisted.revision == 4 and _changes(platform, 3) == (4, {"M1"}, set())

    page = desk.page(people.auditor)
    assert page.total == 3 and page.revision == 4
    assert {e.payee_id: e.sources for e in page.entries}["M2"] == ("investigation", "scameter")
    assert [e.payee_id for e in page.entries] == ["M1", "M3", "M2"], "newest change first"
    assert page.entries[0].unlisted_by is None, "listing again clears the removal"
    with pytest.raises(RoleNotAllowed):
        desk.page(people.dev)

    entries = [e for e in platform.ledger.entries() if e.subject_type == "fraud_watchlist"]
    assert [e.action for e in entries] == [
        "fraud.watchlist_listed",
        "fraud.watchlist_listed",
        "fraud.watchlist_unlisted",
        "fraud.watchlist_listed",
    ]
    text = json.dumps([e.payload for e in entries])
    assert "M1" not in text and "M2" not in text and "police alert" not in text
    ref = wiring.payee_pseudonymiser(platform)
    assert entries[0].payload["payee_refs"] == sorted([ref("M1"), ref("M2")])
    assert entries[2].actor == people.compliance.username
    assert platform.ledger.verify().ok


def test_a_bad_change_writes_nothing(platform: Platform, people: People) -> None:
    desk = wiring.watchlist(platform)
    with pytest.raises(InvalidInput) as refused:
        desk.list_payees(people.analyst, ["GOOD1", "has\x00nul", "x" * 129], source="scameter")
    assert "nul" not in refused.value.message
    with pytest.raises(InvalidInput):
        desk.list_payees(people.analyst, ["GOOD1"], source="")
    with pytest.raises(RoleNotAllowed):
        desk.list_payees(people.dev, ["GOOD1"], source="scameter")
    with platform.engine.connect() as conn:
        assert conn.execute(select(fraud_watchlist)).first() is None
        assert SqlWatchlistRepository(conn).revision() == 0
    assert not [e for e in platform.ledger.entries() if e.subject_type == "fraud_watchlist"]


def test_concurrent_writers_get_distinct_revisions(platform: Platform, people: People) -> None:
    desk = wiring.watchlist(platform)

    def add(i: int) -> int:
        return desk.list_payees(people.analyst, [f"P{i}"], source="scameter").revision

    with ThreadPoolExecutor(4) as pool:
        revisions = sorted(pool.map(add, range(12)))
    assert revisions == list(range(1, 13))
    assert _changes(platform, 0)[1] == {f"P{i}" for i in range(12)}

    # writers of the same listing wait for each other: the first lists it, the rest find it
    def same(i: int) -> int:
        return desk.list_payees(people.analyst, ["SAME"], source="scameter").changed

    with ThreadPoolExecutor(4) as pool:
        changed = sorted(pool.map(same, range(8)))
    assert changed == [0] * 7 + [1]


def test_scoring_picks_changes_up_without_a_restart(
    platform: Platform, people: People, settings: Settings
) -> None:
    """A second platform over the same database stands for another server: it changes the
    list while this one scores, and this one's next decisions follow the change."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.recheck_s = 0.0
    first = governed.score([txn("L1", payee_id="MULE9")])[0]
    assert "payee_on_watchlist" not in first.rule_hits
    other = bootstrap(settings, run_migrations=False)
    try:
        wiring.watchlist(other).list_payees(people.analyst, ["MULE9"], source="scameter")
        listed = governed.score([txn("L2", payee_id="MULE9", offset=60)])[0]
        assert listed.action == "block" and "payee_on_watchlist" in listed.rule_hits
        assert listed.reasons, "a decision the watch list escalates carries reason codes"
        wiring.watchlist(other).unlist_payees(people.compliance, ["MULE9"], reason="cleared")
        cleared = governed.score([txn("L3", payee_id="MULE9", offset=120)])[0]
        assert "payee_on_watchlist" not in cleared.rule_hits
    finally:
        other.close()
    # a process that starts now reads the whole list at once
    wiring.watchlist(platform).list_payees(people.analyst, ["MULE8"], source="scameter")
    fresh = bootstrap(settings, run_migrations=False)
    try:
        service = wiring.service(fresh)
        hit = service.score([txn("L4", customer="C0000002", payee_id="MULE8")])[0]
        assert "payee_on_watchlist" in hit.rule_hits
    finally:
        wiring.stop_scoring(fresh)
        fresh.close()


def test_actions_syncs_and_sources(platform: Platform, people: People, settings: Settings) -> None:
    """A Scameter extract synced each day: review listings, payees that drop out come off,
    a bank's own block listing is left alone, and scoring follows each listing's action."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.recheck_s = 0.0
    desk = wiring.watchlist(platform)
    desk.list_payees(people.analyst, ["MULE1"], source="investigation", action="block")
    day1 = desk.sync_source(people.compliance, ["SCAM1", "SCAM2", "MULE1"], source="scameter")
    assert (day1.listed, day1.unlisted, day1.unchanged) == (3, 0, 0)
    warned, blocked = governed.score(
        [txn("A1", payee_id="SCAM1"), txn("A2", customer="C0000002", payee_id="MULE1")]
    )
    assert warned.action == "review" and "payee_on_watchlist" in warned.rule_hits
    assert blocked.action == "block" and "payee_on_watchlist" in blocked.rule_hits

    day2 = desk.sync_source(people.compliance, ["SCAM2", "SCAM3"], source="scameter")
    assert (day2.listed, day2.unlisted, day2.unchanged, day2.still_listed) == (1, 2, 1, 1)
    later = governed.score([txn("A3", payee_id="SCAM1", offset=60)])[0]
    assert "payee_on_watchlist" not in later.rule_hits, "dropped by the source: off the list"
    with pytest.raises(RoleNotAllowed):
        desk.sync_source(people.analyst, ["SCAM2"], source="scameter")

    desk.unlist_payees(people.compliance, ["SCAM3"], reason="police cleared the account")
    day3 = desk.sync_source(people.compliance, ["SCAM2", "SCAM3"], source="scameter")
    assert (day3.listed, day3.unchanged, day3.held_off) == (0, 1, 1)
    held = governed.score([txn("A4", payee_id="SCAM3", offset=120)])[0]
    assert "payee_on_watchlist" not in held.rule_hits, "taken off by hand: the feed holds off"
    desk.list_payees(people.analyst, ["SCAM3"], source="scameter", action="review")

    sources = {s.source: s for s in desk.sources(people.auditor)}
    assert sources["scameter"].listed == 2 and sources["scameter"].synced_by == "carol"
    assert sources["scameter"].synced_revision == day3.revision
    assert sources["investigation"].listed == 1 and sources["investigation"].synced_at is None
    listed = {e.payee_id: e for e in desk.page(people.analyst).entries}
    assert listed["MULE1"].action == "block" and listed["SCAM3"].action == "review"
    entries = [e for e in platform.ledger.entries() if e.subject_type == "fraud_watchlist"]
    assert [(e.action, e.payload.get("sync", False)) for e in entries] == [
        ("fraud.watchlist_listed", False),
        ("fraud.watchlist_listed", True),
        ("fraud.watchlist_synced", False),
        ("fraud.watchlist_listed", True),
        ("fraud.watchlist_unlisted", True),
        ("fraud.watchlist_synced", False),
        ("fraud.watchlist_unlisted", False),
        ("fraud.watchlist_synced", False),
        ("fraud.watchlist_listed", False),
    ]
    assert entries[-2].payload["held_off"] == 1 and entries[-2].payload["source"] == "scameter"


def test_concurrent_answers_to_a_held_payment_store_one(platform: Platform, people: People) -> None:
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.watchlist(platform).list_payees(
        people.analyst, ["SCAM9"], source="scameter", action="review"
    )
    rows = [txn(f"H{i}", customer=f"C{i:07d}", payee_id="SCAM9") for i in range(12)]
    assert {d.action for d in wiring.service(platform).score(rows)} == {"review"}
    desk = wiring.cases(platform)

    def answer(txn_id: str) -> bool:
        return desk.record_customer_response(people.analyst, txn_id, "proceeded", "branch")[1]

    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(answer, [f"H{i}" for i in range(12) for _ in range(2)]))
    assert created.count(True) == 12 and created.count(False) == 12
    entries = [e for e in platform.ledger.entries() if e.action == "fraud.customer_response"]
    assert sorted(e.subject_id for e in entries) == sorted(f"H{i}" for i in range(12))
    assert platform.ledger.verify().ok


def test_payees_match_in_any_written_form(platform: Platform, people: People) -> None:
    """A Scameter-style listing matches the FPS form a payment carries, and the other way
    round; a bare 852 run into the digits (an account number, perhaps) does not."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.recheck_s = 0.0
    desk = wiring.watchlist(platform)
    desk.list_payees(people.analyst, ["+852 9123 4567", "004-555-0001"], source="scameter")
    (entry, other) = sorted(desk.page(people.analyst).entries, key=lambda e: e.payee_id)
    assert (entry.payee_id, other.payee_id) == ("0045550001", "91234567")
    forms = ["+852-91234567", "91234567", "00852 9123 4567", "004 555 0001", "85291234567"]
    rows = [txn(f"F{i}", customer=f"C{i:07d}", payee_id=form) for i, form in enumerate(forms)]
    hits = ["payee_on_watchlist" in d.rule_hits for d in governed.score(rows)]
    assert hits == [True, True, True, True, False]
    assert {d.action for d in governed.score(rows)[:4]} == {"block"}
    again = desk.list_payees(people.analyst, ["9123-4567"], source="scameter")
    assert again.unchanged == 1, "the same payee in another form"
    off = desk.unlist_payees(people.compliance, ["+852 91234567"], reason="cleared")
    assert off.changed == 1
    later = governed.score([txn("F9", customer="C0000099", payee_id="+852-91234567", offset=60)])
    assert "payee_on_watchlist" not in later[0].rule_hits


def test_a_payee_two_sources_list_stays_listed_until_both_drop_it(
    platform: Platform, people: People
) -> None:
    """Two feeds and the bank's own investigation: the payee is listed while any of them
    lists it, with the strictest action; scoring follows each change."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.recheck_s = 0.0
    desk = wiring.watchlist(platform)
    desk.sync_source(people.compliance, ["SHARED", "ONLY-A"], source="feed-a", action="block")
    desk.sync_source(people.compliance, ["SHARED"], source="feed-b")
    desk.list_payees(people.analyst, ["ONLY-A"], source="investigation", action="review")

    def action(txn_id: str, payee: str, offset: int) -> str:
        decision = governed.score([txn(txn_id, payee_id=payee, offset=offset)])[0]
        return decision.action if "payee_on_watchlist" in decision.rule_hits else "not listed"

    assert action("S1", "SHARED", 0) == "block"
    dropped = desk.sync_source(people.compliance, ["OTHER"], source="feed-a", action="block")
    assert (dropped.unlisted, dropped.still_listed) == (2, 2)
    assert action("S2", "SHARED", 60) == "review", "feed-b's milder listing is left"
    assert action("S3", "ONLY-A", 120) == "review", "the bank's own listing is left"
    entries = {e.payee_id: e for e in desk.page(people.auditor).entries}
    assert (entries["SHARED"].source, entries["SHARED"].sources) == ("feed-b", ("feed-b",))
    gone = desk.sync_source(people.compliance, ["OTHER"], source="feed-b")
    assert (gone.unlisted, gone.still_listed) == (1, 0)
    assert action("S4", "SHARED", 180) == "not listed"
    off = {e.payee_id: e for e in desk.page(people.auditor, listed=False).entries}
    assert off["SHARED"].unlisted_in_sync and "feed-b" in (off["SHARED"].unlisted_reason or "")
    counts = {s.source: s.listed for s in desk.sources(people.auditor)}
    assert counts == {"feed-a": 1, "feed-b": 1, "investigation": 1}
    unlisted = [e for e in platform.ledger.entries() if e.action == "fraud.watchlist_unlisted"]
    assert [e.payload["still_listed"] for e in unlisted] == [2, 0]


def test_the_migration_keeps_each_listed_payee_under_its_source(platform: Platform) -> None:
    """fraud_0007 on a list stored before it: each listed payee gets its source's listing;
    payees taken off get none."""
    row = {
        "action": "review",
        "reason": "police alert",
        "listed_by": "dave",
        "listed_at": "2026-12-03T10:00:00.000000Z",
        "unlisted_in_sync": False,
        "revision": 1,
    }
    with platform.engine.begin() as conn:
        conn.execute(text("DROP TABLE fraud_watchlist_listings"))
        conn.execute(text("DROP INDEX ix_fraud_watchlist_payee_ref"))
        conn.execute(text("ALTER TABLE fraud_watchlist DROP COLUMN payee_ref"))
        conn.execute(
            text("UPDATE alembic_version SET version_num = 'fraud_0006' "
                 "WHERE version_num = 'fraud_0007'")
        )  # fmt: skip
        conn.execute(
            fraud_watchlist.insert(),
            [
                {**row, "payee_id": "KEPT", "listed": True, "source": "scameter"},
                {**row, "payee_id": "OFF", "listed": False, "source": "scameter"},
            ],
        )
    migrate(platform.settings.resolved_database_url)
    with platform.engine.connect() as conn:
        listings = SqlWatchlistRepository(conn).listings(["KEPT", "OFF"])
    assert list(listings) == ["KEPT"]
    (kept,) = listings["KEPT"]
    assert (kept.source, kept.action, kept.listed_by) == ("scameter", "review", "dave")


def test_a_case_says_which_listing_held_the_payment(platform: Platform, people: People) -> None:
    """The case of a payment the list escalated shows the listing (source, action, who,
    why), whichever form the payment wrote the payee in, and later who took it off; never
    the raw payee ID."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    governed = wiring.service(platform)
    governed.recheck_s = 0.0
    desk = wiring.watchlist(platform)
    desk.list_payees(
        people.analyst, ["+852 9123 4567"], source="scameter", reason="police alert 17",
        action="review",
    )  # fmt: skip
    desk.list_payees(people.analyst, ["91234567"], source="investigation", action="review")
    written, canonical, other = governed.score(
        [
            txn("C1", customer="C0000001", payee_id="+852-91234567"),
            txn("C2", customer="C0000001", payee_id="91234567", offset=30),
            txn("C3", customer="C0000001", payee_id="ACC-UNLISTED", offset=60),
        ]
    )
    assert (
        written.watch_ref == canonical.watch_ref == wiring.payee_pseudonymiser(platform)("91234567")
    )
    assert other.watch_ref is None
    cases = wiring.cases(platform)
    (case,) = [c for c in cases.queue() if c.case.customer_ref == written.customer_ref]
    view = cases.view(case.case.case_id)
    assert set(view.watch) == {"C1", "C2"}
    entry = view.watch["C1"]
    assert (entry.source, entry.action, entry.reason, entry.sources) == (
        "scameter",
        "review",
        "police alert 17",
        ("investigation", "scameter"),
    )
    shown = wiring.view_json(view)
    assert "91234567" not in json.dumps(shown), "no raw payee ID in the case"
    assert shown["alerts"][0]["watchlist"]["source"] == "scameter"
    desk.unlist_payees(people.compliance, ["91234567"], reason="account closed")
    later = cases.view(case.case.case_id).watch["C1"]
    assert not later.listed and later.unlisted_reason == "account closed"


def test_entries_listed_before_their_pseudonym_was_stored_get_it(
    platform: Platform, people: People
) -> None:
    desk = wiring.watchlist(platform)
    desk.list_payees(people.analyst, ["OLD1", "OLD2", "OLD3"], source="scameter")
    with platform.engine.begin() as conn:  # as rows from before migration fraud_0007
        conn.execute(fraud_watchlist.update().values(payee_ref=None))
    ref = wiring.payee_pseudonymiser(platform)
    found = desk.entries_for_refs([ref("OLD1"), ref("OLD3")])
    assert {r: e.payee_id for r, e in found.items()} == {ref("OLD1"): "OLD1", ref("OLD3"): "OLD3"}
    with platform.engine.connect() as conn:
        assert SqlWatchlistRepository(conn).without_ref() == []
