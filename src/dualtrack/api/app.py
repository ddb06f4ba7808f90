"""Application factory: the REST API, health, metrics and the dashboard on one ASGI app."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualtrack import __version__
from dualtrack.adapters.db import WalCheckpointer, sqlite_file
from dualtrack.api import problems
from dualtrack.api.gc_policy import FreezePolicy
from dualtrack.api.openapi import document_problems
from dualtrack.api.routes_core import router as core_router
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.plugins import discover

log = logging.getLogger("dualtrack.access")
logger = logging.getLogger(__name__)

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


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


class Observe:
    """Metrics, one access-log line (no bodies or query strings) and security headers for
    every HTTP request.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) runs
    each request in an extra task with a streamed response, which cost the scoring hot path
    about half a millisecond per request."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before responding

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.requests.labels(method, route, str(status)).inc()
            self.latency.labels(route).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """Build the app. Pass ``platform`` to share one (tests); otherwise it is built from
    ``settings`` with migrations applied."""
    settings = settings or (platform.settings if platform else Settings())
    platform = platform or bootstrap(settings, run_migrations=True)

    # a feature's routes module may expose ``startup(platform)``, run before serving,
    # ``shutdown(platform)``, run when the server stops, and ``collectors(platform)``:
    # Prometheus collectors added to ``/metrics``
    feature_routes = [
        m for m in discover("dualtrack.api", "routes_") if m.__name__ != "dualtrack.api.routes_core"
    ]
    startups = [m.startup for m in feature_routes if callable(getattr(m, "startup", None))]
    shutdowns = [m.shutdown for m in feature_routes if callable(getattr(m, "shutdown", None))]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for startup in startups:
            startup(platform)
        policy = None
        if settings.gc_freeze_s > 0:
            policy = FreezePolicy(freeze_s=settings.gc_freeze_s, full_s=settings.gc_full_s)
            policy.start()
        checkpointer = None
        if settings.sqlite_checkpoint_s > 0 and sqlite_file(platform.engine) is not None:
            # one per platform: its pool listener stays with the engine, so a second app
            # lifespan over the same platform (tests) restarts it rather than adding another
            checkpointer = platform.feature(
                "sqlite.checkpointer",
                lambda p: WalCheckpointer(p.engine, interval_s=settings.sqlite_checkpoint_s),
            )
            checkpointer.start()
        try:
            yield
        finally:
            for shutdown in shutdowns:
                try:
                    shutdown(platform)
                except Exception:  # one feature's failure must not skip the others
                    logger.exception("shutdown hook %s failed", shutdown.__module__)
            if checkpointer is not None:
                checkpointer.stop()
            if policy is not None:
                policy.stop()

    app = FastAPI(
        lifespan=lifespan,
        # FastAPI's OpenTelemetry hooks stay off: no spans, metrics or exporters, ever
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
        title="dualtrack",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.platform = platform
    problems.install(app)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(generate_openapi())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

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
    for module in feature_routes:
        if callable(getattr(module, "collectors", None)):
            for collector in module.collectors(platform):
                registry.register(collector)
    app.state.metrics_registry = registry

    app.add_middleware(Observe, requests=requests, latency=latency)

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
    for module in feature_routes:
        app.include_router(module.router)

    from dualtrack.web.routes import install_dashboard

    install_dashboard(app, settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
