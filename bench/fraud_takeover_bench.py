"""What taking over fraud scoring costs: a cold take-over against a following standby's.

When the scoring process stops, the process that takes the database's scoring lease must
bring its online feature state up to date with every stored decision before it scores
(``wiring.StoredHistory``). What runs, on SQLite and, with ``--pg-url``, on PostgreSQL:

1. A seeded database with a small deployed model (``fraud_http_bench.seed_database``); a
   holder process (an in-process platform) scores ``--decisions`` simulated payments
   through the governed path, 500 per request, every decision ledgered.
2. ``snapshot``: the holder stops and saves its state in the database (``wiring.stop_scoring``); a new
   platform takes the lease, loads the snapshot and folds what was stored after it (here
   nothing): the save's time and size, and the take-over's time.
3. ``cold``: with the snapshot removed, a new platform takes the lease with no state: it
   reads every stored state event in ledger order and folds it (what a restarted server
   without a usable snapshot, or a standby with following off, does).
4. ``baseline_event_ts_read``: the same events read the way take-overs read them before
   following existed (``state_event`` ordered by ``event_ts``), parsed and folded: the
   ledger-order read is compared with it as a ratio.
5. ``warm``: a standby platform follows the stored decisions (``catch_up``) and saves
   what it followed (``checkpoint``, timed), the holder scores ``--delta`` more and stops
   without saving (as a crash would), and the standby takes over: it folds only the
   ``--delta`` it had not seen. Then the standby goes too, and a new platform takes over
   from the standby's checkpoint (folding the ``--delta``). Repeated ``--repeats`` times
   with new decisions each time.
6. ``layered``: a standby saves the state it followed whole (timed, sized); a new platform
   takes over from it (timed); the holder scores ``--delta`` more; the standby folds them
   and saves again, which writes only the keys they changed as a layer on top (timed,
   sized); a new platform takes over from the whole state plus that layer (timed). The
   ratios: whole save to layered save (time and bytes), and load with the layer to load
   without. Repeated ``--repeats`` times.
7. Checks: the restored and the standby's state equals a cold rebuild's and the holder's own live state,
   key by key (every event log, window and total); the state loaded with a layer equals the
   standby's.

Prints one JSON object; medians of the repeats. ``--quick`` stores 30k decisions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform as host
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from fraud_http_bench import cpu_model, fresh_pg_database, seed_database, transactions
from sqlalchemy import select


def _state_of(governed: Any) -> dict[str, Any]:
    return dict(governed.state._states)


def run(backend: str, url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    from dualtrack.adapters.fraud_tables import fraud_decisions
    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings
    from dualtrack.fraud import wiring
    from dualtrack.fraud.features import OnlineFeatureEngine
    from dualtrack.fraud.memory import InMemoryFeatureStateStore

    directory = Path(tempfile.mkdtemp(prefix=f"takeover-{backend}-"))
    db_url, _key, info = seed_database(directory, url)
    settings = Settings(database_url=db_url, var_dir=directory / "var", fraud_follow_s=0)
    needed = args.decisions + 2 * args.repeats * args.delta
    rows = transactions(needed).head(needed).to_dicts()

    holder_platform = bootstrap(settings)
    holder = wiring.scoring_service(holder_platform)
    started = time.perf_counter()
    for at in range(0, args.decisions, 500):
        holder.score(rows[at : min(at + 500, args.decisions)])
    fill_s = time.perf_counter() - started
    stored = args.decisions
    holder_state = _state_of(holder)
    t0 = time.perf_counter()
    wiring.stop_scoring(holder_platform)  # saves the state, gives the lease back
    save_s = time.perf_counter() - t0
    saved = wiring.snapshots(holder_platform).stored.get()
    assert saved is not None
    snapshot_bytes, snapshot_parts = saved.size, len(saved.parts)

    def take_over_afresh() -> tuple[float, int, int | None, dict[str, Any]]:
        """A new platform takes the lease: (seconds, decisions folded, the position of
        the snapshot it started from or None, its state)."""
        p = bootstrap(settings)
        try:
            history = wiring.stored_history(p)
            t0 = time.perf_counter()
            folded, fresh = history.take_over()
            seconds = time.perf_counter() - t0
            assert fresh
            return seconds, folded, history.restored_at, _state_of(wiring.service(p))
        finally:
            wiring.scoring_ownership(p).close()
            p.close()

    def score_more_then_crash(start: int) -> dict[str, Any]:
        """A new holder scores ``--delta`` more from row ``start`` and stops without
        saving (it gives the lease back, as a crash would not, to save the TTL's wait);
        returns its live state."""
        p = bootstrap(settings)
        try:
            live = wiring.scoring_service(p)
            for at in range(start, start + args.delta, 500):
                live.score(rows[at : min(at + 500, start + args.delta)])
            return _state_of(live)
        finally:
            p.close()

    restore_s: list[float] = []
    identical_after_restore = True
    for _ in range(args.repeats):
        seconds, folded, restored_at, state = take_over_afresh()
        assert restored_at is not None and folded == 0
        restore_s.append(seconds)
        identical_after_restore &= state == holder_state
    wiring.snapshots(holder_platform).stored.clear()  # the cold take-overs start without one

    cold_s: list[float] = []
    for _ in range(args.repeats):
        seconds, folded, restored_at, _state = take_over_afresh()
        assert restored_at is None and folded == stored, (folded, restored_at)
        cold_s.append(seconds)

    baseline_s: list[float] = []
    p = bootstrap(settings)
    try:
        reader = wiring._reader(p)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            engine = OnlineFeatureEngine(InMemoryFeatureStateStore())
            stmt = (
                select(fraud_decisions.c.state_event)
                .where(fraud_decisions.c.state_event.is_not(None))
                .order_by(fraud_decisions.c.event_ts)
            )
            with reader.connect() as conn:
                result = conn.execution_options(yield_per=5_000).execute(stmt)
                n = engine.fold_all(orjson.loads(t) for (t,) in result)
            baseline_s.append(time.perf_counter() - t0)
            assert n == stored
    finally:
        p.close()

    warm: list[dict[str, float]] = []
    identical_after_crash = identical_to_holder = True
    warm_state: dict[str, Any] = {}
    for _ in range(args.repeats):
        standby = bootstrap(settings)
        history = wiring.stored_history(standby)
        t0 = time.perf_counter()
        history.catch_up()
        follow_s = time.perf_counter() - t0
        history.checkpoint_s = 1e-9  # save what it followed now
        t0 = time.perf_counter()
        assert history.checkpoint()
        checkpoint_s = time.perf_counter() - t0
        live_state = score_more_then_crash(stored)
        stored += args.delta
        try:
            t0 = time.perf_counter()
            folded, fresh = history.take_over()
            take_s = time.perf_counter() - t0
            assert not fresh and folded == args.delta, (folded, fresh)
            warm_state = _state_of(wiring.service(standby))
        finally:
            standby.close()
        # the standby went too: a process on another machine starts from its checkpoint
        crash_s, folded, restored_at, crash_state = take_over_afresh()
        assert restored_at is not None and folded == args.delta, (restored_at, folded)
        identical_after_crash &= crash_state == warm_state
        identical_to_holder &= live_state == warm_state
        warm.append(
            {
                "initial_follow_s": follow_s,
                "checkpoint_s": checkpoint_s,
                "take_over_s": take_s,
                "take_over_from_checkpoint_s": crash_s,
            }
        )
    wiring.snapshots(holder_platform).stored.clear()
    identical_to_cold = take_over_afresh()[3] == warm_state

    layered: list[dict[str, float]] = []
    identical_with_layer = True
    for _ in range(args.repeats):
        standby = bootstrap(settings)
        try:
            history = wiring.stored_history(standby)
            history.catch_up()
            saving = wiring.snapshots(standby)
            state = wiring.service(standby).state
            saving.stored.clear()  # the last repeat's may be at this very position
            t0 = time.perf_counter()
            whole_bytes = saving.save(state, history.position or 0, whole=True)
            whole_s = time.perf_counter() - t0
            assert whole_bytes and saving.last_save and saving.last_save["whole"]
            load_whole_s, folded, _at, _state = take_over_afresh()
            assert folded == 0
            score_more_then_crash(stored)
            stored += args.delta
            assert history.catch_up() == args.delta
            t0 = time.perf_counter()
            layer_bytes = history.checkpoint(now=True)
            layer_s = time.perf_counter() - t0
            last = saving.last_save
            assert layer_bytes and last and not last["whole"] and last["layers"] == 2, last
            header = saving.stored.head()
            assert header is not None and header.body is not None
            whole_layer, changed_layer = orjson.loads(header.body[32:])["layers"]
            load_layered_s, folded, _at, loaded = take_over_afresh()
            assert folded == 0
            identical_with_layer &= loaded == _state_of(wiring.service(standby))
            layered.append(
                {
                    "whole_save_s": whole_s,
                    "whole_megabytes": whole_bytes / 1e6,
                    "whole_keys": len(state),
                    "whole_parts": len(whole_layer["parts"]),
                    "layer_parts": len(changed_layer["parts"]),
                    "layer_save_s": layer_s,
                    "layer_megabytes": layer_bytes / 1e6,
                    "layer_keys": last["keys"],
                    "take_over_from_whole_s": load_whole_s,
                    "take_over_with_layer_s": load_layered_s,
                }
            )
        finally:
            standby.close()

    def median_of(name: str) -> float:
        return statistics.median(run[name] for run in layered)

    holder_platform.close()

    cold_med = statistics.median(cold_s)
    base_med = statistics.median(baseline_s)
    take_med = statistics.median(w["take_over_s"] for w in warm)
    return {
        "backend": backend,
        "model": info,
        "stored_decisions": args.decisions,
        "fill_decisions_per_s": args.decisions / fill_s,
        "snapshot": {
            "save_s": save_s,
            "megabytes": snapshot_bytes / 1e6,
            "parts": snapshot_parts,
            "take_over_s": restore_s,
            "median_take_over_s": statistics.median(restore_s),
            "state_identical_to_holders": identical_after_restore,
        },
        "cold": {
            "take_over_s": cold_s,
            "median_s": cold_med,
            "events_per_s": args.decisions / cold_med,
            "seconds_per_250k": 250_000 * cold_med / args.decisions,
        },
        "baseline_event_ts_read": {
            "read_and_fold_s": baseline_s,
            "median_s": base_med,
            "events_per_s": args.decisions / base_med,
            "ledger_order_to_event_ts_time_ratio": cold_med / base_med,
        },
        "warm": {
            "delta_decisions": args.delta,
            "runs": warm,
            "median_take_over_s": take_med,
            "cold_to_warm_ratio": cold_med / take_med,
            "median_checkpoint_s": statistics.median(w["checkpoint_s"] for w in warm),
            "median_take_over_from_checkpoint_s": statistics.median(
                w["take_over_from_checkpoint_s"] for w in warm
            ),
            "state_after_checkpoint_take_over_identical": identical_after_crash,
        },
        "layered": {
            "delta_decisions": args.delta,
            "runs": layered,
            "median_whole_save_s": median_of("whole_save_s"),
            "median_layer_save_s": median_of("layer_save_s"),
            "whole_to_layer_save_time_ratio": median_of("whole_save_s") / median_of("layer_save_s"),
            "whole_to_layer_bytes_ratio": median_of("whole_megabytes")
            / median_of("layer_megabytes"),
            "load_with_layer_to_whole_time_ratio": median_of("take_over_with_layer_s")
            / median_of("take_over_from_whole_s"),
            "state_with_layer_identical_to_standbys": identical_with_layer,
        },
        "cold_to_snapshot_ratio": cold_med / statistics.median(restore_s),
        "state_identical_to_cold_rebuild": identical_to_cold,
        "state_identical_to_holders_live_state": identical_to_holder,
    }


def _set_part_items(items: int) -> None:
    """Every platform's saved states in parts of ``items`` (``--part-items``)."""
    from dualtrack.fraud import wiring

    platform_snapshots = wiring.snapshots

    def sized(platform: Any) -> Any:
        found = platform_snapshots(platform)
        found.part_items = items
        return found

    wiring.snapshots = sized  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--decisions", type=int, default=None)
    parser.add_argument("--delta", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--part-items",
        type=int,
        default=None,
        help="items per part of a saved state (default: the platform's, 1M; smaller makes "
        "the bench's state many parts, as a bank's would be)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("DUALTRACK_BENCH_PG_URL"),
        help="a PostgreSQL server URL; the bench creates and drops its own database there",
    )
    args = parser.parse_args()
    if args.decisions is None:
        args.decisions = 30_000 if args.quick else 200_000
    logging.disable(logging.WARNING)
    if args.part_items:
        _set_part_items(args.part_items)
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.pg_url:
        backends.append(("postgresql", fresh_pg_database(args.pg_url, "dualtrack_takeover_bench")))
    results = [run(name, url, args) for name, url in backends]
    print(
        json.dumps(
            {
                "benchmark": "fraud_takeover",
                "mode": "quick" if args.quick else "full",
                "part_items": args.part_items,
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpu": cpu_model(),
                    "cores": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "platform": host.platform(),
                },
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
