"""A real Chromium signs in as the fraud analyst, sees the alert queue, opens a case, reads
why it was flagged, and confirms it; the demo feed scores more simulated payments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from dualtrack.adapters.fraud_tables import fraud_watchlist_listings
from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.fraud import wiring
from dualtrack.identity.domain import Actor, Role
from tests.e2e.live import serve
from tests.fraud_support import deploy_tiny, txn

pytestmark = pytest.mark.browser

PASSWORD = "analyst-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fraud-browser")
    settings = Settings(database_url=f"sqlite:///{tmp / 'demo.db'}", var_dir=tmp)
    platform = bootstrap(settings, run_migrations=True)
    boot = Actor.system("tests")
    admin = Actor.of(
        platform.identity.create_user(
            boot, username="admin", display_name="Admin", role=Role.ADMIN, password=PASSWORD
        )
    )
    people = {
        name: Actor.of(
            platform.identity.create_user(
                admin, username=name, display_name=name.title(), role=role, password=PASSWORD
            )
        )
        for name, role in (
            ("alice", Role.MODEL_DEVELOPER),
            ("victor", Role.VALIDATOR),
            ("carol", Role.COMPLIANCE_OFFICER),
            ("ana", Role.ANALYST),
        )
    }
    deploy_tiny(platform, people["alice"], people["victor"], people["carol"])
    wiring.service(platform).score(
        [
            txn("W1", customer="C0000001", offset=0, amount=650_000.0),
            txn("W2", customer="C0000001", offset=60),
            txn("W3", customer="C0000002", offset=90, amount=700_000.0),
        ]
    )
    wiring.watchlist(platform).list_payees(
        people["ana"], ["SCAMHELD"], source="scameter", action="review"
    )
    wiring.service(platform).expire()  # read the list now, not a second after the last read
    held = wiring.service(platform).score(
        [txn("H1", customer="C0000009", offset=120, payee_id="SCAMHELD")]
    )[0]
    assert held.action == "review"
    wiring.cases(platform).record_customer_response(people["ana"], "H1", "cancelled", "mobile_app")
    # the bank's own listing, with a review date that has come (set in the table: a month
    # passes)
    tomorrow = (datetime.now(UTC) + timedelta(hours=32)).date().isoformat()
    wiring.watchlist(platform).list_payees(
        people["ana"], ["OWNDUE"], source="investigation", review_by=tomorrow
    )
    with platform.engine.begin() as conn:
        conn.execute(
            update(fraud_watchlist_listings)
            .where(fraud_watchlist_listings.c.payee_id == "OWNDUE")
            .values(review_by="2026-01-01")
        )
    with serve(create_app(platform=platform)) as url:
        yield url
    platform.close()


def test_analyst_reads_why_and_confirms(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav >> text=Fraud alerts")
    page.click("nav >> text=Fraud alerts")
    page.wait_for_selector("#fraud-queue")
    queue = page.inner_text("#fraud-queue")
    assert "test-1" in queue, "the deployed version is shown"
    assert "this server scores" in queue, "the server took the scoring lease at start-up"
    assert queue.count("case-") >= 2 and "W3" in queue
    assert "over the per-transaction limit" not in queue  # rule names are shown short here
    page.screenshot(path=str(tmp_path / "fraud-queue.png"), full_page=True)
    page.click("#fraud-queue tr:has-text('W3') >> a")
    page.wait_for_selector("text=Why it was flagged")
    main = page.inner_text("main")
    assert "Rule: the amount is over the per-transaction limit" in main
    assert "CUSTOMER_ID_" in main and "C0000001" not in main and "C0000002" not in main
    assert "case opened" in main
    page.click("summary:has-text('Features used')")
    assert "cust_count_24h" in page.inner_text("main")
    page.click("button:has-text('Take into review')")
    page.wait_for_selector("text=in review")
    page.click("button:has-text('Confirm fraud')")
    page.wait_for_selector("text=confirmed fraud")
    assert "resolved by ana" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "fraud-case.png"), full_page=True)
    # the demo feed: more simulated payments flow through the governed path
    page.click("text=Fraud alerts")
    page.wait_for_selector("#fraud-queue")
    page.click("button:has-text('Score 200 more simulated payments')")
    page.wait_for_selector("text=Scored 200 simulated payments")
    page.close()


def _sign_in(browser: Any, server: str, username: str) -> Any:
    page = browser.new_page()
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav >> text=Payee watch list")
    return page


def test_analyst_lists_a_payee_and_compliance_takes_it_off(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = _sign_in(browser, server, "ana")
    page.click("nav >> text=Payee watch list")
    page.wait_for_selector("h1:has-text('High-risk payee watch list')")
    page.click("summary:has-text('List payees')")
    page.fill("textarea[name=payee_ids]", "FPSMULE1\nFPSMULE2")
    page.fill("input[name=source]", "scameter")
    page.click("button:has-text('List')")
    page.wait_for_selector("text=2 payee(s) listed")
    main = page.inner_text("main")
    assert "FPSMULE1" in main and "Take off" not in main, "an analyst cannot take payees off"
    # the bank's own investigation lists one of them too: both sources are shown
    page.click("summary:has-text('List payees')")
    page.fill("textarea[name=payee_ids]", "FPSMULE2")
    page.fill("input[name=source]", "investigation")
    page.click("button:has-text('List')")
    page.wait_for_selector("text=1 payee(s) listed under investigation")
    assert "also investigation" in page.inner_text("tr:has-text('FPSMULE2')")
    page.screenshot(path=str(tmp_path / "fraud-watchlist.png"), full_page=True)
    page.close()

    page = _sign_in(browser, server, "carol")
    page.goto(server + "/fraud/watchlist")
    row = "tr:has-text('FPSMULE1')"
    page.fill(f"{row} >> input[name=reason]", "cleared by the police")
    page.click(f"{row} >> button:has-text('Take off')")
    page.wait_for_selector("text=The payee was taken off the list")
    assert page.inner_text("#watch-total") == "3", "SCAMHELD, FPSMULE2 and OWNDUE remain"
    # a listing due for review: the compliance officer keeps it, with the next review date
    assert "Due for review (1)" in page.inner_text("main")
    due = "#watch-due-list tr:has-text('OWNDUE')"
    next_review = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    page.fill(f"{due} >> input[name=next_review]", next_review)
    page.fill(f"{due} >> input[name=note]", "police case still open")
    page.click(f"{due} >> button:has-text('Keep listed')")
    page.wait_for_selector("text=The listing by investigation stays listed")
    assert "Due for review" not in page.inner_text("main")
    page.close()


def test_case_shows_what_the_warned_customer_did(server: str, browser: Any) -> None:
    page = _sign_in(browser, server, "ana")
    page.goto(server + "/fraud")
    page.wait_for_selector("#fraud-queue")
    page.click("#fraud-queue tr:has-text('H1') >> a")
    page.wait_for_selector("text=Why it was flagged")
    main = page.inner_text("main")
    assert "Rule: the payee is on the high-risk payee watch list" in main
    assert "Watch list: listed by scameter (review)" in main and "SCAMHELD" not in main
    assert "The customer was warned (mobile app) and cancelled" in main
    page.close()
