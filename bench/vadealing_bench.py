"""Throughput of the VA-dealing transaction check with every rule on.

Replays the committed labelled stream (``data/vadealing/stream.jsonl``, ~700 transactions
over four days, linked-transaction history building up as it goes) through
``VaComplianceService.check_transaction`` on a freshly built world per repeat, and reports
the median checks per second. The baseline, run in the same process on the same stream, is
the service with every rule switched off except HKD valuation (which cannot be disabled):
the ratio shows what the full rule set costs over the fixed per-check overhead. Decision
accuracy against the labels is reported so a fast-but-wrong run is visible.

Usage: ``python bench/vadealing_bench.py [--quick] [--repeats N]``; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
try:
    import dualtrack  # noqa: F401
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(ROOT / "src"))

from dualtrack.vadealing.controls import ControlSet, load_control_set  # noqa: E402
from dualtrack.vadealing.evaluation import (  # noqa: E402
    EvalWorld,
    LabelledTx,
    build_world,
    load_stream,
    load_world,
)


def _baseline_overrides() -> dict[str, dict[str, Any]]:
    return {
        spec.rule_id: {"enabled": False}
        for spec in load_control_set().rules
        if spec.rule_id != "hkd_valuation"
    }


def _run(
    world: EvalWorld,
    stream: list[LabelledTx],
    controls: ControlSet,
    *,
    passes: int,
    latencies: bool = False,
) -> dict[str, Any]:
    """Replay the stream ``passes`` times, each on an empty linked-transaction store."""
    clock = world.clock
    correct = 0
    samples: list[int] = []
    elapsed = 0.0
    cpu = 0.0
    for _ in range(passes):
        service = world.fresh_service(controls)
        start = time.perf_counter()
        cpu_start = time.process_time()
        for record in stream:
            clock.set(record.tx.at)
            if latencies:
                t0 = time.perf_counter_ns()
                result = service.check_transaction(record.tx)
                samples.append(time.perf_counter_ns() - t0)
            else:
                result = service.check_transaction(record.tx)
            correct += result.decision == record.expected_decision
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    checks = len(stream) * passes
    out: dict[str, Any] = {
        "seconds": elapsed,
        "checks_per_s": checks / elapsed,
        "checks_per_cpu_s": checks / cpu if cpu > 0 else float("nan"),
        "decision_accuracy": correct / checks,
    }
    if samples:
        samples.sort()
        out["latency_us_p50"] = samples[len(samples) // 2] / 1000
        out["latency_us_p99"] = samples[int(len(samples) * 0.99)] / 1000
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="VA-dealing check throughput")
    parser.add_argument("--quick", action="store_true", help="3 repeats (well under 60 s)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "vadealing")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 9)

    passes = 2 if args.quick else 5
    world = build_world(load_world(args.data / "world.json"))
    stream = load_stream(args.data / "stream.jsonl")
    full = load_control_set()
    baseline = load_control_set(overrides=_baseline_overrides())

    full_runs: list[dict[str, Any]] = []
    base_runs: list[dict[str, Any]] = []
    for _ in range(repeats):  # interleaved so drift on a shared machine hits both alike
        full_runs.append(_run(world, stream, full, passes=passes))
        base_runs.append(_run(world, stream, baseline, passes=passes))
    latency = _run(world, stream, full, passes=1, latencies=True)

    full_median = statistics.median(r["checks_per_s"] for r in full_runs)
    base_median = statistics.median(r["checks_per_s"] for r in base_runs)
    report = {
        "benchmark": "vadealing_check_throughput",
        "workload": {
            "stream": str((args.data / "stream.jsonl").relative_to(ROOT))
            if args.data.is_relative_to(ROOT)
            else str(args.data),
            "transactions": len(stream),
            "rules_enabled": len(full.enabled_rules),
            "repeats": repeats,
            "passes_per_repeat": passes,
            "notes": "one world; an empty linked-transaction store per pass; address "
            "normalisation is an lru_cache shared by the process (warm after world build)",
        },
        "all_rules": {
            "checks_per_s_median": round(full_median, 1),
            "checks_per_s_runs": [round(r["checks_per_s"], 1) for r in full_runs],
            "checks_per_cpu_s_median": round(
                statistics.median(r["checks_per_cpu_s"] for r in full_runs), 1
            ),
            "decision_accuracy": full_runs[0]["decision_accuracy"],
            "latency_us_p50": round(latency["latency_us_p50"], 1),
            "latency_us_p99": round(latency["latency_us_p99"], 1),
        },
        "baseline_valuation_only": {
            "checks_per_s_median": round(base_median, 1),
            "checks_per_s_runs": [round(r["checks_per_s"], 1) for r in base_runs],
            "checks_per_cpu_s_median": round(
                statistics.median(r["checks_per_cpu_s"] for r in base_runs), 1
            ),
            "decision_accuracy": base_runs[0]["decision_accuracy"],
        },
        "ratio_all_rules_over_baseline_time": round(base_median / full_median, 3),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
