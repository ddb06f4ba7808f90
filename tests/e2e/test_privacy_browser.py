"""A real Chromium signs in, pastes the bilingual sample into the privacy guard page and sees
the findings highlighted, with pasted markup kept as text."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.api.app import create_app
from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.demo import DEMO_PASSWORD, seed
from tests.e2e.live import serve

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "data/privacy/samples/kyc_note_bilingual.txt"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("privacy-browser")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'demo.db'}",
        var_dir=tmp,
        pseudonym_key="browser-test-pseudonym-key-0123",  # type: ignore[arg-type]
        encryption_key=base64.b64encode(b"b" * 64).decode(),  # type: ignore[arg-type]
    )
    platform = bootstrap(settings, run_migrations=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("dualtrack.bootstrap.FEATURES", ("privacy",))
        seed(platform)
    with serve(create_app(platform=platform)) as url:
        yield url
    platform.close()


def sign_in(browser: object, server: str, username: str) -> object:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inventory")
    return page


def test_paste_bilingual_sample_and_see_findings(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = sign_in(browser, server, "ana")
    page.click("nav >> text=Privacy guard")  # type: ignore[attr-defined]
    page.wait_for_selector("#privacy-text")  # type: ignore[attr-defined]
    assert "fraud-scoring" in page.inner_text("#privacy-policies")  # type: ignore[attr-defined]
    page.fill("#privacy-text", SAMPLE.read_text("utf-8"))  # type: ignore[attr-defined]
    page.select_option("#privacy-mode", "replace")  # type: ignore[attr-defined]
    page.click("#privacy-submit")  # type: ignore[attr-defined]
    page.wait_for_selector("#privacy-highlighted mark.pii")  # type: ignore[attr-defined]
    marks = page.locator("#privacy-highlighted mark.pii")  # type: ignore[attr-defined]
    types = [marks.nth(i).get_attribute("data-type") for i in range(marks.count())]
    assert types.count("HKID") == 4 and types.count("PERSON") == 4
    assert {"HK_PHONE", "ADDRESS", "EMAIL", "HK_BANK_ACCOUNT", "DATE_OF_BIRTH"} <= set(types)
    highlighted = page.inner_text("#privacy-highlighted")  # type: ignore[attr-defined]
    assert "陳大文" in highlighted and "K302817(8)" in highlighted
    output = page.inner_text("#privacy-output")  # type: ignore[attr-defined]
    assert output.count("<HKID>") == 4 and "K302817" not in output and "陳大文" not in output
    page.screenshot(path=str(tmp_path / "privacy.png"), full_page=True)  # type: ignore[attr-defined]
    # Pseudonymise is offered because keys are configured; the same HKID gives one token.
    page.fill("#privacy-text", "HKID K302817(8) / 身份證 K3028178")  # type: ignore[attr-defined]
    page.select_option("#privacy-mode", "pseudonymise")  # type: ignore[attr-defined]
    page.click("#privacy-submit")  # type: ignore[attr-defined]
    page.wait_for_selector("#privacy-output:has-text('HKID_')")  # type: ignore[attr-defined]
    words = page.inner_text("#privacy-output").split()  # type: ignore[attr-defined]
    tokens = [w for w in words if w.startswith("HKID_")]
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    page.close()  # type: ignore[attr-defined]


def test_pasted_markup_stays_text(server: str, browser: object) -> None:
    page = sign_in(browser, server, "carol")
    page.goto(server + "/privacy")  # type: ignore[attr-defined]
    page.click("text=Load the bilingual sample")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelector('#privacy-text').value.includes('KYC review note')"
    )
    evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> HKID K302817(8)'
    page.fill("#privacy-text", evil)  # type: ignore[attr-defined]
    page.click("#privacy-submit")  # type: ignore[attr-defined]
    page.wait_for_selector("#privacy-highlighted mark.pii")  # type: ignore[attr-defined]
    assert page.evaluate("window.pwned === undefined")  # type: ignore[attr-defined]
    assert "<script>" in page.inner_text("#privacy-highlighted")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_preview_without_csrf_token_is_refused(server: str) -> None:
    import httpx

    r = httpx.post(server + "/privacy/preview", data={"text": "HKID K302817(8)"})
    assert r.status_code == 403
