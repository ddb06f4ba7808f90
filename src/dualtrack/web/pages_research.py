"""Dashboard pages of the research assistant: chat with citations, SQL panel, review queue.

Answers render sentence by sentence with numbered citations; a citation opens its source
passage beside the answer (HTMX). Answers held for review show only the notice, never the
draft. Query results show as a table and inline SVG bars (no JavaScript build). Every POST
checks the session's CSRF token (hidden field, or the header HTMX sends).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dualtrack.api.problems import status_for
from dualtrack.errors import PlatformError
from dualtrack.identity.domain import Role
from dualtrack.research.domain import ReviewDecision
from dualtrack.research.wiring import (
    MAX_QUESTION_CHARS,
    ReviewView,
    chunk_json,
    reply_json,
    review_json,
    service,
)
from dualtrack.web.routes import check_csrf, current_actor, platform_of, render

router = APIRouter(include_in_schema=False)
NAV = [("Research assistant", "/assistant"), ("Answer reviews", "/assistant/reviews")]

_DRAFT_READERS = frozenset({Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.ADMIN})
SAMPLE_QUESTIONS = (
    "What was Harbour Lantern's revenue in 2023?",
    "What does the market commentary say about cold-chain warehouse vacancy?",
    "Should I buy Kowloon Tidewater shares?",
    "青衣物流集團的行政總裁是誰？",
)
SAMPLE_SQL = "SELECT company, revenue_hkd_m FROM hk_results ORDER BY revenue_hkd_m DESC"


def bar_chart(data: dict[str, Any], *, width: int = 560, bar_h: int = 22) -> dict[str, Any] | None:
    """Geometry for horizontal SVG bars of a query result's chart columns (None: no chart)."""
    chart = data["chart"]
    if chart["kind"] not in ("bar", "line") or not chart["x"] or not chart["y"]:
        return None
    columns = data["columns"]
    xi, yi = columns.index(chart["x"]), columns.index(chart["y"])
    points = [
        (str(row[xi]), float(row[yi]))
        for row in data["rows"][:30]
        if isinstance(row[yi], int | float) and math.isfinite(float(row[yi]))
    ]
    if not points:
        return None
    top = max(abs(v) for _, v in points) or 1.0
    label_w, plot_w = 200, width - 200 - 70
    bars = [
        {
            "label": label[:32],
            "value": value,
            "y": i * (bar_h + 6),
            "w": max(1.0, abs(value) / top * plot_w),
        }
        for i, (label, value) in enumerate(points)
    ]
    return {
        "x": chart["x"],
        "y": chart["y"],
        "bars": bars,
        "width": width,
        "height": len(bars) * (bar_h + 6),
        "bar_h": bar_h,
        "label_w": label_w,
    }


@router.get("/assistant", response_class=HTMLResponse)
def assistant_page(request: Request) -> HTMLResponse:
    current_actor(request)
    gateway = service(platform_of(request))
    return render(
        request,
        "research/chat.html",
        documents=gateway.list_documents(),
        datasets=gateway.list_datasets(),
        note=gateway.embedder_note,
        embedder=gateway.embedder.model_id,
        llm=gateway.llm.model if gateway.chat is not None else None,
        samples=SAMPLE_QUESTIONS,
        sample_sql=SAMPLE_SQL,
        max_chars=MAX_QUESTION_CHARS,
    )


@router.post("/assistant/ask", response_class=HTMLResponse)
def ask(
    request: Request,
    question: str = Form(""),
    client_id: str = Form(""),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    gateway = service(platform_of(request))
    try:
        reply = gateway.ask(actor, question, client_id=client_id.strip() or None)
    except PlatformError as exc:
        # HTMX swaps only 2xx responses: the error is shown in place with a 200.
        return render(request, "research/_reply.html", error=exc.message)
    data = reply_json(reply, gateway)
    cites = {c["marker"]: c["chunk_id"] for c in data["citations"]}
    return render(request, "research/_reply.html", error=None, r=data, cites=cites)


@router.get("/assistant/chunks/{chunk_id}", response_class=HTMLResponse)
def passage(request: Request, chunk_id: str) -> HTMLResponse:
    current_actor(request)
    try:
        chunk = service(platform_of(request)).chunk(chunk_id)
    except PlatformError as exc:
        return render(request, "research/_passage.html", error=exc.message)
    return render(request, "research/_passage.html", error=None, c=chunk_json(chunk))


@router.get("/assistant/answers/{review_id}", response_class=HTMLResponse)
def answer_status(request: Request, review_id: str) -> HTMLResponse:
    """The asker's view of a held answer: still pending, rejected, or released."""
    actor = current_actor(request)
    try:
        view = service(platform_of(request)).review(actor, review_id)
    except PlatformError as exc:
        return render(request, "research/_status.html", error=exc.message)
    return render(
        request, "research/_status.html", error=None, v=review_json(view, include_draft=False)
    )


@router.post("/assistant/sql", response_class=HTMLResponse)
def sql(
    request: Request, sql: str = Form(""), question: str = Form(""), csrf_token: str = Form("")
) -> HTMLResponse:
    """Run the SQL as written, or (with a language model configured) an English question."""
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    gateway = service(platform_of(request))
    try:
        result = (
            gateway.ask_data(actor, question) if question.strip() else gateway.query(actor, sql)
        )
        data = result.to_dict()
    except PlatformError as exc:
        return render(request, "research/_sql.html", error=exc.message)
    return render(request, "research/_sql.html", error=None, d=data, chart=bar_chart(data))


def _reviews_page(
    request: Request, *, message: str | None = None, ok: bool = True, status: int = 200
) -> HTMLResponse:
    actor = current_actor(request)
    gateway = service(platform_of(request))
    try:
        pending = gateway.reviews_for(actor, status="pending")
        decided = [i for i in gateway.reviews_for(actor, status=None) if i.status != "pending"]
        error = None
    except PlatformError as exc:
        pending, decided, error = [], [], exc.message
    return render(
        request,
        "research/reviews.html",
        status=status,
        pending=[review_json(ReviewView(i, None), include_draft=True) for i in pending],
        decided=[
            review_json(gateway.review(actor, i.review_id), include_draft=True)
            for i in decided[-20:][::-1]
        ],
        error=error,
        message=message,
        ok=ok,
    )


@router.get("/assistant/reviews", response_class=HTMLResponse)
def reviews_page(request: Request) -> HTMLResponse:
    return _reviews_page(request)


@router.post("/assistant/reviews/{review_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    review_id: str,
    decision: str = Form(""),
    edited_text: str = Form(""),
    note: str = Form(""),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    choice: dict[str, ReviewDecision] = {"approve": "approve", "edit": "edit", "reject": "reject"}
    if decision not in choice:
        return _reviews_page(
            request, message="Choose approve, edit or reject.", ok=False, status=422
        )
    try:
        view = service(platform_of(request)).decide(
            actor,
            review_id,
            decision=choice[decision],
            edited_text=edited_text.strip() or None,
            note=note.strip() or None,
        )
    except PlatformError as exc:
        return _reviews_page(request, message=exc.message, ok=False, status=status_for(exc)[0])
    return _reviews_page(request, message=f"Review {view.item.status}.", ok=True)
