"""Benchmark: dualtrack validation and monitoring vs Evidently 0.7.23 on the same data.

Usage::

    python bench/validation_bench.py [--quick] [--repeats N] [--evidently-python PATH]

Prints ONE JSON object. Every measured part runs in its own subprocess so its peak memory
(``ru_maxrss`` of that process, read at its end) is its own; ``rss_before_work_mb`` is the
resident size after the part generated its data, so the difference is the work itself.
Timings are medians over ``--repeats`` runs inside the subprocess (data generated once).

Data (seeded, numpy + pandas only, so both virtualenvs generate identical frames; each
part reports a checksum to show it): 30 standard-normal features, a logistic target, a
"score" column (a noisy probability, the logged model output) and five protected columns.

* reference: 500k rows (seed 1); current: 500k rows (seed 2, features f00-f04 shifted 0.1).
* drift: dualtrack (ReferenceProfile.fit + DriftAccumulator: PSI and KS on percentile
  bins, scipy kstwo p-values) vs Evidently ``DataDriftPreset``, both over the 30 features
  of reference vs current (dualtrack also does the score column).
* classification: dualtrack's performance tests (AUC, AUPRC, KS, Gini, Brier, calibration,
  confusion, lift) on the precomputed score column of reference and of current vs
  Evidently ``ClassificationPreset`` on the same two frames.
* full suite: ``run_validation`` with the HIGH-tier plan (24 tests) of a LightGBM model
  (50 trees, 15 leaves, trained here on 100k reference rows) on a 1M-row validation set
  (seed 3) with the 500k reference; includes scoring 1M + 200k rows.
* monitoring: ``run_monitoring`` over 10M logged decisions (20 chunks of 500k, generated
  on the fly, 30 days, 70% labelled) against a 500k reference profile.

``--quick`` divides the sizes by 50 (monitoring 200k rows) and runs one repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

N_FEATURES = 30
FEATURES = [f"f{i:02d}" for i in range(N_FEATURES)]
PROTECTED = ("sex", "disability", "family_status", "race", "age_band")
DAY = 86_400


def make_data(n: int, seed: int, *, shift: float = 0.0, dtype: Any = np.float64) -> pd.DataFrame:
    """Seeded synthetic scoring data (see the module docstring)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, N_FEATURES), dtype=dtype)
    if shift:
        x[:, :5] += dtype(shift)
    w = np.zeros(N_FEATURES)
    w[:10] = np.linspace(1.0, 0.1, 10)
    logit = -2.5 + x @ w + 0.3 * np.sin(2.0 * x[:, 1])
    target = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    score = 1.0 / (1.0 + np.exp(-(logit + rng.normal(0.0, 0.5, n))))
    frame = pd.DataFrame(x, columns=FEATURES)
    frame["target"] = target
    frame["score"] = score
    frame["sex"] = rng.choice(np.array(["F", "M"]), n)
    frame["disability"] = rng.choice(np.array(["no", "yes"]), n, p=[0.93, 0.07])
    frame["family_status"] = rng.choice(np.array(["single", "married", "parent"]), n)
    frame["race"] = rng.choice(
        np.array(["chinese", "filipino", "indonesian", "south_asian", "white", "other"]),
        n,
        p=[0.88, 0.03, 0.03, 0.02, 0.02, 0.02],
    )
    frame["age_band"] = rng.choice(np.array(["18-29", "30-44", "45-59", "60+"]), n)
    return frame


def checksum(frame: pd.DataFrame) -> float:
    return round(float(frame["f00"].sum() + frame["score"].sum()), 6)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(fn: Any, repeats: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


# --- parts (each runs in its own process) ------------------------------------------------


def part_dualtrack_drift(cfg: dict[str, Any]) -> dict[str, Any]:
    from dualtrack.monitoring import ReferenceProfile
    from dualtrack.monitoring.accumulators import DriftAccumulator

    ref = make_data(cfg["n_ref"], 1)
    cur = make_data(cfg["n_cur"], 2, shift=0.1)
    before = rss_mb()

    def work() -> Any:
        profile = ReferenceProfile.from_frame(
            ref, features=FEATURES, score_column="score", threshold=0.5
        )
        acc = DriftAccumulator(profile)
        acc.update(cur, score_column="score")
        return acc.result()

    times, drift = timed(work, cfg["repeats"])
    by = {d.subject: d for d in drift}
    return {
        "times_s": times,
        "rss_before_work_mb": before,
        "checksum": checksum(ref) + checksum(cur),
        "psi_f00": by["f00"].psi,
        "ks_f00": by["f00"].ks,
        "psi_f10": by["f10"].psi,
        "n_drifted_psi_gt_0.01": sum(1 for d in drift if d.psi and d.psi > 0.01),
    }


def _evidently_env() -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")


def part_evidently_drift(cfg: dict[str, Any]) -> dict[str, Any]:
    _evidently_env()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref_all = make_data(cfg["n_ref"], 1)
    cur_all = make_data(cfg["n_cur"], 2, shift=0.1)
    sums = checksum(ref_all) + checksum(cur_all)
    ref, cur = ref_all[FEATURES], cur_all[FEATURES]
    del ref_all, cur_all
    definition = DataDefinition(numerical_columns=FEATURES)
    before = rss_mb()

    def work() -> Any:
        report = Report([DataDriftPreset()])
        return report.run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )

    times, snapshot = timed(work, cfg["repeats"])
    return {
        "times_s": times,
        "rss_before_work_mb": before,
        "checksum": sums,
        "snapshot_json_chars": len(snapshot.json()),
    }


def part_evidently_classification(cfg: dict[str, Any]) -> dict[str, Any]:
    _evidently_env()
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset

    cols = [*FEATURES, "target", "score"]
    ref = make_data(cfg["n_ref"], 1)[cols]
    cur = make_data(cfg["n_cur"], 2, shift=0.1)[cols]
    definition = DataDefinition(
        numerical_columns=FEATURES,
        classification=[BinaryClassification(target="target", prediction_probas="score")],
    )
    before = rss_mb()

    def work() -> Any:
        report = Report([ClassificationPreset()])
        return report.run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )

    times, _ = timed(work, cfg["repeats"])
    return {
        "times_s": times,
        "rss_before_work_mb": before,
        "checksum": checksum(ref) + checksum(cur),
    }


class ScoreColumn:
    """Identity "model": its score is the logged score column (for precomputed predictions)."""

    feature_names = ("score",)

    def score(self, features: pd.DataFrame) -> np.ndarray:
        return features["score"].to_numpy(dtype=np.float64)


def part_dualtrack_classification(cfg: dict[str, Any]) -> dict[str, Any]:
    from dualtrack.validation import run_validation
    from dualtrack.validation.domain import DatasetSpec, PlannedTest, ValidationPlan

    ref = make_data(cfg["n_ref"], 1)
    cur = make_data(cfg["n_cur"], 2, shift=0.1)
    ids = ["auc", "auprc", "ks", "gini", "brier", "calibration", "confusion", "lift"]
    plan = ValidationPlan(
        "bench-performance",
        "MEDIUM",
        "performance tests only",
        tuple(PlannedTest(f"performance.{i}", {}, "high") for i in ids),
    )
    spec = DatasetSpec(feature_names=("score",))
    before = rss_mb()

    def work() -> Any:
        return [run_validation(ScoreColumn(), d, plan, spec=spec) for d in (ref, cur)]

    times, runs = timed(work, cfg["repeats"])
    return {
        "times_s": times,
        "rss_before_work_mb": before,
        "checksum": checksum(ref) + checksum(cur),
        "auc_current": runs[1].result("performance.auc").metrics["auc"],
    }


def part_dualtrack_full_suite(cfg: dict[str, Any]) -> dict[str, Any]:
    from dualtrack.validation import load_model, run_validation
    from dualtrack.validation.domain import DatasetSpec

    model = load_model(cfg["model_path"])
    ref = make_data(cfg["n_ref"], 1).drop(columns=["score"])
    data = make_data(cfg["n_full"], 3, shift=0.1).drop(columns=["score"])
    spec = DatasetSpec(protected_attributes=PROTECTED, thresholds=(0.3, 0.5))
    before = rss_mb()
    t = time.perf_counter()
    model.model.score(data[FEATURES])
    scoring_s = time.perf_counter() - t

    def work() -> Any:
        return run_validation(model, data, "HIGH", reference=ref, spec=spec)

    times, run = timed(work, cfg["repeats"])
    per_test = {r.test_id: r.duration_s for r in run.results}
    return {
        "times_s": times,
        "rss_before_work_mb": before,
        "scoring_1m_rows_s_separately": scoring_s,
        "tests_s_sum": sum(per_test.values()),
        "slowest_tests_s": dict(sorted(per_test.items(), key=lambda kv: -kv[1])[:6]),
        "n_tests": len(run.results),
        "passed": run.passed,
        "status_counts": dict(run.summary["status_counts"]),
        "run_json_chars": len(run.to_json()),
    }


def part_dualtrack_monitor(cfg: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    from dualtrack.monitoring import ReferenceProfile, run_monitoring

    ref = make_data(cfg["n_ref"], 1)
    profile = ReferenceProfile.from_frame(
        ref, features=FEATURES, score_column="score", threshold=0.5, label_column="target"
    )
    del ref
    n_total, chunk = cfg["n_monitor"], cfg["monitor_chunk"]
    n_chunks = n_total // chunk
    gen_s = 0.0

    def chunks() -> Any:
        # Logged decisions as a production store would hand them over: numeric columns
        # straight into polars (no pandas / protected-attribute strings in the log).
        nonlocal gen_s
        for i in range(n_chunks):
            t = time.perf_counter()
            rng = np.random.default_rng(100 + i)
            x = rng.standard_normal((chunk, N_FEATURES), dtype=np.float32)
            x[:, :5] += np.float32(0.02 * i)
            logit = -2.5 + x[:, :10] @ np.linspace(1.0, 0.1, 10).astype(np.float32)
            score = 1.0 / (1.0 + np.exp(-(logit + rng.normal(0.0, 0.5, chunk))))
            target = rng.random(chunk) < 1.0 / (1.0 + np.exp(-logit))
            start = i * (30 * DAY) // n_chunks
            seconds = start + np.sort(rng.integers(0, (30 * DAY) // n_chunks, chunk))
            label = np.where(rng.random(chunk) < 0.7, target.astype(np.float64), np.nan)
            columns: dict[str, Any] = {name: x[:, j] for j, name in enumerate(FEATURES)}
            columns["score"] = score
            columns["decided_at"] = seconds.astype("datetime64[s]").astype("datetime64[ms]")
            columns["label"] = label
            out = pl.DataFrame(columns).with_columns(pl.col("label").fill_nan(None))
            del x, columns
            gen_s += time.perf_counter() - t
            yield out

    before = rss_mb()
    t = time.perf_counter()
    report = run_monitoring(profile, chunks(), thresholds="HIGH")
    total = time.perf_counter() - t
    return {
        "times_s": [total],
        "generation_s": gen_s,
        "monitoring_s_excluding_generation": total - gen_s,
        "rss_before_work_mb": before,
        "n_rows": report.n_rows,
        "n_windows": len(report.windows),
        "n_alerts": len(report.alerts),
    }


PARTS = {
    "dualtrack_drift": part_dualtrack_drift,
    "evidently_drift": part_evidently_drift,
    "dualtrack_classification": part_dualtrack_classification,
    "evidently_classification": part_evidently_classification,
    "dualtrack_full_suite": part_dualtrack_full_suite,
    "dualtrack_monitor": part_dualtrack_monitor,
}
EVIDENTLY_PARTS = {"evidently_drift", "evidently_classification"}


def run_part(name: str, cfg: dict[str, Any], python: str) -> dict[str, Any]:
    env = {**os.environ, "DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1"}
    proc = subprocess.run(
        [python, __file__, "--part", name, "--config", json.dumps(cfg)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"], "rc": proc.returncode}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def train_model(path: Path, n_train: int) -> None:
    import lightgbm as lgb

    train = make_data(n_train, 1)
    booster = lgb.train(
        {
            "objective": "binary",
            "num_leaves": 15,
            "learning_rate": 0.1,
            "verbose": -1,
            "seed": 0,
            "num_threads": 1,  # training is set-up, not measured; avoid OpenMP spin on a busy box
        },
        lgb.Dataset(train[FEATURES], train["target"]),
        num_boost_round=50,
    )
    booster.save_model(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--evidently-python",
        default=sys.executable,
        help="Interpreter with evidently installed (make bench: the bench venv itself)",
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--config")
    args = parser.parse_args()

    if args.part:
        cfg = json.loads(args.config)
        out = PARTS[args.part](cfg)
        out["time_median_s"] = statistics.median(out["times_s"])
        out["peak_rss_mb"] = peak_mb()
        print(json.dumps(out))
        return

    scale = 50 if args.quick else 1
    repeats = args.repeats or (1 if args.quick else 3)
    cfg: dict[str, Any] = {
        "n_ref": 500_000 // scale,
        "n_cur": 500_000 // scale,
        "n_full": 1_000_000 // scale,
        "n_monitor": 10_000_000 // scale,
        "monitor_chunk": 500_000 // scale * 5,
        "repeats": repeats,
    }
    evidently_ok = not args.skip_evidently and Path(args.evidently_python).exists()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="dualtrack-bench-") as tmp:
        model_path = Path(tmp) / "model.txt"
        t = time.perf_counter()
        train_model(model_path, 100_000 // scale)
        results["model_training_s"] = time.perf_counter() - t
        cfg["model_path"] = str(model_path)
        for name in PARTS:
            if name in EVIDENTLY_PARTS and not evidently_ok:
                results[name] = {"skipped": "no Evidently virtualenv"}
                continue
            python = args.evidently_python if name in EVIDENTLY_PARTS else sys.executable
            results[name] = run_part(name, cfg, python)

    def ratio(base: str, ours: str) -> float | None:
        a, b = results.get(base, {}), results.get(ours, {})
        if "time_median_s" in a and "time_median_s" in b and b["time_median_s"] > 0:
            return round(a["time_median_s"] / b["time_median_s"], 2)
        return None

    checks = {
        results[n].get("checksum") for n in ("dualtrack_drift", "evidently_drift") if n in results
    }
    summary = {
        "drift_speedup_vs_evidently": ratio("evidently_drift", "dualtrack_drift"),
        "classification_speedup_vs_evidently": ratio(
            "evidently_classification", "dualtrack_classification"
        ),
        "full_suite_time_s": results["dualtrack_full_suite"].get("time_median_s"),
        "full_suite_target_s": 20.0,
        "monitor_rows": cfg["n_monitor"],
        "monitor_peak_rss_mb": results["dualtrack_monitor"].get("peak_rss_mb"),
        "same_data_in_both_venvs": len(checks - {None}) == 1,
    }
    print(
        json.dumps(
            {
                "benchmark": "validation",
                "quick": args.quick,
                "config": {k: v for k, v in cfg.items() if k != "model_path"},
                "summary": summary,
                "parts": results,
                "machine": {
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "cpu_count": os.cpu_count(),
                    "load_average_at_end": os.getloadavg(),
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
