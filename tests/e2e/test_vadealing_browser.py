"""A real Chromium screens "CHAN Tai Man" on the Screening page, clears the hit and sees it
stay cleared; the licence register and the VA case queue render the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.demo import DEMO_PASSWORD, seed
from tests.e2e.live import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("va-browser")
    settings = Settings(database_url=f"sqlite:///{tmp / 'demo.db'}", var_dir=tmp)
    platform = bootstrap(settings, run_migrations=True)
    seed(platform)
    with serve(create_app(platform=platform)) as url:
        yield url
    platform.close()


def test_screen_clear_and_stay_cleared(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inventory")

    page.click("nav >> text=VA licences")
    page.wait_for_selector("#licences")
    register = page.inner_text("#licences")
    assert "Harbour OTC Ltd" in register and "suspended" in register
    assert "licensed with conditions" in register

    page.click("nav >> text=Screening")
    page.wait_for_selector("#screen-form")
    page.fill("#screen-form input[name=client_id]", "C-4001")
    page.fill("#screen-form input[name=name]", "CHAN Tai Man")
    page.click("#screen-form button[type=submit]")
    page.wait_for_selector("#hit-table")
    first_row = page.locator("#hit-table tr.hit").first
    assert "陳大文" in first_row.inner_text()
    assert "Jyutping" in first_row.locator(".reason").inner_text()
    page.screenshot(path=str(tmp_path / "screening.png"), full_page=True)

    first_row.locator("input[name=reason]").fill("different person: HKID checked")
    first_row.locator("button:has-text('Clear')").click()
    page.wait_for_selector("#hit-table .cleared.ok")

    page.click("#screen-form button[type=submit]")
    page.wait_for_selector("#screening-result:has-text('cleared before')")
    assert "陳大文" not in page.inner_text("#screening-result")

    page.click("nav >> text=VA cases")
    page.wait_for_selector("#va-cases")
    cases = page.inner_text("#va-cases")
    assert "C-4001" in cases and "cdd_occasional_va_transfer" in cases
    page.close()
