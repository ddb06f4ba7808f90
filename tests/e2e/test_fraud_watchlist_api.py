"""The payee watch list through the REST API (SQLite and PostgreSQL): who may change it,
bad input, nothing personal in the ledger, and scoring that follows it without a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from dualtrack.adapters.fraud_tables import fraud_watchlist_listings
from dualtrack.bootstrap import Platform
from dualtrack.fraud import wiring
from tests.conftest import People
from tests.e2e.conftest import Keys
from tests.fraud_support import deploy_tiny, txn

pytestmark = pytest.mark.anyio

URL = "/api/v1/fraud/watchlist"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def scoring(platform: Platform, people: People) -> Platform:
    """A deployed model whose scoring reads the watch list's changes on every request."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.service(platform).recheck_s = 0.0
    return platform


@pytest.fixture
def analyst(platform: Platform, people: People) -> dict[str, str]:
    key = platform.identity.issue_api_key(people.admin, username="ana", label="test")
    return {"Authorization": f"Bearer {key}"}


async def test_listed_payees_are_blocked_at_once_and_taken_off_by_compliance(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], scoring: Platform
) -> None:
    body = {"payee_ids": ["FPS91234567", "ACC00477"], "source": "scameter", "reason": "r1"}
    r = await client.post(URL, json=body, headers=analyst)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": 2, "unchanged": 0, "revision": 1}

    scored = await client.post(
        "/api/v1/fraud/score",
        json={"transactions": [txn("W1", payee_id="FPS91234567")]},
        headers=keys.dev,
    )
    (decision,) = scored.json()["decisions"]
    assert decision["action"] == "block" and "payee_on_watchlist" in decision["rule_hits"]

    page = (await client.get(URL, headers=keys.auditor)).json()
    assert page["total"] == 2 and page["revision"] == 1
    assert {e["payee_id"] for e in page["entries"]} == {"FPS91234567", "ACC00477"}
    assert page["entries"][0]["listed_by"] == "ana" and page["entries"][0]["source"] == "scameter"

    removal = {"payee_ids": ["FPS91234567"], "reason": "account holder cleared"}
    denied = await client.post(f"{URL}/remove", json=removal, headers=analyst)
    assert denied.status_code == 403 and denied.json()["code"] == "role-not-allowed"
    r = await client.post(f"{URL}/remove", json=removal, headers=keys.compliance)
    assert r.json() == {"changed": 1, "unchanged": 0, "revision": 2}
    scored = await client.post(
        "/api/v1/fraud/score",
        json={"transactions": [txn("W2", payee_id="FPS91234567", offset=60)]},
        headers=keys.dev,
    )
    assert "payee_on_watchlist" not in scored.json()["decisions"][0]["rule_hits"]
    gone = (await client.get(URL, params={"listed": "false"}, headers=keys.compliance)).json()
    (entry,) = gone["entries"]
    assert entry["unlisted_by"] == "carol" and entry["unlisted_reason"] == "account holder cleared"

    ledger = [e for e in scoring.ledger.entries() if e.subject_type == "fraud_watchlist"]
    assert len(ledger) == 2
    assert "FPS91234567" not in json.dumps([e.payload for e in ledger])


async def test_bad_input_and_roles_get_problems_and_change_nothing(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str]
) -> None:
    cases = [
        ({"payee_ids": [], "source": "scameter"}, 422),
        ({"payee_ids": ["A"]}, 422),
        ({"payee_ids": ["A"], "source": "scameter", "extra": 1}, 422),
        ({"payee_ids": ["A"] * 10_001, "source": "scameter"}, 422),
        ({"payee_ids": ["has\ttab"], "source": "scameter"}, 422),
        ({"payee_ids": ["A", "x" * 129], "source": "scameter"}, 422),
        ({"payee_ids": ["A"], "source": "   "}, 422),
    ]
    for body, status in cases:
        r = await client.post(URL, json=body, headers=analyst)
        assert r.status_code == status, (body if len(str(body)) < 200 else "big", r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "has\ttab" not in r.text and "has\\ttab" not in r.text
    r = await client.post(URL, json={"payee_ids": ["A"], "source": "s"}, headers=keys.dev)
    assert r.status_code == 403
    r = await client.post(f"{URL}/remove", json={"payee_ids": ["A"]}, headers=keys.compliance)
    assert r.status_code == 422, "a removal needs a reason"
    assert (await client.get(URL, headers=keys.dev)).status_code == 403
    assert (await client.get(URL, params={"limit": 0}, headers=analyst)).status_code == 422
    page = (await client.get(URL, headers=analyst)).json()
    assert page["total"] == 0 and page["revision"] == 0


async def test_sync_a_scameter_extract_and_read_the_sources(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], scoring: Platform
) -> None:
    body = {"source": "scameter", "payee_ids": ["S1", "S2"]}
    denied = await client.post(f"{URL}/sync", json=body, headers=analyst)
    assert denied.status_code == 403
    r = await client.post(f"{URL}/sync", json=body, headers=keys.compliance)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("listed", "unlisted", "unchanged")} == {
        "listed": 2,
        "unlisted": 0,
        "unchanged": 0,
    }
    scored = await client.post(
        "/api/v1/fraud/score",
        json={"transactions": [txn("S1", payee_id="S1")]},
        headers=keys.dev,
    )
    decision = scored.json()["decisions"][0]
    assert decision["action"] == "review", "a synced Scameter listing warns by default"
    assert "payee_on_watchlist" in decision["rule_hits"]

    r = await client.post(
        f"{URL}/sync", json={"source": "scameter", "payee_ids": ["S2"]}, headers=keys.admin
    )
    assert (r.json()["unlisted"], r.json()["still_listed"]) == (1, 0)
    r = await client.post(
        URL,
        json={"payee_ids": ["S2"], "source": "investigation", "action": "block"},
        headers=analyst,
    )
    assert r.json()["changed"] == 1, "a second source's listing"
    (entry,) = (await client.get(URL, headers=analyst)).json()["entries"]
    assert (entry["action"], entry["source"], entry["sources"]) == (
        "block",
        "investigation",
        ["investigation", "scameter"],
    ), "the stricter listing sets the action; the Scameter one stays beside it"
    bad = await client.post(
        URL, json={"payee_ids": ["X"], "source": "s", "action": "allow"}, headers=analyst
    )
    assert bad.status_code == 422
    sources = (await client.get(f"{URL}/sources", headers=keys.auditor)).json()
    by_name = {s["source"]: s for s in sources}
    assert by_name["scameter"]["listed"] == 1 and by_name["scameter"]["synced_by"] == "admin"
    assert by_name["investigation"]["listed"] == 1
    assert (await client.get(f"{URL}/sources", headers=keys.dev)).status_code == 403


async def test_the_customers_answer_to_a_warning_is_kept_once_and_shown_in_the_case(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], scoring: Platform
) -> None:
    await client.post(
        URL,
        json={"payee_ids": ["SCAM7"], "source": "scameter", "action": "review"},
        headers=analyst,
    )
    rows = [txn("R1", payee_id="SCAM7"), txn("R2", customer="C0000002")]
    scored = await client.post("/api/v1/fraud/score", json={"transactions": rows}, headers=keys.dev)
    held, passed = scored.json()["decisions"]
    assert held["action"] == "review" and passed["action"] == "allow"

    answer = {"response": "cancelled", "channel": "mobile_app"}
    url = "/api/v1/fraud/decisions/{}/customer-response"
    r = await client.post(url.format("R1"), json=answer, headers=keys.dev)
    assert r.status_code == 201, r.text
    assert r.json()["response"] == "cancelled" and r.json()["recorded_by"] == "dev"
    again = await client.post(url.format("R1"), json=answer, headers=keys.dev)
    assert again.status_code == 200 and again.json() == r.json()
    other = await client.post(
        url.format("R1"), json={"response": "proceeded", "channel": "mobile_app"}, headers=keys.dev
    )
    assert other.status_code == 409
    assert (await client.post(url.format("R2"), json=answer, headers=keys.dev)).status_code == 409
    assert (await client.post(url.format("NOPE"), json=answer, headers=keys.dev)).status_code == 404
    bad = await client.post(
        url.format("R1"), json={"response": "maybe", "channel": "x"}, headers=keys.dev
    )
    assert bad.status_code == 422

    (case,) = (await client.get("/api/v1/fraud/cases", headers=analyst)).json()
    view = (await client.get(f"/api/v1/fraud/cases/{case['case_id']}", headers=analyst)).json()
    (alert,) = [a for a in view["alerts"] if a["txn_id"] == "R1"]
    assert alert["customer_response"]["response"] == "cancelled"
    assert "payee_on_watchlist" in alert["rule_hits"]
    entries = [e for e in scoring.ledger.entries() if e.action == "fraud.customer_response"]
    assert len(entries) == 1 and entries[0].subject_id == "R1"
    assert entries[0].payload["response"] == "cancelled"


async def test_listings_come_due_for_review_and_compliance_keeps_them(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], platform: Platform
) -> None:
    hk_today = (datetime.now(UTC) + timedelta(hours=8)).date()
    body = {
        "payee_ids": ["OWN-1", "OWN-2"],
        "source": "investigation",
        "review_by": (hk_today + timedelta(days=30)).isoformat(),
    }
    for bad in (hk_today.isoformat(), "2027-13-01", "soon"):
        r = await client.post(URL, json={**body, "review_by": bad}, headers=analyst)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(URL, headers=analyst)).json()["total"] == 0
    assert (await client.post(URL, json=body, headers=analyst)).json()["changed"] == 2
    due = (await client.get(f"{URL}/due", headers=keys.auditor)).json()
    assert (due["today"], due["total"]) == (hk_today.isoformat(), 0)

    # a month passes
    with platform.engine.begin() as conn:
        conn.execute(update(fraud_watchlist_listings).values(review_by=hk_today.isoformat()))
    due = (await client.get(f"{URL}/due", headers=keys.auditor)).json()
    assert [x["payee_id"] for x in due["listings"]] == ["OWN1", "OWN2"], "canonical forms"
    assert due["listings"][0]["listed_by"] == "ana"

    review = {
        "payee_ids": ["OWN-1"],
        "source": "investigation",
        "next_review": (hk_today + timedelta(days=90)).isoformat(),
        "note": "the police case is still open",
    }
    assert (await client.post(f"{URL}/review", json=review, headers=analyst)).status_code == 403
    r = await client.post(f"{URL}/review", json=review, headers=keys.compliance)
    assert r.status_code == 200 and r.json()["changed"] == 1, r.text
    due = (await client.get(f"{URL}/due", headers=keys.auditor)).json()
    assert [x["payee_id"] for x in due["listings"]] == ["OWN2"]
    reviewed = [e for e in platform.ledger.entries() if e.action == "fraud.watchlist_reviewed"]
    assert len(reviewed) == 1 and "OWN1" not in json.dumps(reviewed[0].payload)
    assert "police case" not in json.dumps(reviewed[0].payload)
