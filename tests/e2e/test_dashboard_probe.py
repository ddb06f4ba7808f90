"""Odd input to every dashboard page and form, logged in as an analyst and as a compliance
officer: no page answers with a server error.

The values are the ones that have broken web forms before: empty, huge, negative and
overflowing numbers, path tricks, CJK text, markup and SQL fragments. Forms are sent with a
valid CSRF token (so the handler runs) and with a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import Platform
from dualtrack.identity.domain import Role
from tests.e2e.fuzz_support import governed_platform

pytestmark = pytest.mark.anyio

PASSWORD = "probe-password-123"
ODD = ["", "0", "-1", "9" * 30, "..%2F..%2Fetc", "中文", "a" * 3000, "<b>x</b>", "' OR 1=1 --"]
PAGES = [
    "/",
    "/systems/{x}",
    "/approvals",
    "/ledger",
    "/ledger/verify",
    "/fraud",
    "/fraud/queue",
    "/fraud/cases/{x}",
    "/privacy",
    "/privacy/sample",
    "/assistant",
    "/assistant/chunks/{x}",
    "/assistant/answers/{x}",
    "/assistant/reviews",
    "/va/licences",
    "/va/screening",
    "/va/cases",
    "/validation/versions/{x}",
    "/validation/runs/{x}/report.html",
    "/monitoring",
    "/monitoring/{x}",
]
QUERY = ["as_of", "before", "status", "id", "page", "profile"]
FORMS = {
    "/fraud/simulate": [],
    "/fraud/cases/{x}/act": ["action", "note"],
    "/privacy/preview": ["text", "mode"],
    "/assistant/sql": ["sql", "question"],
    "/assistant/reviews/{x}": ["decision", "edited_text", "note"],
    "/va/screening/screen": ["client_id", "name", "birth_year"],
    "/va/screening/clear": ["screening_id", "list_id", "entry_id", "reason"],
    "/va/cases/{x}/act": ["action", "note"],
    "/validation/runs/{x}/override": ["reason"],
    "/approvals/{x}/approve": [],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def probe_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform, people = governed_platform(tmp_path_factory.mktemp("probe"))
    for name, role in (("ana2", Role.ANALYST), ("carol2", Role.COMPLIANCE_OFFICER)):
        platform.identity.create_user(
            people.admin, username=name, display_name=name, role=role, password=PASSWORD
        )
    yield platform
    platform.close()


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.parametrize("username", ["ana2", "carol2"])
async def test_no_dashboard_page_or_form_answers_with_a_server_error(
    probe_platform: Platform, username: str
) -> None:
    app = create_app(platform=probe_platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    failures: list[str] = []
    sent = 0
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        login = await client.get("/login")
        r = await client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": _token(login.text)},
        )
        assert r.status_code == 303, r.text
        home = await client.get("/fraud")
        assert home.status_code == 200
        token = _token(home.text)

        async def check(response: httpx.Response, what: str) -> None:
            nonlocal sent
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{what}: {response.status_code}")

        for i, path in enumerate(PAGES):
            for x in ODD if "{x}" in path else [""]:
                url = path.replace("{x}", x)
                await check(await client.get(url), f"GET {url[:60]}")
                for key in QUERY:
                    # every odd value on each plain page; one per key on the ID pages
                    values = ODD if "{x}" not in path else [ODD[(i + len(key)) % len(ODD)]]
                    for value in values:
                        response = await client.get(url, params={key: value})
                        await check(response, f"GET {url[:60]}?{key}={value[:20]}")
        for path, fields in FORMS.items():
            for x in ODD if "{x}" in path else [""]:
                url = path.replace("{x}", x)
                for j, csrf in enumerate((token, token, "wrong")):
                    data = {f: ODD[(j + k) % len(ODD)] for k, f in enumerate(fields)}
                    response = await client.post(url, data={**data, "csrf_token": csrf})
                    await check(response, f"POST {url[:60]} {sorted(data)}")
    assert sent > 1300
    assert failures == []
