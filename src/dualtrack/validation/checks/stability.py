"""Population stability between the reference data (usually training) and the current data.

Bins are learnt on reference quantiles (plus a missing-value bin), so each comparison is a
``searchsorted`` and a ``bincount`` rather than a sort. The usual reading of PSI: below 0.1
stable, 0.1 to 0.25 worth a look, above 0.25 a material shift.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualtrack.validation.base import Outcome, ValidationTest, register
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.stats import psi

MONITORING = ("SFC-08", "HKMA-HLP-09")


@register
class ScorePsi(ValidationTest):
    """PSI of the model score, reference vs current."""

    test_id = "stability.psi_score"
    category = "stability"
    controls = ("SFC-07", "HKMA-HLP-05", "PCPD-09", *MONITORING)
    summary = "Population stability index of the score"
    needs_reference = True

    def __init__(self, *, n_bins: int = 10, max_psi: float = 0.25) -> None:
        self.n_bins = n_bins
        self.max_psi = max_psi

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        assert ctx.reference is not None
        binner = ctx.binner("__score__", self.n_bins)
        ref = binner.counts(ctx.reference.scores)
        cur = binner.counts(ctx.scores)
        value = psi(ref, cur)
        ok = value <= self.max_psi
        return Outcome(
            "pass" if ok else "fail",
            f"score PSI {value:.4f} (maximum {self.max_psi})",
            {"psi": value},
            {
                "bins": list(binner.labels),
                "reference_share": (ref / ref.sum()).tolist(),
                "current_share": (cur / cur.sum()).tolist(),
            },
        )


@register
class FeaturePsi(ValidationTest):
    """PSI of every feature; fails when any feature exceeds ``max_psi``."""

    test_id = "stability.psi_features"
    category = "stability"
    controls = ("SFC-07", "HKMA-HLP-05", "PCPD-09", *MONITORING)
    summary = "Population stability index of every feature"
    needs_reference = True

    def __init__(self, *, n_bins: int = 10, max_psi: float = 0.25) -> None:
        self.n_bins = n_bins
        self.max_psi = max_psi

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        values: dict[str, float] = {}
        for name in ctx.feature_names:
            binner = ctx.binner(name, self.n_bins)
            values[name] = psi(
                np.bincount(
                    ctx.bin_index(name, self.n_bins, reference=True), minlength=binner.n_bins
                ),
                np.bincount(ctx.bin_index(name, self.n_bins), minlength=binner.n_bins),
            )
        over = sorted((n for n, v in values.items() if v > self.max_psi), key=lambda n: -values[n])
        worst = max(values, key=lambda n: values[n])
        text = (
            f"{len(over)} feature(s) above PSI {self.max_psi}: {', '.join(over[:5])}"
            if over
            else f"all {len(values)} features within PSI {self.max_psi} "
            f"(largest {worst} {values[worst]:.4f})"
        )
        return Outcome(
            "fail" if over else "pass",
            text,
            {"max_psi": values[worst], "n_features_over": len(over)},
            {"psi": values},
        )


@register
class CharacteristicStability(ValidationTest):
    """How far each feature's distribution shift moves the average score.

    For each feature, ``sum_b (current_share_b - reference_share_b) * mean_reference_score_b``:
    the score-weighted version of a scorecard's characteristic stability index, usable with
    any model. Fails when a feature moves the mean score by more than ``max_score_shift``.
    """

    test_id = "stability.characteristic"
    category = "stability"
    controls = ("SFC-07", "HKMA-HLP-05", "PCPD-09", *MONITORING)
    summary = "Characteristic stability (score shift attributable to each feature)"
    needs_reference = True

    def __init__(self, *, n_bins: int = 10, max_score_shift: float = 0.02) -> None:
        self.n_bins = n_bins
        self.max_score_shift = max_score_shift

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        assert ctx.reference is not None
        shifts: dict[str, float] = {}
        ref_scores = ctx.reference.scores
        for name in ctx.feature_names:
            binner = ctx.binner(name, self.n_bins)
            ref_idx = ctx.bin_index(name, self.n_bins, reference=True)
            ref_n = np.bincount(ref_idx, minlength=binner.n_bins).astype(float)
            ref_sum = np.bincount(ref_idx, weights=ref_scores, minlength=binner.n_bins)
            mean_score = np.divide(ref_sum, ref_n, out=np.zeros_like(ref_sum), where=ref_n > 0)
            cur_n = np.bincount(ctx.bin_index(name, self.n_bins), minlength=binner.n_bins)
            cur_n = cur_n.astype(float)
            shifts[name] = float(np.sum((cur_n / cur_n.sum() - ref_n / ref_n.sum()) * mean_score))
        worst = max(shifts, key=lambda n: abs(shifts[n]))
        over = [n for n, v in shifts.items() if abs(v) > self.max_score_shift]
        details: dict[str, Any] = {"score_shift": shifts}
        return Outcome(
            "fail" if over else "pass",
            f"largest characteristic score shift {shifts[worst]:+.4f} from {worst} "
            f"(maximum {self.max_score_shift}); {len(over)} feature(s) over",
            {"max_abs_score_shift": abs(shifts[worst]), "n_features_over": len(over)},
            details,
        )
