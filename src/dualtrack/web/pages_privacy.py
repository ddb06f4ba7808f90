"""Dashboard page of the privacy guard: paste text, see findings highlighted and the redaction.

The text is rendered through Jinja's autoescaping, segment by segment, so a pasted
``<script>`` stays text; findings become ``<mark>`` elements labelled with their entity type.
Redactions from here are ledgered like API calls (channel ``dashboard``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dualtrack.errors import PlatformError
from dualtrack.privacy.domain import Finding
from dualtrack.privacy.governance import MODES
from dualtrack.privacy.wiring import service
from dualtrack.web.routes import check_csrf, current_actor, platform_of, render

router = APIRouter(include_in_schema=False)
NAV = [("Privacy guard", "/privacy")]

MAX_CHARS = 200_000
SAMPLE = (
    Path(__file__).resolve().parents[3] / "data" / "privacy" / "samples" / "kyc_note_bilingual.txt"
)
MODE_LABELS = {
    "replace": "Replace with type tag",
    "mask": "Mask with *",
    "redact": "Remove",
    "pseudonymise": "Pseudonymise (keyed, joinable)",
    "encrypt": "Encrypt (reversible by compliance)",
}


def segments(text: str, findings: list[Finding]) -> list[dict[str, Any]]:
    """The text cut into plain and found pieces, in order (findings never overlap)."""
    pieces: list[dict[str, Any]] = []
    cursor = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start > cursor:
            pieces.append({"text": text[cursor : f.start], "type": None})
        pieces.append({"text": text[f.start : f.end], "type": str(f.entity_type), "score": f.score})
        cursor = f.end
    if cursor < len(text):
        pieces.append({"text": text[cursor:], "type": None})
    return pieces


def _sample_text() -> str:
    try:
        return SAMPLE.read_text("utf-8")
    except OSError:
        return ""


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request) -> HTMLResponse:
    current_actor(request)
    platform = platform_of(request)
    gateway = service(platform)
    policies = [(system, gateway.policy(system.id)) for system in platform.registry.list_systems()]
    return render(
        request,
        "privacy/page.html",
        modes=[(m, MODE_LABELS[m]) for m in MODES],
        keys=gateway.keys_configured,
        policies=policies,
        text="",
        max_chars=MAX_CHARS,
    )


@router.get("/privacy/sample", response_class=HTMLResponse)
def privacy_sample(request: Request) -> HTMLResponse:
    """The textarea, filled with the bilingual sample document."""
    current_actor(request)
    return render(request, "privacy/_textarea.html", text=_sample_text(), max_chars=MAX_CHARS)


@router.post("/privacy/preview", response_class=HTMLResponse)
def privacy_preview(
    request: Request,
    text: str = Form("", max_length=MAX_CHARS),
    mode: str = Form("replace", max_length=20),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    if not text.strip():
        return render(request, "privacy/_result.html", error="Paste some text first.")
    try:
        result = service(platform_of(request)).redact(actor, text, mode, channel="dashboard")
    except PlatformError as exc:
        # Error messages never carry personal data (see dualtrack.errors).
        return render(request, "privacy/_result.html", error=exc.message)
    return render(
        request,
        "privacy/_result.html",
        error=None,
        pieces=segments(text, list(result.findings)),
        output=result.output,
        summary=result.summary(),
        mode=mode,
        request_id=result.request_id,
    )
