"""``dualtrack assistant``: review queue, client opt-outs and read-only SQL over datasets.

``reviews`` lists answers held for review; ``review ID --approve|--edit TEXT|--reject``
decides one (compliance officers only, never the asker) and prints the released answer with
the AI disclosure. ``sql`` runs a single read-only SELECT on registered datasets.
"""

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
    err,
    platform,
    print_json,
)
from dualtrack.errors import InvalidInput, NotFound
from dualtrack.research.domain import ReviewDecision
from dualtrack.research.wiring import ReviewView, review_json, service

NAME = "assistant"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Research assistant: answer reviews, client opt-outs, SQL over datasets.",
    no_args_is_help=True,
)
datasets_app = typer.Typer(
    cls=ErrorHandlingGroup, help="Datasets for read-only SQL.", no_args_is_help=True
)
app.add_typer(datasets_app, name="datasets")


@app.command("reviews")
def reviews(
    all_: Annotated[bool, typer.Option("--all", help="Include decided reviews.")] = False,
    as_user: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Answers held for review (investment content from a HIGH-tier assistant)."""
    actor = acting_user(as_user)
    items = service(platform()).reviews_for(actor, status=None if all_ else "pending")
    rows = [review_json(ReviewView(i, None), include_draft=True) for i in items]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Answer reviews")
    for column in ("review_id", "status", "asker", "question", "created"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["review_id"], r["status"], r["asker"], r["question"][:60], r["created_at"][:19]
        )
    console.print(table)


def _print_review(data: dict[str, Any]) -> None:
    console.print(f"review {data['review_id']}: [bold]{data['status']}[/bold]")
    released = data.get("released")
    if released:
        console.print()
        console.print(released["rendered"], highlight=False)


@app.command("review")
def review(
    review_id: Annotated[str, typer.Argument(help="Review ID.")],
    approve: Annotated[bool, typer.Option("--approve", help="Release the draft.")] = False,
    edit: Annotated[
        str | None, typer.Option("--edit", help="Release this text instead of the draft.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Do not release.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="Reviewer's note.")] = None,
    as_user: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a review, or decide it with exactly one of --approve, --edit TEXT, --reject."""
    actor = acting_user(as_user)
    gateway = service(platform())
    chosen = [name for name, on in (("approve", approve), ("edit", edit), ("reject", reject)) if on]
    if len(chosen) > 1:
        raise InvalidInput("choose one of --approve, --edit and --reject")
    if not chosen:
        view = gateway.review(actor, review_id)
    else:
        decision: ReviewDecision = "approve" if approve else "edit" if edit else "reject"
        view = gateway.decide(actor, review_id, decision=decision, edited_text=edit, note=note)
    data = review_json(view, include_draft=True)
    if as_json:
        print_json(data)
        return
    if not chosen:
        console.print(f"question: {data['question']}", highlight=False)
        console.print(f"draft:    {data['draft']}", highlight=False)
        for c in data["citations"]:
            console.print(f"          {c['label']}", highlight=False)
    _print_review(data)


@app.command("opt-out")
def opt_out(
    client_id: Annotated[str, typer.Argument(help="The client's ID.")],
    clear: Annotated[bool, typer.Option("--clear", help="Withdraw the opt-out.")] = False,
    as_user: str | None = AS_OPTION,
) -> None:
    """Record that a client wants a human instead of the AI assistant (HKMA-GENAI-04)."""
    actor = acting_user(as_user)
    service(platform()).set_opt_out(actor, client_id, opted_out=not clear)
    err.print("opt-out withdrawn" if clear else "client opted out: questions go to a human")


@app.command("human-queue")
def human_queue(as_user: str | None = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Questions routed to a member of staff."""
    actor = acting_user(as_user)
    rows: list[dict[str, Any]] = [
        {
            "request_id": r.request_id,
            "client_id": r.client_id,
            "reason": r.reason,
            "question": r.question,
            "created_at": r.created_at.isoformat(),
        }
        for r in service(platform()).human_requests(actor)
    ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['created_at'][:19]}  {r['reason']:<24} {r['question'][:70]}")


def _print_result(data: dict[str, Any]) -> None:
    table = Table(title=data["sql"])
    for column in data["columns"]:
        table.add_column(column)
    for row in data["rows"]:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    if data["truncated"]:
        err.print("[yellow]result truncated[/yellow]")


@app.command("sql")
def sql(
    query: Annotated[str, typer.Argument(help="One read-only SELECT, or an English question.")],
    question: Annotated[
        bool, typer.Option("--question", help="Treat the text as a question for the LLM.")
    ] = False,
    as_user: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Query registered datasets read-only (DuckDB); writes and other tables are refused."""
    actor = acting_user(as_user)
    gateway = service(platform())
    result = gateway.ask_data(actor, query) if question else gateway.query(actor, query)
    data = result.to_dict()
    if as_json:
        print_json(data)
    else:
        _print_result(data)


@datasets_app.command("add")
def datasets_add(
    name: Annotated[str, typer.Argument(help="Table name (lower-case identifier).")],
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace a dataset.")] = False,
    as_user: str | None = AS_OPTION,
) -> None:
    """Register a dataset for read-only SQL (its bytes are stored)."""
    actor = acting_user(as_user)
    if not path.is_file():
        raise NotFound(f"no such file: {path.name}")
    ds = service(platform()).register_dataset(
        actor, name, filename=path.name, content=path.read_bytes(), replace=replace
    )
    err.print(f"registered {ds.name}: {ds.n_rows} rows, {len(ds.columns)} columns")


@datasets_app.command("list")
def datasets_list(as_json: bool = JSON_OPTION) -> None:
    """Registered datasets."""
    rows: list[dict[str, Any]] = [
        {
            "name": d.dataset.name,
            "source": d.dataset.source,
            "rows": d.dataset.n_rows,
            "columns": [c for c, _ in d.dataset.columns],
            "registered_by": d.registered_by,
        }
        for d in service(platform()).list_datasets()
    ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['name']:<20} {r['rows']:>8} rows  {', '.join(r['columns'])}")
