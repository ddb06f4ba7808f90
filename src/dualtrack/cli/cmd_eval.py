"""``dualtrack eval assistant``: the research assistant's evaluation harness.

Runs the golden question set over the committed corpus and the guardrail classifiers over
their held-out sets, prints the metrics, and records the run as a validation of the
assistant's submitted model version (SFC-07/16/10) when a validator runs it (``--as``).
"""

from __future__ import annotations

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
)
from dualtrack.research.wiring import service

NAME = "eval"

app = typer.Typer(
    cls=ErrorHandlingGroup, help="Evaluation harnesses of AI applications.", no_args_is_help=True
)


@app.command("assistant")
def assistant(as_user: str | None = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Evaluate the research assistant; with --as VALIDATOR, record a validation."""
    validator = acting_user(as_user) if as_user else None
    gateway = service(platform())
    with err.status("evaluating the research assistant on the committed corpus..."):
        outcome = gateway.evaluate(validator=validator)
    record = outcome.record
    if as_json:
        print_json(
            {
                "passed": record.passed,
                "metrics": record.metrics,
                "counts": record.counts,
                "failures": record.failures,
                "configuration": record.configuration,
                "fingerprints": record.fingerprints,
                "duration_s": record.duration_s,
                "validation_id": outcome.validation.id if outcome.validation else None,
                "message": outcome.message,
            }
        )
    else:
        table = Table(title=f"Research assistant evaluation ({record.configuration['embedder']})")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column("threshold")
        for key, value in record.metrics.items():
            bound = record.thresholds.get(key)
            table.add_row(
                key, "n/a" if value is None else f"{value:g}", " ".join(map(str, bound or ()))
            )
        console.print(table)
        verdict = "[green]PASSED[/green]" if record.passed else "[red]FAILED[/red]"
        console.print(f"{verdict} in {record.duration_s:g} s")
        for failure in record.failures:
            console.print(f"  failed: {failure}", highlight=False)
    err.print(outcome.message, highlight=False)
    if gateway.embedder_note:
        err.print(f"[yellow]note:[/yellow] {gateway.embedder_note}", highlight=False)
