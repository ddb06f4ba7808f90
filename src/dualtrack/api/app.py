"""Application factory: the REST API, health, metrics and the dashboard on one ASGI app."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualtrack import __version__
from dualtrack.api import problems
from dualtrack.api.routes_core import router as core_router
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.plugins import discover

log = logging.getLogger("dualtrack.access")

DESCRIPTION = """
dualtrack's REST API. Every mutating call acts as the user bound to the API key
(`Authorization: Bearer dt_...` or `X-API-Key`), is checked against separation-of-duties
rules in the service layer, and is written to the hash-chained audit ledger in the same
transaction. Errors are RFC 9457 `application/problem+json` documents.
"""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 413 problem, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        response = problems.problem(
            413,
            "Payload too large",
            f"request bodies are limited to {self.limit} bytes",
            code="payload-too-large",
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", problems.MEDIA_TYPE.encode())],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(Exception):
    pass


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """Build the app. Pass ``platform`` to share one (tests); otherwise it is built from
    ``settings`` with migrations applied."""
    settings = settings or (platform.settings if platform else Settings())
    platform = platform or bootstrap(settings, run_migrations=True)
    app = FastAPI(
        title="dualtrack",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.platform = platform
    problems.install(app)

    registry = CollectorRegistry()
    requests = Counter(
        "dualtrack_http_requests_total",
        "HTTP requests",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "dualtrack_http_request_seconds", "HTTP request latency", ["route"], registry=registry
    )
    app.state.metrics_registry = registry

    @app.middleware("http")
    async def observe(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(route).observe(elapsed)
        log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        with platform.uow() as uow:
            seq, _ = uow.audit.head()
        return {"status": "ok", "version": __version__, "ledger_entries": str(seq)}

    @app.get("/metrics", tags=["meta"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(core_router)
    for module in discover("dualtrack.api", "routes_"):
        if module.__name__ != "dualtrack.api.routes_core":
            app.include_router(module.router)

    from dualtrack.web.routes import install_dashboard

    install_dashboard(app, settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
