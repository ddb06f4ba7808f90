"""``dualtrack``: inventory, lifecycle, controls, audit, users, demo and server."""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
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
from dualtrack.controls.domain import EvidenceKind
from dualtrack.errors import InvalidInput
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.domain import format_time
from dualtrack.registry.domain import SystemAttributes

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="dualtrack: governed AI for Hong Kong financial institutions.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(cls=ErrorHandlingGroup, help="Database schema.", no_args_is_help=True)
systems_app = typer.Typer(cls=ErrorHandlingGroup, help="The AI inventory.", no_args_is_help=True)
versions_app = typer.Typer(
    cls=ErrorHandlingGroup, help="Model versions and their lifecycle.", no_args_is_help=True
)
controls_app = typer.Typer(
    cls=ErrorHandlingGroup, help="Controls catalogue, gaps and evidence.", no_args_is_help=True
)
audit_app = typer.Typer(
    cls=ErrorHandlingGroup, help="The hash-chained audit ledger.", no_args_is_help=True
)
users_app = typer.Typer(cls=ErrorHandlingGroup, help="Users and API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(systems_app, name="systems")
app.add_typer(versions_app, name="versions")
app.add_typer(controls_app, name="controls")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")

TIER_STYLE = {"HIGH": "bold red", "MEDIUM": "yellow", "LOW": "green"}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_of(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("--as-of must be an ISO date-time, e.g. 2026-11-25T09:00:00Z") from None
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


# ----- db / serve / demo ---------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations to the configured database."""
    from dualtrack.adapters.db import migrate

    settings = Settings()
    migrate(settings.resolved_database_url)
    err.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Serve the API (/api/docs) and the dashboard."""
    import uvicorn

    from dualtrack.api.app import create_app
    from dualtrack.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    application = create_app(settings)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command("seed-demo")
def seed_demo() -> None:
    """Seed a realistic demo institution into the configured database (idempotent)."""
    from dualtrack.demo import DEMO_PASSWORD, seed

    created = seed(platform())
    if created:
        err.print("[green]demo institution seeded[/green]")
    else:
        err.print("demo data already present")
    err.print(f"demo logins (password [bold]{DEMO_PASSWORD}[/bold]):")
    from dualtrack.demo import DEMO_USERS

    for username, _name, role in DEMO_USERS:
        err.print(f"  {username:<10} {role.value}")


# ----- systems ---------------------------------------------------------------------------------


def _system_rows(systems: list[Any]) -> Table:
    table = Table(title="AI inventory")
    for col in ("name", "area", "tier", "oversight", "owner", "id"):
        table.add_column(col)
    for s in systems:
        table.add_row(
            s.attributes.name,
            s.attributes.opportunity_area.value,
            f"[{TIER_STYLE[s.tier.value]}]{s.tier.value}[/]",
            s.assessment.oversight.value,
            s.attributes.owner,
            s.id[:8],
        )
    return table


@systems_app.command("list")
def systems_list(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Inventory as it stood then (UTC).")
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """List AI systems with their computed tiers."""
    systems = platform().registry.list_systems(as_of=_as_of(as_of))
    if as_json:
        print_json([s.to_json() for s in systems])
    else:
        console.print(_system_rows(systems))


@systems_app.command("show")
def systems_show(system: str, as_json: bool = JSON_OPTION) -> None:
    """Show one system (by ID or name) with the reasons for its tier."""
    found = platform().registry.find_system(system)
    if as_json:
        print_json(found.to_json())
        return
    console.print(
        f"[bold]{found.attributes.name}[/bold]  [{TIER_STYLE[found.tier.value]}]{found.tier.value}[/]  {found.assessment.oversight.value}"
    )
    console.print(found.attributes.purpose)
    for rid, reason in zip(found.assessment.rule_ids, found.assessment.reasons, strict=False):
        console.print(f"  • {rid}: {reason}")


@systems_app.command("register")
def systems_register(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file with the system's attributes.")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Register an AI system from a YAML/JSON description; the tier is computed."""
    who = acting_user(actor)
    try:
        data = yaml.safe_load(file.read_text("utf-8"))
        attributes = SystemAttributes.from_json(data)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"cannot read system description: {exc}") from exc
    created = platform().registry.register_system(who, attributes)
    if as_json:
        print_json(created.to_json())
    else:
        console.print(
            f"registered {created.attributes.name} ({created.id}) as {created.tier.value}"
        )


@systems_app.command("update")
def systems_update(
    system: str,
    set_: Annotated[list[str], typer.Option("--set", help="attribute=value (repeatable).")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change attributes; the system is re-tiered and the reason recorded."""
    who = acting_user(actor)
    changes: dict[str, Any] = {}
    for item in set_:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--set needs attribute=value, got {item!r}")
        changes[key.strip()] = yaml.safe_load(value)
    reg = platform().registry
    updated = reg.update_system(who, reg.find_system(system).id, changes)
    if as_json:
        print_json(updated.to_json())
    else:
        console.print(
            f"{updated.attributes.name}: {updated.tier.value}, {updated.assessment.oversight.value}"
        )


@systems_app.command("history")
def systems_history(system: str, as_json: bool = JSON_OPTION) -> None:
    """Every revision of a system."""
    reg = platform().registry
    rows = reg.system_history(reg.find_system(system).id)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['recorded_at'][:19]}  r{row['revision']}  {row['actor']}: {row['change']}"
        )


# ----- versions -----------------------------------------------------------------------------


@versions_app.command("list")
def versions_list(system: str, as_json: bool = JSON_OPTION) -> None:
    """Model versions of a system."""
    reg = platform().registry
    versions = reg.list_versions(reg.find_system(system).id)
    if as_json:
        print_json([v.to_json() for v in versions])
        return
    table = Table(title="Model versions")
    for col in ("version", "state", "artifact", "developer", "approved by", "id"):
        table.add_column(col)
    for v in versions:
        table.add_row(
            v.version,
            v.state.value,
            v.artifact_sha256[:12],
            v.created_by,
            v.approved_by or "",
            v.id,
        )
    console.print(table)


@versions_app.command("register")
def versions_register(
    system: str,
    version: Annotated[str, typer.Option(help="Version label, e.g. 2026.11.1")],
    artifact: Annotated[Path, typer.Option(help="Model artifact file (hashed with SHA-256).")],
    data: Annotated[Path, typer.Option(help="Training data file (fingerprinted with SHA-256).")],
    provider: str = "in-house",
    licence: str = "proprietary",
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a model version from its artifact and training data files."""
    who = acting_user(actor)
    for path in (artifact, data):
        if not path.is_file():
            raise InvalidInput(f"no such file: {path}")
    reg = platform().registry
    created = reg.register_version(
        who,
        reg.find_system(system).id,
        version=version,
        artifact_sha256=_sha256_file(artifact),
        data_fingerprint=_sha256_file(data),
        provider=provider,
        licence=licence,
        artifact_uri=str(artifact.resolve()),
    )
    if as_json:
        print_json(created.to_json())
    else:
        console.print(f"registered version {created.version} ({created.id}), state draft")


def _version_action(name: str, doc: str) -> None:
    def command(
        version_id: str,
        reason: Annotated[str | None, typer.Option(help="Reason (send-back, retire).")] = None,
        actor: str | None = AS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        who = acting_user(actor)
        reg = platform().registry
        if name == "submit":
            result = reg.submit(who, version_id)
        elif name == "approve":
            result = reg.approve(who, version_id, note=reason or "")
        elif name == "deploy":
            result = reg.deploy(who, version_id)
        elif name == "retire":
            result = reg.retire(who, version_id, reason=reason or "")
        else:
            result = reg.send_back(who, version_id, reason=reason or "")
        if as_json:
            print_json(result.to_json())
        else:
            console.print(f"{result.version}: {result.state.value}")

    command.__doc__ = doc
    versions_app.command(name)(command)


_version_action("submit", "draft -> submitted.")
_version_action("approve", "validated -> approved (maker-checker; the tier decides the role).")
_version_action("deploy", "approved -> deployed (the previous deployed version retires).")
_version_action("retire", "Retire a version (needs --reason).")
_version_action("send-back", "Return a validated/approved version for rework (needs --reason).")


@versions_app.command("verdict")
def versions_verdict(
    version_id: str,
    passed: Annotated[bool, typer.Option("--pass/--fail", help="The validator's verdict.")],
    summary: Annotated[str, typer.Option(help="What was checked and found.")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a validator's verdict on a submitted version (not its developer)."""
    who = acting_user(actor)
    record = platform().registry.record_validation(who, version_id, passed=passed, summary=summary)
    if as_json:
        print_json(record.to_json())
    else:
        console.print(f"validation {record.id}: {'passed' if record.passed else 'failed'}")


@app.command("approvals")
def approvals(actor: str | None = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The approval queue, with whether you may approve each item."""
    who = acting_user(actor)
    items = platform().registry.approval_queue(who)
    if as_json:
        print_json([i.to_json() for i in items])
        return
    table = Table(title="Approval queue")
    for col in ("system", "tier", "version", "state", "you may approve", "id"):
        table.add_column(col)
    for i in items:
        table.add_row(
            i.system.attributes.name,
            i.system.tier.value,
            i.version.version,
            i.version.state.value,
            "yes" if i.may_approve else f"no: {i.why_not}",
            i.version.id,
        )
    console.print(table)


# ----- controls --------------------------------------------------------------------------------


@controls_app.command("list")
def controls_list(as_json: bool = JSON_OPTION) -> None:
    """The controls catalogue."""
    cat = platform().controls.catalogue
    if as_json:
        print_json([c.to_json() for c in cat.controls])
        return
    table = Table(title=f"Controls catalogue {cat.version}")
    for col in ("id", "title", "source", "evidence"):
        table.add_column(col)
    for c in cat.controls:
        table.add_row(c.id, c.title, c.source, c.evidence_kind)
    console.print(table)


@controls_app.command("gaps")
def controls_gaps(system: str, as_json: bool = JSON_OPTION) -> None:
    """Required controls of a system with status met / unmet / evidence missing."""
    p = platform()
    found = p.registry.find_system(system)
    gaps = p.controls.gaps(found.id)
    if as_json:
        print_json([g.to_json() for g in gaps])
        return
    style = {"met": "green", "unmet": "red", "evidence missing": "yellow"}
    table = Table(title=f"Control gaps: {found.attributes.name} ({found.tier.value})")
    for col in ("control", "title", "status", "detail"):
        table.add_column(col)
    for g in gaps:
        table.add_row(
            g.control.id, g.control.title, f"[{style[g.status.value]}]{g.status.value}[/]", g.detail
        )
    console.print(table)


@controls_app.command("attach")
def controls_attach(
    system: str,
    control: str,
    file: Annotated[
        Path | None, typer.Option(help="Evidence file (its SHA-256 is stored).")
    ] = None,
    link: Annotated[str | None, typer.Option(help="Evidence URL.")] = None,
    note: Annotated[str, typer.Option(help="Note (or the evidence itself).")] = "",
    unmet: Annotated[
        bool, typer.Option("--unmet", help="Record a finding that the control is not met.")
    ] = False,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Attach evidence (file, link or note) to a control of a system."""
    who = acting_user(actor)
    if sum(x is not None for x in (file, link)) > 1:
        raise InvalidInput("give --file or --link, not both")
    content = None
    if file is not None:
        if not file.is_file():
            raise InvalidInput(f"no such file: {file}")
        content = file.read_bytes()
        kind, reference = EvidenceKind.FILE, file.name
    elif link is not None:
        kind, reference = EvidenceKind.LINK, link
    else:
        if not note:
            raise InvalidInput("give --file, --link or --note")
        kind, reference = EvidenceKind.NOTE, "note"
    p = platform()
    item = p.controls.attach_evidence(
        who,
        p.registry.find_system(system).id,
        control,
        kind=kind,
        reference=reference,
        note=note,
        content=content,
        verdict="unmet" if unmet else "met",
    )
    if as_json:
        print_json(item.to_json())
    else:
        console.print(f"attached {kind.value} evidence {item.id} to {control}")


# ----- audit -----------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(as_json: bool = JSON_OPTION) -> None:
    """Recompute the whole hash chain; exit 1 naming the first bad entry."""
    result = platform().ledger.verify()
    if as_json:
        print_json(result.to_json())
    elif result.ok:
        console.print(
            f"[green]ledger intact[/green]: {result.entries_checked} entries, head {result.head_hash[:16]}"
        )
    else:
        err.print(f"[red]ledger broken at entry {result.first_bad_seq}[/red]: {result.problem}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    out: Annotated[
        Path | None, typer.Option(help="Write JSON Lines here (default stdout).")
    ] = None,
) -> None:
    """Export the ledger as JSON Lines."""
    ledger = platform().ledger
    if out is None:
        count = ledger.export(sys.stdout)
    else:
        tmp = out.with_suffix(out.suffix + ".part")
        with tmp.open("w", encoding="utf-8") as handle:
            count = ledger.export(handle)
        tmp.replace(out)
    err.print(f"exported {count} entries")


@audit_app.command("log")
def audit_log(limit: int = 20, as_json: bool = JSON_OPTION) -> None:
    """The newest ledger entries."""
    entries = platform().ledger.page(limit=limit)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    for e in entries:
        console.print(
            f"{e.seq:>6} {e.recorded_at[:19]} {e.actor:<14} {e.action:<24} {e.subject_type}:{e.subject_id[:8]}"
        )


# ----- users -----------------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[Role, typer.Option(help="The user's role.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password: Annotated[
        bool, typer.Option("--password", help="Prompt for a dashboard password.")
    ] = False,
    actor: str | None = AS_OPTION,
) -> None:
    """Create a user (acting as an admin; the very first admin is created by the system)."""
    p = platform()
    users = p.identity.list_users()
    who = Actor.system("cli-bootstrap") if not users else acting_user(actor)
    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    user = p.identity.create_user(
        who, username=username, display_name=name, role=role, password=secret
    )
    console.print(f"created {user.username} ({user.role.value})")


@users_app.command("list")
def users_list(as_json: bool = JSON_OPTION) -> None:
    """List users and roles."""
    users = platform().identity.list_users()
    if as_json:
        print_json(
            [
                {
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role.value,
                    "active": u.active,
                }
                for u in users
            ]
        )
        return
    for u in users:
        console.print(f"{u.username:<12} {u.role.value:<20} {u.display_name}")


@users_app.command("issue-key")
def users_issue_key(
    username: str,
    label: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    actor: str | None = AS_OPTION,
) -> None:
    """Issue an API key for a user (printed once to stdout)."""
    who = acting_user(actor)
    sys.stdout.write(platform().identity.issue_api_key(who, username=username, label=label) + "\n")


def _mount_feature_commands() -> None:
    from dualtrack.plugins import discover

    for module in discover("dualtrack.cli", "cmd_"):
        name = getattr(module, "NAME", module.__name__.rsplit("cmd_", 1)[1])
        app.add_typer(module.app, name=name)


_mount_feature_commands()


def main() -> None:  # pragma: no cover - console entry
    app()
