"""VA dealing and screening through the REST API (issue 7's "done when" journey and bad input)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from dualtrack.bootstrap import Platform
from dualtrack.screening import wiring as screening_wiring
from dualtrack.vadealing import wiring as va_wiring
from dualtrack.vadealing.demo import btc_address, sample_transactions
from tests.conftest import People
from tests.e2e.conftest import Keys

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


RULE_WORDS = (
    "cdd",
    "travel",
    "rule",
    "VA-AML",
    "VA-OTC",
    "threshold",
    "8,000",
    "8000",
    "screening",
    "sanction",
    "beneficiary",
    "originator",
)


@pytest.fixture
def demo(platform: Platform, people: People) -> Platform:
    screening_wiring.seed_demo(platform)
    va_wiring.seed_demo(platform)
    return platform


def _actions(platform: Platform, limit: int = 500) -> list[str]:
    return [e.action for e in platform.ledger.page(limit=limit)]


def _changed_watchlist() -> bytes:
    lines = screening_wiring.demo_watchlist().decode().splitlines()
    first = json.loads(lines[0])
    assert first["id"] == "HKD-0001"
    first["properties"]["birthDate"] = ["1968-03-02"]  # the entry changes
    lines[0] = json.dumps(first, ensure_ascii=False)
    return ("\n".join(lines) + "\n").encode()


async def test_done_when_journey(client: httpx.AsyncClient, keys: Keys, demo: Platform) -> None:
    carol = keys.compliance
    firms = (await client.get("/api/v1/va/firms", headers=carol)).json()
    statuses = {f["firm_id"]: f["status"] for f in firms}
    assert statuses["tsuen-otc"] == "suspended"
    assert statuses["kowloon-vasp"] == "licensed_with_conditions"
    suspended = next(f for f in firms if f["firm_id"] == "tsuen-otc")
    assert suspended["may_transfer"]["allowed"] is False
    assert "suspended" in suspended["may_transfer"]["reason"]
    clients = (await client.get("/api/v1/va/clients", headers=carol)).json()
    assert {c["effective_cdd_status"] for c in clients} >= {"verified", "pending", "high_risk"}
    assert any(w["proven"] for c in clients for w in c["wallets"])

    # A transfer that trips the HK$8,000 CDD rule: held, staff see why, the client does not.
    samples = sample_transactions()
    r = await client.post("/api/v1/va/transactions/check", json=samples["cdd-8000"], headers=carol)
    assert r.status_code == 200, r.text
    staff = r.json()
    assert staff["decision"] == "hold"
    assert [h["rule_id"] for h in staff["result"]["hits"]] == ["cdd_occasional_va_transfer"]
    hit = staff["result"]["hits"][0]
    assert hit["control_id"] == "VA-AML-03" and "AMLO" in hit["source"]
    assert staff["result"]["rate_source"] == "HKMA indicative (demo)"
    assert staff["case_id"]
    r = await client.get(
        f"/api/v1/va/transactions/checks/{staff['check_id']}",
        params={"audience": "client"},
        headers=carol,
    )
    shown = r.json()
    assert set(shown) == {"reference", "outcome", "message"}
    assert shown["outcome"] == "processing"
    text = json.dumps(shown).lower()
    for word in RULE_WORDS:
        assert word.lower() not in text, word

    # Missing travel-rule data: held with the missing fields named.
    r = await client.post(
        "/api/v1/va/transactions/check",
        json=samples["travel-rule-missing"],
        params={"audience": "client"},
        headers=carol,
    )
    assert r.json()["outcome"] == "processing"
    assert "travel" not in r.text.lower()
    checks = (
        await client.get("/api/v1/va/transactions/checks?client_id=C-1001", headers=carol)
    ).json()
    latest = checks[0]
    assert latest["decision"] == "hold"
    assert "travel_rule_outgoing" in [h["rule_id"] for h in latest["result"]["hits"]]

    # Screening "CHAN Tai Man": a ranked hit against the Chinese-character entry, with reason.
    body = {"client_id": "C-2001", "name": "CHAN Tai Man"}
    first = (await client.post("/api/v1/screening/names", json=body, headers=carol)).json()
    assert first["decision"] == "potential-match"
    top = first["hits"][0]
    assert (top["entry_id"], top["matched_name"]) == ("HKD-0001", "陳大文")
    assert "陳" in top["reason"] and "Jyutping" in top["reason"]
    scores = [h["score"] for h in first["hits"]]
    assert scores == sorted(scores, reverse=True) and min(scores) < 1.0
    assert any(v.startswith("hk-demo-watchlist@") for v in first["list_versions"])
    assert any(v.startswith("un-sc@") for v in first["list_versions"])

    # Clear it: it does not recur for this client (but does for another).
    r = await client.post(
        "/api/v1/screening/clearances",
        json={
            "screening_id": first["screening_id"],
            "list_id": "hk-demo-watchlist",
            "entry_id": "HKD-0001",
            "reason": "different person: HKID and date of birth checked",
        },
        headers=carol,
    )
    assert r.status_code == 201, r.text
    again = (await client.post("/api/v1/screening/names", json=body, headers=carol)).json()
    assert "HKD-0001" not in [h["entry_id"] for h in again["hits"]]
    assert again["suppressed"] == 1
    other = {"client_id": "C-2002", "name": "CHAN Tai Man"}
    fresh = (await client.post("/api/v1/screening/names", json=other, headers=carol)).json()
    assert fresh["hits"][0]["entry_id"] == "HKD-0001"

    # A changed list entry makes the hit recur.
    r = await client.post(
        "/api/v1/screening/lists/hk-demo-watchlist",
        content=_changed_watchlist(),
        params={"source": "hk-demo-watchlist-v2.jsonl"},
        headers=carol,
    )
    assert r.status_code == 201, r.text
    assert r.json()["changed"] is True
    new_version = r.json()["version_id"]
    back = (await client.post("/api/v1/screening/names", json=body, headers=carol)).json()
    assert back["hits"][0]["entry_id"] == "HKD-0001" and back["suppressed"] == 0
    assert new_version in back["list_versions"]

    # A malformed upload leaves that version in service and raises an alert.
    r = await client.post(
        "/api/v1/screening/lists/hk-demo-watchlist",
        content=b'{"id": "x", "schema": "Person", "properties": {"name": ["A B"]}}\n{not json\n',
        headers=carol,
    )
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "screening-list-load-failed"
    assert problem["kept_version"] == new_version and problem["alert_id"]
    lists = (await client.get("/api/v1/screening/lists", headers=carol)).json()
    assert lists["active"]["hk-demo-watchlist"] == new_version
    alerts = (await client.get("/api/v1/screening/alerts", headers=carol)).json()
    assert alerts[0]["alert_id"] == problem["alert_id"]
    assert alerts[0]["kept_version"] == new_version and "line 2" in alerts[0]["problem"]

    actions = _actions(demo)
    for action in (
        "va.transaction_checked",
        "va.alert_raised",
        "screening.performed",
        "screening.hit_cleared",
        "screening.list_loaded",
        "screening.list_load_failed",
    ):
        assert action in actions, action
    verify = (await client.get("/api/v1/ledger/verify", headers=carol)).json()
    assert verify["ok"] is True


def _tx(**changes: Any) -> dict[str, Any]:
    tx = dict(sample_transactions()["cdd-8000"])
    tx.update(changes)
    return tx


async def test_bad_input_is_held_or_refused(
    client: httpx.AsyncClient, keys: Keys, demo: Platform
) -> None:
    carol = keys.compliance
    url = "/api/v1/va/transactions/check"

    async def rules(tx: dict[str, Any]) -> tuple[str, list[str]]:
        r = await client.post(url, json=tx, headers=carol)
        assert r.status_code == 200, r.text
        body = r.json()
        return body["decision"], [h["rule_id"] for h in body["result"]["hits"]]

    decision, hit = await rules(_tx(tx_id="bad-1", asset="XYZ"))
    assert decision != "allow" and "hkd_valuation" in hit
    # A known currency with no rate near the trade time (the demo publishes from 08:00 HKT).
    decision, hit = await rules(_tx(tx_id="bad-1b", at="2026-11-25T07:00:00+08:00"))
    assert decision != "allow" and "hkd_valuation" in hit
    bad_checksum = btc_address("client-C-1002-btc")[:-1] + "q"
    decision, hit = await rules(_tx(tx_id="bad-2", client_wallet=bad_checksum))
    assert decision == "block" and "address_checksum" in hit
    partial = {"originator": {"name": "Harbour OTC Ltd"}, "beneficiary": {"account": "x"}}
    decision, hit = await rules(_tx(tx_id="bad-3", travel_rule=partial))
    assert decision == "hold" and "travel_rule_outgoing" in hit
    control = {
        "originator": {"name": "Harbour\x07OTC", "account": "a", "customer_id": "c"},
        "beneficiary": {"name": "LEE Ka Yan", "account": "b"},
    }
    decision, hit = await rules(_tx(tx_id="bad-4", travel_rule=control))
    assert decision == "hold" and "travel_rule_data_quality" in hit

    for broken, status in (
        (_tx(at="2026-11-25T10:05:00"), 422),  # no timezone
        (_tx(quantity="lots"), 422),
        (_tx(kind="gift"), 422),
        (_tx(unexpected="x"), 422),
        (_tx(client_id="C-9999"), 404),
    ):
        r = await client.post(url, json=broken, headers=carol)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")

    names = "/api/v1/screening/names"
    for name in ("CHAN\x07Tai Man", "CHAN \u202eTai Man"):
        r = await client.post(names, json={"client_id": "C-1", "name": name}, headers=carol)
        assert r.status_code == 422 and r.json()["code"] == "screening-name-rejected"
    # Mixed scripts (a Cyrillic letter inside a Latin name) are screened, not passed silently.
    r = await client.post(
        names, json={"client_id": "C-1", "name": "CHAN Tai \u041can"}, headers=carol
    )
    assert r.status_code in (200, 422)
    if r.status_code == 200:
        assert r.json()["decision"] == "potential-match"

    r = await client.post(
        "/api/v1/screening/lists/un-sc", content=b"<root><x/></root>", headers=carol
    )
    assert r.status_code == 422 and r.json()["error_code"] == "screening-list-malformed"
    r = await client.post(
        "/api/v1/screening/lists/un-sc", content=b"name;other\n1;2\n", headers=carol
    )
    assert r.status_code == 422
    active = (await client.get("/api/v1/screening/lists", headers=carol)).json()["active"]
    assert active["un-sc"].startswith("un-sc@")

    r = await client.post(url, json=_tx(tx_id="bad-5"), headers=keys.auditor)
    assert r.status_code == 403


async def test_times_dates_numbers_and_flags_take_only_their_documented_form(
    client: httpx.AsyncClient, keys: Keys, demo: Platform
) -> None:
    """pydantic's lax parsing read a number (or a string of digits) as Unix time and a time
    without a timezone as it came, and 1 or "yes" as true: refused now, before anything is
    written, because each would be a wrong date or action kept for years."""
    carol = keys.compliance
    before = len(_actions(demo))
    rate = {"currency": "BTC", "hkd_per_unit": "1", "source": "test"}
    for as_of in (1764000000, "1764000000", 0.5, "2026-11-25T09:00:00", "25/11/2026"):
        r = await client.post("/api/v1/va/fx-rates", json=rate | {"as_of": as_of}, headers=carol)
        assert r.status_code == 422, (as_of, r.text)
        assert "as_of" in r.json()["detail"]
    for at in (1764000000, "1764000000"):
        r = await client.post("/api/v1/va/transactions/check", json=_tx(at=at), headers=carol)
        assert r.status_code == 422 and "at" in r.json()["detail"], r.text
    capital = {"paid_up_hkd": "5000000", "liquid_hkd": "3000000"}
    for as_of in (0, 20261125):
        r = await client.post(
            "/api/v1/va/firms/harbour-otc/capital", json=capital | {"as_of": as_of}, headers=carol
        )
        assert r.status_code == 422 and "as_of" in r.json()["detail"], r.text
    # Deleting records needs the literal true; 1 and "yes" are refused, nothing is deleted.
    for flag in (1, "yes", "true"):
        r = await client.post("/api/v1/va/retention", json={"apply": flag}, headers=carol)
        assert r.status_code == 422 and "apply" in r.json()["detail"], r.text
    r = await client.post(
        "/api/v1/screening/names",
        json={"client_id": "C-1", "name": "CHAN Tai Man", "birth_year": "1970"},
        headers=carol,
    )
    assert r.status_code == 422 and "birth_year" in r.json()["detail"], r.text
    assert len(_actions(demo)) == before
    # The documented forms still work.
    ok = rate | {"as_of": "2026-11-25T09:00:00+08:00"}
    r = await client.post("/api/v1/va/fx-rates", json=ok, headers=carol)
    assert r.status_code == 201, r.text
    assert r.json()["as_of"] == "2026-11-25T09:00:00+08:00"


async def test_case_workflow_and_str(client: httpx.AsyncClient, keys: Keys, demo: Platform) -> None:
    carol = keys.compliance
    queue = (await client.get("/api/v1/va/cases", headers=carol)).json()
    case = next(c for c in queue if c["client_id"] == "C-1002")
    url = f"/api/v1/va/cases/{case['case_id']}/actions"
    r = await client.post(url, json={"action": "review"}, headers=carol)
    assert r.json()["status"] == "in_review" and r.json()["assignee"] == "carol"
    r = await client.post(url, json={"action": "confirm"}, headers=carol)
    assert r.status_code == 422  # grounds are required
    grounds = "Occasional client moving value just over the CDD threshold; no CDD."
    r = await client.post(url, json={"action": "confirm", "note": grounds}, headers=carol)
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "confirmed_suspicious" and confirmed["str"]["recipient"] == "JFIU"
    assert confirmed["str"]["transactions"][0]["tx_id"] == "demo-tx-0002"
    text = (await client.get(f"/api/v1/va/cases/{case['case_id']}/str", headers=carol)).text
    assert "JFIU" in text and grounds in text and "cdd_occasional_va_transfer" in text
    r = await client.post(url, json={"action": "clear", "note": "x"}, headers=carol)
    assert r.status_code == 409  # resolved cases take no transitions
    assert "va.str_drafted" in _actions(demo)


async def test_retention_refuses_young_records_and_evidences_deletion(
    client: httpx.AsyncClient, keys: Keys, demo: Platform
) -> None:
    carol = keys.compliance
    dry = (await client.post("/api/v1/va/retention", json={}, headers=carol)).json()
    deletable = [r for r in dry["records"] if r["deletable"]]
    young = [r for r in dry["records"] if not r["deletable"]]
    assert len(deletable) == 1 and young
    assert dry["evidence"] is None and dry["regimes"] == ["AMLO", "SFC"]
    r = await client.post(
        "/api/v1/va/retention",
        json={"apply": True, "record_ids": [young[0]["record_id"]]},
        headers=carol,
    )
    assert r.status_code == 409 and r.json()["code"] == "va-retention-locked"
    r = await client.post("/api/v1/va/retention", json={"apply": True}, headers=carol)
    done = r.json()
    assert done["evidence"]["record_count"] == 1
    assert done["evidence"]["records"][0][0] == deletable[0]["record_id"]
    after = (await client.post("/api/v1/va/retention", json={}, headers=carol)).json()
    assert not any(r["deletable"] for r in after["records"])
    assert len(after["records"]) == len(dry["records"]) - 1
    entry = demo.ledger.page(limit=1)[0]
    assert entry.action == "va.records_deleted"
    assert entry.subject_id == done["evidence"]["evidence_id"]
    r = await client.post("/api/v1/va/retention", json={}, headers=keys.dev)
    assert r.status_code == 403


async def test_onboarding_and_wallet_proof_through_the_api(
    client: httpx.AsyncClient, keys: Keys, demo: Platform
) -> None:
    from dualtrack.vadealing.demo import demo_key, eth_address
    from dualtrack.vadealing.wallet_proof import sign_eth_message

    carol = keys.compliance
    r = await client.post(
        "/api/v1/va/clients",
        json={"client_id": "C-7001", "relationship": "business"},
        headers=carol,
    )
    assert r.status_code == 201 and r.json()["cdd_status"] == "pending"
    r = await client.post(
        "/api/v1/va/clients/C-7001/cdd",
        json={"status": "verified", "verified_on": "2026-11-01"},
        headers=carol,
    )
    assert r.json()["effective_cdd_status"] == "verified"
    wallet = eth_address("client-C-7001-eth")
    r = await client.post(
        "/api/v1/va/clients/C-7001/wallet-challenges",
        json={"chain": "ethereum", "address": wallet},
        headers=carol,
    )
    assert r.status_code == 201, r.text
    challenge = r.json()
    client_state = (await client.get("/api/v1/va/clients/C-7001", headers=carol)).json()
    assert client_state["wallets"][0]["proven"] is False  # the client's word is not enough

    sample = dict(sample_transactions()["travel-rule-missing"])
    full = {
        "originator": {"name": "Harbour OTC Ltd", "account": "omnibus", "customer_id": "H1"},
        "beneficiary": {"name": "CHEUNG Wai Kit", "account": "c-7001"},
    }
    tx = {**sample, "tx_id": "w-1", "client_id": "C-7001", "client_wallet": wallet}
    tx["travel_rule"] = full
    r = await client.post("/api/v1/va/transactions/check", json=tx, headers=carol)
    assert r.json()["decision"] == "block"
    assert "client_wallet_proven_outgoing" in [h["rule_id"] for h in r.json()["result"]["hits"]]

    wrong = sign_eth_message(demo_key("someone-else"), challenge["message"])
    r = await client.post(
        f"/api/v1/va/wallet-challenges/{challenge['challenge_id']}/signature",
        json={"signature": wrong},
        headers=carol,
    )
    assert r.status_code == 422 and r.json()["code"] == "va-wallet-proof-failed"
    right = sign_eth_message(demo_key("client-C-7001-eth"), challenge["message"])
    r = await client.post(
        f"/api/v1/va/wallet-challenges/{challenge['challenge_id']}/signature",
        json={"signature": right},
        headers=carol,
    )
    assert r.status_code == 200, r.text
    assert r.json()["proof"]["method"] == "signed_message"
    tx["tx_id"] = "w-2"
    r = await client.post("/api/v1/va/transactions/check", json=tx, headers=carol)
    assert "client_wallet_proven_outgoing" not in [h["rule_id"] for h in r.json()["result"]["hits"]]

    r = await client.post(
        "/api/v1/va/firms/harbour-otc/wallets",
        json={"chain": "bitcoin", "address": btc_address("x")[:-1] + "q"},
        headers=carol,
    )
    assert r.status_code == 422 and r.json()["code"] == "va-invalid-address"
    r = await client.post(
        "/api/v1/va/firms",
        json={"firm_id": "new-otc", "name": "New OTC Ltd", "kind": "dealer", "authority": "SFC"},
        headers=carol,
    )
    assert r.status_code == 201 and r.json()["status"] == "applied"
    r = await client.post(
        "/api/v1/va/firms/new-otc/status", json={"status": "revoked"}, headers=carol
    )
    assert r.status_code == 409  # applied -> revoked is not a licence transition
    r = await client.get(
        "/api/v1/va/firms/new-otc/counterparty-check", params={"purpose": "deal"}, headers=carol
    )
    assert r.json()["allowed"] is False and r.json()["reason_code"] == "licence-applied"


async def test_listed_wallet_blocks_through_wallet_screening(
    client: httpx.AsyncClient, keys: Keys, demo: Platform
) -> None:
    carol = keys.compliance
    wallet = btc_address("client-C-1002-btc")
    listing = f"address,chain,list,reason\n{wallet},BTC,hkma-alert,reported scam wallet\n"
    r = await client.post(
        "/api/v1/screening/lists/wallet-alerts",
        content=listing.encode(),
        params={"source": "wallet-alerts.csv"},
        headers=carol,
    )
    assert r.status_code == 201, r.text
    tx = {**sample_transactions()["cdd-8000"], "tx_id": "wal-1"}
    body = (await client.post("/api/v1/va/transactions/check", json=tx, headers=carol)).json()
    assert body["decision"] == "block"
    hit = next(h for h in body["result"]["hits"] if h["rule_id"] == "wallet_screening")
    assert hit["control_id"] == "VA-AML-10"
    assert "wallet-alerts" in body["screening"]["wallet"]
    r = await client.post(
        "/api/v1/screening/names",
        json={"client_id": "C-1002", "wallet_address": wallet},
        headers=carol,
    )
    assert r.json()["hits"][0]["match_kind"] == "wallet"
