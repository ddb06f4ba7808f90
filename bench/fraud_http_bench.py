"""Sustained HTTP throughput and latency of governed fraud scoring, with every decision ledgered.

What runs (all on 127.0.0.1, one machine; the load generator shares the CPU with the server):

1. A seeded SQLite database (WAL, ``synchronous=FULL``) with the demo users, the fraud AI
   system and a small LightGBM model taken through maker-checker and deployed; with
   ``--pg-url``, a fresh PostgreSQL database on that server instead (created as
   ``dualtrack_http_bench``, left in place for inspection; the checkpoint comparison below
   is SQLite's and is left out).
2. ``uvicorn dualtrack.api.app:create_app --factory`` in a subprocess: one worker, uvloop,
   httptools, no access log.
3. A load generator (raw asyncio sockets, HTTP/1.1 keep-alive, ``--concurrency``
   connections) drives ``POST /api/v1/fraud/score`` for ``--seconds``: unique transaction
   IDs from the seeded Hong Kong payments simulator, each customer's payments sent in time
   order by one connection (the partitioning a stream processor would give). Phases:
   closed loop (each connection sends its next request when the last is answered: the
   most the server can do) with one transaction per request and with ``--batch`` per
   request; then open loop (``--rate`` decisions/s offered on a fixed schedule in
   ``--paced-batch`` requests over ``--paced-connections`` connections, latency counted
   from each request's scheduled send time), which is how the target is judged: sustained
   2,000 decisions/s at p99 <= 25 ms. ``--paced-shapes`` lists request shapes as
   ``BATCHxCONNECTIONS`` (default ``20x8,50x4``: 20 transactions per request over 8
   connections, and 50 over 4); each repeat (``--paced-repeats``, default 3) runs every
   shape once, interleaved, on the same server, so the shapes see the same machine. Per
   shape the run with the median p99 is reported in ``paced_shapes``; the first shape's is
   also ``paced``. The first shape's paced phase runs again on a fresh server with
   Python's default garbage collector (``DUALTRACK_GC_FREEZE_S=0``), and once more on a
   fresh server whose SQLite checkpoints run inside request commits
   (``DUALTRACK_SQLITE_CHECKPOINT_S=0``), for comparison.
4. Baselines in the same run: the same server stack with a trivial endpoint that does one
   SQLite WAL commit per request (a separate tiny app), and raw LightGBM single-row predict.
5. Each paced run also reports ``io_pressure_some_pct``: the share of its wall time in which
   some task on the machine (the server's own commits included) waited for I/O (Linux
   pressure stall information).
6. Checks after each phase: every acknowledged decision is in ``fraud_decisions`` and has a
   ``fraud.decision`` ledger entry, and the hash chain verifies.

The watch list holds ``--watchlist`` payees (default 100,000, a Scameter-sized list; none
of them paid in the stream), so each payment's lookup is in the figures; runs before
2026-12-04 had an empty list.

Prints one JSON object. ``--quick`` runs shorter phases (about a minute in all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- set-up


def io_stall_us() -> int | None:
    """Microseconds so far in which some task on this machine waited for I/O (Linux PSI,
    ``/proc/pressure/io``, "some" line); None where the kernel does not report it. The bench
    reports each paced run's share of wall time. It counts the server's own fsync waits as
    well as anyone else's, so it says how much of a run was spent waiting on the disk, not
    who caused the wait."""
    try:
        with open("/proc/pressure/io", encoding="ascii") as f:
            for line in f:
                if line.startswith("some "):
                    return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), to tell machines of one kind apart."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def seed_database(
    directory: Path, url: str | None = None, watchlist: int = 0
) -> tuple[str, str, dict[str, Any]]:
    """Users, the fraud system, a deployed small model and ``watchlist`` listed payees (none
    of them paid in the stream, so the decisions do not change: what is measured is the
    lookup every payment makes); returns (db url, API key, info)."""
    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings
    from dualtrack.demo import SYSTEMS
    from dualtrack.fraud import wiring
    from dualtrack.identity.domain import Actor, Role

    url = url or f"sqlite:///{directory / 'bench.db'}"
    settings = Settings(database_url=url, var_dir=directory / "var")
    p = bootstrap(settings, run_migrations=True)
    boot = Actor.system("bench")
    admin = Actor.of(
        p.identity.create_user(
            boot, username="admin", display_name="A", role=Role.ADMIN, password=DEMO_PASSWORD
        )
    )
    people = {
        name: Actor.of(p.identity.create_user(admin, username=name, display_name=name, role=role))
        for name, role in (
            ("alice", Role.MODEL_DEVELOPER),
            ("victor", Role.VALIDATOR),
            ("carol", Role.COMPLIANCE_OFFICER),
        )
    }
    fraud = next(s for s in SYSTEMS if s.name == wiring.FRAUD_SYSTEM_NAME)
    p.registry.register_system(people["alice"], fraud)
    started = time.perf_counter()
    from dualtrack.fraud.domain import BudgetPolicy

    result = wiring.train_on_simulation(
        wiring.DEMO_SIMULATION,
        train_days=wiring.DEMO_TRAIN_DAYS,
        params=wiring.DEMO_PARAMS,
        max_rounds=80,
        early_stopping_rounds=20,
        # thresholds sized to analyst capacity, as a bank sets them: about 1% of payments
        # reviewed, 0.2% blocked (on the fraud-rich training mix; the stream is not)
        policy=BudgetPolicy(review_share=0.01, block_share=0.002),
    )
    train_s = time.perf_counter() - started
    model = wiring.register_trained(p, people["alice"], result, version="bench", source="simulator")
    p.registry.submit(people["alice"], model.id)
    p.registry.record_validation(people["victor"], model.id, passed=True, summary="bench")
    p.registry.approve(people["carol"], model.id)
    p.registry.deploy(people["alice"], model.id)
    key = p.identity.issue_api_key(admin, username="alice", label="bench")
    if watchlist:
        wiring.watchlist(p).list_payees(
            people["carol"],
            [f"SCAM-{i:09d}" for i in range(watchlist)],
            source="bench",
            action="review",
        )
    p.close()
    info = {
        "num_trees": result.artifact.num_trees,
        "train_s": round(train_s, 2),
        "thresholds": "alert budget: review 1%, block 0.2% of validation traffic",
        "watchlist_payees": watchlist,
    }
    return url, key, info


def transactions(n: int) -> pl.DataFrame:
    """At least ``n`` simulated payments with unique IDs, in time order."""
    from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig

    config = SimulatorConfig(n_customers=20_000, n_merchants=2_000, seed=99, days=60)
    sim = HKPaymentsSimulator(config)
    frames, total, day = [], 0, 0
    while total < n:
        frame = sim.day(day).drop("is_fraud", "typology")
        frames.append(frame)
        total += frame.height
        day += 1
    return pl.concat(frames)


def start_server(
    env: dict[str, str], app: str, factory: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


# ------------------------------------------------------------------------- load generator


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes]:
    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    status_line = await reader.readline()
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        data = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            data += await reader.readexactly(size + 2)
        return status, data
    return status, await reader.readexactly(length)


async def drive(
    port: int,
    path: str,
    key: str,
    bodies_per_worker: list[list[bytes]],
    seconds: float,
    requests_per_s: float | None = None,
) -> dict[str, Any]:
    """Send each worker's bodies on its own keep-alive connection for ``seconds``.

    Closed loop (``requests_per_s`` None): each connection sends its next request when the
    last is answered, which measures capacity. Open loop: every connection sends on a fixed
    schedule whatever the server does (the offered rate spread evenly over the connections,
    each at a different phase), and latency runs from each request's *scheduled* send time,
    so a stalled server is charged for the requests that queued behind the stall (no
    coordinated omission)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    workers = len(bodies_per_worker)
    interval = workers / requests_per_s if requests_per_s else 0.0
    latencies: list[float] = []
    errors: dict[int, int] = defaultdict(int)
    first_error: list[str] = []
    t0 = time.perf_counter() + (0.2 if requests_per_s else 0.0)

    scheduled = 0
    lanes_ran_out = 0

    async def worker(index: int, bodies: list[bytes]) -> int:
        nonlocal scheduled, lanes_ran_out
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        try:
            for k, body in enumerate(bodies):
                if requests_per_s:
                    started = t0 + (k + index / workers) * interval
                    if started - t0 >= seconds:
                        break
                    scheduled += 1
                    delay = started - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    started = time.perf_counter()
                    if started - t0 >= seconds:
                        break
                status, data = await _request(reader, writer, head, body)
                latencies.append(time.perf_counter() - started)
                if status == 200:
                    done += 1
                else:
                    errors[status] += 1
                    if not first_error:
                        first_error.append(data[:300].decode(errors="replace"))
            else:
                if requests_per_s:
                    # the lane had fewer bodies than the schedule asked for: offered less
                    lanes_ran_out += 1
        finally:
            writer.close()
        return done

    results = await asyncio.gather(*(worker(i, b) for i, b in enumerate(bodies_per_worker)))
    elapsed = time.perf_counter() - t0
    ok_requests = sum(results)
    lat = np.array(latencies) * 1000.0

    def pct(q: float) -> float | None:
        return round(float(np.percentile(lat, q)), 2) if len(lat) else None

    out: dict[str, Any] = {}
    if requests_per_s:
        out["mode"] = "open loop (fixed schedule), latency from scheduled send time"
        out["offered_requests_per_s"] = requests_per_s
        # every request the schedule asked for was sent (no lane ran out of bodies) and
        # answered with 200: the offered rate was sustained
        out["scheduled_requests"] = scheduled
        out["lanes_ran_out"] = lanes_ran_out
        out["sustained"] = lanes_ran_out == 0 and not errors and ok_requests == scheduled
    out |= {
        "connections": workers,
        "seconds": round(elapsed, 2),
        "ok_requests": ok_requests,
        "requests_per_s": round(ok_requests / elapsed, 1),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "p999_ms": pct(99.9) if requests_per_s else None,
        "max_ms": round(float(lat.max()), 2) if len(lat) else None,
        "errors": dict(errors),
        "first_error": first_error[0] if first_error else None,
    }
    return out


def partition(frame: pl.DataFrame, workers: int, batch: int) -> list[list[bytes]]:
    """Rows to request bodies: each customer's rows go to one worker, in time order."""
    rows = frame.to_dicts()
    lanes: list[list[dict[str, Any]]] = [[] for _ in range(workers)]
    for row in rows:
        lanes[hash(row["customer_id"]) % workers].append(row)
    out = []
    for lane in lanes:
        bodies = [
            json.dumps({"transactions": lane[i : i + batch]}).encode()
            for i in range(0, len(lane), batch)
        ]
        out.append(bodies)
    return out


# ------------------------------------------------------------------------------ checks


def verify_durable(url: str, var_dir: Path) -> dict[str, Any]:
    """Count what the server stored and verify the ledger's hash chain (either database)."""
    from sqlalchemy import create_engine, text

    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings

    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def count(sql: str) -> int:
                return int(conn.execute(text(sql)).scalar_one())

            decisions = count("SELECT count(*) FROM fraud_decisions")
            ledgered = count("SELECT count(*) FROM ledger_entries WHERE action = 'fraud.decision'")
            alerts = count("SELECT count(*) FROM fraud_alerts")
            cases = count("SELECT count(*) FROM fraud_cases")
    finally:
        engine.dispose()
    p = bootstrap(Settings(database_url=url, var_dir=var_dir))
    try:
        verdict = p.ledger.verify()
    finally:
        p.close()
    return {
        "decisions_stored": decisions,
        "decisions_ledgered": ledgered,
        "alerts": alerts,
        "alert_share": round(alerts / decisions, 4) if decisions else None,
        "cases": cases,
        "ledger_verifies": verdict.ok,
        "ledger_entries": verdict.entries_checked,
    }


def fresh_pg_database(url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``url`` (dropped first if there)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


BASELINE_APP = """
import os, sqlite3, threading
from fastapi import FastAPI, Request
from fastapi.responses import Response
app = FastAPI()
_local = threading.local()
# the journal mode and table once, before any request (threads racing on them lock the file)
_setup = sqlite3.connect(os.environ["BENCH_BASELINE_DB"], isolation_level=None, timeout=30)
_setup.execute("PRAGMA journal_mode=WAL")
_setup.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
_setup.close()
def _conn():
    c = getattr(_local, "c", None)
    if c is None:
        c = sqlite3.connect(os.environ["BENCH_BASELINE_DB"], isolation_level=None, timeout=30)
        c.execute("PRAGMA synchronous=FULL")
        _local.c = c
    return c
@app.post("/api/v1/fraud/score")
def commit_one(body: dict) -> Response:
    c = _conn()
    c.execute("BEGIN IMMEDIATE"); c.execute("INSERT INTO t (body) VALUES (?)", (str(len(body)),)); c.execute("COMMIT")
    return Response(b'{"ok":true}', media_type="application/json")
"""


def raw_predict_rate(directory: Path, rows: pl.DataFrame) -> dict[str, Any]:
    """Single-row LightGBM predict on the deployed model (features precomputed)."""
    from dualtrack.fraud.features import compute_batch
    from dualtrack.fraud.model import ModelArtifact

    model_dirs = list((directory / "var" / "models" / "fraud").iterdir())
    booster = ModelArtifact.load(model_dirs[0]).booster()
    x = compute_batch(rows.head(5_000)).to_numpy()
    started = time.perf_counter()
    for i in range(len(x)):
        booster.predict(x[i : i + 1], num_threads=1)
    single = len(x) / (time.perf_counter() - started)
    started = time.perf_counter()
    booster.predict(x, num_threads=1)
    batched = len(x) / (time.perf_counter() - started)
    return {"single_row_per_s": round(single), "batch_5000_rows_per_s": round(batched)}


def parse_shapes(text: str) -> list[tuple[int, int]]:
    """``"20x8,50x4"`` -> ``[(20, 8), (50, 4)]`` (transactions per request, connections)."""
    shapes = []
    for part in text.split(","):
        batch, sep, connections = part.strip().partition("x")
        if not sep or not batch.isdigit() or not connections.isdigit():
            raise SystemExit(f"--paced-shapes: {part!r} is not BATCHxCONNECTIONS")
        shapes.append((int(batch), int(connections)))
    return shapes


def shape_name(shape: tuple[int, int]) -> str:
    return f"{shape[0]}x{shape[1]}"


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose p99 is the median of the runs' p99s (a whole run, not mixed figures)."""
    ranked = sorted(runs, key=lambda r: (r["p99_ms"] is None, r["p99_ms"] or 0.0))
    chosen = dict(ranked[(len(ranked) - 1) // 2])
    chosen["runs"] = len(runs)
    chosen["chosen_as"] = "median p99 of the runs"
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--batch-concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=2_000.0, help="paced decisions/s")
    parser.add_argument(
        "--paced-shapes",
        default="20x8,50x4",
        help="paced request shapes, BATCHxCONNECTIONS, comma-separated; the first is the one "
        "the comparison runs (default GC, inline checkpoints) use",
    )
    parser.add_argument(
        "--paced-repeats",
        type=int,
        default=3,
        help="paced phases run back to back on the same server; the target is judged on "
        "the median of their p99s",
    )
    parser.add_argument(
        "--watchlist",
        type=int,
        default=100_000,
        help="payees on the watch list (none of them paid in the stream: every payment's "
        "lookup is measured, the decisions do not change); 0 for none, as runs before "
        "2026-12-04 had",
    )
    parser.add_argument(
        "--pg-url",
        help="serve from a fresh PostgreSQL database on this server (created as "
        "dualtrack_http_bench) instead of a SQLite file; the SQLite-only comparison "
        "(checkpoints inside commits) is then left out",
    )
    args = parser.parse_args()
    shapes = parse_shapes(args.paced_shapes)
    seconds = 8.0 if args.quick else args.seconds
    tmp = Path(tempfile.mkdtemp(prefix="fraud-http-bench-"))
    pg_url = fresh_pg_database(args.pg_url, "dualtrack_http_bench") if args.pg_url else None
    url, key, info = seed_database(tmp, pg_url, watchlist=args.watchlist)
    # closed-loop phases (3,000 + 6,000 a second), the paced runs and the two comparison runs
    need = int(seconds * (9_000 + 3_000 * (len(shapes) * max(1, args.paced_repeats) + 2))) + 8_000
    frame = transactions(need)
    env = {
        **os.environ,
        "DUALTRACK_DATABASE_URL": url,
        "DUALTRACK_VAR_DIR": str(tmp / "var"),
        "DUALTRACK_LOG_LEVEL": "WARNING",
        "DUALTRACK_COOKIE_SECURE": "false",
        "PYTHONPATH": str(ROOT / "src"),
    }
    out: dict[str, Any] = {
        "benchmark": "fraud_http",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "seconds_per_phase": seconds,
            "concurrency": args.concurrency,
            "batch": args.batch,
            "batch_concurrency": args.batch_concurrency,
            "paced_decisions_per_s": args.rate,
            "paced_shapes": [{"batch": b, "connections": c} for b, c in shapes],
            "server": "uvicorn, 1 worker, uvloop, httptools, no access log",
            "database": (
                "PostgreSQL (same machine), group commit"
                if pg_url
                else "SQLite WAL, synchronous=FULL, group commit"
            ),
        },
        "model": info,
        "raw_lightgbm": raw_predict_rate(tmp, frame),
    }
    # baseline: same server stack, one durable SQLite commit per request
    base_dir = tmp / "baseline"
    base_dir.mkdir()
    (base_dir / "bench_baseline_app.py").write_text(BASELINE_APP)
    base_env = {
        **env,
        "PYTHONPATH": f"{base_dir}:{env['PYTHONPATH']}",
        "BENCH_BASELINE_DB": str(base_dir / "b.db"),
    }
    proc, port = start_server(base_env, "bench_baseline_app:app", factory=False)
    try:
        bodies = partition(frame.head(200_000), args.concurrency, 1)
        out["baseline_one_commit_per_request"] = asyncio.run(
            drive(port, "/api/v1/fraud/score", key, bodies, seconds)
        )
    finally:
        proc.terminate()
        proc.wait(10)

    offset = 0

    def take(n: int) -> pl.DataFrame:
        nonlocal offset
        chunk = frame.slice(offset, n)
        offset += chunk.height
        return chunk

    def paced(port: int, shape: tuple[int, int]) -> dict[str, Any]:
        batch, connections = shape
        # half again what the schedule needs: lanes are split by customer, not evenly
        chunk = take(int(seconds * args.rate * 1.5))
        io_before, wall_before = io_stall_us(), time.monotonic()
        result = asyncio.run(
            drive(
                port,
                "/api/v1/fraud/score",
                key,
                partition(chunk, connections, batch),
                seconds,
                args.rate / batch,
            )
        )
        result["transactions_per_request"] = batch
        result["decisions_per_s"] = round(result["requests_per_s"] * batch, 1)
        io_after = io_stall_us()
        if io_before is not None and io_after is not None:
            wall_us = (time.monotonic() - wall_before) * 1e6
            result["io_pressure_some_pct"] = round(100 * (io_after - io_before) / wall_us, 2)
        return result

    proc, port = start_server(env, "dualtrack.api.app:create_app")
    try:
        asyncio.run(drive(port, "/api/v1/fraud/score", key, partition(take(2_000), 8, 1), 3.0))
        phases = {}
        for name, batch in (("single", 1), ("batched", args.batch)):
            chunk = take(int(seconds * (6_000 if batch > 1 else 3_000)))
            result = asyncio.run(
                drive(
                    port,
                    "/api/v1/fraud/score",
                    key,
                    partition(
                        chunk, args.concurrency if batch == 1 else args.batch_concurrency, batch
                    ),
                    seconds,
                )
            )
            result["transactions_per_request"] = batch
            result["decisions_per_s"] = round(result["requests_per_s"] * batch, 1)
            phases[name] = result
        repeats: dict[tuple[int, int], list[dict[str, Any]]] = {shape: [] for shape in shapes}
        for _ in range(max(1, args.paced_repeats)):
            for shape in shapes:
                repeats[shape].append(paced(port, shape))
        phases["paced_shapes"] = {
            shape_name(shape): {
                "median_run": _median_run(runs),
                "repeats": [
                    {
                        k: r.get(k)
                        for k in (
                            "decisions_per_s",
                            "p50_ms",
                            "p95_ms",
                            "p99_ms",
                            "p999_ms",
                            "io_pressure_some_pct",
                            "sustained",
                        )
                    }
                    for r in runs
                ],
            }
            for shape, runs in repeats.items()
        }
        phases["paced"] = phases["paced_shapes"][shape_name(shapes[0])]["median_run"]
        out["fraud_score"] = phases
    finally:
        proc.terminate()
        proc.wait(10)
    # the same paced load on a fresh server without one of the serving-process policies:
    # Python's default garbage collector; SQLite's checkpoints inside request commits
    comparisons = [("paced_default_gc", "DUALTRACK_GC_FREEZE_S")]
    if not pg_url:
        comparisons.append(("paced_inline_checkpoints", "DUALTRACK_SQLITE_CHECKPOINT_S"))
    for name, setting in comparisons:
        proc, port = start_server({**env, setting: "0"}, "dualtrack.api.app:create_app")
        try:
            asyncio.run(drive(port, "/api/v1/fraud/score", key, partition(take(2_000), 8, 1), 3.0))
            out["fraud_score"][name] = paced(port, shapes[0])
        finally:
            proc.terminate()
            proc.wait(10)
    out["durability_check"] = verify_durable(url, tmp / "var")
    single = out["fraud_score"]["single"]
    paced_result = out["fraud_score"]["paced"]

    def met(result: dict[str, Any]) -> bool:
        if "sustained" in result:  # open loop: the 2,000/s offered, all of it answered
            rate_ok = result["sustained"] and args.rate >= 2_000
        else:  # closed loop: what the server did
            rate_ok = result["decisions_per_s"] >= 2_000
        return bool(rate_ok and not result["errors"] and (result["p99_ms"] or 1e9) <= 25)

    out["target"] = {
        "decisions_per_s": 2_000,
        "p99_ms": 25,
        "met_paced": met(paced_result),
        "met_paced_by_shape": {
            name: met(shape["median_run"])
            for name, shape in out["fraud_score"]["paced_shapes"].items()
        },
        "met_single_txn_requests": met(single),
        "met_batched_requests": met(out["fraud_score"]["batched"]),
    }
    base = out["baseline_one_commit_per_request"]["requests_per_s"]
    out["ratios"] = {
        "single_vs_commit_baseline": round(single["requests_per_s"] / base, 3) if base else None
    }
    out["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
