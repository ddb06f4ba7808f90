"""Inner cross-validation of ULB training recipes, on the training part of a split only.

The recipe for ``bench/fraud_quality.py`` is chosen here, never on a test part. For the
stratified split, the 80% training part (227,845 rows, 394 frauds) is cut into 3 stratified
folds (seed 11). For each fold, every component model is trained on the other three folds
exactly as the benchmark trains it (a stratified 15% of those rows, seed 7, drives early
stopping) and scores the held-out fold. Out-of-fold scores are pooled over all 3 folds, so
each recipe's inner AUPRC is measured on all 394 training frauds. Blends are formed from the
stored out-of-fold scores (LightGBM members averaged on the log-odds scale, which is what a
merged artifact computes; other models averaged as probabilities).

``--part`` lets two single-threaded processes share the components. Writes
``<out>/oof_<component>.npz``; ``--report`` reads them and prints every recipe's inner
scores as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dualtrack.fraud.datasets import ULB_FEATURES, fetch_ulb, load_ulb
from dualtrack.fraud.ensemble import REGULARISED_PARAMS
from dualtrack.fraud.model import DEFAULT_PARAMS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (1, 2, 3)
#: component name -> (LightGBM params or a model kind, seeds)
COMPONENTS: dict[str, tuple[dict[str, Any] | str, tuple[int, ...]]] = {
    "A": (dict(DEFAULT_PARAMS), SEEDS),  # today's recipe
    "B": (dict(REGULARISED_PARAMS), SEEDS),  # smaller, more regularised trees
    "C": ({**DEFAULT_PARAMS, "scale_pos_weight": 1.0}, (1,)),  # no up-weighting
    "ET": ("extra_trees", (1,)),
    "LR": ("logistic", (1,)),
}


def training_part(frame_y: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Rows of the stratified split's training part (as in bench/fraud_quality.py)."""
    train_s, _ = train_test_split(
        np.arange(len(frame_y)), test_size=0.2, stratify=frame_y, random_state=42
    )
    return np.sort(train_s)


def fit_component(
    spec: dict[str, Any] | str, seed: int, x: npt.NDArray[Any], y: npt.NDArray[Any]
) -> tuple[Any, int]:
    if spec == "extra_trees":
        model = ExtraTreesClassifier(
            n_estimators=100, max_features="sqrt", min_samples_leaf=1, n_jobs=1, random_state=seed
        )
        return model.fit(x, y), 0
    if spec == "logistic":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000, C=0.1))
        return model.fit(x, y), 0
    assert isinstance(spec, dict)
    rows = np.arange(len(y))
    fit, val = train_test_split(rows, test_size=0.15, stratify=y, random_state=7)
    params = {**spec, "seed": seed, "num_threads": 1}
    booster = lgb.train(
        params,
        lgb.Dataset(x[fit], y[fit]),
        num_boost_round=3_000,
        valid_sets=[lgb.Dataset(x[val], y[val])],
        callbacks=[lgb.early_stopping(200, verbose=False)],
    )
    return booster, int(booster.best_iteration)


def score(model: Any, x: npt.NDArray[Any], best: int) -> npt.NDArray[np.float64]:
    """Log-odds for LightGBM, probabilities otherwise."""
    if isinstance(model, lgb.Booster):
        return np.asarray(model.predict(x, num_iteration=best, raw_score=True))
    return np.asarray(model.predict_proba(x)[:, 1])


def run(parts: list[str], out: Path, folds: int) -> None:
    frame = load_ulb(fetch_ulb(ROOT / "var" / "data"))
    x_all = frame.select(ULB_FEATURES).to_numpy()
    y_all = frame["Class"].to_numpy().astype(np.int64)
    rows = training_part(y_all)
    x, y = x_all[rows], y_all[rows]
    cv = list(StratifiedKFold(folds, shuffle=True, random_state=11).split(x, y))
    out.mkdir(parents=True, exist_ok=True)
    for name in parts:
        spec, seeds = COMPONENTS[name]
        oof = np.zeros((len(seeds), len(y)))
        trees = np.zeros((len(seeds), folds), dtype=np.int64)
        started = time.perf_counter()
        for k, (tr, te) in enumerate(cv):
            for s, seed in enumerate(seeds):
                model, best = fit_component(spec, seed, x[tr], y[tr])
                oof[s, te] = score(model, x[te], best)
                trees[s, k] = best
                print(
                    name,
                    "fold",
                    k,
                    "seed",
                    seed,
                    "trees",
                    best,
                    round(time.perf_counter() - started),
                    flush=True,
                )
        np.savez(
            out / f"oof_{name}.npz",
            oof=oof,
            y=y,
            trees=trees,
            seconds=time.perf_counter() - started,
        )


def sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-z))


def report(out: Path) -> dict[str, Any]:
    comp = {p.stem[4:]: np.load(p) for p in sorted(out.glob("oof_*.npz"))}
    y = next(iter(comp.values()))["y"]

    def lgb_prob(name: str, k: int) -> npt.NDArray[np.float64]:
        return sigmoid(comp[name]["oof"][:k].mean(axis=0))

    recipes: dict[str, npt.NDArray[np.float64]] = {}
    for name in ("A", "B", "C"):
        if name in comp:
            recipes[f"{name}1"] = sigmoid(comp[name]["oof"][0])
            n = comp[name]["oof"].shape[0]
            if n > 1:
                recipes[f"{name}-bag{n}"] = lgb_prob(name, n)
    if "A" in comp and "B" in comp:
        both = np.r_[comp["A"]["oof"], comp["B"]["oof"]]
        recipes[f"A+B-bag{len(both)}"] = sigmoid(both.mean(axis=0))
    for other in ("ET", "LR"):
        if other in comp:
            recipes[other] = comp[other]["oof"][0]
            for name in ("A", "B"):
                if name in comp:
                    n = comp[name]["oof"].shape[0]
                    recipes[f"{name}-bag{n}+{other}"] = (
                        0.5 * lgb_prob(name, n) + 0.5 * comp[other]["oof"][0]
                    )
    table = {
        name: {
            "inner_auprc": round(float(average_precision_score(y, s)), 4),
            "inner_roc_auc": round(float(roc_auc_score(y, s)), 4),
        }
        for name, s in recipes.items()
    }
    paired: dict[str, list[float]] = {}
    if {"A1", "A-bag3", "A-bag3+ET"} <= recipes.keys():
        # paired bootstrap over rows (the fitted models held fixed) of AUPRC differences
        rng = np.random.default_rng(0)
        pairs = (("A-bag3+ET", "A1"), ("A-bag3", "A1"), ("A-bag3+ET", "A-bag3"))
        draws: dict[str, list[float]] = {f"{a} - {b}": [] for a, b in pairs}
        for _ in range(100):
            w = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y))
            ap = {
                k: average_precision_score(y, recipes[k], sample_weight=w)
                for k in ("A1", "A-bag3", "A-bag3+ET")
            }
            for a, b in pairs:
                draws[f"{a} - {b}"].append(ap[a] - ap[b])
        paired = {
            k: [round(float(np.percentile(v, q)), 4) for q in (2.5, 50, 97.5)]
            for k, v in draws.items()
        }
    return {
        "paired_bootstrap_auprc_difference_2_5_50_97_5": paired,
        "selection_rule": "highest pooled inner AUPRC; a LightGBM-only recipe is preferred "
        "when within 0.005 of the best (one model text, TreeSHAP reasons)",
        "rows": len(y),
        "frauds": int(y.sum()),
        "recipes_tried": len(table),
        "recipes": table,
        "trees_per_fold": {k: v["trees"].tolist() for k, v in comp.items()},
        "seconds": {k: round(float(v["seconds"]), 1) for k, v in comp.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", nargs="*", default=list(COMPONENTS))
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "recipe_cv")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        print(json.dumps(report(args.out), indent=2))
    else:
        run(args.part, args.out, args.folds)


if __name__ == "__main__":
    main()
