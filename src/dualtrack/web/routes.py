"""Dashboard routes. They call the same services as the API and CLI.

Sessions are signed cookies (HttpOnly, SameSite=Strict, Secure unless configured off); every
form and HTMX request carries a per-session CSRF token that is checked on each POST.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from dualtrack.bootstrap import Platform
from dualtrack.config import Settings
from dualtrack.errors import PlatformError
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.domain import MAX_SEQ

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    pass


class CsrfFailed(Exception):
    pass


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def current_actor(request: Request) -> Actor:
    """The signed-in user, or a redirect to /login (raised as LoginRequired)."""
    data = request.session.get("user")
    if not data:
        raise LoginRequired
    return Actor(data["id"], data["username"], Role(data["role"]))


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST whose form field or X-CSRF-Token header lacks the session's token."""
    expected = request.session.get("csrf")
    presented = submitted or request.headers.get("x-csrf-token")
    if not expected or not presented or not hmac.compare_digest(str(expected), presented):
        raise CsrfFailed


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the user, CSRF token and feature menu in its context."""
    user = request.session.get("user")
    return templates.TemplateResponse(
        request, name, {"user": user, "csrf_token": _csrf(request), **context}, status_code=status
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(..., max_length=63),
    password: str = Form(..., max_length=200),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf(request, csrf_token)
    user = platform_of(request).identity.authenticate(username, password)
    if user is None:
        return render(request, "login.html", status=401, error="Unknown user or wrong password.")
    request.session.clear()
    request.session["user"] = {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "name": user.display_name,
    }
    _csrf(request)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def inventory(request: Request, as_of: str | None = None) -> HTMLResponse:
    current_actor(request)
    platform = platform_of(request)
    error = None
    moment = None
    if as_of:
        from datetime import UTC, datetime

        try:
            parsed = datetime.fromisoformat(as_of)
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            from dualtrack.ledger.domain import format_time

            moment = format_time(parsed)
        except ValueError:
            error = "Use a date and time (UTC) such as 2026-11-25T09:00."
    systems = platform.registry.list_systems(as_of=moment)
    deployed = {s.id: platform.registry.deployed_version(s.id) for s in systems}
    counts = {
        tier: sum(1 for s in systems if s.tier.value == tier) for tier in ("HIGH", "MEDIUM", "LOW")
    }
    return render(
        request,
        "inventory.html",
        systems=systems,
        deployed=deployed,
        counts=counts,
        as_of=as_of or "",
        error=error,
    )


@router.get("/systems/{system_id}", response_class=HTMLResponse)
def system_detail(request: Request, system_id: str) -> HTMLResponse:
    current_actor(request)
    platform = platform_of(request)
    system = platform.registry.get_system(system_id)
    gaps = platform.controls.gaps(system_id)
    summary = {
        status: sum(1 for g in gaps if g.status.value == status)
        for status in ("met", "unmet", "evidence missing")
    }
    return render(
        request,
        "system.html",
        system=system,
        gaps=gaps,
        gap_summary=summary,
        versions=platform.registry.list_versions(system_id),
        history=platform.registry.system_history(system_id),
        catalogue=platform.controls.catalogue,
    )


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request) -> HTMLResponse:
    actor = current_actor(request)
    items = platform_of(request).registry.approval_queue(actor)
    return render(request, "approvals.html", items=items, message=None)


@router.post("/approvals/{version_id}/approve", response_class=HTMLResponse)
def approve(request: Request, version_id: str, csrf_token: str = Form("")) -> HTMLResponse:
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    platform = platform_of(request)
    try:
        model = platform.registry.approve(actor, version_id, note="approved in dashboard")
        message = f"Approved {model.version}."
        ok = True
    except PlatformError as exc:
        message, ok = exc.message, False
    items = platform.registry.approval_queue(actor)
    return render(
        request,
        "_approval_rows.html",
        status=200 if ok else 422,
        items=items,
        message=message,
        ok=ok,
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger(request: Request, before: int | None = Query(None, ge=1, le=MAX_SEQ)) -> HTMLResponse:
    current_actor(request)
    entries = platform_of(request).ledger.page(before_seq=before, limit=50)
    return render(request, "ledger.html", entries=entries)


@router.get("/ledger/verify", response_class=HTMLResponse)
def ledger_verify(request: Request) -> HTMLResponse:
    current_actor(request)
    result = platform_of(request).ledger.verify()
    return render(request, "_verify.html", result=result)


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    from dualtrack.plugins import discover

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    nav: list[tuple[str, str]] = []
    for module in discover("dualtrack.web", "pages_"):
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", []))
    templates.env.globals["feature_nav"] = nav

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return HTMLResponse(
            "<p>Your form expired or was not sent from this site. Reload and try again.</p>",
            status_code=403,
        )

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="dualtrack_session",
        max_age=8 * 3600,
        same_site="strict",
        https_only=settings.cookie_secure,
    )
