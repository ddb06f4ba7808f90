"""The issue-4 journey through the REST API: validate, gate, deploy, monitor, override."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from dualtrack.adapters.tables import validation_runs
from dualtrack.bootstrap import Platform
from tests.conftest import People
from tests.e2e.conftest import Keys
from tests.validation_journey import (
    demo_files,
    fraud_like_system,
    nan_model,
    register,
    variant,
    weak_model,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _runs(platform: Platform) -> int:
    with platform.uow() as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(validation_runs)).scalar() or 0
        )


async def _validate(
    client: httpx.AsyncClient, key: dict[str, str], version_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/model-versions/{version_id}/validations", json=body, headers=key
    )


async def test_validate_gate_deploy_monitor(
    client: httpx.AsyncClient, platform: Platform, people: People, keys: Keys
) -> None:
    files = demo_files(platform.settings.var_dir)
    system_id = fraud_like_system(platform, people.dev)
    version_id = register(platform, people.dev, system_id, files["model"], "1.0")
    body = {"data_path": "demo/valid.csv", "reference_path": "demo/train.csv", "target": "target"}

    # The developer may not validate their own model: refused before any work, nothing stored.
    small = files["valid"].with_name("small.csv")
    small.write_text("".join(files["valid"].read_text().splitlines(keepends=True)[:300]))
    with small.open("rb") as handle:  # uploads are limited to max_body_bytes (1 MB here)
        r = await client.post(
            f"/api/v1/model-versions/{version_id}/validations",
            files={"data": ("valid.csv", handle, "text/csv")},
            data={"target": "target"},
            headers=keys.dev,
        )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "self-approval-forbidden"
    # Paths outside <var_dir>/data are refused.
    r = await _validate(client, keys.validator, version_id, body | {"data_path": "/etc/passwd"})
    assert r.status_code == 422 and "data folder" in r.json()["detail"]
    r = await _validate(client, keys.validator, version_id, body | {"data_path": "../dualtrack.db"})
    assert r.status_code == 422
    assert _runs(platform) == 0

    r = await _validate(client, keys.validator, version_id, body)
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["passed"] is True and record["performed_by"] == "val"
    assert {"HKMA-HLP-05", "PCPD-09"} <= set(record["controls"])
    assert record["result"]["plan_id"] == "validation-medium-v1"
    assert record["result"]["has_monitoring_profile"] is True
    version = (await client.get(f"/api/v1/model-versions/{version_id}", headers=keys.dev)).json()
    assert version["state"] == "validated"

    # Reports: HTML and a PDF whose Chinese headings are real glyphs (a CJK font embedded).
    r = await client.get(record["report_links"]["html"], headers=keys.auditor)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and record["result"]["plan_id"] in r.text
    r = await client.get(record["report_links"]["pdf"], headers=keys.auditor)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "模型表現" in text
    fonts = {
        str(font.get_object().get("/BaseFont"))
        for page in pdf.pages
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values()
    }
    assert any("WenQuanYi" in f or "CJK" in f for f in fonts), fonts
    r = await client.get(f"/api/v1/validations/{record['id']}", headers=keys.auditor)
    assert r.status_code == 200 and r.json()["result"]["findings"] == record["result"]["findings"]

    # controls gaps: the evidenced validation-run controls are met.
    gaps = (await client.get(f"/api/v1/systems/{system_id}/controls", headers=keys.dev)).json()
    status = {g["control_id"]: g["status"] for g in gaps}
    assert status["HKMA-HLP-05"] == "met" and status["PCPD-09"] == "met"

    # The gate: not the developer; compliance may approve a MEDIUM-tier model; then deploy.
    r = await client.post(f"/api/v1/model-versions/{version_id}/approve", json={}, headers=keys.dev)
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/model-versions/{version_id}/approve", json={}, headers=keys.compliance
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/model-versions/{version_id}/deploy", headers=keys.dev)
    assert r.status_code == 200 and r.json()["state"] == "deployed"

    # Monitoring: normal traffic, then shifted traffic raises drift alerts (API + ledger).
    monitor = f"/api/v1/systems/{system_id}/monitoring/runs"
    r = await client.post(
        monitor,
        json={"decisions_path": "demo/decisions.csv", "labels_path": "demo/labels.csv"},
        headers=keys.validator,
    )
    assert r.status_code == 201, r.text
    assert not [a for a in r.json()["alerts"] if a["alert_type"].startswith("drift.")]
    first_alerts = len(r.json()["alerts"])
    r = await client.post(
        monitor,
        json={"decisions_path": "demo/decisions-shifted.csv", "labels_path": "demo/labels.csv"},
        headers=keys.validator,
    )
    assert r.status_code == 201, r.text
    drift = [a for a in r.json()["alerts"] if a["alert_type"].startswith("drift.")]
    assert drift and all(a["value"] > a["threshold"] for a in drift)
    alerts = (await client.get("/api/v1/monitoring/alerts", headers=keys.auditor)).json()
    assert {a["id"] for a in drift} <= {a["id"] for a in alerts}
    overview = (
        await client.get(f"/api/v1/systems/{system_id}/monitoring", headers=keys.auditor)
    ).json()
    assert len(overview["history"]) == 2 and overview["windows"]
    ledger = (
        await client.get("/api/v1/ledger", params={"subject_id": system_id}, headers=keys.auditor)
    ).json()
    assert sum(e["action"] == "monitoring.alert" for e in ledger) == first_alerts + len(
        r.json()["alerts"]
    )
    # The same breaches are not alerted twice (here uploaded as multipart: two days' worth).
    head = files["decisions_shifted"].read_text().splitlines(keepends=True)[:1500]
    with io.BytesIO("".join(head).encode()) as d:
        r = await client.post(monitor, files={"decisions": ("s.csv", d)}, headers=keys.validator)
    assert r.status_code == 201 and r.json()["repeated_alerts"] > 0
    assert len(r.json()["alerts"]) < len(r.json()["report"]["alerts"])
    assert (await client.post(monitor, json={}, headers=keys.auditor)).status_code in {403, 422}

    # A changed artifact sends the deployed version back to submitted.
    r = await client.put(
        f"/api/v1/model-versions/{version_id}/artifact",
        json={"artifact_sha256": "c" * 64, "data_fingerprint": "0" * 64},
        headers=keys.dev,
    )
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    # ... and the file on disk no longer matches the registered hash: validation refuses it.
    before = _runs(platform)
    r = await _validate(client, keys.validator, version_id, body)
    assert r.status_code == 422 and "sha256" in r.json()["detail"]
    assert _runs(platform) == before


BAD_INPUTS = [
    ("empty", "empty.csv", "empty"),
    ("one-class", "one.csv", "exactly two classes"),
    ("no-protected", "noprot.csv", "protected attribute"),
    ("renamed-feature", "renamed.csv", "feature names do not match"),
]


async def test_bad_inputs_store_nothing(
    client: httpx.AsyncClient, platform: Platform, people: People, keys: Keys, tmp_path: Path
) -> None:
    files = demo_files(platform.settings.var_dir)
    system_id = fraud_like_system(platform, people.dev)
    version_id = register(platform, people.dev, system_id, files["model"], "1.0")
    for change, name, words in BAD_INPUTS:
        path = variant(files, name, change)
        r = await _validate(
            client,
            keys.validator,
            version_id,
            {
                "data_path": f"demo/{path.name}",
                "reference_path": "demo/train.csv",
                "target": "target",
            },
        )
        assert r.status_code == 422, (change, r.text)
        assert words in r.json()["detail"], (change, r.json()["detail"])
    # A target column that does not exist, and no reference for a MEDIUM-tier plan.
    r = await _validate(
        client,
        keys.validator,
        version_id,
        {"data_path": "demo/valid.csv", "target": "outcome", "reference_path": "demo/train.csv"},
    )
    assert r.status_code == 422 and "outcome" in r.json()["detail"]
    r = await _validate(
        client, keys.validator, version_id, {"data_path": "demo/valid.csv", "target": "target"}
    )
    assert r.status_code == 422 and "reference" in r.json()["detail"]
    # A model that produces NaN scores.
    nan_file = nan_model(platform.settings.var_dir / "nan.joblib")
    nan_version = register(platform, people.dev, system_id, nan_file, "nan")
    r = await _validate(
        client,
        keys.validator,
        nan_version,
        {"data_path": "demo/valid.csv", "reference_path": "demo/train.csv", "target": "target"},
    )
    assert r.status_code == 422 and "NaN" in r.json()["detail"], r.text
    # A file that is not a model.
    junk = platform.settings.var_dir / "not-a-model.pkl"
    junk.write_bytes(b"this is not a model")
    junk_version = register(platform, people.dev, system_id, junk, "junk")
    r = await _validate(
        client,
        keys.validator,
        junk_version,
        {"data_path": "demo/valid.csv", "reference_path": "demo/train.csv", "target": "target"},
    )
    assert r.status_code == 422 and "model" in r.json()["detail"]
    assert _runs(platform) == 0
    assert not list((platform.settings.var_dir / "reports").glob("*"))


async def test_failed_run_needs_a_senior_managers_written_override(
    client: httpx.AsyncClient, platform: Platform, people: People, keys: Keys
) -> None:
    files = demo_files(platform.settings.var_dir)
    system_id = fraud_like_system(platform, people.dev)
    weak = weak_model(files, files["model"].with_name("weak.txt"))
    version_id = register(platform, people.dev, system_id, weak, "weak")
    r = await _validate(
        client,
        keys.validator,
        version_id,
        {"data_path": "demo/valid.csv", "reference_path": "demo/train.csv", "target": "target"},
    )
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["passed"] is False
    assert "performance.auc" in [
        f["test_id"] for f in record["result"]["findings"] if f["blocking"]
    ]
    r = await client.post(
        f"/api/v1/model-versions/{version_id}/approve", json={}, headers=keys.manager
    )
    assert r.status_code == 409  # still submitted: the failed run did not validate it
    override = f"/api/v1/validations/{record['id']}/override"
    r = await client.post(override, json={"reason": "ok"}, headers=keys.manager)
    assert r.status_code == 422
    reason = "Accepted for a two-week pilot under daily analyst review; retrain by December."
    r = await client.post(override, json={"reason": reason}, headers=keys.compliance)
    assert r.status_code == 403
    r = await client.post(override, json={"reason": reason}, headers=keys.manager)
    assert r.status_code == 200 and r.json()["effective_pass"] is True
    ledger = (
        await client.get("/api/v1/ledger", params={"subject_id": version_id}, headers=keys.auditor)
    ).json()
    entry = next(e for e in ledger if e["action"] == "validation.overridden")
    assert entry["actor"] == "sam" and entry["payload"]["reason"] == reason
    state = (await client.get(f"/api/v1/model-versions/{version_id}", headers=keys.dev)).json()[
        "state"
    ]
    assert state == "validated"


@pytest.mark.parametrize("suffix", ["html", "pdf"])
async def test_report_of_unknown_run_is_404(
    client: httpx.AsyncClient, keys: Keys, suffix: str
) -> None:
    r = await client.get(f"/api/v1/validations/nope/report.{suffix}", headers=keys.auditor)
    assert r.status_code == 404


async def test_high_tier_needs_the_validator_role(
    client: httpx.AsyncClient, platform: Platform, people: People, keys: Keys
) -> None:
    from dualtrack.registry.domain import OpportunityArea, SystemAttributes

    files = demo_files(platform.settings.var_dir)
    system = platform.registry.register_system(
        people.dev,
        SystemAttributes(
            name="Credit scorecard",
            purpose="Scores loan applications.",
            business_function="Consumer lending",
            opportunity_area=OpportunityArea.RISK_ASSESSMENT,
            accountable_senior_manager="sam",
            owner="dev",
            customer_facing=True,
            uses_personal_data=True,
            protected_attributes=("sex",),
        ),
    )
    assert system.tier.value == "HIGH"
    version_id = register(platform, people.dev, system.id, files["model"], "1.0")
    body = {"data_path": "demo/valid.csv", "reference_path": "demo/train.csv", "target": "target"}
    r = await _validate(client, keys.compliance, version_id, body)
    assert r.status_code == 403 and r.json()["code"] == "role-not-allowed"
    r = await _validate(client, keys.dev2, version_id, body)  # another developer: wrong role
    assert r.status_code == 403
    assert _runs(platform) == 0
