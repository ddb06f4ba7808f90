"""Fraud scoring speed: decisions/s with reasons vs raw LightGBM predict, same rows, same run.

Measured (median of ``--repeats`` runs each):
* ``raw_predict``: ``booster.predict`` on the feature matrix (the floor: no validation,
  rules, thresholds or reasons);
* ``scorer``: :meth:`FraudScorer.score_columns` on the same rows in batches: validation,
  features, predict, thresholds, rules, and TreeSHAP reason codes for every review/block
  decision (as in production);
* ``pred_contrib_all``: exact TreeSHAP on every row (what "reasons for everyone" costs),
  timed on a slice and reported as rows/s;
* ``compiled``: the same model compiled to native code with lleaves
  (:mod:`dualtrack.fraud.compiled`): compile time, raw predict, and the scorer's
  decisions/s with it, as ratios to raw LightGBM ``predict``; its scores are compared
  with LightGBM's on every row and its actions with the LightGBM scorer's;
* ``state_rebuild``: what a restart costs: the same rows' stored feature-state events
  (JSON) parsed and folded into a new online state, events/s, and the memory the rebuilt
  state holds (tracemalloc);
* ``hk_online``: the Hong Kong payments model through the online feature engine
  (per-transaction state updates), decisions/s.

The ULB model is the one ``fraud_quality.py --save-models var/models`` saved (time split),
or is trained here if absent. ``--quick`` uses the committed sample and a small model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from dualtrack.fraud import compiled
from dualtrack.fraud.datasets import ULB_FEATURES, fetch_ulb, load_ulb
from dualtrack.fraud.features import (
    FEATURE_NAMES,
    TRANSACTION_SCHEMA,
    OnlineFeatureEngine,
    compute_batch,
    state_event,
    with_features,
)
from dualtrack.fraud.memory import InMemoryFeatureStateStore
from dualtrack.fraud.model import ModelArtifact, train_model
from dualtrack.fraud.service import FraudScorer
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig
from dualtrack.fraud.validation import INPUT_COLUMNS, ValidationLimits

ROOT = Path(__file__).resolve().parents[1]


class FixedClock:
    def now(self) -> datetime:
        return datetime(2030, 1, 1, tzinfo=UTC)


def log(stage: str) -> None:
    print(f"[fraud_speed] {stage}", file=sys.stderr, flush=True)


def timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def ulb_artifact(frame: pl.DataFrame, quick: bool) -> tuple[ModelArtifact, str]:
    saved = ROOT / "var" / "models" / "ulb_time"
    if not quick and (saved / "model.txt").exists():
        return ModelArtifact.load(saved), f"loaded {saved.relative_to(ROOT)}"
    order = np.argsort(frame["Time"].to_numpy(), kind="stable")
    train = frame[order[: int(frame.height * 0.8)]]
    mask = np.zeros(train.height, bool)
    mask[int(train.height * 0.85) :] = True
    trained = train_model(
        train,
        feature_names=ULB_FEATURES,
        feature_set="ulb_pca_v1",
        label="Class",
        validation_mask=mask,
        max_rounds=300 if quick else 3_000,
        params={"learning_rate": 0.1} if quick else None,
    )
    return trained.artifact, "trained in this run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "data")
    args = parser.parse_args()
    if args.quick:
        frame = load_ulb(ROOT / "data" / "fraud" / "ulb_sample.csv")
        n_rows, contrib_rows = 50_000, 2_000
    else:
        frame = load_ulb(fetch_ulb(args.data_dir))
        n_rows, contrib_rows = args.rows, 1_000
    artifact, origin = ulb_artifact(frame, args.quick)
    booster = artifact.booster()
    # the same rows for every contender: the data set tiled up to n_rows
    tiled = frame[np.arange(n_rows) % frame.height].with_columns(
        txn_id=pl.int_range(n_rows).cast(pl.String)
    )
    inputs = tiled.select(INPUT_COLUMNS["ulb_pca_v1"])
    x = tiled.select(ULB_FEATURES).to_numpy()
    scorer = FraudScorer(
        artifact, limits=ValidationLimits(max_batch=args.batch), clock=FixedClock()
    )

    log("raw predict")
    raw_s, _ = timed(lambda: booster.predict(x), args.repeats)

    def score_all() -> tuple[int, int]:
        flagged = explained = 0
        for start in range(0, n_rows, args.batch):
            out = scorer.score_columns(inputs.slice(start, args.batch))
            flagged += int((out.actions > 0).sum())
            explained += len(out.reasons)
        return flagged, explained

    log("scorer")
    scorer_s, (flagged, explained) = timed(score_all, args.repeats)
    # the same model compiled to native code (lleaves), scored the same way
    compiled_report: dict[str, Any] = {"available": compiled.available()}
    if compiled.available():
        cache = ROOT / "var" / "cache" / "compiled"
        log("compile")
        was_cached = compiled.is_compiled(artifact, cache)
        started = time.perf_counter()
        compiled.compile_model(artifact, cache)
        compile_s = time.perf_counter() - started
        forest = compiled.load_compiled(artifact, cache)
        assert forest is not None, "the compiled model did not load or disagrees with LightGBM"
        log("compiled predict")
        compiled_raw_s, compiled_scores = timed(lambda: forest.predict(x), args.repeats)
        fast = FraudScorer(
            artifact,
            limits=ValidationLimits(max_batch=args.batch),
            clock=FixedClock(),
            compiled=forest,
        )

        def score_all_compiled() -> tuple[int, list[Any]]:
            flagged_c = 0
            outs = []
            for start in range(0, n_rows, args.batch):
                out = fast.score_columns(inputs.slice(start, args.batch))
                flagged_c += int((out.actions > 0).sum())
                outs.append(out)
            return flagged_c, outs

        log("scorer, compiled")
        compiled_s, (flagged_c, outs) = timed(score_all_compiled, args.repeats)
        reference = booster.predict(x)
        actions_c = np.concatenate([o.actions for o in outs])
        plain = [
            scorer.score_columns(inputs.slice(i, args.batch)) for i in range(0, n_rows, args.batch)
        ]
        actions_p = np.concatenate([o.actions for o in plain])
        compiled_report |= {
            "compile_s": None if was_cached else compile_s,
            "library_was_cached": was_cached,
            "raw_predict_rows_per_s": n_rows / compiled_raw_s,
            "raw_speedup_vs_lightgbm": raw_s / compiled_raw_s,
            "scorer_decisions_per_s": n_rows / compiled_s,
            "scorer_decisions_per_minute": 60 * n_rows / compiled_s,
            "scorer_to_raw_lightgbm_ratio": raw_s / compiled_s,
            "target_met": 60 * n_rows / compiled_s >= 1_000_000,
            "flagged_rows": flagged_c,
            "max_abs_score_difference_vs_lightgbm": float(
                np.abs(np.asarray(compiled_scores) - reference).max()
            ),
            "actions_differing_from_lightgbm_scorer": int((actions_c != actions_p).sum()),
        }

    log("pred_contrib")
    contrib_s, _ = timed(lambda: booster.predict(x[:contrib_rows], pred_contrib=True), args.repeats)
    single = inputs.slice(0, 1)
    single_s, _ = timed(lambda: [scorer.score_columns(single) for _ in range(200)], 1)

    # Hong Kong payments: online features (stateful, per transaction) + model
    sim_cfg = SimulatorConfig(
        n_customers=2_000 if args.quick else 20_000,
        n_merchants=500,
        days=6 if args.quick else 10,
        seed=5,
        card_cnp_rate=8,
        account_takeover_rate=4,
        app_scam_rate=6,
    )
    stream = pl.concat(list(HKPaymentsSimulator(sim_cfg).stream()))
    days_train = stream.filter(pl.col("txn_id").str.slice(1, 4).cast(pl.Int32) < sim_cfg.days - 1)
    hk = train_model(
        with_features(days_train),
        feature_names=FEATURE_NAMES,
        feature_set="hk_payments_v1",
        max_rounds=300,
        params={"learning_rate": 0.1},
    )
    hk_rows = stream.select(list(TRANSACTION_SCHEMA))
    hk_scorer_ref: list[FraudScorer] = []

    def hk_score() -> int:
        hk_scorer = FraudScorer(
            hk.artifact, clock=FixedClock(), limits=ValidationLimits(max_batch=10_000)
        )
        hk_scorer_ref.append(hk_scorer)
        n = 0
        for start in range(0, hk_rows.height, 10_000):
            n += len(hk_scorer.score_columns(hk_rows.slice(start, 10_000)).txn_ids)
        return n

    log("hk online scoring")
    hk_s, hk_n = timed(hk_score, 1)
    hk_raw_s, _ = timed(
        lambda: hk.artifact.booster().predict(
            with_features(hk_rows).select(FEATURE_NAMES).to_numpy()
        ),
        1,
    )

    # rebuilding the online state after a restart: the stored events (JSON, as the
    # decision rows keep them) parsed and folded in timestamp order
    log("state rebuild")
    stored_events = [
        orjson.dumps(state_event(row)) for row in hk_rows.sort("ts").iter_rows(named=True)
    ]
    rebuild_s, rebuilt = timed(
        lambda: OnlineFeatureEngine(InMemoryFeatureStateStore()).fold_all(
            orjson.loads(e) for e in stored_events
        ),
        args.repeats,
    )
    # what the rebuilt state holds in memory (one more fold, traced; slower, not timed)
    parsed_events = [orjson.loads(e) for e in stored_events]
    tracemalloc.start()
    held = OnlineFeatureEngine(InMemoryFeatureStateStore())
    held.fold_all(parsed_events)
    state_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held, parsed_events

    # simulator streaming and batch features at scale (one day in memory at a time)
    big = HKPaymentsSimulator(
        SimulatorConfig(
            n_customers=20_000 if args.quick else 100_000,
            n_merchants=5_000,
            days=2 if args.quick else 5,
            seed=9,
        )
    )
    log("simulator")
    sim_rows = 0
    feature_s = 0.0
    started = time.perf_counter()
    for day_frame in big.stream():
        sim_rows += day_frame.height
        t0 = time.perf_counter()
        compute_batch(day_frame)
        feature_s += time.perf_counter() - t0
    sim_s = time.perf_counter() - started - feature_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    report = {
        "benchmark": "fraud_speed",
        "mode": "quick" if args.quick else "full",
        "model": {
            "origin": origin,
            "trees": artifact.num_trees,
            "thresholds": {
                "review": artifact.thresholds.review,
                "block": artifact.thresholds.block,
            },
        },
        "rows": n_rows,
        "batch_rows": args.batch,
        "repeats": args.repeats,
        "raw_predict_rows_per_s": n_rows / raw_s,
        "scorer_decisions_per_s": n_rows / scorer_s,
        "scorer_decisions_per_minute": 60 * n_rows / scorer_s,
        "scorer_to_raw_ratio": raw_s / scorer_s,
        "target_decisions_per_minute": 1_000_000,
        "target_met": 60 * n_rows / scorer_s >= 1_000_000,
        "flagged_rows": flagged,
        "flagged_share": flagged / n_rows,
        "rows_with_reasons": explained,
        "pred_contrib_all_rows_per_s": contrib_rows / contrib_s,
        "reasoned_decisions_vs_pred_contrib_all_ratio": (n_rows / scorer_s)
        / (contrib_rows / contrib_s),
        "single_row_latency_ms": 1_000 * single_s / 200,
        "compiled": compiled_report,
        "hk_online": {
            "rows": hk_n,
            "decisions_per_s": hk_n / hk_s,
            "batch_features_plus_predict_rows_per_s": hk_n / hk_raw_s,
            "online_to_batch_ratio": hk_raw_s / hk_s,
        },
        "state_rebuild": {
            "events": rebuilt,
            "parse_and_fold_events_per_s": rebuilt / rebuild_s,
            "seconds_per_250k_stored_decisions": 250_000 / (rebuilt / rebuild_s),
            "state_mb": state_bytes / 1e6,
            "state_bytes_per_event": state_bytes / rebuilt,
        },
        "simulator": {
            "customers": big.config.n_customers,
            "days": big.config.days,
            "rows": sim_rows,
            "rows_per_s": sim_rows / sim_s,
            "batch_feature_rows_per_s": sim_rows / feature_s,
            "minutes_for_10m_rows_estimate": 10_000_000 / (sim_rows / sim_s) / 60,
            "peak_rss_mb_whole_benchmark": peak_mb,
        },
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpu_count": os.cpu_count(),
            "lightgbm_threads": 2,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
