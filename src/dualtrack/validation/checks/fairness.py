"""Group fairness across the protected attributes named in the AI system's record.

Decisions are ``score >= first deployed threshold``. Per-group counts (n, positives,
selected, true positives) come from ``np.bincount`` over the whole dataset. fairlearn's
named metrics (``demographic_parity_difference`` / ``_ratio``,
``equalized_odds_difference``) are then computed on the aggregated table: one row per
(group, label, decision) cell with the cell count as ``sample_weight``. That is exact (the
metrics depend only on those counts) and avoids fairlearn's ``MetricFrame`` grouping over
a million rows. Groups smaller than ``min_group_size`` are excluded and listed.

The evidence rule
    A gap between two groups' rates fails the test only when it is both *material* (its
    point estimate is beyond the plan's limit) and *statistically distinguishable* from
    parity: the confidence interval of the difference (Newcombe's hybrid score interval)
    or of the ratio (Katz's log interval) excludes 0 or 1. Every pair of groups is
    compared, at a confidence level Bonferroni-adjusted for the number of pairs. A rate
    is compared only for groups with at least ``min_group_size`` cases in its
    denominator (rows for the selection and error rates, positives for TPR and FNR,
    negatives for FPR); the others are listed as ``insufficient``. A rate whose
    denominator holds a few dozen cases (the true-positive rate of an age band with 20
    frauds) moves by 0.1 or more from sampling alone, so the point estimate by itself
    would fail models that treat every group alike. Material gaps that the data cannot
    distinguish from parity do not fail the test but are named in its message and listed
    in the details (``inconclusive``), as are rates not compared for lack of cases, so
    the validator sees where more data is needed. The intervals treat rows as
    independent; rows of one customer are correlated, which makes the intervals too
    narrow, so the rule errs towards flagging.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from dualtrack.validation.base import PRE_DEPLOYMENT, Outcome, ValidationTest, register
from dualtrack.validation.context import GroupCodes, ValidationContext
from dualtrack.validation.stats import (
    critical_z,
    difference_interval,
    group_rates,
    ratio_interval,
)

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


_RATES = {
    # rate: (numerator, denominator) from the per-group counts
    "selection_rate": lambda t: (t["sel"], t["n"]),
    "tpr": lambda t: (t["tp"], t["pos"]),
    "fpr": lambda t: (t["sel"] - t["tp"], t["n"] - t["pos"]),
    "fnr": lambda t: (t["pos"] - t["tp"], t["pos"]),
    "error_rate": lambda t: (t["sel"] + t["pos"] - 2.0 * t["tp"], t["n"]),
}


def compare_groups(
    group: GroupCodes,
    table: dict[str, npt.NDArray[np.float64]],
    keep: npt.NDArray[np.intp],
    rate: str,
    *,
    limit: float,
    confidence: float,
    min_cases: int,
    ratio: bool = False,
) -> dict[str, Any]:
    """Every pair of kept groups on one rate, with the evidence rule of the module docstring.

    ``ratio=False`` compares the difference (higher minus lower rate) with ``limit``;
    ``ratio=True`` compares lower over higher rate with ``limit`` as the minimum ratio.
    Returns the worst pair (a failing one if any), its interval, and the lists of
    ``failed`` and ``inconclusive`` pairs.
    """
    num, den = _RATES[rate](table)
    idx = [int(g) for g in keep if den[g] >= max(min_cases, 1)]
    insufficient = [
        {"group": group.labels[g], "cases": int(den[g])} for g in keep if den[g] < max(min_cases, 1)
    ]
    pairs = [(a, b) for i, a in enumerate(idx) for b in idx[i + 1 :]]
    z = critical_z(confidence, len(pairs))
    rows: list[dict[str, Any]] = []
    for a, b in pairs:
        hi, lo = (a, b) if num[a] / den[a] >= num[b] / den[b] else (b, a)
        if ratio:
            if num[hi] == 0:
                continue  # nobody selected in either group: parity
            value, ci_lo, ci_hi = ratio_interval(num[lo], den[lo], num[hi], den[hi], z)
            material, distinct = value < limit, ci_hi < 1.0
        else:
            value, ci_lo, ci_hi = difference_interval(num[hi], den[hi], num[lo], den[lo], z)
            material, distinct = value > limit, ci_lo > 0.0
        rows.append(
            {
                "rate": rate,
                "higher": group.labels[hi],
                "lower": group.labels[lo],
                "ratio" if ratio else "difference": value,
                "ci": [ci_lo, ci_hi],
                "cases": [int(den[hi]), int(den[lo])],
                "material": bool(material),
                "distinguishable": bool(distinct),
            }
        )
    key = "ratio" if ratio else "difference"
    failed = [r for r in rows if r["material"] and r["distinguishable"]]
    pool = failed or rows
    worst = (min if ratio else max)(pool, key=lambda r: r[key]) if pool else None
    return {
        "rate": rate,
        "measure": key,
        "limit": limit,
        "confidence": confidence,
        "critical_z": z,
        "worst": worst,
        "failed": failed,
        "inconclusive": [r for r in rows if r["material"] and not r["distinguishable"]],
        "min_cases": min_cases,
        "insufficient": insufficient,
        "pairs_compared": len(pairs),
    }


def _describe(c: dict[str, Any]) -> str:
    w = c["worst"]
    value = w[c["measure"]]
    return (
        f"{c['rate']} {c['measure']} {value:.4f} ({w['higher']} vs {w['lower']}, "
        f"{c['confidence']:.0%} interval {w['ci'][0]:.4f} to {w['ci'][1]:.4f})"
    )


def _verdict(comparisons: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """(failure text, inconclusive notes) of one attribute's comparisons."""
    failed, notes = [], []
    for c in comparisons:
        if c["failed"]:
            op = "<" if c["measure"] == "ratio" else ">"
            failed.append(f"{_describe(c)} {op} {c['limit']}")
        for r in c["inconclusive"]:
            value = r[c["measure"]]
            notes.append(
                f"{c['rate']} {c['measure']} {value:.4f} ({r['higher']} vs {r['lower']} on "
                f"{r['cases'][0]} and {r['cases'][1]} cases) is not distinguishable from parity"
            )
    return ", ".join(failed), notes


def _unassessed(comparisons: list[dict[str, Any]]) -> list[str]:
    """Rates (once each) left uncompared for some group for lack of cases."""
    out: dict[str, list[str]] = {}
    for c in comparisons:
        names = [f"{i['group']} ({i['cases']})" for i in c["insufficient"]]
        if names:
            out.setdefault(c["rate"], names)
    return [f"{rate} not compared for {', '.join(n)}" for rate, n in out.items()]


class _FairnessTest(ValidationTest):
    category = "fairness"
    controls = FAIRNESS_CONTROLS
    min_group_size: int
    confidence: float

    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        if not ctx.groups:
            return Outcome(
                "skipped", "skipped: the AI system record names no protected attributes", {}
            )
        per_attribute: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        problems: list[str] = []
        notes: list[str] = []
        unassessed: list[str] = []
        for group in ctx.groups:
            table = _group_table(ctx, group)
            result, comparisons = self._attribute(group, table)
            failed, attr_notes = _verdict(comparisons)
            result["comparisons"] = comparisons
            per_attribute[group.name] = result
            for key, value in result["metrics"].items():
                metrics[f"{group.name}.{key}"] = value
            metrics[f"{group.name}.n_inconclusive"] = sum(
                len(c["inconclusive"]) for c in comparisons
            )
            if failed:
                problems.append(f"{group.name}: {failed}")
            notes.extend(f"{group.name}: {n}" for n in attr_notes)
            unassessed.extend(f"{group.name}: {u}" for u in _unassessed(comparisons))
        compared = sum(
            c["pairs_compared"] for a in per_attribute.values() for c in a["comparisons"]
        )
        if not compared:
            # nothing was measured: no evidence either way, so no pass (and no control met)
            metrics["n_rates_not_compared"] = len(unassessed)
            small = [
                f"{name}: {', '.join(a['excluded_groups'])} excluded"
                for name, a in per_attribute.items()
                if a["excluded_groups"]
            ]
            return Outcome(
                "skipped",
                f"not assessed: no two groups of any protected attribute had {self.min_group_size}"
                " or more cases to compare; " + "; ".join([*small, *unassessed]),
                metrics,
                {"attributes": per_attribute},
            )
        if problems:
            text = "; ".join(problems)
        else:
            text = self._pass_text()
            if notes:
                text += (
                    f"; {len(notes)} gap(s) over the limit are not statistically "
                    f"distinguishable from parity (more data needed): " + "; ".join(notes[:3])
                )
        if unassessed:
            text += f"; fewer than {self.min_group_size} cases, so not compared: " + "; ".join(
                unassessed
            )
        metrics["n_rates_not_compared"] = len(unassessed)
        return Outcome("fail" if problems else "pass", text, metrics, {"attributes": per_attribute})

    def _pass_text(self) -> str:
        return (
            "no material gap distinguishable from parity for any protected attribute "
            f"({self.confidence:.0%} intervals, Bonferroni-adjusted)"
        )

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(result, comparisons) of one protected attribute."""
        raise NotImplementedError

    def _compare(
        self,
        group: GroupCodes,
        table: dict[str, npt.NDArray[np.float64]],
        keep: npt.NDArray[np.intp],
        rates: tuple[str, ...],
        *,
        limit: float,
        ratio: bool = False,
    ) -> list[dict[str, Any]]:
        """:func:`compare_groups` for each rate, at this test's confidence and minimum."""
        return [
            compare_groups(
                group,
                table,
                keep,
                rate,
                limit=limit,
                confidence=self.confidence,
                min_cases=self.min_group_size,
                ratio=ratio,
            )
            for rate in rates
        ]


def _excluded(
    group: GroupCodes, table: dict[str, npt.NDArray[np.float64]], keep: npt.NDArray[np.intp]
) -> list[str]:
    kept = set(keep.tolist())
    return [group.labels[g] for g in np.flatnonzero(table["n"] > 0) if g not in kept]


@register
class DemographicParity(_FairnessTest):
    """Selection-rate gap (difference) and ratio between groups (fairlearn)."""

    test_id = "fairness.demographic_parity"
    summary = "Demographic parity difference and ratio"

    def __init__(
        self,
        *,
        max_difference: float = 0.1,
        min_ratio: float = 0.8,
        min_group_size: int = 30,
        confidence: float = 0.95,
    ) -> None:
        self.max_difference = max_difference
        self.min_ratio = min_ratio
        self.min_group_size = min_group_size
        self.confidence = confidence

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

        keep = _kept(table, self.min_group_size, both_classes=False)
        result: dict[str, Any] = {
            "metrics": {},
            "excluded_groups": _excluded(group, table, keep),
            "groups": _per_group(group, table),
        }
        if keep.size < 2:
            return result, []
        y, p, g, w = _aggregated(table, keep)
        diff = float(demographic_parity_difference(y, p, sensitive_features=g, sample_weight=w))
        sel = table["sel"][keep]
        ratio = (
            float(demographic_parity_ratio(y, p, sensitive_features=g, sample_weight=w))
            if sel.max() > 0
            else 1.0
        )
        result["metrics"] = {"dp_difference": diff, "dp_ratio": ratio}
        comparisons = [
            *self._compare(group, table, keep, ("selection_rate",), limit=self.max_difference),
            *self._compare(
                group, table, keep, ("selection_rate",), limit=self.min_ratio, ratio=True
            ),
        ]
        return result, comparisons


@register
class EqualizedOdds(_FairnessTest):
    """Largest between-group gap in TPR or FPR (fairlearn's equalized_odds_difference)."""

    test_id = "fairness.equalized_odds"
    summary = "Equalised odds difference"

    def __init__(
        self, *, max_difference: float = 0.1, min_group_size: int = 30, confidence: float = 0.95
    ) -> None:
        self.max_difference = max_difference
        self.min_group_size = min_group_size
        self.confidence = confidence

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        from fairlearn.metrics import equalized_odds_difference

        keep = _kept(table, self.min_group_size, both_classes=True)
        result: dict[str, Any] = {
            "metrics": {},
            "excluded_groups": _excluded(group, table, keep),
            "groups": _per_group(group, table),
        }
        if keep.size < 2:
            return result, []
        y, p, g, w = _aggregated(table, keep)
        diff = float(equalized_odds_difference(y, p, sensitive_features=g, sample_weight=w))
        result["metrics"] = {"eo_difference": diff}
        comparisons = self._compare(group, table, keep, ("tpr", "fpr"), limit=self.max_difference)
        return result, comparisons


@register
class GroupErrorRates(_FairnessTest):
    """Per-group FPR, FNR and error rate; fails when a gap exceeds ``max_gap``."""

    test_id = "fairness.group_error_rates"
    summary = "Error rates by protected group"

    def __init__(
        self, *, max_gap: float = 0.1, min_group_size: int = 30, confidence: float = 0.95
    ) -> None:
        self.max_gap = max_gap
        self.min_group_size = min_group_size
        self.confidence = confidence

    def _attribute(
        self, group: GroupCodes, table: dict[str, npt.NDArray[np.float64]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows = _per_group(group, table)
        keep = _kept(table, self.min_group_size, both_classes=True)
        kept_rows = [rows[i] for i in keep.tolist()]
        metrics: dict[str, float] = {}
        for rate in ("fpr", "fnr", "error_rate"):
            values = [r[rate] for r in kept_rows if not math.isnan(r[rate])]
            metrics[f"{rate}_gap"] = max(values) - min(values) if len(values) >= 2 else 0.0
        comparisons = self._compare(
            group, table, keep, ("fpr", "fnr", "error_rate"), limit=self.max_gap
        )
        result = {
            "metrics": metrics,
            "excluded_groups": _excluded(group, table, keep),
            "groups": rows,
        }
        return result, comparisons
