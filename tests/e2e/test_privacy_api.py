"""The privacy guard through the ASGI app: scan, redact, pseudonymise, re-identify, policies,
bad input, missing keys, and a ledger that never holds the sample's raw identifiers."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.registry.domain import OpportunityArea, SystemAttributes
from tests.conftest import People
from tests.e2e.conftest import Keys

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "data/privacy/samples/kyc_note_bilingual.txt").read_text("utf-8")
SAMPLE_HKIDS = ["K302817(8)", "R561294(1)", "M740165(0)", "S918033(A)"]
PKEY = "test-pseudonym-key-0123456789abcdef"
EKEY = base64.b64encode(bytes(range(64))).decode()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        var_dir=tmp_path / "var",
        cookie_secure=False,
        pseudonym_key=PKEY,  # type: ignore[arg-type]
        encryption_key=EKEY,  # type: ignore[arg-type]
    )


@pytest.fixture
def analyst(platform: Platform, people: People) -> dict[str, str]:
    key = platform.identity.issue_api_key(people.admin, username="ana", label="test")
    return {"Authorization": f"Bearer {key}"}


def assert_problem(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    if code:
        assert body["code"] == code
    return body


def raw_variants(hkid: str) -> list[str]:
    bare = re.sub(r"[()]", "", hkid)
    return [hkid, bare]


def ledger_text(platform: Platform) -> str:
    out = io.StringIO()
    platform.ledger.export(out)
    return out.getvalue()


def actions(platform: Platform) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in platform.ledger.entries()]


async def test_scan_returns_spans_not_text(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.post("/api/v1/privacy/scan", json={"text": SAMPLE}, headers=keys.dev)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["characters"] == len(SAMPLE)
    assert body["by_type"]["HKID"] == 4
    assert {"PERSON", "HK_PHONE", "ADDRESS", "EMAIL", "HK_BANK_ACCOUNT"} <= set(body["by_type"])
    assert all("text" not in f for f in body["findings"])
    spans = {SAMPLE[f["start"] : f["end"]] for f in body["findings"]}
    assert set(SAMPLE_HKIDS) <= spans
    assert {"陳大文", "李美玲", "CHAN Tai Man"} <= spans  # both languages
    r = await client.post(
        "/api/v1/privacy/scan", json={"text": SAMPLE, "include_text": True}, headers=keys.dev
    )
    assert {f["text"] for f in r.json()["findings"]} == spans
    # A near miss: a reference number is not personal data.
    r = await client.post(
        "/api/v1/privacy/scan", json={"text": "Ref KYC-2026-00417"}, headers=keys.dev
    )
    assert r.json()["total"] == 0


@pytest.mark.parametrize(
    ("mode", "marker"),
    [
        ("replace", "<HKID>"),
        ("mask", "*******(*)"),
        ("pseudonymise", "HKID_"),
        ("encrypt", "enc:HKID:"),
    ],
)
async def test_redact_modes_remove_every_hkid(
    client: httpx.AsyncClient, keys: Keys, mode: str, marker: str
) -> None:
    r = await client.post(
        "/api/v1/privacy/redact", json={"text": SAMPLE, "mode": mode}, headers=keys.dev
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert marker in body["text"]
    for hkid in SAMPLE_HKIDS:
        assert hkid not in body["text"]
    assert body["summary"]["by_type"]["HKID"] == 4 and body["request_id"]


async def test_pseudonyms_are_stable_and_records_are_walked(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    async def token(text: str) -> str:
        r = await client.post(
            "/api/v1/privacy/redact",
            json={"text": text, "mode": "pseudonymise"},
            headers=keys.dev,
        )
        found = re.findall(r"HKID_[0-9a-f]{20}", r.json()["text"])
        assert len(found) == 1, r.text
        return found[0]

    first = await token("HKID K302817(8) on file")
    assert first == await token("身份證 K3028178")  # another request, another written form
    assert first != await token("HKID R561294(1)")
    record = {"customer": {"hkid": "HKID K302817(8)", "note": "call 9123 4567"}, "amount": 5}
    r = await client.post(
        "/api/v1/privacy/redact",
        json={"record": record, "mode": "pseudonymise"},
        headers=keys.dev,
    )
    out = r.json()["record"]
    assert out["amount"] == 5 and first in out["customer"]["hkid"]
    assert "9123" not in out["customer"]["note"]


async def test_reidentify_is_for_compliance_only_and_ledgered(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], platform: Platform
) -> None:
    r = await client.post(
        "/api/v1/privacy/redact",
        json={"text": "HKID K302817(8)", "mode": "encrypt"},
        headers=keys.dev,
    )
    token = re.search(r"enc:HKID:[A-Za-z0-9_-]+", r.json()["text"])
    assert token is not None
    body = {"token": token.group(0), "reason": "STR filing 2026-117"}
    r = await client.post("/api/v1/privacy/reidentify", json=body, headers=analyst)
    assert_problem(r, 403, "privacy-reidentification-not-allowed")
    assert "K302817" not in r.text
    r = await client.post("/api/v1/privacy/reidentify", json=body, headers=keys.compliance)
    assert r.status_code == 200, r.text
    assert r.json() == {"entity_type": "HKID", "plaintext": "K302817(8)"}
    assert ("ana", "privacy.reidentify_denied") in actions(platform)
    assert ("carol", "privacy.reidentified") in actions(platform)
    # Tampered and non-token input: 422, and a non-token is not ledgered.
    tampered = token.group(0)[:-2] + ("AA" if not token.group(0).endswith("AA") else "BB")
    r = await client.post(
        "/api/v1/privacy/reidentify",
        json={"token": tampered, "reason": "check"},
        headers=keys.compliance,
    )
    assert_problem(r, 422, "privacy-invalid-token")
    before = len(actions(platform))
    r = await client.post(
        "/api/v1/privacy/reidentify",
        json={"token": "K302817(8)", "reason": "check"},
        headers=analyst,
    )
    assert_problem(r, 422, "privacy-invalid-token")
    assert len(actions(platform)) == before


async def test_missing_keys_answer_503_and_never_plaintext(
    settings: Settings, people: People, keys: Keys
) -> None:
    bare = bootstrap(settings.model_copy(update={"pseudonym_key": None, "encryption_key": None}))
    try:
        transport = httpx.ASGITransport(app=create_app(platform=bare))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for mode, variable in [
                ("pseudonymise", "DUALTRACK_PSEUDONYM_KEY"),
                ("encrypt", "DUALTRACK_ENCRYPTION_KEY"),
            ]:
                r = await c.post(
                    "/api/v1/privacy/redact",
                    json={"text": "HKID K302817(8)", "mode": mode},
                    headers=keys.dev,
                )
                body = assert_problem(r, 503, "privacy-missing-key")
                assert variable in body["detail"] and "K302817" not in r.text
            r = await c.post(
                "/api/v1/privacy/reidentify",
                json={"token": "enc:HKID:AAAAAAAAAAAAAAAAAAAAAAAA", "reason": "check"},
                headers=keys.compliance,
            )
            assert_problem(r, 503, "privacy-missing-key")
            # Scanning and type tags need no key.
            r = await c.post(
                "/api/v1/privacy/redact", json={"text": "HKID K302817(8)"}, headers=keys.dev
            )
            assert r.status_code == 200 and r.json()["text"] == "HKID <HKID>"
    finally:
        bare.close()


async def test_bad_input(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = keys.dev | {"content-type": "application/json"}
    # Raw uploads: invalid UTF-8, binary and empty bodies are refused without an echo.
    plain = keys.dev | {"content-type": "text/plain; charset=utf-8"}
    for url in ("/api/v1/privacy/scan/upload", "/api/v1/privacy/redact/upload?mode=replace"):
        for raw in (b"HKID K302817(8) caf\xe9 \xff\xfe", b"\x00\x01\x02 binary K302817(8)"):
            r = await client.post(url, content=raw, headers=plain)
            assert_problem(r, 422, "privacy-undecodable-input")
            assert "K302817" not in r.text
        assert_problem(await client.post(url, content=b"  ", headers=plain), 422)
    r = await client.post(
        "/api/v1/privacy/redact/upload?mode=replace",
        content=SAMPLE.encode(),
        headers=plain,
    )
    assert r.status_code == 200 and r.json()["summary"]["by_type"]["HKID"] == 4
    # Invalid UTF-8 inside a JSON body: the core's JSON parser answers 400, never 500.
    r = await client.post(
        "/api/v1/privacy/scan", content=b'{"text": "K302817(8) \xff\xfe"}', headers=headers
    )
    assert r.status_code in (400, 422) and "K302817" not in r.text
    r = await client.post("/api/v1/privacy/scan", content=b"\x00\x01\x02binary", headers=headers)
    assert r.status_code in (400, 422)
    r = await client.post("/api/v1/privacy/scan", json={"text": ""}, headers=keys.dev)
    assert_problem(r, 422, "invalid-request")
    for body in (
        {"text": "x", "record": {"a": 1}},
        {"mode": "replace"},
        {"text": "x", "mode": "shred"},
        {"text": "x", "extra": 1},
        # numbers and flags take only their JSON type (false is not 0, "3" is not 3)
        {"text": "x", "mode": "mask", "mask_keep": False},
        {"text": "x", "mode": "mask", "mask_keep": "3"},
    ):
        r = await client.post("/api/v1/privacy/redact", json=body, headers=keys.dev)
        assert_problem(r, 422, "invalid-request")
    r = await client.post(
        "/api/v1/privacy/scan", json={"text": "x", "include_text": 1}, headers=keys.dev
    )
    assert "include_text" in assert_problem(r, 422, "invalid-request")["detail"]
    big = b'{"text": "' + b"A123456(3) " * 100_000 + b'"}'
    r = await client.post("/api/v1/privacy/redact", content=big, headers=headers)
    assert_problem(r, 413, "payload-too-large")
    r = await client.post("/api/v1/privacy/scan", json={"text": "x"})
    assert_problem(r, 401)


async def test_policies_per_ai_system(
    client: httpx.AsyncClient,
    keys: Keys,
    analyst: dict[str, str],
    platform: Platform,
    people: People,
) -> None:
    system = platform.registry.register_system(
        people.dev,
        SystemAttributes(
            name="Card and FPS fraud detection",
            purpose="Scores payments",
            business_function="Payments",
            opportunity_area=OpportunityArea.FRAUD_CRIME_DETECTION,
            accountable_senior_manager="sam",
            owner="dev",
            uses_personal_data=True,
        ),
    )
    url = f"/api/v1/systems/{system.id}/privacy-policy"
    r = await client.get(url, headers=analyst)
    assert r.status_code == 200 and r.json()["stored"] is False
    assert r.json()["policy"]["default_entity_action"] == "replace"
    r = await client.put(url, json={"template": "fraud-scoring"}, headers=analyst)
    assert_problem(r, 403, "role-not-allowed")
    r = await client.put(url, json={"template": "no-such"}, headers=keys.compliance)
    assert_problem(r, 404)
    r = await client.put(url, json={"template": "fraud-scoring"}, headers=keys.compliance)
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 1 and r.json()["template"] == "fraud-scoring"
    record = {
        "customer_id": "C-0042",
        "hkid": "K302817(8)",
        "name": "CHAN Tai Man",
        "amount": 1200.5,
        "memo": "call 9123 4567 about the refund to CHAN Tai Man",
        "notes": "unlisted fields are dropped",
    }
    r = await client.post(f"{url}/apply", json={"record": record}, headers=keys.dev)
    out = r.json()["record"]
    assert set(out) == {"customer_id", "amount"}  # the fraud template drops the rest
    assert out["customer_id"].startswith("CUSTOMER_ID_") and out["amount"] == 1200.5
    custom = {
        "policy": {
            "fields": [{"path": "hkid", "action": "drop"}],
            "default_field_action": "scan",
            "default_entity_action": "replace",
        }
    }
    r = await client.put(url, json=custom, headers=keys.admin)
    assert r.json()["revision"] == 2 and r.json()["template"] is None
    r = await client.post(f"{url}/apply", json={"record": record}, headers=keys.dev)
    out = r.json()["record"]
    assert "hkid" not in out and out["amount"] == 1200.5
    assert "<PERSON>" in out["memo"] and "9123" not in out["memo"]
    r = await client.put(url, json={"policy": {"fields": [{"path": "x", "action": "shred"}]}})
    assert_problem(r, 401)
    r = await client.put(
        url, json={"policy": {"fields": [{"path": "x", "action": "shred"}]}}, headers=keys.admin
    )
    assert_problem(r, 422)
    assert [a for a in actions(platform) if a[1] == "privacy.policy_set"] == [
        ("carol", "privacy.policy_set"),
        ("admin", "privacy.policy_set"),
    ]
    r = await client.get("/api/v1/systems/nope/privacy-policy", headers=keys.dev)
    assert_problem(r, 404)


async def test_ledger_never_holds_the_sample_identifiers(
    client: httpx.AsyncClient, keys: Keys, analyst: dict[str, str], platform: Platform
) -> None:
    for mode in ("replace", "pseudonymise", "encrypt", "mask", "redact"):
        r = await client.post(
            "/api/v1/privacy/redact", json={"text": SAMPLE, "mode": mode}, headers=keys.dev
        )
        assert r.status_code == 200
    r = await client.post(
        "/api/v1/privacy/redact",
        json={"record": {"note": SAMPLE}, "mode": "pseudonymise"},
        headers=keys.dev,
    )
    assert "HKID_" in r.json()["record"]["note"]
    r = await client.post(
        "/api/v1/privacy/redact", json={"text": SAMPLE, "mode": "encrypt"}, headers=keys.dev
    )
    token = re.search(r"enc:HKID:[A-Za-z0-9_-]+", r.json()["text"])
    assert token is not None
    for headers in (analyst, keys.compliance):
        await client.post(
            "/api/v1/privacy/reidentify",
            json={"token": token.group(0), "reason": "audit sample"},
            headers=headers,
        )
    exported = ledger_text(platform)
    assert "privacy.redacted" in exported and "privacy.reidentified" in exported
    assert "HKID_" in exported  # pseudonyms are kept, so joins can be audited
    for hkid in SAMPLE_HKIDS:
        for variant in raw_variants(hkid):
            assert variant not in exported
    for other in ("CHAN Tai Man", "陳大文", "9123 4567", "taiman.chan@example.com"):
        assert other not in exported
