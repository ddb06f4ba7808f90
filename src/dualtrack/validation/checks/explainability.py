"""Model-agnostic explanations: global importance and the stability of reason codes.

* Global importance: permutation on a seeded sample; each feature's importance is the mean
  absolute score change when its column is shuffled (label-free, so stable), reported with
  the ROC AUC drop. LightGBM boosters also report their native split-gain importance.
* Reason codes: for declined / flagged rows, a feature's contribution is the score change
  when it is replaced by its reference median (occlusion). The top ``top_k`` features are
  the row's reason codes. Stability is the mean Jaccard overlap of those sets before and
  after a small noise perturbation: customers must not get different reasons for
  practically the same application.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dualtrack.validation.base import PRE_DEPLOYMENT, Outcome, ValidationTest, register
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.stats import mean_jaccard, ranking_metrics

EXPLAIN_CONTROLS = (*PRE_DEPLOYMENT, "HKMA-HLP-03", "PCPD-12")


@register
class PermutationImportance(ValidationTest):
    """Global feature importance; fails if one feature carries more than ``max_top_share``."""

    test_id = "explainability.importance"
    category = "explainability"
    controls = EXPLAIN_CONTROLS
    summary = "Global feature importance (permutation)"

    def __init__(self, *, n_samples: int = 10_000, max_top_share: float = 0.8) -> None:
        self.n_samples = n_samples
        self.max_top_share = max_top_share

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        idx = ctx.sample_index(self.n_samples, self.test_id)
        rng = ctx.rng(self.test_id)
        sample = ctx.features.iloc[idx]
        base = ctx.scores[idx]
        y = ctx.y[idx]
        both = 0 < int(y.sum()) < y.size
        base_auc = ranking_metrics(y, base).auc if both else float("nan")
        change: dict[str, float] = {}
        auc_drop: dict[str, float] = {}
        for name in ctx.feature_names:
            frame = sample.copy()
            frame[name] = sample[name].to_numpy()[rng.permutation(idx.size)]
            moved = np.asarray(ctx.model.score(frame), dtype=np.float64)
            change[name] = float(np.abs(moved - base).mean())
            auc_drop[name] = base_auc - ranking_metrics(y, moved).auc if both else float("nan")
        total = sum(change.values())
        share = {n: (v / total if total > 0 else 0.0) for n, v in change.items()}
        ranked = sorted(change, key=lambda n: -change[n])
        top = ranked[0]
        details: dict[str, Any] = {
            "importance": {n: change[n] for n in ranked},
            "auc_drop": {n: auc_drop[n] for n in ranked},
        }
        gain = getattr(ctx.model, "gain_importance", None)
        if callable(gain):
            details["lightgbm_gain"] = gain()
        ok = share[top] <= self.max_top_share
        return Outcome(
            "pass" if ok else "fail",
            f"most important feature {top} carries {share[top]:.1%} of total importance "
            f"(max {self.max_top_share:.0%}); top 3: {', '.join(ranked[:3])}",
            {"top_feature_share": share[top], "n_rows": int(idx.size)},
            details,
        )


def _reason_codes(
    ctx: ValidationContext, rows: pd.DataFrame, medians: dict[str, Any], top_k: int
) -> list[frozenset[int]]:
    """Top-k features by occlusion contribution for each row (indices into feature_names)."""
    n = len(rows)
    base = np.asarray(ctx.model.score(rows), dtype=np.float64)
    names = ctx.feature_names
    data: dict[str, npt.NDArray[Any]] = {}
    for j, name in enumerate(names):
        col = np.tile(rows[name].to_numpy(), len(names))
        if col.dtype.kind in "biu":
            col = col.astype(np.float64)
        col[j * n : (j + 1) * n] = medians[name]
        data[name] = col
    stacked = pd.DataFrame(data)
    occluded = np.asarray(ctx.model.score(stacked), dtype=np.float64).reshape(len(names), n)
    contrib: npt.NDArray[np.float64] = base[None, :] - occluded
    order = np.argsort(-contrib, axis=0, kind="stable")[:top_k]
    return [frozenset(order[:, i].tolist()) for i in range(n)]


@register
class ReasonCodeStability(ValidationTest):
    """Mean Jaccard overlap of top reason codes before and after a small perturbation."""

    test_id = "explainability.reason_code_stability"
    category = "explainability"
    controls = EXPLAIN_CONTROLS
    summary = "Stability of the top reason codes"

    def __init__(
        self,
        *,
        top_k: int = 3,
        n_samples: int = 500,
        noise_scale: float = 0.05,
        min_stability: float = 0.7,
    ) -> None:
        self.top_k = top_k
        self.n_samples = n_samples
        self.noise_scale = noise_scale
        self.min_stability = min_stability

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        flagged = np.flatnonzero(ctx.scores >= ctx.spec.thresholds[0])
        pool = flagged if flagged.size >= self.n_samples else np.argsort(-ctx.scores)
        pool = pool[: max(self.n_samples * 20, self.n_samples)]
        rng = ctx.rng(self.test_id)
        idx = np.sort(rng.choice(pool, size=min(self.n_samples, pool.size), replace=False))
        rows = ctx.features.iloc[idx].reset_index(drop=True)
        medians: dict[str, Any] = {}
        for name in ctx.feature_names:
            col = ctx.column(name, reference=ctx.reference is not None)
            medians[name] = (
                float(np.nanmedian(col)) if col.dtype.kind == "f" else pd.Series(col).mode().iloc[0]
            )
        before = _reason_codes(ctx, rows, medians, self.top_k)
        noisy = rows.copy()
        for name in ctx.numeric_features():
            std = float(np.nanstd(ctx.column(name)))
            if std > 0:
                noisy[name] = rows[name].to_numpy() + rng.normal(
                    0.0, self.noise_scale * std, len(rows)
                )
        after = _reason_codes(ctx, noisy, medians, self.top_k)
        stability = mean_jaccard(before, after)
        counts = np.bincount([j for s in before for j in s], minlength=len(ctx.feature_names))
        frequent = {
            ctx.feature_names[j]: int(counts[j]) for j in np.argsort(-counts)[:10] if counts[j]
        }
        ok = stability >= self.min_stability
        return Outcome(
            "pass" if ok else "fail",
            f"top-{self.top_k} reason codes overlap {stability:.3f} (Jaccard) after a "
            f"{self.noise_scale} sd perturbation (minimum {self.min_stability})",
            {"stability": stability, "n_rows": len(rows)},
            {"most_frequent_reason_codes": frequent},
        )
