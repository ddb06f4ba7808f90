"""HTML and PDF reports: summary first, charts inline, no external assets, CJK text."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from dualtrack.validation import ValidationRun, render_html, render_pdf, run_validation
from dualtrack.validation.report import report_filename

from .conftest import Data


@pytest.fixture(scope="module")
def run(data: Data) -> ValidationRun:
    return run_validation(data.booster, data.test, "MEDIUM", reference=data.train, spec=data.spec)


def test_html_is_self_contained_and_ordered(run: ValidationRun) -> None:
    html = render_html(run)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html
    assert html.count("<svg") >= 5  # ROC/PR, calibration, score PSI, feature PSI, fairness...
    summary = html.index("1. Summary")
    assert summary < html.index("2. Findings") < html.index("3. Detail")
    assert ("PASSED" in html) == run.passed
    for finding in run.findings:
        assert finding.test_id in html
    assert "模型驗證報告" in html


def test_html_escapes_text(run: ValidationRun) -> None:
    html = render_html(run, title="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html


def test_report_renders_from_stored_json(run: ValidationRun) -> None:
    stored = ValidationRun.from_json(run.to_json())
    assert render_html(stored) == render_html(run)


def test_pdf_has_the_same_content(run: ValidationRun) -> None:
    pdf = render_pdf(run, html=render_html(run))
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Summary" in text and "Findings" in text
    assert ("FAILED" in text) == (not run.passed)
    assert "模型驗證報告" in text


def test_filename_is_safe(run: ValidationRun) -> None:
    name = report_filename(run, "pdf")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    assert name.endswith(".pdf")
