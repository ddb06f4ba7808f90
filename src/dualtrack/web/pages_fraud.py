"""Dashboard pages of fraud detection: the alert queue (auto-refreshing) and case views.

They call the same desk as the API and CLI (``dualtrack.fraud.wiring``); service errors are
shown on the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dualtrack.errors import PlatformError
from dualtrack.fraud import wiring
from dualtrack.fraud.watchlist import LIST_ROLES, UNLIST_ROLES, parse_payee_ids
from dualtrack.identity.domain import Role
from dualtrack.web.routes import check_csrf, current_actor, platform_of, render

router = APIRouter(include_in_schema=False)

NAV = [("Fraud alerts", "/fraud"), ("Payee watch list", "/fraud/watchlist")]

RULE_TEXT = {
    "payee_on_watchlist": "the payee is on the high-risk payee watch list",
    "amount_over_limit": "the amount is over the per-transaction limit",
    "daily_cap_exceeded": "the customer's 24-hour total would exceed the daily limit",
}
FEEDERS = frozenset({Role.ADMIN, Role.MODEL_DEVELOPER, Role.ANALYST})


def _queue_context(request: Request) -> dict[str, Any]:
    platform = platform_of(request)
    desk = wiring.cases(platform)
    deployed = wiring.deployed_label(platform)
    return {
        "cases": desk.queue(),
        "alerts": desk.recent_alerts(15),
        "counts": desk.decision_counts(),
        "model": deployed,
        "scoring": wiring.scoring_role(platform),
    }


@router.get("/fraud", response_class=HTMLResponse)
def alerts(request: Request, message: str | None = None, ok: bool = True) -> HTMLResponse:
    actor = current_actor(request)
    return render(
        request,
        "fraud/alerts.html",
        message=message,
        ok=ok,
        may_feed=actor.role in FEEDERS,
        **_queue_context(request),
    )


@router.get("/fraud/queue", response_class=HTMLResponse)
def queue(request: Request) -> HTMLResponse:
    current_actor(request)
    return render(request, "fraud/_queue.html", **_queue_context(request))


@router.post("/fraud/simulate", response_class=HTMLResponse)
def simulate(request: Request, csrf_token: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    if actor.role not in FEEDERS:
        return alerts(request, message="Your role may not feed simulated payments.", ok=False)
    try:
        decisions = wiring.feed_simulated(platform_of(request), 200)
    except PlatformError as exc:
        return alerts(request, message=exc.message, ok=False)
    flagged = sum(1 for d in decisions if d.action != "allow")
    return alerts(
        request, message=f"Scored {len(decisions)} simulated payments; {flagged} flagged.", ok=True
    )


def _case_page(request: Request, case_id: str, **extra: Any) -> HTMLResponse:
    view = wiring.cases(platform_of(request)).view(case_id)
    context: dict[str, Any] = {"message": None, "ok": True, **extra}
    return render(request, "fraud/case.html", view=view, rule_text=RULE_TEXT, **context)


@router.get("/fraud/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: str) -> HTMLResponse:
    current_actor(request)
    try:
        return _case_page(request, case_id)
    except PlatformError as exc:
        return render(
            request,
            "fraud/alerts.html",
            status=404,
            message=exc.message,
            ok=False,
            may_feed=False,
            **_queue_context(request),
        )


@router.post("/fraud/cases/{case_id}/act", response_class=HTMLResponse)
def act(
    request: Request,
    case_id: str,
    action: str = Form(..., max_length=20),
    note: str = Form("", max_length=2000),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    desk = wiring.cases(platform_of(request))
    try:
        if action == "review":
            desk.start_review(actor, case_id)
        elif action == "confirm":
            desk.confirm_fraud(actor, case_id, note)
        elif action == "false_positive":
            desk.mark_false_positive(actor, case_id, note)
        else:
            return _case_page(request, case_id, message="Unknown action.", ok=False)
    except PlatformError as exc:
        return _case_page(request, case_id, message=exc.message, ok=False)
    return RedirectResponse(f"/fraud/cases/{case_id}", status_code=303)


WATCHLIST_PAGE = 50


def _watchlist_page(
    request: Request, *, offset: int = 0, message: str | None = None, ok: bool = True
) -> HTMLResponse:
    actor = current_actor(request)
    context: dict[str, Any] = {
        "message": message,
        "ok": ok,
        "may_list": actor.role in LIST_ROLES,
        "may_unlist": actor.role in UNLIST_ROLES,
        "offset": offset,
        "page_size": WATCHLIST_PAGE,
    }
    try:
        page = wiring.watchlist(platform_of(request)).page(
            actor, offset=offset, limit=WATCHLIST_PAGE
        )
    except PlatformError as exc:
        return render(
            request,
            "fraud/watchlist.html",
            status=403,
            page=None,
            **{**context, "message": exc.message, "ok": False},
        )
    desk = wiring.watchlist(platform_of(request))
    sources = desk.sources(actor)
    due = desk.due(actor, limit=WATCHLIST_PAGE)
    return render(
        request, "fraud/watchlist.html", page=page, sources=sources, due=due, **context
    )


@router.get("/fraud/watchlist", response_class=HTMLResponse)
def watchlist(request: Request, offset: int = 0) -> HTMLResponse:
    return _watchlist_page(request, offset=max(offset, 0))


@router.post("/fraud/watchlist/add", response_class=HTMLResponse)
def watchlist_add(
    request: Request,
    payee_ids: str = Form(..., max_length=200_000),
    source: str = Form(..., max_length=64),
    reason: str = Form("", max_length=500),
    action: str = Form("block", max_length=8),
    review_by: str = Form("", max_length=10),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    try:
        ids = parse_payee_ids(payee_ids.split("\n"))
        edit = wiring.watchlist(platform_of(request)).list_payees(
            actor,
            ids,
            source=source,
            reason=reason,
            action=action,
            review_by=review_by.strip() or None,
        )
    except PlatformError as exc:
        return _watchlist_page(request, message=exc.message, ok=False)
    return _watchlist_page(
        request,
        message=f"{edit.changed} payee(s) listed under {source.strip()}, "
        f"{edit.unchanged} already listed by it. "
        "Scoring applies the change within about a second.",
    )


@router.post("/fraud/watchlist/remove", response_class=HTMLResponse)
def watchlist_remove(
    request: Request,
    payee_id: str = Form(..., max_length=200),
    reason: str = Form("", max_length=500),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    try:
        edit = wiring.watchlist(platform_of(request)).unlist_payees(
            actor, [payee_id], reason=reason
        )
    except PlatformError as exc:
        return _watchlist_page(request, message=exc.message, ok=False)
    done = "was taken off the list" if edit.changed else "was not on the list"
    return _watchlist_page(request, message=f"The payee {done}.")


@router.post("/fraud/watchlist/review", response_class=HTMLResponse)
def watchlist_review(
    request: Request,
    payee_id: str = Form(..., max_length=200),
    source: str = Form(..., max_length=64),
    next_review: str = Form("", max_length=10),
    note: str = Form("", max_length=500),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    try:
        edit = wiring.watchlist(platform_of(request)).review(
            actor, [payee_id], source=source, next_review=next_review, note=note
        )
    except PlatformError as exc:
        return _watchlist_page(request, message=exc.message, ok=False)
    done = f"stays listed, next review {next_review}" if edit.changed else "is not listed by it"
    return _watchlist_page(request, message=f"The listing by {source} {done}.")
