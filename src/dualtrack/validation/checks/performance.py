"""Discrimination and calibration of the model's scores on labelled data.

ROC AUC, average precision (AUPRC), KS and Gini come from one sort of the scores, shared
through the context cache. A score at or above a deployed threshold is a positive decision.
"""

from __future__ import annotations

import math

from dualtrack.validation.base import Outcome, ValidationTest, register
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.stats import (
    RankingMetrics,
    calibration_bins,
    confusion_at,
    decile_table,
    ranking_metrics,
)


def ranking(ctx: ValidationContext) -> RankingMetrics:
    """Ranking metrics of the current data, computed once per context."""
    if "ranking" not in ctx._cache:
        ctx._cache["ranking"] = ranking_metrics(ctx.y, ctx.scores)
    value: RankingMetrics = ctx._cache["ranking"]
    return value


def _verdict(ok: bool, text: str) -> Outcome:
    return Outcome("pass" if ok else "fail", text, {})


@register
class RocAuc(ValidationTest):
    """ROC AUC must reach ``min_auc``."""

    test_id = "performance.auc"
    category = "performance"
    summary = "Area under the ROC curve"

    def __init__(self, *, min_auc: float = 0.7) -> None:
        self.min_auc = min_auc

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        r = ranking(ctx)
        ok = r.auc >= self.min_auc
        return Outcome(
            "pass" if ok else "fail",
            f"ROC AUC {r.auc:.4f} {'meets' if ok else 'is below'} the minimum {self.min_auc}",
            {"auc": r.auc, "min_auc": self.min_auc},
            {"roc_curve": {"fpr": r.roc_fpr, "tpr": r.roc_tpr}},
        )


@register
class AveragePrecision(ValidationTest):
    """AUPRC must reach ``min_lift_over_base_rate`` times the positive rate."""

    test_id = "performance.auprc"
    category = "performance"
    summary = "Area under the precision-recall curve (average precision)"

    def __init__(self, *, min_lift_over_base_rate: float = 2.0) -> None:
        self.min_lift_over_base_rate = min_lift_over_base_rate

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        r = ranking(ctx)
        base = float(ctx.y.mean())
        lift = r.average_precision / base
        ok = lift >= self.min_lift_over_base_rate
        return Outcome(
            "pass" if ok else "fail",
            f"AUPRC {r.average_precision:.4f} is {lift:.2f}x the base rate {base:.4f} "
            f"(minimum {self.min_lift_over_base_rate}x)",
            {"auprc": r.average_precision, "base_rate": base, "lift_over_base_rate": lift},
            {"pr_curve": {"recall": r.pr_recall, "precision": r.pr_precision}},
        )


@register
class KolmogorovSmirnov(ValidationTest):
    """KS separation between the score distributions of positives and negatives."""

    test_id = "performance.ks"
    category = "performance"
    summary = "Kolmogorov-Smirnov separation of positives and negatives"

    def __init__(self, *, min_ks: float = 0.3) -> None:
        self.min_ks = min_ks

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        r = ranking(ctx)
        ok = r.ks >= self.min_ks
        return Outcome(
            "pass" if ok else "fail",
            f"KS {r.ks:.4f} at score {r.ks_threshold:.4f} (minimum {self.min_ks})",
            {"ks": r.ks, "ks_threshold": r.ks_threshold},
        )


@register
class Gini(ValidationTest):
    """Gini coefficient (accuracy ratio) ``2 * AUC - 1``."""

    test_id = "performance.gini"
    category = "performance"
    summary = "Gini coefficient (2 AUC - 1)"

    def __init__(self, *, min_gini: float = 0.4) -> None:
        self.min_gini = min_gini

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        r = ranking(ctx)
        ok = r.gini >= self.min_gini
        return Outcome(
            "pass" if ok else "fail",
            f"Gini {r.gini:.4f} (minimum {self.min_gini})",
            {"gini": r.gini},
        )


@register
class Brier(ValidationTest):
    """Brier score, and its skill against always predicting the base rate."""

    test_id = "performance.brier"
    category = "performance"
    summary = "Brier score and Brier skill score"

    def __init__(self, *, min_skill: float = 0.0) -> None:
        self.min_skill = min_skill

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        y = ctx.y.astype(float)
        brier = float(((ctx.scores - y) ** 2).mean())
        base = float(y.mean())
        reference = base * (1.0 - base)
        skill = 1.0 - brier / reference if reference > 0 else math.nan
        ok = skill >= self.min_skill
        return Outcome(
            "pass" if ok else "fail",
            f"Brier {brier:.5f}, skill {skill:.4f} vs the base-rate forecast "
            f"(minimum {self.min_skill})",
            {"brier": brier, "brier_skill": skill, "base_rate_brier": reference},
        )


@register
class Calibration(ValidationTest):
    """Reliability curve on equal-width bins; expected calibration error at most ``max_ece``."""

    test_id = "performance.calibration"
    category = "performance"
    summary = "Calibration curve and expected calibration error"

    def __init__(self, *, n_bins: int = 10, max_ece: float = 0.05) -> None:
        self.n_bins = n_bins
        self.max_ece = max_ece

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        rows, ece = calibration_bins(ctx.y, ctx.scores, self.n_bins)
        ok = ece <= self.max_ece
        return Outcome(
            "pass" if ok else "fail",
            f"expected calibration error {ece:.4f} (maximum {self.max_ece})",
            {"ece": ece},
            {"calibration": rows},
        )


@register
class ConfusionAtThresholds(ValidationTest):
    """Confusion matrix at each deployed threshold, with optional rate limits."""

    test_id = "performance.confusion"
    category = "performance"
    summary = "Confusion matrix at the deployed thresholds"

    def __init__(self, *, min_tpr: float | None = None, max_fpr: float | None = None) -> None:
        self.min_tpr = min_tpr
        self.max_fpr = max_fpr

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        tables = [confusion_at(ctx.y, ctx.scores, t) for t in ctx.spec.thresholds]
        problems = []
        for t in tables:
            if self.min_tpr is not None and not t["tpr"] >= self.min_tpr:
                problems.append(f"TPR {t['tpr']:.4f} < {self.min_tpr} at {t['threshold']}")
            if self.max_fpr is not None and not t["fpr"] <= self.max_fpr:
                problems.append(f"FPR {t['fpr']:.4f} > {self.max_fpr} at {t['threshold']}")
        first = tables[0]
        text = "; ".join(problems) or (
            f"at threshold {first['threshold']}: TPR {first['tpr']:.4f}, FPR {first['fpr']:.4f},"
            f" precision {first['precision']:.4f}"
        )
        return Outcome(
            "fail" if problems else "pass",
            text,
            {"tpr": first["tpr"], "fpr": first["fpr"], "precision": first["precision"]},
            {"confusion": tables},
        )


@register
class LiftByDecile(ValidationTest):
    """Lift and cumulative gain by score decile; the top decile's lift must reach a minimum."""

    test_id = "performance.lift"
    category = "performance"
    summary = "Lift and gain by decile"

    def __init__(self, *, n_groups: int = 10, min_top_lift: float = 1.5) -> None:
        self.n_groups = n_groups
        self.min_top_lift = min_top_lift

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        rows = decile_table(ctx.y, ctx.scores, self.n_groups)
        top = rows[0]["lift"]
        ok = top is not None and top >= self.min_top_lift
        return Outcome(
            "pass" if ok else "fail",
            f"top-decile lift {top:.2f} (minimum {self.min_top_lift}); top decile captures "
            f"{rows[0]['cumulative_gain']:.1%} of positives",
            {"top_decile_lift": top, "top_decile_gain": rows[0]["cumulative_gain"]},
            {"deciles": rows},
        )
