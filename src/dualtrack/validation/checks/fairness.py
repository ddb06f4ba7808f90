"""Group fairness across the protected attributes named in the AI system's record.

Decisions are ``score >= first deployed threshold``. Per-group counts (n, positives,
selected, true positives) come from ``np.bincount`` over the whole dataset. fairlearn's
named metrics (``demographic_parity_difference`` / ``_ratio``,
``equalized_odds_difference``) are then computed on the aggregated table: one row per
(group, label, decision) cell with the cell count as ``sample_weight``. That is exact (the
metrics depend only on those counts) and avoids fairlearn's ``MetricFrame`` grouping over
a million rows. Groups smaller than ``min_group_size`` are excluded and listed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from dualtrack.validation.base import PRE_DEPLOYMENT, Outcome, ValidationTest, register
from dualtrack.validation.context import GroupCodes, ValidationContext
from dualtrack.validation.stats import group_rates

FAIRNESS_CONTROLS = (*PRE_DEPLOYMENT, "HKMA-BDAI-02", "HKMA-HLP-08")


def _group_table(ctx: ValidationContext, group: GroupCodes) -> dict[str, npt.NDArray[np.float64]]:
    key = f"fair:{group.name}"
    if key not in ctx._cache:
        pred = ctx.scores >= ctx.spec.thresholds[0]
        ctx._cache[key] = group_rates(group.codes, len(group.labels), ctx.y, pred)
    table: dict[str, npt.NDArray[np.float64]] = ctx._cache[key]
    return table


def _aggregated(
    table: dict[str, npt.NDArray[np.float64]], keep: npt.NDArray[np.intp]
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
]:
    """Rows (y_true, y_pred, group, weight) for every non-empty cell of the kept groups."""
    ys, ps, gs, ws = [], [], [], []
    for g in keep:
        n, pos, sel, tp = (table[k][g] for k in ("n", "pos", "sel", "tp"))
        cells = {(1, 1): tp, (1, 0): pos - tp, (0, 1): sel - tp, (0, 0): n - pos - sel + tp}
        for (yv, pv), w in cells.items():
            if w > 0:
                ys.append(yv)
                ps.append(pv)
                gs.append(int(g))
                ws.append(float(w))
    return np.array(ys), np.array(ps), np.array(gs), np.array(ws)


def _per_group(
    group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
) -> list[dict[str, Any]]:
    rows = []
    for g, label in enumerate(group.labels):
        n, pos, sel, tp = (float(table[k][g]) for k in ("n", "pos", "sel", "tp"))
        neg = n - pos
        fp = sel - tp
        fn = pos - tp
        rows.append(
            {
                "group": label,
                "n": int(n),
                "selection_rate": sel / n if n else math.nan,
                "positive_rate": pos / n if n else math.nan,
                "tpr": tp / pos if pos else math.nan,
                "fpr": fp / neg if neg else math.nan,
                "fnr": fn / pos if pos else math.nan,
                "error_rate": (fp + fn) / n if n else math.nan,
            }
        )
    return rows


def _kept(
    table: dict[str, npt.NDArray[np.float64]], min_size: int, *, both_classes: bool
) -> npt.NDArray[np.intp]:
    ok = table["n"] >= min_size
    if both_classes:
        ok &= (table["pos"] > 0) & (table["pos"] < table["n"])
    return np.flatnonzero(ok)


class _FairnessTest(ValidationTest):
    category = "fairness"
    controls = FAIRNESS_CONTROLS
    min_group_size: int

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        if not ctx.groups:
            return Outcome(
                "skipped", "skipped: the AI system record names no protected attributes", {}
            )
        per_attribute: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        problems: list[str] = []
        for group in ctx.groups:
            table = _group_table(ctx, group)
            result, failed = self._attribute(group, table)
            per_attribute[group.name] = result
            for key, value in result["metrics"].items():
                metrics[f"{group.name}.{key}"] = value
            if failed:
                problems.append(f"{group.name}: {failed}")
        text = "; ".join(problems) or self._pass_text()
        return Outcome("fail" if problems else "pass", text, metrics, {"attributes": per_attribute})

    def _pass_text(self) -> str:
        return "within limits for every protected attribute"

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], str]:
        raise NotImplementedError


@register
class DemographicParity(_FairnessTest):
    """Selection-rate gap (difference) and ratio between groups (fairlearn)."""

    test_id = "fairness.demographic_parity"
    summary = "Demographic parity difference and ratio"

    def __init__(
        self, *, max_difference: float = 0.1, min_ratio: float = 0.8, min_group_size: int = 30
    ) -> None:
        self.max_difference = max_difference
        self.min_ratio = min_ratio
        self.min_group_size = min_group_size

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], str]:
        from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

        keep = _kept(table, self.min_group_size, both_classes=False)
        excluded = [group.labels[g] for g in np.flatnonzero(table["n"] > 0) if g not in set(keep)]
        if keep.size < 2:
            return {
                "metrics": {},
                "excluded_groups": excluded,
                "groups": _per_group(group, table),
            }, ""
        y, p, g, w = _aggregated(table, keep)
        diff = float(demographic_parity_difference(y, p, sensitive_features=g, sample_weight=w))
        sel = table["sel"][keep]
        ratio = (
            float(demographic_parity_ratio(y, p, sensitive_features=g, sample_weight=w))
            if sel.max() > 0
            else 1.0
        )
        failed = []
        if diff > self.max_difference:
            failed.append(f"selection-rate difference {diff:.4f} > {self.max_difference}")
        if ratio < self.min_ratio:
            failed.append(f"selection-rate ratio {ratio:.4f} < {self.min_ratio}")
        return (
            {
                "metrics": {"dp_difference": diff, "dp_ratio": ratio},
                "excluded_groups": excluded,
                "groups": _per_group(group, table),
            },
            ", ".join(failed),
        )


@register
class EqualizedOdds(_FairnessTest):
    """Largest between-group gap in TPR or FPR (fairlearn's equalized_odds_difference)."""

    test_id = "fairness.equalized_odds"
    summary = "Equalised odds difference"

    def __init__(self, *, max_difference: float = 0.1, min_group_size: int = 30) -> None:
        self.max_difference = max_difference
        self.min_group_size = min_group_size

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], str]:
        from fairlearn.metrics import equalized_odds_difference

        keep = _kept(table, self.min_group_size, both_classes=True)
        excluded = [group.labels[g] for g in np.flatnonzero(table["n"] > 0) if g not in set(keep)]
        if keep.size < 2:
            return {
                "metrics": {},
                "excluded_groups": excluded,
                "groups": _per_group(group, table),
            }, ""
        y, p, g, w = _aggregated(table, keep)
        diff = float(equalized_odds_difference(y, p, sensitive_features=g, sample_weight=w))
        failed = f"equalised odds difference {diff:.4f} > {self.max_difference}"
        return (
            {
                "metrics": {"eo_difference": diff},
                "excluded_groups": excluded,
                "groups": _per_group(group, table),
            },
            failed if diff > self.max_difference else "",
        )


@register
class GroupErrorRates(_FairnessTest):
    """Per-group FPR, FNR and error rate; fails when a gap exceeds ``max_gap``."""

    test_id = "fairness.group_error_rates"
    summary = "Error rates by protected group"

    def __init__(self, *, max_gap: float = 0.1, min_group_size: int = 30) -> None:
        self.max_gap = max_gap
        self.min_group_size = min_group_size

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], str]:
        rows = _per_group(group, table)
        keep = set(_kept(table, self.min_group_size, both_classes=True).tolist())
        kept_rows = [r for i, r in enumerate(rows) if i in keep]
        metrics: dict[str, float] = {}
        failed = []
        for rate in ("fpr", "fnr", "error_rate"):
            values = [r[rate] for r in kept_rows if not math.isnan(r[rate])]
            gap = max(values) - min(values) if len(values) >= 2 else 0.0
            metrics[f"{rate}_gap"] = gap
            if gap > self.max_gap:
                failed.append(f"{rate} gap {gap:.4f} > {self.max_gap}")
        excluded = [rows[i]["group"] for i in range(len(rows)) if i not in keep and rows[i]["n"]]
        return {"metrics": metrics, "excluded_groups": excluded, "groups": rows}, ", ".join(failed)
