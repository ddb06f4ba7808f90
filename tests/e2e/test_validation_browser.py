"""Chromium sees the monitoring page (charts, drift alert) and a senior manager overrides a
failed validation run from the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.identity.domain import Actor, Role
from dualtrack.monitoring.wiring import FileDecisionSource
from dualtrack.monitoring.wiring import service as monitoring
from dualtrack.validation.wiring import validate_version
from tests.e2e.live import serve
from tests.validation_journey import demo_files, fraud_like_system, register, weak_model

pytestmark = pytest.mark.browser

PASSWORD = "browser-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("validation-browser")
    settings = Settings(database_url=f"sqlite:///{tmp / 'v.db'}", var_dir=tmp / "var")
    platform = bootstrap(settings, run_migrations=True)
    boot = Actor.system("tests")
    users: dict[str, Actor] = {}
    for name, role in [
        ("admin", Role.ADMIN),
        ("dev", Role.MODEL_DEVELOPER),
        ("val", Role.VALIDATOR),
        ("carol", Role.COMPLIANCE_OFFICER),
        ("sam", Role.SENIOR_MANAGER),
    ]:
        user = platform.identity.create_user(
            users.get("admin", boot),
            username=name,
            display_name=name.title(),
            role=role,
            password=PASSWORD,
        )
        users[name] = Actor.of(user)
    files = demo_files(settings.var_dir)
    system_id = fraud_like_system(platform, users["dev"])
    good = register(platform, users["dev"], system_id, files["model"], "1.0")
    validate_version(
        platform,
        users["val"],
        good,
        files["valid"],
        target="target",
        reference_path=files["train"],
    )
    platform.registry.approve(users["carol"], good)
    platform.registry.deploy(users["dev"], good)
    monitoring(platform).run(
        users["val"], system_id, FileDecisionSource(files["decisions_shifted"], files["labels"])
    )
    weak = register(
        platform,
        users["dev"],
        system_id,
        weak_model(files, files["model"].with_name("w.txt")),
        "0.9-weak",
    )
    failed = validate_version(
        platform,
        users["val"],
        weak,
        files["valid"],
        target="target",
        reference_path=files["train"],
    )
    assert not failed.passed
    with serve(create_app(platform=platform)) as url:
        yield url, {"system": system_id, "weak": weak, "failed": failed.id}
    platform.close()


def _login(page: object, base: str, username: str) -> None:
    page.goto(base + "/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#inventory")  # type: ignore[attr-defined]


def test_monitoring_page_shows_charts_and_drift_alert(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path
) -> None:
    base, _ = server
    page = browser.new_page()  # type: ignore[attr-defined]
    _login(page, base, "carol")
    page.click("nav >> text=Monitoring")
    page.wait_for_selector("#monitored")
    assert "Payments scoring" in page.inner_text("#monitored")
    assert "drift.score_psi" in page.inner_text("#alerts")
    page.click("#monitored >> text=Payments scoring")
    page.wait_for_selector("#charts svg.chart")
    assert page.locator("#charts svg.chart").count() >= 3
    assert page.locator("#charts polyline").count() >= 1
    assert "drift.score_psi" in page.inner_text("#alerts")
    assert "score" in page.inner_text("#drift")
    page.screenshot(path=str(tmp_path / "monitoring.png"), full_page=True)
    page.close()


def test_senior_manager_overrides_failed_run(
    server: tuple[str, dict[str, str]], browser: object
) -> None:
    base, ids = server
    page = browser.new_page()  # type: ignore[attr-defined]
    _login(page, base, "sam")
    page.goto(f"{base}/validation/versions/{ids['weak']}")
    page.wait_for_selector("#validation-runs")
    assert "FAILED" in page.inner_text("#validation-runs")
    assert "performance.auc" in page.inner_text("#validation-runs")
    page.fill("textarea[name=reason]", "too short")
    page.click("form.override button")
    page.wait_for_selector("#validation-message .error")
    assert "20 characters" in page.inner_text("#validation-message")
    page.fill("textarea[name=reason]", "Accepted for a supervised pilot; retrain before go-live.")
    page.click("form.override button")
    page.wait_for_selector("#validation-message .ok")
    assert "OVERRIDDEN" in page.inner_text("#validation-runs")
    with page.expect_response(lambda r: r.url.endswith("report.pdf")) as info:
        page.evaluate(f"fetch('/validation/runs/{ids['failed']}/report.pdf')")
    assert info.value.status == 200
    assert info.value.headers["content-type"] == "application/pdf"
    page.close()
