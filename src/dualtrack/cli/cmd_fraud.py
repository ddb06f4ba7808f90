"""``dualtrack fraud``: train and register models, score files, work cases, export labels.

Scoring uses only the deployed model version of "Card and FPS fraud detection" and goes
through the same governed service as the API: every decision is stored and ledgered.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import polars as pl
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
    status,
)
from dualtrack.errors import InvalidInput
from dualtrack.fraud import wiring
from dualtrack.fraud.domain import BudgetPolicy, CostPolicy
from dualtrack.fraud.features import TRANSACTION_SCHEMA
from dualtrack.fraud.governed import GovernedFraudService
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig
from dualtrack.fraud.validation import INPUT_COLUMNS
from dualtrack.fraud.watchlist import WatchlistEdit, parse_payee_ids

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Fraud detection on card payments and FPS transfers (governed scoring).",
    no_args_is_help=True,
)

watchlist_app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="The high-risk payee watch list (payments to listed payees are blocked).",
    no_args_is_help=True,
)
app.add_typer(watchlist_app, name="watchlist")

_SUFFIXES = (".csv", ".parquet")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command("train")
def train(
    source: Annotated[str, typer.Option(help="simulator or ulb (fetched with `data fetch`).")] = (
        "simulator"
    ),
    version: Annotated[str | None, typer.Option(help="Version label (default: a timestamp).")] = (
        None
    ),
    cost_fn: Annotated[
        float | None, typer.Option("--cost-fn", help="Cost of a missed fraud (cost policy).")
    ] = None,
    cost_fp: Annotated[
        float | None, typer.Option("--cost-fp", help="Cost of a false alert (cost policy).")
    ] = None,
    alert_budget: Annotated[
        float | None,
        typer.Option("--alert-budget", help="Share of traffic analysts can review, e.g. 0.005."),
    ] = None,
    customers: Annotated[int, typer.Option(help="Simulated customers.")] = 5_000,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 20,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
    fraud_scale: Annotated[
        float, typer.Option(help="Multiply the simulator's fraud incident rates.")
    ] = 1.0,
    max_rounds: Annotated[int, typer.Option(help="Most boosting rounds.")] = 1_000,
    data: Annotated[
        Path | None, typer.Option(help="ULB-format CSV (default: the fetched full file).")
    ] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Fit LightGBM (plus a logistic baseline) and register it as a draft model version."""
    who = acting_user(actor)
    if alert_budget is not None and (cost_fn is not None or cost_fp is not None):
        raise InvalidInput("choose either --cost-fn/--cost-fp or --alert-budget")
    policy: CostPolicy | BudgetPolicy
    if alert_budget is not None:
        policy = BudgetPolicy(review_share=alert_budget, block_share=alert_budget / 10)
    else:
        defaults = CostPolicy()
        policy = CostPolicy(
            cost_missed_fraud=cost_fn if cost_fn is not None else defaults.cost_missed_fraud,
            cost_false_alert=cost_fp if cost_fp is not None else defaults.cost_false_alert,
        )
    p = platform()
    params = {"learning_rate": 0.1, "num_threads": 2}
    with _progress() as bar:
        task = bar.add_task("preparing data", total=3)
        if source == "simulator":
            base = SimulatorConfig()
            config = SimulatorConfig(
                n_customers=customers,
                days=days,
                seed=seed,
                card_cnp_rate=base.card_cnp_rate * fraud_scale,
                account_takeover_rate=base.account_takeover_rate * fraud_scale,
                app_scam_rate=base.app_scam_rate * fraud_scale,
                mule_fan_in_rate=base.mule_fan_in_rate * fraud_scale,
                structuring_rate=base.structuring_rate * fraud_scale,
            )
            bar.update(task, advance=1, description="simulating and training LightGBM")
            result = wiring.train_on_simulation(
                config, policy=policy, params=params, max_rounds=max_rounds
            )
        elif source == "ulb":
            path = data or wiring.fetch_ulb_data(p)
            bar.update(task, advance=1, description="training LightGBM on ULB data")
            result = wiring.train_on_ulb(path, policy=policy, params=params, max_rounds=max_rounds)
        else:
            raise InvalidInput("--source must be simulator or ulb")
        bar.update(task, advance=1, description="registering the model version")
        from datetime import UTC, datetime

        label = version or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S")
        model = wiring.register_trained(p, who, result, version=label, source=source)
        bar.update(task, advance=1, description="done")
    out = {
        "version_id": model.id,
        "version": model.version,
        "state": model.state.value,
        "artifact_sha256": model.artifact_sha256,
        "data_fingerprint": model.data_fingerprint,
        "artifact_uri": model.artifact_uri,
        "thresholds": model.config.get("thresholds"),
        "metrics": model.metrics,
    }
    if as_json:
        print_json(out)
        return
    a = result.artifact
    console.print(
        f"registered [bold]{model.version}[/bold] ({model.id}) as draft: "
        f"AUPRC {a.metrics.auprc:.3f} (logistic baseline "
        f"{a.baseline_metrics.auprc if a.baseline_metrics else float('nan'):.3f}), "
        f"thresholds review {a.thresholds.review:.4f} / block {a.thresholds.block:.4f} "
        f"({a.thresholds.policy})"
    )
    console.print("next: versions submit / validate / approve / deploy (maker-checker)")


def _read_rows(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, schema_overrides=dict(TRANSACTION_SCHEMA), infer_schema_length=0)


@app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="Transactions, .csv or .parquet.", exists=True)],
    out: Annotated[Path, typer.Option("--out", help="Scored file, .csv or .parquet.")],
    chunk: Annotated[int, typer.Option(help="Rows per governed batch.")] = 2_000,
    explain: Annotated[bool, typer.Option(help="Reason codes on every decision.")] = False,
) -> None:
    """Score a file with the deployed model version; every decision is stored and ledgered.

    The output is written to a temporary file and renamed into place when complete."""
    if file.suffix.lower() not in _SUFFIXES or out.suffix.lower() not in _SUFFIXES:
        raise InvalidInput("input and output must be .csv or .parquet files")
    p = platform()
    # one scoring process per database: refused while a server scores (exit code 2)
    governed = wiring.scoring_service(p)
    try:
        _score_file(governed, file, out, chunk=chunk, explain=explain)
    finally:
        wiring.stop_scoring(p)


def _score_file(
    governed: GovernedFraudService, file: Path, out: Path, *, chunk: int, explain: bool
) -> None:
    feature_set = governed.current().artifact.feature_set
    if feature_set == "hk_payments_v1":
        frame = _read_rows(file)
    else:
        frame = pl.read_parquet(file) if file.suffix.lower() == ".parquet" else pl.read_csv(file)
        if "txn_id" not in frame.columns:
            frame = frame.with_row_index("txn_id").with_columns(pl.col("txn_id").cast(pl.String))
    keep = [c for c in INPUT_COLUMNS[feature_set] if c in frame.columns]
    frame = frame.select(keep)
    rows: list[dict[str, Any]] = []
    counts = {"allow": 0, "review": 0, "block": 0}
    partial = out.with_name(out.name + ".partial")
    with _progress() as bar:
        task = bar.add_task(f"scoring {file.name}", total=frame.height)
        for start in range(0, frame.height, chunk):
            batch = frame.slice(start, chunk).to_dicts()
            for d in governed.score(batch, explain=explain):
                counts[d.action] += 1
                rows.append(
                    {
                        "txn_id": d.txn_id,
                        "score": d.score,
                        "action": d.action,
                        "model_action": d.model_action,
                        "rule_hits": ";".join(d.rule_hits),
                        "reasons": json.dumps([r.text for r in d.reasons], ensure_ascii=False),
                        "model_version": d.model_version,
                        "customer_ref": d.customer_ref,
                        "replayed": d.replayed,
                    }
                )
            bar.update(task, advance=len(batch))
    scored = pl.DataFrame(rows)
    if out.suffix.lower() == ".parquet":
        scored.write_parquet(partial)
    else:
        scored.write_csv(partial)
    partial.replace(out)
    loaded = governed.current()
    engine = "compiled" if loaded.scorer.compiled is not None else "LightGBM"
    err.print(
        f"[green]scored {frame.height} transactions[/green] with "
        f"{loaded.version.version} ({engine}): {counts} -> {out}"
    )


@app.command("compile")
def compile_model(as_json: bool = JSON_OPTION) -> None:
    """Compile the deployed model version to native code (lleaves) for faster scoring.

    The compiled library is kept under DUALTRACK_VAR_DIR/cache/compiled, checked against
    LightGBM on probe rows, and used by scoring (`fraud score`, and a running API server
    once it next loads the model: a restart or a new deployment); reason codes still come
    from LightGBM's exact TreeSHAP. Large models take a while to compile
    (about 20 s for 1,600 trees on a 2-core machine)."""
    p = platform()
    with err.status("compiling the deployed model"):
        version, path, seconds = wiring.compile_deployed(p)
    result = {
        "version": version.version,
        "library": str(path),
        "compile_s": round(seconds, 2),
        "verified_against_lightgbm": True,
    }
    if as_json:
        print_json(result)
        return
    err.print(
        f"[green]compiled {version.version}[/green] in {seconds:.1f} s -> {path.name} "
        "(agrees with LightGBM on the probe rows)"
    )


@app.command("lease")
def lease(as_json: bool = JSON_OPTION) -> None:
    """Which process holds the database's fraud scoring lease (host, process ID, heartbeat),
    and the last feature state saved for the next one.

    One process per database scores fraud at a time; others stand by. A holder whose
    heartbeat is older than DUALTRACK_FRAUD_LEASE_TTL_S is no longer live and the next
    process to score takes over."""
    status = wiring.lease_status(platform())
    if as_json:
        print_json(status)
        return
    holder = status["holder"]
    stored = f"{status['stored_decisions']:,} decisions stored"
    if holder is None:
        console.print(f"no process holds the fraud scoring lease; {stored}")
    else:
        state = "[green]live[/green]" if holder["live"] else "[yellow]expired[/yellow]"
        console.print(
            f"fraud scoring lease: {state}, held by host {holder['host']}, pid "
            f"{holder['pid']}, serving since {holder['serving_since']}, last heartbeat "
            f"{holder['heartbeat_age_s']:.0f} s ago (TTL {status['ttl_s']:.0f} s); {stored}"
        )
    saved = status["saved_state"]
    if saved is None:
        console.print("no feature state saved: the next process to score folds every decision")
        return
    console.print(
        f"feature state saved at ledger position {saved['ledger_position']} on "
        f"{saved['saved_at']} by host {saved['saved_by']} ({saved['bytes'] / 1e6:.1f} MB in "
        f"{saved['layers']} layer{'s' if saved['layers'] != 1 else ''}); "
        f"the next process to score folds the {saved['decisions_after']:,} decisions "
        "stored after it"
    )


def _what_was_saved(result: dict[str, Any]) -> str:
    if result["saved_whole"]:
        return f"the whole state ({result['saved_keys']:,} keys)"
    return f"the {result['saved_keys']:,} keys changed since (layer {result['saved_layers']})"


@app.command("save-state")
def save_state(
    as_json: bool = JSON_OPTION,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            min=1.0,
            help="Keep running: follow the stored decisions and save every this many "
            "seconds (only the keys changed since the last save) until stopped (Ctrl-C, "
            "SIGTERM). With --json, one JSON object per line per save.",
        ),
    ] = None,
) -> None:
    """Bring the feature state saved in the database up to date with the stored decisions.

    Loads the saved state (or starts from the first decision when none may be used), folds
    every decision stored after it and saves the result, so the next process to take the
    scoring lease folds less. For a scheduled job where no standby server checkpoints
    (DUALTRACK_FRAUD_CHECKPOINT_S); it scores nothing and takes no lease, so it runs beside
    the scoring server, on any machine with the same DUALTRACK_SECRET_KEY. With --every it
    keeps the state in memory and saves only what changed, instead of loading the whole
    saved state on each run."""
    p = platform()
    behind = wiring.lease_status(p)
    saved = behind["saved_state"]
    total = saved["decisions_after"] if saved is not None else behind["stored_decisions"]
    if every is not None:
        _keep_state_saved(p, every, total, as_json)
        return
    with _progress() as bar:
        task = bar.add_task("folding stored decisions", total=total)
        result = wiring.save_state(p, on_batch=lambda n: bar.update(task, completed=n))
    if as_json:
        print_json(result)
        return
    start = (
        f"the state saved at ledger position {result['started_from']}"
        if result["started_from"] is not None
        else "the first stored decision"
    )
    if result["saved_bytes"] is None:
        if not behind["stored_decisions"]:
            console.print("nothing to save: no decision is stored")
        else:
            console.print(
                "nothing to save: the saved state already holds every stored decision "
                f"(ledger position {result['ledger_position']})"
            )
        return
    console.print(
        f"started from {start}, folded {result['folded']:,} stored decisions and saved "
        f"{_what_was_saved(result)} at ledger position {result['ledger_position']} "
        f"({result['saved_bytes'] / 1e6:.1f} MB) in {result['seconds']:.1f} s"
    )


def _keep_state_saved(p: Any, every: float, total: int, as_json: bool) -> None:
    """``save-state --every``: fold what is stored (with a progress bar), then follow and
    save until SIGINT or SIGTERM."""
    stop = threading.Event()

    def stopping(_signum: int, _frame: object) -> None:
        stop.set()

    before = {signum: signal.signal(signum, stopping) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        _follow_and_save(p, every, total, as_json, stop)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _follow_and_save(
    p: Any, every: float, total: int, as_json: bool, stop: threading.Event
) -> None:
    history = wiring.stored_history(p)
    with _progress() as bar:
        task = bar.add_task("folding stored decisions", total=total)
        history.catch_up(on_batch=lambda n: bar.update(task, completed=n))
    if not as_json:
        console.print(
            f"following the stored decisions from ledger position {history.position}; saving "
            f"every {every:g} s when they changed the state (Ctrl-C to stop)"
        )

    def saved(result: dict[str, Any]) -> None:
        if as_json:
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
            return
        console.print(
            f"saved {_what_was_saved(result)} at ledger position {result['ledger_position']} "
            f"({result['saved_bytes'] / 1e6:.1f} MB) in {result['seconds']:.1f} s"
        )

    saves = wiring.keep_state_saved(p, every, stop, on_save=saved)
    if not as_json:
        console.print(f"stopped after {saves} save{'' if saves == 1 else 's'}")


@app.command("simulate")
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet.")],
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 1,
    customers: Annotated[int, typer.Option(help="Customers.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed.")] = 2026,
    start_day: Annotated[int, typer.Option(help="First simulated day (0-based).")] = 0,
    labels: Annotated[bool, typer.Option(help="Keep is_fraud and typology columns.")] = False,
) -> None:
    """Simulated Hong Kong card and FPS payments (seeded) to a file, for `fraud score`."""
    if out.suffix.lower() not in _SUFFIXES:
        raise InvalidInput("output must be .csv or .parquet")
    config = SimulatorConfig(n_customers=customers, days=start_day + days, seed=seed)
    sim = HKPaymentsSimulator(config)
    frame = pl.concat([sim.day(d) for d in range(start_day, start_day + days)])
    if not labels:
        frame = frame.drop("is_fraud", "typology")
    partial = out.with_name(out.name + ".partial")
    if out.suffix.lower() == ".parquet":
        frame.write_parquet(partial)
    else:
        frame.write_csv(partial)
    partial.replace(out)
    err.print(f"wrote {frame.height} simulated transactions to {out}")


def _case_table(items: list[wiring.CaseSummary]) -> Table:
    table = Table(title="Fraud cases")
    table.add_column("case", no_wrap=True)
    table.add_column("status")
    table.add_column("customer", overflow="fold")
    for col in ("alerts", "top score", "newest alert"):
        table.add_column(col)
    for item in items:
        table.add_row(
            item.case.case_id,
            item.case.status.value,
            item.case.customer_ref,
            str(item.alerts),
            f"{item.top_score:.3f}",
            item.newest_alert[:19],
        )
    return table


@app.command("cases")
def list_cases(as_json: bool = JSON_OPTION) -> None:
    """Unresolved fraud cases (the alert queue), newest alert first."""
    items = wiring.cases(platform()).queue()
    if as_json:
        print_json([wiring.summary_json(i) for i in items])
        return
    console.print(_case_table(items))


@app.command("case")
def show_case(case_id: str, as_json: bool = JSON_OPTION) -> None:
    """One case: alerts with reasons and features, customer history, case history."""
    view = wiring.cases(platform()).view(case_id)
    if as_json:
        print_json(wiring.view_json(view))
        return
    c = view.case
    console.print(f"[bold]{c.case_id}[/bold] {c.status.value} customer {c.customer_ref}")
    for alert in view.alerts:
        console.print(
            f"  {alert.alert_id} txn {alert.txn_id}: [red]{alert.action}[/red] "
            f"score {alert.score:.3f} rules {', '.join(alert.rule_hits) or '-'}"
        )
        for reason in alert.reasons:
            console.print(f"      - {reason.text}")
    for entry in view.history:
        console.print(f"  history: {entry.recorded_at} {entry.actor} {entry.action}")


@app.command("confirm")
def confirm(
    case_id: str,
    note: Annotated[str, typer.Option(help="Analyst note.")] = "",
    actor: str | None = AS_OPTION,
) -> None:
    """Resolve a case as confirmed fraud (analyst or compliance officer)."""
    case = wiring.cases(platform()).confirm_fraud(acting_user(actor), case_id, note)
    err.print(f"{case.case_id}: {case.status.value}")


@app.command("false-positive")
def false_positive(
    case_id: str,
    note: Annotated[str, typer.Option(help="Analyst note.")] = "",
    actor: str | None = AS_OPTION,
) -> None:
    """Resolve a case as a false positive (analyst or compliance officer)."""
    case = wiring.cases(platform()).mark_false_positive(acting_user(actor), case_id, note)
    err.print(f"{case.case_id}: {case.status.value}")


@app.command("labels")
def labels(
    out: Annotated[Path | None, typer.Option("--out", help=".csv, .parquet or .json file.")] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Export analyst labels from resolved cases (for retraining and monitoring)."""
    found = wiring.cases(platform()).labels()
    data = [wiring.label_json(label) for label in found]
    if out is None:
        print_json(data)
        return
    if as_json:
        print_json(data)
    suffix = out.suffix.lower()
    partial = out.with_name(out.name + ".partial")
    if suffix == ".json":
        partial.write_text(json.dumps(data, indent=2), encoding="utf-8")
    elif suffix in _SUFFIXES:
        frame = pl.DataFrame(data) if data else pl.DataFrame(schema={"txn_id": pl.String})
        if suffix == ".csv":
            frame.write_csv(partial)
        else:
            frame.write_parquet(partial)
    else:
        raise InvalidInput("--out must be .csv, .parquet or .json")
    partial.replace(out)
    err.print(f"wrote {len(data)} labels to {out}")


# ------------------------------------------------------------------ payee watch list

SOURCE_OPTION = typer.Option(
    ..., "--source", help='Where the listing comes from, e.g. "scameter" or "investigation".'
)
ACTION_HELP = (
    '"review" holds a payment to the payee and warns the customer (Suspicious Account Alert); '
    '"block" refuses it.'
)
REVIEW_BY_OPTION = typer.Option(
    "--review-by",
    help="YYYY-MM-DD (Hong Kong): when someone must review these listings (`watchlist due`).",
)


def _say_edit(edit: WatchlistEdit, done: str, as_json: bool) -> None:
    if as_json:
        print_json(edit.to_dict())
        return
    err.print(
        f"{edit.changed} payee(s) {done}, {edit.unchanged} unchanged; "
        f"watch list revision {edit.revision}"
    )


@watchlist_app.command("show")
def watchlist_show(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Entries to show.")] = 100,
    offset: Annotated[int, typer.Option(min=0, help="Entries to skip.")] = 0,
    removed: Annotated[
        bool, typer.Option("--removed", help="Show payees taken off the list instead.")
    ] = False,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """The watch list, most recent change first (analysts, compliance, admins, auditors,
    senior managers)."""
    page = wiring.watchlist(platform()).page(
        acting_user(actor), offset=offset, limit=limit, listed=not removed
    )
    if as_json:
        print_json(page.to_dict())
        return
    title = "Payees taken off the watch list" if removed else "High-risk payee watch list"
    table = Table(title=f"{title} ({page.total}, revision {page.revision})")
    for col in ("payee", "action", "source", "listed by", "listed at", "reason"):
        table.add_column(col, overflow="fold")
    if removed:
        for col in ("taken off by", "at", "why"):
            table.add_column(col, overflow="fold")
    for e in page.entries:
        # a payee other sources list too: "scameter (+investigation)"
        others = ", ".join(s for s in e.sources if s != e.source)
        source = f"{e.source} (+{others})" if others else e.source
        row = [e.payee_id, e.action, source, e.listed_by, e.listed_at[:19], e.reason]
        if removed:
            row += [e.unlisted_by or "", (e.unlisted_at or "")[:19], e.unlisted_reason or ""]
        table.add_row(*row)
    console.print(table)


@watchlist_app.command("add")
def watchlist_add(
    payee_ids: Annotated[list[str], typer.Argument(help="Payee IDs as transactions carry them.")],
    source: str = SOURCE_OPTION,
    reason: Annotated[str, typer.Option(help="Why (kept in the list).")] = "",
    action: Annotated[str, typer.Option(help=ACTION_HELP)] = "block",
    review_by: Annotated[str | None, REVIEW_BY_OPTION] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Put payees on the watch list (analyst, compliance officer or admin)."""
    edit = wiring.watchlist(platform()).list_payees(
        acting_user(actor),
        payee_ids,
        source=source,
        reason=reason,
        action=action,
        review_by=review_by,
    )
    _say_edit(edit, "listed", as_json)


@watchlist_app.command("remove")
def watchlist_remove(
    payee_ids: Annotated[list[str], typer.Argument(help="Payee IDs to take off the list.")],
    reason: Annotated[str, typer.Option(help="Why (required).")] = "",
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Take payees off the watch list (compliance officer or admin, with --reason)."""
    edit = wiring.watchlist(platform()).unlist_payees(acting_user(actor), payee_ids, reason=reason)
    _say_edit(edit, "taken off", as_json)


@watchlist_app.command("import")
def watchlist_import(
    path: Annotated[Path, typer.Argument(help="Text file: one payee ID per line, # comments.")],
    source: str = SOURCE_OPTION,
    reason: Annotated[str, typer.Option(help="Why (kept in the list).")] = "",
    action: Annotated[str, typer.Option(help=ACTION_HELP)] = "block",
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="The file is the source's whole list: its listings of payees missing from "
            "the file are dropped, and payees no other source lists come off the watch list "
            "(compliance officer or admin).",
        ),
    ] = False,
    review_by: Annotated[str | None, REVIEW_BY_OPTION] = None,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List every payee in a file, in one transaction: a bad line refuses the whole file
    (its line number is named, not its text) and nothing is listed. With --sync, also drop
    the source's listings of payees that the file no longer lists, and record the
    refresh."""
    who = acting_user(actor)
    if sync and review_by is not None:
        raise InvalidInput("--review-by is for the bank's own listings, not a synced source")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    # split on \n only (a \r is stripped with the line's spaces): a vertical tab or form
    # feed inside a line is then refused on the line an editor shows, not a line of its own
    payee_ids = parse_payee_ids(text.split("\n"))
    if not payee_ids:
        raise InvalidInput(f"{path} lists no payee IDs")
    desk = wiring.watchlist(platform())
    if sync:
        with status(f"syncing {source} with {len(payee_ids)} payees"):
            synced = desk.sync_source(who, payee_ids, source=source, reason=reason, action=action)
        if as_json:
            print_json(synced.to_dict())
        else:
            err.print(
                f"{source}: {synced.listed} payee(s) listed, {synced.unlisted} dropped "
                f"({synced.still_listed} of them still listed by another source), "
                f"{synced.unchanged} unchanged, {synced.held_off} held off (taken off by "
                f"hand); watch list revision {synced.revision}"
            )
        return
    with status(f"listing {len(payee_ids)} payees"):
        edit = desk.list_payees(
            who, payee_ids, source=source, reason=reason, action=action, review_by=review_by
        )
    _say_edit(edit, "listed", as_json)


@watchlist_app.command("due")
def watchlist_due(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Listings to show.")] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Listings whose review date is today (Hong Kong) or earlier, earliest first. They
    stay in force until kept (`watchlist review`) or taken off (`watchlist remove`)."""
    due = wiring.watchlist(platform()).due(acting_user(actor), offset=offset, limit=limit)
    if as_json:
        print_json(due.to_dict())
        return
    table = Table(title=f"Listings due for review on {due.today} ({due.total})")
    for col in ("review by", "payee", "source", "action", "listed by", "reason", "last review"):
        table.add_column(col, overflow="fold")
    for x in due.listings:
        last = f"{x.reviewed_by} {(x.reviewed_at or '')[:10]}" if x.reviewed_by else ""
        table.add_row(
            x.review_by or "", x.payee_id, x.source, x.action, x.listed_by, x.reason, last
        )
    console.print(table)


@watchlist_app.command("review")
def watchlist_review(
    payee_ids: Annotated[list[str], typer.Argument(help="Payee IDs whose listings stay.")],
    source: str = SOURCE_OPTION,
    next_review: Annotated[
        str, typer.Option("--next", help="YYYY-MM-DD: when to review them again.")
    ] = "",
    note: Annotated[str, typer.Option(help="Why they stay (kept with the listing).")] = "",
    actor: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Keep a source's listings after a review, with the next review date (compliance
    officer or admin)."""
    if not next_review:
        raise InvalidInput("give the next review date with --next YYYY-MM-DD")
    edit = wiring.watchlist(platform()).review(
        acting_user(actor), payee_ids, source=source, next_review=next_review, note=note
    )
    _say_edit(edit, "kept", as_json)


@watchlist_app.command("sources")
def watchlist_sources(actor: str | None = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Where listings come from: payees listed per source, latest listing, last sync."""
    found = wiring.watchlist(platform()).sources(acting_user(actor))
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    table = Table(title="Watch list sources")
    for col in ("source", "listed", "latest listing", "last synced", "by"):
        table.add_column(col)
    for s in found:
        table.add_row(
            s.source,
            str(s.listed),
            (s.latest_listing or "")[:19],
            (s.synced_at or "never")[:19],
            s.synced_by or "",
        )
    console.print(table)
