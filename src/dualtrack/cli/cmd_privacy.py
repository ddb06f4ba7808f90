"""``dualtrack pii``: scan, redact and pseudonymise files; re-identify tokens; policies.

Files are processed in bounded memory (text in overlapping windows, tables in record
batches, JSON Lines line by line) and written to a temporary file that is renamed only on
success. Binary or invalid UTF-8 input stops with exit code 2 and a message that quotes no
content; so does a mode whose key is not configured (the message names the variable).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
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
from dualtrack.privacy.governance import MODES, PrivacyGateway, atomic_output
from dualtrack.privacy.streaming import decode_bytes, iter_decoded, scan_chunks
from dualtrack.privacy.tabular import TABLE_SUFFIXES, scan_table
from dualtrack.privacy.wiring import service

NAME = "pii"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Privacy guard: find, redact and pseudonymise personal data in files.",
    no_args_is_help=True,
)
policy_app = typer.Typer(
    cls=ErrorHandlingGroup, help="Privacy policies of AI systems.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")

FILE_ARG = typer.Argument(..., help="Input file (.txt, .md, .json, .jsonl, .csv, .parquet).")
MODE_HELP = "redact | mask | replace (type tag) | pseudonymise (HMAC) | encrypt (AES-SIV)."


def _gateway() -> PrivacyGateway:
    return service(platform())


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise NotFound("no such file", suffix=path.suffix)
    if path.stat().st_size == 0:
        raise InvalidInput("the input file is empty")
    return path


@contextmanager
def _progress(label: str, total: int | None, *, in_bytes: bool) -> Iterator[Any]:
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    columns += [DownloadColumn()] if in_bytes else [TextColumn("{task.completed} rows")]
    columns += [TaskProgressColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int) -> None:
            bar.update(task, completed=done)

        yield update


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("entity type")
    table.add_column("found", justify="right")
    for kind, n in sorted(counts.items()):
        table.add_row(kind, str(n))
    return table


@app.command("scan")
def scan(
    file: Annotated[Path, FILE_ARG],
    limit: Annotated[int, typer.Option(help="Most findings to list (counts cover all).")] = 1000,
    as_json: bool = JSON_OPTION,
) -> None:
    """Find personal data in a file: spans, types and scores (the matched text is not shown)."""
    path = _existing(file)
    gateway = _gateway()
    if path.suffix.lower() in TABLE_SUFFIXES:
        with _progress("scanning", None, in_bytes=False) as update:
            rows, by_column = scan_table(gateway.guard, path, progress=update)
        if as_json:
            print_json({"rows": rows, "columns": by_column})
            return
        table = Table(title=f"{rows} rows: cells with personal data, by column")
        table.add_column("column")
        table.add_column("entity types (cells)")
        for column, per_type in by_column.items():
            table.add_row(column, ", ".join(f"{k} {v}" for k, v in per_type.items()))
        console.print(table)
        return
    counts: dict[str, int] = {}
    listed: list[dict[str, Any]] = []
    total = path.stat().st_size
    with path.open("rb") as raw, _progress("scanning", total, in_bytes=True) as update:
        for finding in scan_chunks(gateway.guard.detect, iter_decoded(raw)):
            counts[str(finding.entity_type)] = counts.get(str(finding.entity_type), 0) + 1
            if len(listed) < limit:
                listed.append(finding.to_dict())
            update(raw.tell())
    found = sum(counts.values())
    if as_json:
        print_json(
            {
                "total": found,
                "by_type": dict(sorted(counts.items())),
                "findings": listed,
                "truncated": found > len(listed),
            }
        )
        return
    console.print(_counts_table(f"{found} findings", counts))
    for f in listed[:50]:
        console.print(
            f"  [{f['start']}, {f['end']})  {f['entity_type']:<16} score {f['score']}",
            highlight=False,
        )
    if found > 50:
        console.print(f"  ... {found - 50} more (use --json)", highlight=False)


def _default_out(path: Path, mode: str) -> Path:
    label = {"pseudonymise": "pseudonymised", "encrypt": "encrypted"}.get(mode, "redacted")
    return path.with_name(f"{path.stem}.{label}{path.suffix}")


@app.command("redact")
def redact(
    file: Annotated[Path, FILE_ARG],
    mode: Annotated[str, typer.Option(help=MODE_HELP)] = "replace",
    out: Annotated[
        Path | None, typer.Option(help="Output file (default: FILE.<mode>ed.<suffix>).")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            help="Tables: columns to transform, comma-separated; `name:TYPE` transforms every "
            "cell as that entity type (e.g. `phone:HK_PHONE`). Default: detected automatically."
        ),
    ] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Redact, mask, tag, pseudonymise or encrypt personal data in a file (ledgered)."""
    path = _existing(file)
    gateway = _gateway()
    checked = gateway.check_mode(mode)
    gateway.require_keys(checked)  # before anything is written
    who = acting_user(actor)
    target = out or _default_out(path, checked)
    suffix = path.suffix.lower()
    summary: dict[str, Any]
    if suffix in TABLE_SUFFIXES:
        chosen = [c for c in columns.split(",") if c.strip()] if columns else "auto"
        with _progress("transforming", None, in_bytes=False) as update:
            run = gateway.transform_table(
                who, path, target, columns=chosen, mode=checked, progress=update
            )
        summary = run.to_dict()
    elif columns:
        raise InvalidInput("--columns applies to .csv and .parquet files only")
    elif suffix == ".jsonl":
        summary = _redact_jsonl(gateway, who, path, target, checked)
    elif suffix == ".json":
        summary = _redact_json(gateway, who, path, target, checked)
    else:
        with _progress("redacting", path.stat().st_size, in_bytes=True) as update:
            file_run = gateway.redact_file(who, path, target, checked, progress=update)
        summary = file_run.to_dict()
    summary = {"output": str(target), "mode": checked, **summary}
    if as_json:
        print_json(summary)
        return
    counts = summary.get("entity_counts", {})
    console.print(_counts_table(f"{checked}: {sum(counts.values())} values", counts))
    err.print(f"wrote {target}")


def _redact_jsonl(
    gateway: PrivacyGateway, who: Any, path: Path, target: Path, mode: str
) -> dict[str, Any]:
    def records(handle: Any) -> Iterator[Any]:
        for number, line in enumerate(handle, start=1):
            text = decode_bytes(line).strip()
            if not text:
                continue
            try:
                yield json.loads(text)
            except json.JSONDecodeError:
                raise InvalidInput("a line is not valid JSON", line=number) from None

    n = 0
    with (
        path.open("rb") as raw,
        atomic_output(target) as temp,
        temp.open("w", encoding="utf-8") as sink,
    ):
        for record in gateway.redact_records(who, records(raw), mode):
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return {"records": n}


def _redact_json(
    gateway: PrivacyGateway, who: Any, path: Path, target: Path, mode: str
) -> dict[str, Any]:
    # A single JSON document is parsed whole; use JSON Lines for large inputs.
    text = decode_bytes(path.read_bytes())
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise InvalidInput(
            "the file is not valid JSON (use .jsonl for one record per line)"
        ) from None
    if not isinstance(value, dict | list):
        raise InvalidInput("the JSON document must be an object or an array")
    result = gateway.redact(who, value, mode, channel="cli")
    with atomic_output(target) as temp:
        temp.write_text(json.dumps(result.output, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return {"entity_counts": result.summary()["by_type"], "request_id": result.request_id}


@app.command("reidentify")
def reidentify(
    token: Annotated[str, typer.Argument(help="An enc:TYPE:... token.")],
    reason: Annotated[str, typer.Option(help="Why (written to the audit ledger).")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Decrypt an encrypted token (compliance officers only; ledgered with the reason)."""
    who = acting_user(actor)
    if len(reason.strip()) < 3:
        raise InvalidInput("give a reason of at least 3 characters")
    entity_type, plaintext = _gateway().reidentify(who, token, reason.strip())
    if as_json:
        print_json({"entity_type": entity_type, "plaintext": plaintext})
    else:
        console.print(plaintext, highlight=False, markup=False)


@policy_app.command("show")
def policy_show(system: str, as_json: bool = JSON_OPTION) -> None:
    """The privacy policy in force for an AI system (ID or name)."""
    stored = _gateway().policy(system)
    if as_json:
        print_json(stored.to_dict())
        return
    policy = stored.policy
    origin = (
        f"revision {stored.revision} by {stored.updated_by}"
        + (f" from template {stored.template}" if stored.template else "")
        if stored.revision
        else "strict default (no policy set)"
    )
    console.print(f"[bold]{system}[/bold]: {origin}", highlight=False)
    if policy.description:
        console.print(policy.description, highlight=False, markup=False)
    table = Table(title="Fields")
    table.add_column("path")
    table.add_column("action")
    table.add_column("as type")
    for rule in policy.fields:
        table.add_row(rule.path, rule.action, rule.entity_type)
    table.add_row("(other fields)", policy.default_field_action, "")
    console.print(table)
    actions = ", ".join(f"{k}: {v}" for k, v in sorted(policy.entity_actions.items()))
    console.print(
        f"entities found in scanned text: {actions or '-'}; others: {policy.default_entity_action}",
        highlight=False,
    )


@policy_app.command("set")
def policy_set(
    system: str,
    template: Annotated[
        str | None, typer.Option(help="A shipped template (fraud-scoring, research-assistant).")
    ] = None,
    file: Annotated[Path | None, typer.Option(help="A YAML or JSON policy document.")] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Attach a privacy policy to an AI system (compliance officer or admin; ledgered)."""
    who = acting_user(actor)
    policy = None
    if file is not None:
        try:
            policy = yaml.safe_load(decode_bytes(_existing(file).read_bytes()))
        except yaml.YAMLError:
            raise InvalidInput("the policy file is not valid YAML or JSON") from None
        if not isinstance(policy, dict):
            raise InvalidInput("the policy file must hold a mapping")
    stored = _gateway().set_policy(who, system, policy=policy, template=template)
    if as_json:
        print_json(stored.to_dict())
    else:
        err.print(f"privacy policy revision {stored.revision} set for {stored.system_id}")


__all__ = ["MODES", "NAME", "app"]
