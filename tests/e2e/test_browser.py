"""A real Chromium (Debian's, through Playwright) logs in and sees the inventory.

The server runs with production-like cookie settings (Secure, HttpOnly, SameSite=Strict) on
127.0.0.1, which browsers treat as a secure context.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.demo import DEMO_PASSWORD, seed
from tests.e2e.live import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(database_url=f"sqlite:///{tmp / 'demo.db'}", var_dir=tmp)
    platform = bootstrap(settings, run_migrations=True)
    seed(platform)
    with serve(create_app(platform=platform)) as url:
        yield url
    platform.close()


def test_login_and_inventory(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "wrong password" in page.inner_text("main").lower()
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inventory")
    table = page.inner_text("#inventory")
    assert "Client research assistant" in table and "HIGH" in table
    assert "Card and FPS fraud detection" in table and "MEDIUM" in table
    page.screenshot(path=str(tmp_path / "inventory.png"), full_page=True)
    page.click("text=Client research assistant")
    page.wait_for_selector("#gaps")
    assert "SFC-17" in page.inner_text("#gaps")
    page.click("text=Ledger")
    page.wait_for_selector("#verify-status")
    assert "Chain intact" in page.inner_text("#verify-status")
    page.close()


def logged_in(server: str, browser: object, username: str) -> Any:
    """A new page, logged in as ``username``, on the inventory."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inventory")
    return page


def test_ledger_page_bounds(server: str, browser: object) -> None:
    page = logged_in(server, browser, "audrey")
    assert page.goto(server + f"/ledger?before={2**63 - 1}").status == 200
    # past 64 bits: refused, not passed to the database (it used to be a 500)
    assert page.goto(server + f"/ledger?before={2**63}").status == 422
    page.close()


def test_senior_manager_approves_in_dashboard(server: str, browser: object) -> None:
    page = logged_in(server, browser, "sam")
    page.click("nav >> text=Approvals")
    page.wait_for_selector("#approvals")
    page.click("#approvals button:has-text('Approve')")
    page.wait_for_selector("#approvals .ok")
    assert "Approved 3.2.0" in page.inner_text("#approvals")
    page.close()


def test_forms_without_csrf_token_are_refused(server: str) -> None:
    import httpx

    r = httpx.post(server + "/login", data={"username": "sam", "password": DEMO_PASSWORD})
    assert r.status_code == 403
