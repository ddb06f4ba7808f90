"""Production monitoring: run drift and performance checks, read windows and alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import Strict
from dualtrack.api.uploads import form_text, save_upload, server_path, upload_folder
from dualtrack.errors import InvalidInput
from dualtrack.monitoring.wiring import DecisionSource, default_source, service

router = APIRouter(prefix="/api/v1", tags=["monitoring"])

ServerPath = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class MonitoringRequest(Strict):
    """Monitor from files on the server (under ``<var_dir>/data``) or, with no paths, from the
    fraud application's stored decisions and case verdicts."""

    decisions_path: ServerPath | None = Field(
        None, description="Decision log (score, decided_at, features) under <var_dir>/data."
    )
    labels_path: ServerPath | None = Field(
        None, description="Late labels (ID column plus label or is_fraud) under <var_dir>/data."
    )
    window_seconds: int = Field(86_400, ge=3_600, le=31 * 86_400, strict=True)


def _window(raw: str | None) -> int:
    if raw is None:
        return 86_400
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("window_seconds must be a whole number of seconds") from None


@router.post("/systems/{system_id}/monitoring/runs", status_code=201)
async def run_monitoring_route(
    system_id: str, request: Request, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Monitor the system's deployed version: PSI and KS drift against the validated
    reference, and per-window decision rate, score PSI, bad rate, AUC and Brier score.

    Send `multipart/form-data` with a `decisions` file (and optionally `labels`), JSON naming
    files under `<var_dir>/data`, or an empty JSON object to use stored fraud decisions.
    Threshold breaches of the system's tier become alerts, stored and written to the ledger
    (`monitoring.alert`); a breach already alerted is not raised again.
    """
    var_dir = Path(platform.settings.var_dir)
    monitor = service(platform)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form() as form:
            with upload_folder(var_dir) as folder:
                decisions = await save_upload(form.get("decisions"), folder, field="decisions")
                upload = form.get("labels")
                labels = (
                    await save_upload(upload, folder, field="labels")
                    if upload is not None and not isinstance(upload, str)
                    else None
                )
                source = default_source(platform, decisions, labels)
                window = _window(form_text(form, "window_seconds", limit=20))
                return await run_in_threadpool(
                    monitor.run, actor, system_id, source, window_seconds=window
                )
    raw = await request.body()
    try:
        body = MonitoringRequest.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidInput(f"invalid request: {detail}") from None
    decisions_file = (
        server_path(var_dir, body.decisions_path, field="decisions_path")
        if body.decisions_path
        else None
    )
    labels_file = (
        server_path(var_dir, body.labels_path, field="labels_path") if body.labels_path else None
    )
    chosen: DecisionSource = default_source(platform, decisions_file, labels_file)
    return await run_in_threadpool(
        monitor.run, actor, system_id, chosen, window_seconds=body.window_seconds
    )


@router.get("/systems/{system_id}/monitoring")
def monitoring_overview(system_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The latest run's windows and drift, the history of runs, alerts and thresholds."""
    return service(platform).overview(system_id)


@router.get("/monitoring/alerts")
def monitoring_alerts(
    platform: PlatformDep,
    actor: ActorDep,
    system_id: str | None = Query(None, max_length=200),
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Monitoring alerts, newest first, of every system or one."""
    return service(platform).alerts(system_id, limit=limit)
