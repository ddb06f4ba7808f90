"""What the stored payee watch list costs a scoring process, on SQLite and (``--pg-url``)
PostgreSQL.

1. ``import``: ``--payees`` synthetic payee IDs listed in one change (one transaction with
   its ledger entry), as ``dualtrack fraud watchlist import`` does: seconds and payees/s.
2. ``first_read``: a scoring process's first look at the list: every row read and every
   payee shaped by the fraud privacy policy (an HMAC pseudonym each), as a process that
   starts does (the privacy guard, built once per server, is built before). Its memory
   (tracemalloc, in a second process-like service) is the list as scoring holds it: the
   raw IDs and their pseudonyms, with the pseudonymiser's cache of recent tokens.
3. ``poll_unchanged``: the check every scoring process makes once a second while nothing
   changed (one query): median of ``--repeats``.
4. ``poll_one_change``: a change of one payee listed by another writer, then the check
   that applies it: median of ``--repeats``. Its baseline, in the same run, is
   ``full_reread``: reading and shaping the whole list again, which is what a process that
   re-read the list on each change (or the file-based list, on each restart) pays.
5. ``sync``: a feed that publishes its whole list (Scameter-style), ``--payees`` payees of
   its own, synced by a compliance officer once (``sync_first_s``) and then again with 1%
   of them replaced, as a daily extract would be (``sync_daily_s``: the whole list read,
   1% listed, 1% dropped), then the check that brings a scoring process up to date with
   that day's changes (``poll_after_daily_sync_ms``). One run each.

Prints one JSON object.
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
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from fraud_http_bench import cpu_model, fresh_pg_database


def run(url: str, var_dir: Path, payees: int, repeats: int) -> dict[str, Any]:
    from dualtrack.adapters.fraud_watchlist_sql import SqlWatchlistChanges
    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings
    from dualtrack.fraud import wiring
    from dualtrack.fraud.governed import GovernedFraudService, LoadedModel
    from dualtrack.identity.domain import Actor, Role
    from dualtrack.privacy import wiring as privacy_wiring

    platform = bootstrap(Settings(database_url=url, var_dir=var_dir), run_migrations=True)
    boot = Actor.system("bench")
    analyst = Actor.of(
        platform.identity.create_user(
            boot, username="ana", display_name="Ana", role=Role.ANALYST, password="x" * 16
        )
    )
    desk = wiring.watchlist(platform)
    ids = [f"FPS-{i:09d}" for i in range(payees)]
    started = time.perf_counter()
    desk.list_payees(analyst, ids, source="bench")
    imported = time.perf_counter() - started

    model = cast(
        LoadedModel, SimpleNamespace(artifact=SimpleNamespace(feature_set="hk_payments_v1"))
    )

    def scoring_process() -> GovernedFraudService:
        # a fresh pseudonymiser each time, so no run reuses another's cached pseudonyms
        platform._features.pop("fraud.pseudonymiser", None)
        return GovernedFraudService(
            versions=cast(Any, None),
            store=cast(Any, None),
            customer_ref=str,
            models_dir=var_dir,
            privacy=wiring.policy_source(platform),
            watchlist=SqlWatchlistChanges(platform.engine),
            recheck_s=0.0,
        )

    privacy_wiring.service(platform)  # the privacy guard, built once per server, not timed
    governed = scoring_process()
    started = time.perf_counter()
    _policy, watch = governed.policy(model)
    first_read = time.perf_counter() - started
    assert len(watch) == payees
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    measured = scoring_process()
    measured.policy(model)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del measured

    unchanged = []
    for _ in range(repeats):
        started = time.perf_counter()
        governed.policy(model)
        unchanged.append(time.perf_counter() - started)
    one_change = []
    full = []
    for i in range(repeats):
        desk.list_payees(analyst, [f"NEW-{i}"], source="bench")
        started = time.perf_counter()
        _policy, watch = governed.policy(model)
        one_change.append(time.perf_counter() - started)
        assert len(watch) == payees + i + 1
        other = scoring_process()
        started = time.perf_counter()
        _policy, again = other.policy(model)
        full.append(time.perf_counter() - started)
        assert again == watch
    per_row = _per_row_costs(governed, model, watch, repeats)
    synced = _sync_costs(platform, desk, governed, model, payees)
    platform.close()
    med_change, med_full = statistics.median(one_change), statistics.median(full)
    return per_row | synced | {
        "payees": payees,
        "import_s": round(imported, 3),
        "import_payees_per_s": round(payees / imported),
        "first_read_s": round(first_read, 3),
        "held_bytes": held,
        "held_bytes_per_payee": round(held / payees),
        "poll_unchanged_ms": round(statistics.median(unchanged) * 1e3, 3),
        "poll_one_change_ms": round(med_change * 1e3, 3),
        "full_reread_ms": round(med_full * 1e3, 3),
        "full_reread_over_one_change": round(med_full / med_change, 1),
    }


def _per_row_costs(
    governed: Any, model: Any, watch: Any, repeats: int, n: int = 2_000
) -> dict[str, float]:
    """What the watch list adds to each scored payment, against what the privacy policy
    already costs it (pseudonymising its identifiers), on the same rows in this run: the
    second lookup for payees written in another form than the canonical one (an FPS phone
    proxy as ``+852-9xxxxxxx``), and its check for payees written canonically (the common
    case). None of the payees is listed, so no decision changes."""
    policy = governed.policy(model)[0]

    def rows(form: str) -> list[dict[str, Any]]:
        return [
            {
                "txn_id": f"B{i}",
                "ts": 1_800_000_000 + i,
                "customer_id": f"C{i:07d}",
                "account_id": f"A{i:07d}",
                "channel": "fps",
                "payee_id": form.format(i),
                "payee_proxy_type": "phone",
                "mcc": 0,
                "amount": 250.0,
                "currency": "HKD",
                "device_id": f"D{i:07d}",
                "is_overseas": False,
            }
            for i in range(n)
        ]

    out: dict[str, float] = {}
    for name, form in (("canonical", "A{:08d}"), ("written_otherwise", "+852-9{:07d}")):
        raw = rows(form)
        guard, extra = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            guarded = [policy(row) for row in raw]
            guard.append(time.perf_counter() - started)
            started = time.perf_counter()
            governed._other_forms(model, raw, guarded, [], policy, watch)
            extra.append(time.perf_counter() - started)
        g, e = statistics.median(guard), statistics.median(extra)
        out[f"privacy_policy_us_per_row_{name}"] = round(g / n * 1e6, 2)
        out[f"watch_other_forms_us_per_row_{name}"] = round(e / n * 1e6, 2)
        out[f"watch_over_privacy_{name}"] = round(e / g, 3)
    return out


def _sync_costs(
    platform: Any, desk: Any, governed: Any, model: Any, payees: int
) -> dict[str, float]:
    from dualtrack.identity.domain import Actor, Role

    officer = Actor.of(
        platform.identity.create_user(
            Actor.system("bench"),
            username="carol",
            display_name="Carol",
            role=Role.COMPLIANCE_OFFICER,
            password="x" * 16,
        )
    )
    feed = [f"SCAM-{i:09d}" for i in range(payees)]
    started = time.perf_counter()
    first = desk.sync_source(officer, feed, source="feed")
    sync_first = time.perf_counter() - started
    assert first.listed == payees
    governed.policy(model)
    turnover = payees // 100
    daily = feed[turnover:] + [f"SCAM-NEW-{i:09d}" for i in range(turnover)]
    started = time.perf_counter()
    second = desk.sync_source(officer, daily, source="feed")
    sync_daily = time.perf_counter() - started
    assert (second.listed, second.unlisted) == (turnover, turnover)
    started = time.perf_counter()
    governed.policy(model)
    poll = time.perf_counter() - started
    return {
        "sync_first_s": round(sync_first, 3),
        "sync_daily_s": round(sync_daily, 3),
        "sync_daily_turnover": turnover,
        "poll_after_daily_sync_ms": round(poll * 1e3, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payees", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--pg-url", default=os.environ.get("DUALTRACK_BENCH_PG_URL"))
    parser.add_argument("--quick", action="store_true", help="10k payees, 3 repeats")
    args = parser.parse_args()
    if args.quick:
        args.payees, args.repeats = 10_000, 3
    logging.disable(logging.INFO)
    out: dict[str, Any] = {
        "benchmark": "fraud_watchlist",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "python": host.python_version()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = run(
            f"sqlite:///{Path(tmp) / 'watch.db'}", Path(tmp), args.payees, args.repeats
        )
        if args.pg_url:
            url = fresh_pg_database(args.pg_url, "dualtrack_bench_watchlist")
            out["postgresql"] = run(url, Path(tmp), args.payees, args.repeats)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
