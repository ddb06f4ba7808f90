"""``dualtrack validation``: stored validation runs, their reports, demo files."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dualtrack.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    ErrorHandlingGroup,
    acting_user,
    console,
    err,
    platform,
    print_json,
    status,
)
from dualtrack.validation.wiring import get_validation, report_path

NAME = "validation"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Validation runs and reports (run one with `dualtrack validate`).",
)


@app.command("list")
def list_runs(model_version: str, as_json: bool = JSON_OPTION) -> None:
    """Validation runs of a model version, oldest first."""
    records = platform().registry.validations(model_version)
    if as_json:
        print_json([r.to_json() for r in records])
        return
    table = Table(title="Validation runs")
    for col in ("id", "when", "by", "verdict", "override", "summary"):
        table.add_column(col)
    for r in records:
        table.add_row(
            r.id,
            r.created_at,
            r.performed_by,
            "[green]pass[/]" if r.passed else "[red]fail[/]",
            f"{r.override_by}" if r.override_by else "",
            r.summary,
        )
    console.print(table)


@app.command("report")
def report(
    run_id: str,
    pdf: Annotated[bool, typer.Option("--pdf", help="The PDF instead of the HTML.")] = False,
    open_it: Annotated[bool, typer.Option("--open", help="Open it in the browser.")] = False,
) -> None:
    """Print the path of a validation run's HTML (or PDF) report."""
    p = platform()
    path = report_path(p, get_validation(p, run_id), "pdf" if pdf else "html")
    console.print(str(path), highlight=False)
    if open_it:
        webbrowser.open(path.resolve().as_uri())


@app.command("override")
def override(
    run_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why the failure is accepted.")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A senior manager accepts a failed run with a written reason (ledgered)."""
    who = acting_user(actor)
    record = platform().registry.override_validation(who, run_id, reason=reason)
    if as_json:
        print_json(record.to_json())
    else:
        console.print(f"validation {record.id} overridden by {record.override_by}")


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")] = Path(
        "var/data/validation-demo"
    ),
    rows: Annotated[int, typer.Option(help="Rows per file.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Seeded demo files: a LightGBM model, reference and validation sets, production
    decisions before and after a population shift, and late labels."""
    from dualtrack.validation.demo import write_demo_files

    if not 1_000 <= rows <= 1_000_000:
        raise typer.BadParameter("--rows must be between 1,000 and 1,000,000")
    paths = write_demo_files(out, rows=rows, seed=seed)
    for name, path in paths.items():
        err.print(f"{name:>18}: {path}")


@app.command("fraud-data")
def fraud_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")] = Path(
        "var/data/fraud-validation"
    ),
    customers: Annotated[int, typer.Option(help="Simulated customers (as `fraud train`).")] = 5_000,
    valid_days: Annotated[
        int,
        typer.Option(
            help="Later days to validate on (enough frauds per protected group to compare rates)."
        ),
    ] = 14,
    days: Annotated[int, typer.Option(help="Simulated days (as `fraud train`).")] = 20,
    seed: Annotated[int, typer.Option(help="Simulator seed (as `fraud train`).")] = 7,
) -> None:
    """Validation files for a model from `dualtrack fraud train` (same simulator settings):
    reference.parquet (training days), valid.parquet (the days after), both with synthetic
    protected attributes sex and age_band, and shifted-transactions.csv for monitoring."""
    from dualtrack.validation.fraud_demo import write_fraud_files

    if not 100 <= customers <= 200_000 or not 4 <= days <= 120:
        raise typer.BadParameter("--customers 100-200000 and --days 4-120")
    with status("simulating payments and computing features"):
        paths = write_fraud_files(
            out, customers=customers, days=days, seed=seed, valid_days=valid_days
        )
    for name, path in paths.items():
        err.print(f"{name:>10}: {path}")
