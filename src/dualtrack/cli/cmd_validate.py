"""``dualtrack validate MODEL_VERSION --data FILE``: independent validation of a version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dualtrack.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    ErrorHandlingGroup,
    acting_user,
    console,
    err,
    platform,
    print_json,
)
from dualtrack.validation.wiring import report_path, validate_version

NAME = "validate"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    invoke_without_command=True,
    # A group stops reading options at its first argument unless told otherwise; this lets
    # `dualtrack validate MODEL_VERSION --data FILE` read --data after the version.
    context_settings={"allow_interspersed_args": True},
    add_completion=False,
    help="Validate a submitted model version with its risk tier's plan and store the run.",
)

SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


@app.callback()
def validate(
    model_version: Annotated[str, typer.Argument(help="Model version ID.")],
    data: Annotated[Path, typer.Option("--data", help="Validation dataset (CSV or Parquet).")],
    target: Annotated[str, typer.Option("--target", help="Outcome column (two classes).")] = (
        "target"
    ),
    protected: Annotated[
        str | None,
        typer.Option(
            "--protected",
            help="Extra protected-attribute columns, comma-separated (the AI system record's "
            "are always used).",
        ),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="Reference (training) sample, CSV or Parquet."),
    ] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the plan of the system's tier on FILE; a pass moves the version to validated.

    The validator must not be the version's developer (HIGH tier: the validator role). The
    HTML and PDF reports are written under <var_dir>/reports.
    """
    who = acting_user(actor)
    p = platform()
    names = [n.strip() for n in (protected or "").split(",") if n.strip()]
    with Progress(
        TextColumn("[bold]validating[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("loading model and data", total=None)

        def progress(done: int, total: int, step: str) -> None:
            bar.update(task, completed=done, total=total, description=step)

        record = validate_version(
            p,
            who,
            model_version,
            data,
            target=target,
            protected=names,
            reference_path=reference,
            progress=progress,
        )
    html = report_path(p, record, "html")
    pdf = report_path(p, record, "pdf")
    if as_json:
        result = {k: v for k, v in record.result.items() if k != "monitoring_profile"}
        print_json(
            record.to_json() | {"result": result, "report_html": str(html), "report_pdf": str(pdf)}
        )
        return
    verdict = "[bold green]PASSED[/]" if record.passed else "[bold red]FAILED[/]"
    console.print(f"validation {record.id}: {verdict}")
    console.print(record.summary, highlight=False)
    for finding in record.result.get("findings", []):
        style = SEVERITY_STYLE.get(finding["severity"], "")
        flag = " (blocking)" if finding["blocking"] else ""
        console.print(
            f"  [{style}]{finding['severity']}[/] {finding['test_id']}{flag}: {finding['message']}",
            highlight=False,
        )
    console.print(f"controls evidenced: {', '.join(record.controls) or 'none'}")
    console.print(f"report: {html}\n        {pdf}")
