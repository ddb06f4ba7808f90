"""``dualtrack monitor``: drift and performance monitoring of deployed models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dualtrack.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    ErrorHandlingGroup,
    acting_user,
    console,
    platform,
    print_json,
    status,
)
from dualtrack.monitoring.wiring import default_source, service

NAME = "monitor"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Production monitoring: drift (PSI, KS), performance decay, alerts.",
)

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


@app.command("run")
def run(
    system: Annotated[str, typer.Argument(help="AI system name or ID.")],
    decisions: Annotated[
        Path | None,
        typer.Option(help="Decision log, CSV or Parquet (default: stored fraud decisions)."),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Late labels: an ID column plus label or is_fraud.")
    ] = None,
    window_hours: Annotated[int, typer.Option(help="Window length in hours.")] = 24,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Monitor the system's deployed version; threshold breaches become ledgered alerts."""
    who = acting_user(actor)
    p = platform()
    source = default_source(p, decisions, labels)
    with status(f"monitoring from {source.description}"):
        result = service(p).run(who, system, source, window_seconds=window_hours * 3600)
    if as_json:
        print_json(result)
        return
    report = result["report"]
    console.print(
        f"monitoring run {result['id']}: {report['n_rows']} decisions, "
        f"{report['period_start']} to {report['period_end']}, "
        f"{len(result['alerts'])} new alert(s)"
        + (f" ({result['repeated_alerts']} already raised)" if result["repeated_alerts"] else "")
    )
    table = Table(title="Windows")
    for col in ("window start", "decisions", "labelled", "score PSI", "decision rate", "AUC"):
        table.add_column(col)
    for w in report["windows"]:
        table.add_row(
            w["window_start"][:16],
            str(w["n_decisions"]),
            str(w["n_labelled"]),
            _fmt(w["score_psi"]),
            _fmt(w["positive_decision_rate"]),
            _fmt(w["auc"]),
        )
    console.print(table)
    _print_alerts(result["alerts"])


def _print_alerts(alerts: list[dict[str, Any]]) -> None:
    for a in alerts:
        style = SEVERITY_STYLE.get(a["severity"], "")
        console.print(
            f"[{style}]{a['severity']}[/] {a['alert_type']} {a['subject']}: {a['message']}",
            highlight=False,
        )


@app.command("profile")
def profile(
    system: Annotated[str, typer.Argument(help="AI system name or ID.")],
    reference: Annotated[
        Path, typer.Option("--reference", help="Reference sample (CSV or Parquet).")
    ],
    target: Annotated[str, typer.Option(help="Outcome column, if the sample has one.")] = (
        "target"
    ),
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Set the deployed version's monitoring reference from a sample (validation runs set
    one automatically; use this for a version validated elsewhere)."""
    who = acting_user(actor)
    with status("scoring and profiling the reference sample"):
        result = service(platform()).set_profile(who, system, reference, target=target)
    if as_json:
        print_json(result)
    else:
        console.print(
            f"reference profile set for version {result['version_id']}: {result['n_rows']} rows, "
            f"{len(result['features'])} features"
        )


@app.command("alerts")
def alerts(
    system: Annotated[str | None, typer.Option(help="Only this AI system.")] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Monitoring alerts, newest first."""
    found = service(platform()).alerts(system)
    if as_json:
        print_json(found)
        return
    table = Table(title="Monitoring alerts")
    for col in ("raised", "system", "severity", "type", "subject", "value", "limit", "window"):
        table.add_column(col)
    for a in found:
        table.add_row(
            a["created_at"][:19],
            a["system_name"],
            f"[{SEVERITY_STYLE.get(a['severity'], '')}]{a['severity']}[/]",
            a["alert_type"],
            a["subject"],
            _fmt(a["value"]),
            _fmt(a["threshold"]),
            f"{a['window_start'][:10]}..{a['window_end'][:10]}",
        )
    console.print(table)
