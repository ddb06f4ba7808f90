"""Data-quality checks on the validation data (and against the reference where given).

Duplicates and train/test overlap compare 64-bit row hashes of the feature columns
(pandas' vectorised hasher), so a collision could in principle count two different rows
as one; at a million rows the chance is about 3e-8.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualtrack.validation.base import PRE_DEPLOYMENT, Outcome, ValidationTest, register
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.stats import Binner, binned_auc

DATA_CONTROLS = (*PRE_DEPLOYMENT, "HKMA-HLP-04")


@register
class Missingness(ValidationTest):
    """Share of missing values per feature; fails above ``max_missing_rate``."""

    test_id = "data_quality.missingness"
    category = "data_quality"
    controls = DATA_CONTROLS
    summary = "Missing values per feature"

    def __init__(self, *, max_missing_rate: float = 0.2) -> None:
        self.max_missing_rate = max_missing_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        rates = {str(k): float(v) for k, v in ctx.features.isna().mean().items()}
        over = [n for n, v in rates.items() if v > self.max_missing_rate]
        worst = max(rates, key=lambda n: rates[n])
        return Outcome(
            "fail" if over else "pass",
            f"{len(over)} feature(s) over {self.max_missing_rate:.0%} missing; highest "
            f"{worst} {rates[worst]:.2%}",
            {"max_missing_rate": rates[worst], "n_features_over": len(over)},
            {"missing_rate": rates},
        )


@register
class ValueRanges(ValidationTest):
    """Infinite values, and values outside the reference range of each numeric feature."""

    test_id = "data_quality.ranges"
    category = "data_quality"
    controls = DATA_CONTROLS
    summary = "Value ranges against the reference"

    def __init__(self, *, max_out_of_range_rate: float = 0.01) -> None:
        self.max_out_of_range_rate = max_out_of_range_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        infinite: dict[str, int] = {}
        outside: dict[str, float] = {}
        for name in ctx.numeric_features():
            col = ctx.column(name)
            # fmin/fmax skip NaN without warning; infinities show up in them, so the
            # per-row isinf pass is only needed when an extreme is infinite.
            cur_lo, cur_hi = np.fmin.reduce(col), np.fmax.reduce(col)
            if np.isinf(cur_lo) or np.isinf(cur_hi):
                infinite[name] = int(np.count_nonzero(np.isinf(col)))
            if ctx.reference is None:
                continue
            ref = ctx.column(name, reference=True)
            lo, hi = np.fmin.reduce(ref), np.fmax.reduce(ref)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                finite = ref[np.isfinite(ref)]
                if finite.size == 0:
                    continue
                lo, hi = finite.min(), finite.max()
            if lo <= cur_lo and cur_hi <= hi:
                outside[name] = 0.0  # the common case needs no per-row pass
                continue
            valid = col[~np.isnan(col)]
            outside[name] = float(np.mean((valid < lo) | (valid > hi))) if valid.size else 0.0
        over = [n for n, v in outside.items() if v > self.max_out_of_range_rate]
        problems = []
        if infinite:
            problems.append(f"{len(infinite)} feature(s) hold infinite values")
        if over:
            problems.append(
                f"{len(over)} feature(s) have over {self.max_out_of_range_rate:.1%} of values "
                f"outside the reference range: {', '.join(over[:5])}"
            )
        text = "; ".join(problems) or (
            "no infinite values; all features within the reference range"
            if ctx.reference is not None
            else "no infinite values (no reference: range check not done)"
        )
        details: dict[str, Any] = {"infinite_count": infinite, "out_of_range_rate": outside}
        return Outcome(
            "fail" if problems else "pass",
            text,
            {
                "n_features_infinite": len(infinite),
                "max_out_of_range_rate": max(outside.values(), default=0.0),
            },
            details,
        )


@register
class Duplicates(ValidationTest):
    """Share of rows whose feature values repeat an earlier row."""

    test_id = "data_quality.duplicates"
    category = "data_quality"
    controls = DATA_CONTROLS
    summary = "Duplicate rows"

    def __init__(self, *, max_duplicate_rate: float = 0.01) -> None:
        self.max_duplicate_rate = max_duplicate_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        hashes = ctx.current.hashes
        _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        n_dup = int(hashes.size - first.size)
        rate = n_dup / hashes.size
        # Duplicates whose labels disagree are worse than plain repeats: the target is noisy.
        y = ctx.y
        conflicting = 0
        if n_dup:
            first_label = y[first][inverse]
            conflicting = int(np.count_nonzero(first_label != y))
        ok = rate <= self.max_duplicate_rate
        return Outcome(
            "pass" if ok else "fail",
            f"{n_dup} duplicate row(s) ({rate:.3%}, max {self.max_duplicate_rate:.1%}); "
            f"{conflicting} with a conflicting label",
            {"duplicate_rate": rate, "n_duplicates": n_dup, "n_conflicting_labels": conflicting},
        )


@register
class TargetLeakage(ValidationTest):
    """A single feature that separates the target almost perfectly is a leakage suspect."""

    test_id = "data_quality.target_leakage"
    category = "data_quality"
    controls = DATA_CONTROLS
    summary = "Target leakage (single-feature separation)"

    def __init__(
        self, *, max_single_feature_auc: float = 0.95, n_bins: int = 100, n_samples: int = 200_000
    ) -> None:
        self.max_single_feature_auc = max_single_feature_auc
        self.n_bins = n_bins
        self.n_samples = n_samples

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        # A screen for near-perfect separation: a 200k-row sample estimates AUC to about
        # +-0.002, far finer than the thresholds used.
        rows = ctx.sample_index(self.n_samples, self.test_id)
        y = ctx.y[rows].astype(np.float64)
        strength: dict[str, float] = {}
        for name in ctx.feature_names:
            col = ctx.column(name)[rows]
            binner = Binner.fit(col, self.n_bins)
            idx = binner.transform(col)
            pos = np.bincount(idx, weights=y, minlength=binner.n_bins)
            tot = np.bincount(idx, minlength=binner.n_bins).astype(np.float64)
            neg = tot - pos
            if binner.kind == "categorical":
                # No natural order: rank levels by positive rate (the best a model could do).
                order = np.argsort(np.divide(pos, tot, out=np.zeros_like(pos), where=tot > 0))
                pos, neg = pos[order], neg[order]
            auc = binned_auc(pos, neg)
            strength[name] = max(auc, 1.0 - auc)
        worst = max(strength, key=lambda n: strength[n])
        suspects = [n for n, v in strength.items() if v > self.max_single_feature_auc]
        return Outcome(
            "fail" if suspects else "pass",
            (
                f"{len(suspects)} feature(s) alone reach AUC > {self.max_single_feature_auc}: "
                f"{', '.join(suspects[:5])}"
                if suspects
                else f"strongest single feature {worst} reaches AUC {strength[worst]:.3f}"
            ),
            {"max_single_feature_auc": strength[worst], "n_suspects": len(suspects)},
            {"single_feature_auc": strength},
        )


@register
class TrainTestOverlap(ValidationTest):
    """Share of validation rows that also appear (same feature values) in the reference."""

    test_id = "data_quality.train_test_overlap"
    category = "data_quality"
    controls = DATA_CONTROLS
    summary = "Overlap between training (reference) and validation rows"
    needs_reference = True

    def __init__(self, *, max_overlap_rate: float = 0.01) -> None:
        self.max_overlap_rate = max_overlap_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        assert ctx.reference is not None
        shared = np.isin(ctx.current.hashes, ctx.reference.hashes)
        rate = float(shared.mean())
        ok = rate <= self.max_overlap_rate
        return Outcome(
            "pass" if ok else "fail",
            f"{int(shared.sum())} validation row(s) ({rate:.3%}) also occur in the reference "
            f"sample (max {self.max_overlap_rate:.1%})",
            {"overlap_rate": rate, "n_overlapping": int(shared.sum())},
        )
