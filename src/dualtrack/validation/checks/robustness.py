"""How much scores move under small input changes, on a seeded sample of rows.

* Perturbation: Gaussian noise of ``noise_scale`` standard deviations added to every
  numeric feature; reports mean / p99 absolute score change and the share of decisions that
  flip at the first deployed threshold.
* Missing values: each numeric feature in turn set to missing; a model that cannot score
  missing values fails the test (production data does have gaps).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualtrack.validation.base import PRE_DEPLOYMENT, Outcome, ValidationTest, register
from dualtrack.validation.context import ValidationContext

ROBUSTNESS_CONTROLS = (*PRE_DEPLOYMENT, "SFC-19")


@register
class NoisePerturbation(ValidationTest):
    """Score change when numeric features get a little Gaussian noise."""

    test_id = "robustness.perturbation"
    category = "robustness"
    controls = ROBUSTNESS_CONTROLS
    summary = "Score change under small perturbations"

    def __init__(
        self,
        *,
        noise_scale: float = 0.05,
        n_samples: int = 20_000,
        max_mean_abs_change: float = 0.02,
        max_flip_rate: float = 0.02,
    ) -> None:
        self.noise_scale = noise_scale
        self.n_samples = n_samples
        self.max_mean_abs_change = max_mean_abs_change
        self.max_flip_rate = max_flip_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        idx = ctx.sample_index(self.n_samples, self.test_id)
        rng = ctx.rng(self.test_id + ":noise")
        base = ctx.scores[idx]
        frame = ctx.features.iloc[idx].copy()
        for name in ctx.numeric_features():
            col = ctx.column(name)
            std = float(np.nanstd(col))
            if std > 0:
                frame[name] = col[idx] + rng.normal(0.0, self.noise_scale * std, idx.size)
        moved = np.asarray(ctx.model.score(frame), dtype=np.float64)
        change = np.abs(moved - base)
        t = ctx.spec.thresholds[0]
        flips = float(np.mean((moved >= t) != (base >= t)))
        mean_change = float(change.mean())
        ok = mean_change <= self.max_mean_abs_change and flips <= self.max_flip_rate
        return Outcome(
            "pass" if ok else "fail",
            f"mean |score change| {mean_change:.4f} (max {self.max_mean_abs_change}), "
            f"decision flips {flips:.2%} (max {self.max_flip_rate:.2%}) on {idx.size} rows",
            {
                "mean_abs_change": mean_change,
                "p99_abs_change": float(np.quantile(change, 0.99)),
                "max_abs_change": float(change.max()),
                "flip_rate": flips,
                "n_rows": int(idx.size),
            },
        )


@register
class MissingValueRobustness(ValidationTest):
    """Score change when one numeric feature at a time is missing."""

    test_id = "robustness.missing_values"
    category = "robustness"
    controls = ROBUSTNESS_CONTROLS
    summary = "Score change under missing values"

    def __init__(self, *, n_samples: int = 5_000, max_mean_abs_change: float = 0.1) -> None:
        self.n_samples = n_samples
        self.max_mean_abs_change = max_mean_abs_change

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        idx = ctx.sample_index(self.n_samples, self.test_id)
        base = ctx.scores[idx]
        sample = ctx.features.iloc[idx]
        changes: dict[str, float] = {}
        for name in ctx.numeric_features():
            frame = sample.copy()
            frame[name] = np.nan
            try:
                moved = np.asarray(ctx.model.score(frame), dtype=np.float64)
            except (ValueError, TypeError) as exc:
                return Outcome(
                    "fail",
                    f"the model cannot score rows with a missing value ({type(exc).__name__})",
                    {"can_score_missing": False},
                )
            if not np.isfinite(moved).all():
                return Outcome(
                    "fail",
                    "the model returns NaN scores for rows with a missing value",
                    {"can_score_missing": False},
                )
            changes[name] = float(np.abs(moved - base).mean())
        if not changes:
            return Outcome("skipped", "skipped: the model has no numeric features", {})
        worst = max(changes, key=lambda n: changes[n])
        ok = changes[worst] <= self.max_mean_abs_change
        details: dict[str, Any] = {"mean_abs_change_by_feature": changes}
        return Outcome(
            "pass" if ok else "fail",
            f"largest mean |score change| {changes[worst]:.4f} when {worst} is missing "
            f"(max {self.max_mean_abs_change})",
            {
                "can_score_missing": True,
                "max_mean_abs_change": changes[worst],
                "n_rows": int(idx.size),
            },
            details,
        )
