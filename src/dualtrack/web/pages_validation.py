"""Dashboard pages of validation and monitoring.

* ``/validation/versions/{id}``: the validation runs of a model version with their verdicts,
  findings by severity, HTML/PDF reports and, for senior managers, the override form;
* ``/monitoring`` and ``/monitoring/{system}``: alerts across systems, and per system the
  windows of the latest monitoring run as line charts (inline SVG drawn here, no JS build).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from dualtrack.errors import PlatformError
from dualtrack.identity.domain import Role
from dualtrack.monitoring.wiring import service as monitoring
from dualtrack.validation.wiring import get_validation, report_path
from dualtrack.web.routes import check_csrf, current_actor, platform_of, render

router = APIRouter(include_in_schema=False)
NAV = [("Monitoring", "/monitoring")]

SEVERITIES = ("critical", "high", "medium", "low", "info")
COLOURS = ("#1f5aa6", "#c0392b", "#27ae60", "#8e44ad")


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    limit: float | None = None,
    width: int = 560,
    height: int = 200,
) -> Markup:
    """An inline SVG line chart: one polyline per series, gaps for missing values, and a
    dashed line at ``limit`` (the alert threshold)."""
    pad_l, pad_r, pad_t, pad_b = 48, 12, 24, 28
    values = [v for _, ys in series for v in ys if v is not None and math.isfinite(v)]
    if limit is not None:
        values.append(limit)
    top = max(values) if values else 1.0
    bottom = min([0.0, *values])
    top = top * 1.1 if top > 0 else 1.0
    span = (top - bottom) or 1.0
    n = max(len(labels), 1)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return pad_t + plot_h * (1 - (v - bottom) / span)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad_l}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" y2="{pad_t + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + plot_h}" stroke="#999"/>',
    ]
    for tick in (bottom, bottom + span / 2, top):
        parts.append(
            f'<text x="{pad_l - 4}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end">{tick:.3g}</text>'
        )
    step = max(1, n // 6)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    if limit is not None:
        parts.append(
            f'<line class="limit" x1="{pad_l}" y1="{y(limit):.1f}" x2="{width - pad_r}" '
            f'y2="{y(limit):.1f}" stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
    for k, (name, ys) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(ys):
            if v is None or not math.isfinite(v):
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}: {v:.4g}</title></circle>"
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" '
                f'points="{" ".join(seg)}"/>'
            )
        parts.append(
            f'<text x="{width - pad_r}" y="{14 + 12 * k}" font-size="11" text-anchor="end" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def _findings_by_severity(result: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    findings = result.get("findings", [])
    return [
        (s, [f for f in findings if f["severity"] == s])
        for s in SEVERITIES
        if any(f["severity"] == s for f in findings)
    ]


def _version_page(request: Request, version_id: str, message: str | None, ok: bool) -> Response:
    actor = current_actor(request)
    platform = platform_of(request)
    version = platform.registry.get_version(version_id)
    system = platform.registry.get_system(version.system_id)
    runs = [
        {"record": r, "findings": _findings_by_severity(r.result)}
        for r in reversed(platform.registry.validations(version_id))
    ]
    return render(
        request,
        "validation/version.html",
        status=200 if ok else 422,
        version=version,
        system=system,
        runs=runs,
        may_override=actor.role is Role.SENIOR_MANAGER,
        message=message,
        ok=ok,
    )


@router.get("/validation/versions/{version_id}", response_class=HTMLResponse)
def version_validations(request: Request, version_id: str) -> Response:
    """Validation runs of one model version."""
    return _version_page(request, version_id, None, True)


@router.post("/validation/runs/{run_id}/override", response_class=HTMLResponse)
def override(
    request: Request,
    run_id: str,
    reason: str = Form("", max_length=2000),
    csrf_token: str = Form(""),
) -> Response:
    """A senior manager accepts a failed run with a written reason (the core use case)."""
    check_csrf(request, csrf_token)
    actor = current_actor(request)
    platform = platform_of(request)
    record = get_validation(platform, run_id)
    try:
        platform.registry.override_validation(actor, run_id, reason=reason)
    except PlatformError as exc:
        return _version_page(request, record.version_id, exc.message, False)
    return _version_page(request, record.version_id, "Override recorded in the ledger.", True)


@router.get("/validation/runs/{run_id}/report.{suffix}")
def report(request: Request, run_id: str, suffix: str) -> Response:
    """The stored HTML or PDF report of a run."""
    current_actor(request)
    platform = platform_of(request)
    path = report_path(platform, get_validation(platform, run_id), suffix)
    media = "application/pdf" if suffix == "pdf" else "text/html; charset=utf-8"
    return FileResponse(path, media_type=media)


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_index(request: Request) -> Response:
    """Deployed systems, their latest monitoring run, and every alert."""
    current_actor(request)
    platform = platform_of(request)
    mon = monitoring(platform)
    rows = []
    for system in platform.registry.list_systems():
        deployed = platform.registry.deployed_version(system.id)
        if deployed is None:
            continue
        runs = mon.runs(system.id, limit=1)
        rows.append(
            {
                "system": system,
                "version": deployed,
                "latest": runs[0] if runs else None,
                "n_alerts": len(mon.alerts(system.id)),
            }
        )
    return render(request, "validation/monitoring.html", rows=rows, alerts=mon.alerts(limit=100))


@router.get("/monitoring/{system_id}", response_class=HTMLResponse)
def monitoring_system(request: Request, system_id: str) -> Response:
    """Charts over time of the latest run's windows, drift per feature, run history, alerts."""
    current_actor(request)
    platform = platform_of(request)
    view = monitoring(platform).overview(system_id)
    windows = view["windows"]
    labels = [w["window_start"][5:10] for w in windows]
    limits = view["thresholds"]
    charts = []
    if windows:
        charts = [
            line_chart(
                "Score PSI per window",
                labels,
                [("score PSI", [w["score_psi"] for w in windows])],
                limit=limits["score_psi"]["max"],
            ),
            line_chart(
                "AUC per window (labelled decisions)",
                labels,
                [("AUC", [w["auc"] for w in windows])],
            ),
            line_chart(
                "Positive-decision rate and bad rate",
                labels,
                [
                    ("decision rate", [w["positive_decision_rate"] for w in windows]),
                    ("bad rate", [w["bad_rate"] for w in windows]),
                ],
            ),
        ]
    history = view["history"]
    if len(history) > 1:
        charts.append(
            line_chart(
                "Score PSI per monitoring run",
                [h["created_at"][5:16] for h in history],
                [("score PSI", [h["score_psi"] for h in history])],
                limit=limits["score_psi"]["max"],
            )
        )
    drift = sorted(view["drift"], key=lambda d: -(d["psi"] or 0.0))
    return render(
        request,
        "validation/monitoring_system.html",
        view=view,
        charts=charts,
        drift=drift,
        limits=limits,
    )
