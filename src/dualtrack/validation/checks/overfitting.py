"""Overfitting: the gap between performance on training (reference) and validation data."""

from __future__ import annotations

from dualtrack.validation.base import Outcome, ValidationTest, register
from dualtrack.validation.checks.performance import ranking
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.stats import ranking_metrics


@register
class TrainTestGap(ValidationTest):
    """Training AUC minus validation AUC must stay within ``max_auc_gap``."""

    test_id = "overfitting.train_test_gap"
    category = "overfitting"
    summary = "Train vs test performance gap"
    needs_reference = True

    def __init__(self, *, max_auc_gap: float = 0.05) -> None:
        self.max_auc_gap = max_auc_gap

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        assert ctx.reference is not None
        y_ref = ctx.reference.target
        if y_ref is None:
            return Outcome("skipped", "skipped: the reference data has no target column", {})
        train = ranking_metrics(y_ref, ctx.reference.scores)
        test = ranking(ctx)
        gap = train.auc - test.auc
        ok = gap <= self.max_auc_gap
        return Outcome(
            "pass" if ok else "fail",
            f"train AUC {train.auc:.4f} vs validation AUC {test.auc:.4f}: gap {gap:+.4f} "
            f"(max {self.max_auc_gap})",
            {
                "train_auc": train.auc,
                "test_auc": test.auc,
                "auc_gap": gap,
                "train_ks": train.ks,
                "test_ks": test.ks,
            },
        )
