"""RFC 9457 problem details: the one place that maps domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from dualtrack.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    LedgerIntegrityError,
    NotFound,
    PermissionDenied,
    PlatformError,
)

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://dualtrack.dev/problems/"
MEDIA_TYPE = "application/problem+json"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

_STATUS: list[tuple[type[PlatformError], int, str]] = [
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (PermissionDenied, 403, "Forbidden"),
    (InvalidInput, 422, "Invalid input"),
    (ConfigurationError, 503, "Not configured"),
    (LedgerIntegrityError, 500, "Ledger integrity failure"),
]


def problem(
    status: int, title: str, detail: str, *, code: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def status_for(exc: PlatformError) -> tuple[int, str]:
    for cls, status, title in _STATUS:
        if isinstance(exc, cls):
            return status, title
    return 400, "Bad request"


def install(app: FastAPI) -> None:
    @app.exception_handler(PlatformError)
    async def _platform(request: Request, exc: PlatformError) -> JSONResponse:
        status, title = status_for(exc)
        fields = {
            k: v for k, v in exc.fields.items() if isinstance(v, str | int | float | bool | list)
        }
        return problem(
            status, title, exc.message, code=exc.code, instance=request.url.path, **fields
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(
            422,
            "Invalid request",
            detail or "the request body or parameters are invalid",
            code="invalid-request",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(
            exc.status_code,
            _reason(exc.status_code),
            str(exc.detail),
            code=f"http-{exc.status_code}",
            instance=request.url.path,
        )
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            # Starlette names only the first route on the path; RFC 9110 wants all of them
            response.headers["allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The exception text may hold personal data; log only its type.
        log.error("unhandled error %s on %s", type(exc).__name__, request.url.path)
        return problem(
            500,
            "Internal error",
            "an unexpected error occurred",
            code="internal",
            instance=request.url.path,
        )


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route answers on the request's path, found by asking the router's
    own matching (routers included into the app are matched lazily, so their routes are
    not listed anywhere to read the methods from)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
