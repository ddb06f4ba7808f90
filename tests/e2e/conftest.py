from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import Platform
from tests.conftest import People


@dataclass
class Keys:
    dev: dict[str, str]
    dev2: dict[str, str]
    validator: dict[str, str]
    compliance: dict[str, str]
    manager: dict[str, str]
    auditor: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
def keys(platform: Platform, people: People) -> Keys:
    def key(actor_name: str) -> dict[str, str]:
        k = platform.identity.issue_api_key(people.admin, username=actor_name, label="test")
        return {"Authorization": f"Bearer {k}"}

    return Keys(
        dev=key("dev"),
        dev2=key("dev2"),
        validator=key("val"),
        compliance=key("carol"),
        manager=key("sam"),
        auditor=key("audrey"),
        admin=key("admin"),
    )


@pytest.fixture
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(platform=platform)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never Playwright's own browser download).

    Module-scoped: Playwright's sync API keeps an event loop of its own, which must not be
    alive while the async API tests run theirs."""
    from pathlib import Path

    from tests.e2e.live import CHROMIUM

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
