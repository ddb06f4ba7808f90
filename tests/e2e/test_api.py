"""End to end through the ASGI app: happy path, maker-checker and every kind of bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Keys

pytestmark = pytest.mark.anyio

SYSTEM = {
    "name": "Client research assistant",
    "purpose": "Gives investment research to clients",
    "business_function": "Wealth",
    "opportunity_area": "investment",
    "accountable_senior_manager": "sam",
    "owner": "dev",
    "customer_facing": True,
    "gives_investment_advice": True,
    "generative": True,
}
VERSION = {"version": "1.0", "artifact_sha256": "ab" * 32, "data_fingerprint": "cd" * 32}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def assert_problem(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if code:
        assert body["code"] == code
    return body


async def submitted_version(client: httpx.AsyncClient, keys: Keys) -> tuple[str, str]:
    r = await client.post("/api/v1/systems", json=SYSTEM, headers=keys.dev)
    assert r.status_code == 201, r.text
    system = r.json()
    r = await client.post(
        f"/api/v1/systems/{system['id']}/versions", json=VERSION, headers=keys.dev
    )
    assert r.status_code == 201
    vid = r.json()["id"]
    r = await client.post(f"/api/v1/model-versions/{vid}/submit", headers=keys.dev)
    assert r.json()["state"] == "submitted"
    return system["id"], vid


async def test_lifecycle_through_the_api(client: httpx.AsyncClient, keys: Keys) -> None:
    system_id, vid = await submitted_version(client, keys)
    r = await client.get(f"/api/v1/systems/{system_id}", headers=keys.auditor)
    assert r.json()["tier"] == "HIGH" and r.json()["oversight"] == "human-in-the-loop"
    r = await client.post(
        f"/api/v1/model-versions/{vid}/validation-verdicts",
        json={"passed": True, "summary": "accuracy checked"},
        headers=keys.validator,
    )
    assert r.status_code == 201
    queue = (await client.get("/api/v1/approvals", headers=keys.manager)).json()
    assert queue[0]["may_approve"] is True
    r = await client.post(f"/api/v1/model-versions/{vid}/approve", json={}, headers=keys.manager)
    assert r.json()["state"] == "approved"
    r = await client.post(f"/api/v1/model-versions/{vid}/deploy", headers=keys.dev)
    assert r.json()["state"] == "deployed"
    verify = (await client.get("/api/v1/ledger/verify", headers=keys.auditor)).json()
    assert verify["ok"] is True and verify["entries_checked"] > 5
    gaps = (await client.get(f"/api/v1/systems/{system_id}/controls", headers=keys.auditor)).json()
    by_id = {g["control_id"]: g["status"] for g in gaps}
    assert by_id["SFC-17"] in {"met", "unmet", "evidence missing"}
    export = await client.get("/api/v1/ledger/export", headers=keys.auditor)
    assert len(export.text.strip().splitlines()) == verify["entries_checked"]


async def test_self_approval_and_wrong_role_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    _, vid = await submitted_version(client, keys)
    r = await client.post(
        f"/api/v1/model-versions/{vid}/validation-verdicts",
        json={"passed": True, "summary": "mine"},
        headers=keys.dev,
    )
    assert_problem(r, 403, "self-approval-forbidden")
    await client.post(
        f"/api/v1/model-versions/{vid}/validation-verdicts",
        json={"passed": True, "summary": "ok"},
        headers=keys.validator,
    )
    r = await client.post(f"/api/v1/model-versions/{vid}/approve", json={}, headers=keys.dev)
    assert_problem(r, 403, "self-approval-forbidden")
    r = await client.post(f"/api/v1/model-versions/{vid}/approve", json={}, headers=keys.compliance)
    body = assert_problem(r, 403, "role-not-allowed")
    assert "senior_manager" in body["detail"]


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b | {"opportunity_area": "astrology"}, "opportunity_area"),
        (lambda b: b | {"customer_facing": "very"}, "customer_facing"),
        # flags are true or false: 0/1 and "yes"/"no" would decide the tier on a guess
        (lambda b: b | {"customer_facing": "no"}, "customer_facing"),
        (lambda b: b | {"uses_personal_data": 1}, "uses_personal_data"),
        (lambda b: {k: v for k, v in b.items() if k != "name"}, "name"),
        (lambda b: b | {"tier": "LOW"}, "tier"),  # tiers are computed, never typed in
        (lambda b: b | {"name": ""}, "name"),
        (lambda b: b | {"name": "   "}, "name"),
        # lengths count the text as sent (maxLength 200), not the text after stripping
        (lambda b: b | {"name": " " + "x" * 200}, "name"),
    ],
)
async def test_bad_system_bodies(
    client: httpx.AsyncClient, keys: Keys, mutate: Any, fragment: str
) -> None:
    r = await client.post("/api/v1/systems", json=mutate(dict(SYSTEM)), headers=keys.dev)
    body = assert_problem(r, 422, "invalid-request")
    assert fragment in body["detail"]


async def test_surrounding_spaces_are_dropped(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.post(
        "/api/v1/systems", json=SYSTEM | {"name": "  Spaced system \t"}, headers=keys.dev
    )
    assert r.status_code == 201 and r.json()["name"] == "Spaced system", r.text


async def test_malformed_and_oversized(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.post(
        "/api/v1/systems",
        content=b"{not json",
        headers=keys.dev | {"content-type": "application/json"},
    )
    assert_problem(r, 422)
    big = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    r = await client.post(
        "/api/v1/systems", content=big, headers=keys.dev | {"content-type": "application/json"}
    )
    assert_problem(r, 413, "payload-too-large")


async def test_unknown_ids_illegal_transitions_and_auth(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    assert_problem(await client.get("/api/v1/systems/nope", headers=keys.dev), 404, "not-found")
    assert_problem(await client.post("/api/v1/model-versions/nope/submit", headers=keys.dev), 404)
    _, vid = await submitted_version(client, keys)
    r = await client.post(f"/api/v1/model-versions/{vid}/deploy", headers=keys.dev)
    assert_problem(r, 409, "conflict")
    r = await client.post(f"/api/v1/model-versions/{vid}/submit", headers=keys.dev)
    assert_problem(r, 409, "illegal-transition")
    assert_problem(await client.get("/api/v1/systems"), 401)
    assert_problem(
        await client.get("/api/v1/systems", headers={"Authorization": "Bearer dt_00_bad"}), 401
    )
    r = await client.post("/api/v1/systems", json=SYSTEM, headers=keys.auditor)
    assert_problem(r, 403, "role-not-allowed")
    r = await client.post("/api/v1/systems", json=SYSTEM, headers=keys.dev)
    r = await client.post("/api/v1/systems", json=SYSTEM, headers=keys.dev)
    assert_problem(r, 409)
    r = await client.get("/api/v1/systems?as_of=yesterday", headers=keys.dev)
    assert_problem(r, 422)
    # a bare number is not a time (a lenient parser would read it as 1970 and answer [])
    r = await client.get("/api/v1/systems?as_of=0.5", headers=keys.dev)
    assert "ISO 8601" in assert_problem(r, 422, "invalid-input")["detail"]
    r = await client.get("/api/v1/systems?as_of=2026-11-25T09:00:00", headers=keys.dev)
    assert "timezone" in assert_problem(r, 422)["detail"]


async def test_ledger_paging_bounds(client: httpx.AsyncClient, keys: Keys) -> None:
    await submitted_version(client, keys)
    # the largest 64-bit sequence number pages from the newest entry ...
    r = await client.get(f"/api/v1/ledger?before_seq={2**63 - 1}", headers=keys.auditor)
    assert r.status_code == 200 and len(r.json()) > 1
    # ... and one past it is refused (it used to reach SQLite and fail with a 500)
    r = await client.get(f"/api/v1/ledger?before_seq={2**63}", headers=keys.auditor)
    assert "before_seq" in assert_problem(r, 422, "invalid-request")["detail"]


async def test_inventory_as_of(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.get("/api/v1/systems?as_of=2001-01-01T00:00:00Z", headers=keys.dev)
    assert r.status_code == 200 and r.json() == []


async def test_health_metrics_openapi(client: httpx.AsyncClient, keys: Keys) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    listed = await client.get("/api/v1/systems", headers=keys.dev)
    for name, value in (
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ):
        assert listed.headers[name] == value
    refused = await client.get("/api/v1/systems")  # no key: a 401 problem, still observed
    assert refused.status_code == 401 and refused.headers["x-frame-options"] == "DENY"
    metrics = (await client.get("/metrics")).text
    assert (
        'dualtrack_http_requests_total{method="GET",route="/api/v1/systems",status="200"}'
        in metrics
    )
    assert (
        'dualtrack_http_requests_total{method="GET",route="/api/v1/systems",status="401"}'
        in metrics
    )
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/model-versions/{version_id}/approve" in spec["paths"]
    assert (
        "maker-checker"
        in spec["paths"]["/api/v1/model-versions/{version_id}/approve"]["post"][
            "description"
        ].lower()
    )


async def test_logs_hold_no_secrets(
    client: httpx.AsyncClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    await client.get("/api/v1/systems?owner=A123456(3)", headers=keys.dev)
    # Only the server's own records: httpx (the test client) logs the URL it sent.
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("dualtrack"))
    assert "/api/v1/systems" in text
    assert keys.dev["Authorization"].split()[1] not in text
    assert "A123456" not in text
