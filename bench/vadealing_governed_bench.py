"""Governed-path cost: a VA check and a name screening through the platform's desks on SQLite.

The library benchmarks (bench/vadealing_bench.py, bench/screening_bench.py) measure the rule
engine and the matcher in memory. This one measures what a user of the platform waits for:
each check or screening is one durable SQLite transaction (WAL, synchronous=FULL) holding the
stored result, linked-history rows, wallet/counterparty screenings, alerts and ledger entries.
Baseline in the same run: the library's in-memory ``VaComplianceService.check_transaction``
on the same demo world without storage or ledger. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from dualtrack.bootstrap import bootstrap
from dualtrack.config import Settings
from dualtrack.identity.domain import Actor, Role
from dualtrack.screening import wiring as screening_wiring
from dualtrack.vadealing import wiring as va_wiring
from dualtrack.vadealing.demo import sample_transactions


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_checks = 60 if args.quick else 300
    n_screens = 30 if args.quick else 150
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'b.db'}", var_dir=Path(tmp))
        plat = bootstrap(settings, run_migrations=True)
        boot = Actor.system("bench")
        carol = Actor.of(
            plat.identity.create_user(
                boot, username="carol", display_name="C", role=Role.COMPLIANCE_OFFICER
            )
        )
        plat.identity.create_user(boot, username="ana", display_name="A", role=Role.ANALYST)
        started = time.perf_counter()
        screening_wiring.seed_demo(plat)
        va_wiring.seed_demo(plat)
        seed_s = time.perf_counter() - started
        desk = va_wiring.service(plat)
        samples = sample_transactions()

        def timed_checks(name: str, count: int) -> list[float]:
            out = []
            for i in range(count):
                tx = va_wiring.parse_transaction(
                    {**samples[name], "tx_id": f"bench-{name}-{i}", "client_id": "C-1001"}
                    if name == "clean-buy"
                    else {**samples[name], "tx_id": f"bench-{name}-{i}"}
                )
                t0 = time.perf_counter()
                desk.check(carol, tx)
                out.append((time.perf_counter() - t0) * 1000)
            return out

        buys = timed_checks("clean-buy", n_checks)
        transfers = timed_checks("cdd-8000", n_checks // 2)

        # Baseline: the library's check alone (no storage, no ledger, no screening) on the
        # same stored world, with record=False so nothing is written.
        base = []
        with desk.unit():
            for i in range(n_checks):
                tx = va_wiring.parse_transaction(
                    {**samples["clean-buy"], "tx_id": f"base-{i}", "client_id": "C-1001"}
                )
                t0 = time.perf_counter()
                desk.compliance.check_transaction(tx, record=False)
                base.append((time.perf_counter() - t0) * 1000)
        screens = []
        for i in range(n_screens):
            t0 = time.perf_counter()
            screening_wiring.service(plat).screen(
                carol, client_id=f"B-{i}", name="CHAN Tai Man", raise_alerts=False
            )
            screens.append((time.perf_counter() - t0) * 1000)
        plat.close()

    def summary(values: list[float]) -> dict[str, Any]:
        return {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(_percentile(values, 0.99), 2),
            "per_s": round(1000 / statistics.mean(values), 1),
        }

    result = {
        "benchmark": "vadealing_governed_path",
        "database": "sqlite (WAL, synchronous=FULL)",
        "demo_seed_s": round(seed_s, 2),
        "governed_check_buy": summary(buys),
        "governed_check_transfer_with_screening": summary(transfers),
        "baseline_library_check_on_sql_reads": summary(base),
        "governed_name_screening": summary(screens),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
