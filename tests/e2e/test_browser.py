"""A real Chromium (Debian's, through Playwright) logs in and sees the inventory.

The server runs with production-like cookie settings (Secure, HttpOnly, SameSite=Strict) on
127.0.0.1, which browsers treat as a secure context.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.demo import DEMO_PASSWORD, seed

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(database_url=f"sqlite:///{tmp / 'demo.db'}", var_dir=tmp)
    platform = bootstrap(settings, run_migrations=True)
    seed(platform)
    port = free_port()
    config = uvicorn.Config(
        create_app(platform=platform),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    platform.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required: `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--metrics-recording-only",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


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


def test_senior_manager_approves_in_dashboard(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inventory")
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
