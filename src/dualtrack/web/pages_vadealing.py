"""Dashboard pages of the VA-dealing desk: licence register, screening hits, VA cases.

They call the same desks as the API and CLI (``dualtrack.vadealing.wiring``,
``dualtrack.screening.wiring``); errors from the services are shown on the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dualtrack.errors import PlatformError
from dualtrack.screening import wiring as screening_wiring
from dualtrack.vadealing import wiring
from dualtrack.web.routes import check_csrf, current_actor, platform_of, render

router = APIRouter(include_in_schema=False)

NAV = [("VA licences", "/va/licences"), ("Screening", "/va/screening"), ("VA cases", "/va/cases")]


@router.get("/va/licences", response_class=HTMLResponse)
def licences(request: Request) -> HTMLResponse:
    current_actor(request)
    desk = wiring.service(platform_of(request))
    return render(
        request, "vadealing/licences.html", firms=desk.list_firms(), clients=desk.list_clients()
    )


def _screening_page(request: Request, **extra: Any) -> HTMLResponse:
    desk = screening_wiring.service(platform_of(request))
    context: dict[str, Any] = {
        "result": None,
        "message": None,
        "ok": True,
        "form": {"client_id": "", "name": "", "birth_year": ""},
        **extra,
    }
    return render(
        request,
        "vadealing/screening.html",
        versions=desk.versions(),
        alerts=desk.alerts(),
        decisions=desk.decisions(limit=15),
        **context,
    )


@router.get("/va/screening", response_class=HTMLResponse)
def screening(request: Request) -> HTMLResponse:
    current_actor(request)
    return _screening_page(request)


@router.post("/va/screening/screen", response_class=HTMLResponse)
def screen(
    request: Request,
    client_id: str = Form(..., max_length=100),
    name: str = Form(..., max_length=300),
    birth_year: str = Form("", max_length=4),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    desk = screening_wiring.service(platform_of(request))
    form = {"client_id": client_id, "name": name, "birth_year": birth_year}
    try:
        year = int(birth_year) if birth_year.strip() else None
        result = desk.screen(
            actor, client_id=client_id, name=name, birth_year=year, context="dashboard"
        )
        body: dict[str, Any] = result.to_dict()
        return render(
            request, "vadealing/_hits.html", result=body, message=None, ok=True, form=form
        )
    except ValueError:
        message = "Birth year must be a number."
    except PlatformError as exc:
        message = exc.message
    return render(
        request,
        "vadealing/_hits.html",
        status=422,
        result=None,
        message=message,
        ok=False,
        form=form,
    )


@router.post("/va/screening/clear", response_class=HTMLResponse)
def clear(
    request: Request,
    screening_id: str = Form(..., max_length=100),
    list_id: str = Form(..., max_length=100),
    entry_id: str = Form(..., max_length=200),
    reason: str = Form("", max_length=2000),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    desk = screening_wiring.service(platform_of(request))
    try:
        cleared = desk.clear(
            actor, screening_id=screening_id, list_id=list_id, entry_id=entry_id, reason=reason
        )
        message = (
            f"Cleared {cleared['list_id']}:{cleared['entry_id']} for {cleared['client_id']}. "
            "It will not recur unless the list entry changes."
        )
        return render(request, "vadealing/_cleared.html", message=message, ok=True)
    except PlatformError as exc:
        return render(request, "vadealing/_cleared.html", status=422, message=exc.message, ok=False)


def _cases_page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    desk = wiring.service(platform_of(request))
    selected = request.query_params.get("status") or None
    try:
        queue = desk.case_queue(selected)
    except PlatformError:
        queue, selected = desk.case_queue(None), None
    views = [desk.case_view(c["case_id"]) for c in queue]
    return render(
        request,
        "vadealing/cases.html",
        status=status,
        cases=views,
        selected=selected or "",
        **{"message": None, "ok": True, **extra},
    )


@router.get("/va/cases", response_class=HTMLResponse)
def cases(request: Request) -> HTMLResponse:
    current_actor(request)
    return _cases_page(request)


@router.post("/va/cases/{case_id}/act", response_class=HTMLResponse)
def act(
    request: Request,
    case_id: str,
    action: str = Form(..., max_length=20),
    note: str = Form("", max_length=4000),
    csrf_token: str = Form(""),
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    try:
        found = wiring.service(platform_of(request)).act_on_case(actor, case_id, action, note)
        return _cases_page(request, message=f"Case {case_id} is now {found['status']}.", ok=True)
    except PlatformError as exc:
        return _cases_page(request, status=422, message=exc.message, ok=False)
