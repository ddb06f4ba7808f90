"""``dualtrack ask "question"``: ask the research assistant from the command line.

Prints the answer with numbered citations and the AI disclosure, or says that the answer is
held for review (investment content), routed to a human, refused or blocked.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

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
from dualtrack.research.wiring import reply_json, service

NAME = "ask"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    invoke_without_command=True,
    subcommand_metavar="",
    # A group stops reading options at the first positional; the question is positional and
    # ``--as``/``--json`` may follow it, so options are read anywhere on the line.
    context_settings={"allow_interspersed_args": True},
    help="Ask the research assistant a question (answers cite their sources).",
)


def print_reply(data: dict[str, Any]) -> None:
    status = data["status"]
    if status == "answered":
        console.print(data["answer"], highlight=False)
        console.print()
        for c in data["citations"]:
            console.print(f"  {c['label']}   (chunk {c['chunk_id']})", highlight=False)
        console.print()
        console.print(f"[dim]{data['disclosure']['en']}[/dim]", highlight=False)
    elif status == "pending_review":
        console.print(f"[yellow]held for review[/yellow]: {data['message']}", highlight=False)
        console.print(f"review ID: {data['review_id']}")
    else:
        console.print(f"[bold]{status}[/bold]: {data['message']}", highlight=False)
    if data["excluded_chunk_ids"]:
        err.print(
            "[yellow]excluded as prompt injection:[/yellow] "
            + ", ".join(data["excluded_chunk_ids"]),
            highlight=False,
        )
    for note in data["notes"]:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)


@app.callback()
def ask(
    question: Annotated[str, typer.Argument(help="The question (English or Chinese).")],
    client: Annotated[
        str | None, typer.Option("--client", help="Client the question is for (opt-outs).")
    ] = None,
    human: Annotated[bool, typer.Option("--human", help="Ask for a person instead.")] = False,
    as_user: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask the research assistant a question."""
    actor = acting_user(as_user)
    gateway = service(platform())
    reply = gateway.ask(actor, question, client_id=client, request_human=human)
    data = reply_json(reply, gateway)
    if as_json:
        print_json(data)
    else:
        print_reply(data)
