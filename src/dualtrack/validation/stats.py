"""Numeric building blocks shared by validation tests and monitoring.

Everything here works on numpy arrays and avoids per-test sorting where it can:

* :func:`ranking_metrics` sorts the scores once and derives ROC AUC, average precision, KS
  and down-sampled ROC / precision-recall curves from the same cumulative counts.
* :class:`Binner` learns bin edges from reference data (quantiles for numbers, levels for
  categories, plus a bin for missing values); :meth:`Binner.counts` then needs only
  ``np.searchsorted`` and ``np.bincount``, so the same binner serves a one-off validation
  and a chunked pass over ten million logged decisions.
* :func:`psi`, :func:`binned_ks` and :func:`binned_auc` work on those counts.
* :func:`wilson_interval`, :func:`difference_interval` and :func:`ratio_interval` put
  confidence intervals on group rates and their gaps (the fairness tests' evidence rule).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PSI_EPSILON = 1e-4


@dataclass(frozen=True, slots=True)
class RankingMetrics:
    """Threshold-free metrics of a score against a binary target."""

    auc: float
    average_precision: float
    ks: float
    ks_threshold: float
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]
    pr_recall: tuple[float, ...]
    pr_precision: tuple[float, ...]

    @property
    def gini(self) -> float:
        """Accuracy ratio, ``2 * AUC - 1``."""
        return 2.0 * self.auc - 1.0


def _downsample(n: int, max_points: int) -> npt.NDArray[np.intp]:
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.intp))


def ranking_metrics(
    y: npt.NDArray[Any], scores: FloatArray, *, max_points: int = 200
) -> RankingMetrics:
    """ROC AUC, average precision (sklearn's step definition) and KS from one sort.

    Tied scores are handled like scikit-learn: one curve point per distinct score.
    """
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    yt = y[order].astype(np.float64)
    distinct = np.flatnonzero(np.diff(s)) if s.size > 1 else np.array([], dtype=np.intp)
    idx = np.r_[distinct, s.size - 1]
    tps = np.cumsum(yt)[idx]
    fps = (idx + 1) - tps
    pos, neg = tps[-1], fps[-1]
    if pos == 0 or neg == 0:
        raise ValueError("ranking metrics need both classes")
    tpr = np.r_[0.0, tps / pos]
    fpr = np.r_[0.0, fps / neg]
    auc = float(np.trapezoid(tpr, fpr))
    precision = tps / (tps + fps)
    recall = tps / pos
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    gap = tpr[1:] - fpr[1:]
    k = int(np.argmax(gap))
    roc_keep = _downsample(tpr.size, max_points)
    pr_keep = _downsample(recall.size, max_points)
    return RankingMetrics(
        auc=auc,
        average_precision=ap,
        ks=float(gap[k]),
        ks_threshold=float(s[idx[k]]),
        roc_fpr=tuple(fpr[roc_keep].tolist()),
        roc_tpr=tuple(tpr[roc_keep].tolist()),
        pr_recall=tuple(recall[pr_keep].tolist()),
        pr_precision=tuple(precision[pr_keep].tolist()),
    )


def psi(reference_counts: npt.NDArray[Any], current_counts: npt.NDArray[Any]) -> float:
    """Population stability index between two histograms over the same bins.

    Empty bins are floored at ``PSI_EPSILON`` so a bin seen on one side only gives a large
    but finite contribution.
    """
    r = np.asarray(reference_counts, dtype=np.float64)
    c = np.asarray(current_counts, dtype=np.float64)
    if r.sum() == 0 or c.sum() == 0:
        return math.nan
    p = np.clip(r / r.sum(), PSI_EPSILON, None)
    q = np.clip(c / c.sum(), PSI_EPSILON, None)
    return float(np.sum((q - p) * np.log(q / p)))


def binned_ks(reference_counts: npt.NDArray[Any], current_counts: npt.NDArray[Any]) -> float:
    """Largest gap between the two empirical CDFs evaluated at the bin edges.

    With bins on fine reference quantiles this is the two-sample KS statistic up to the bin
    resolution (it can only under-estimate the exact statistic).
    """
    r = np.asarray(reference_counts, dtype=np.float64)
    c = np.asarray(current_counts, dtype=np.float64)
    if r.sum() == 0 or c.sum() == 0:
        return math.nan
    return float(np.max(np.abs(np.cumsum(r) / r.sum() - np.cumsum(c) / c.sum())))


def binned_auc(pos_counts: npt.NDArray[Any], neg_counts: npt.NDArray[Any]) -> float:
    """ROC AUC from per-bin counts of positives and negatives (bins in score order).

    Pairs inside the same bin count as ties (half a concordant pair).
    """
    p = np.asarray(pos_counts, dtype=np.float64)
    n = np.asarray(neg_counts, dtype=np.float64)
    total = p.sum() * n.sum()
    if total == 0:
        return math.nan
    neg_below = np.cumsum(n) - n
    return float((np.sum(p * neg_below) + 0.5 * np.sum(p * n)) / total)


BinKind = Literal["numeric", "categorical"]


@dataclass(frozen=True, slots=True)
class Binner:
    """Bins learnt from reference values.

    Numeric: interior edges at reference quantiles, bin ``i`` holds ``edges[i-1] <= x <
    edges[i]``, so there are ``len(edges) + 1`` value bins. Categorical: one bin per
    reference level plus an ``other`` bin for unseen levels. The last bin always holds
    missing values.
    """

    kind: BinKind
    edges: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def n_bins(self) -> int:
        """Number of bins including the missing-value bin."""
        if self.kind == "numeric":
            return len(self.edges) + 2
        return len(self.levels) + 2

    @property
    def labels(self) -> tuple[str, ...]:
        """Human-readable bin labels (for reports)."""
        if self.kind == "numeric":
            bounds = ["-inf", *(f"{e:.4g}" for e in self.edges), "inf"]
            value_bins = [f"[{a}, {b})" for a, b in itertools.pairwise(bounds)]
            return (*value_bins, "missing")
        return (*self.levels, "other", "missing")

    @classmethod
    def fit(
        cls, values: npt.NDArray[Any], n_bins: int = 10, *, max_sample: int | None = None
    ) -> Binner:
        """Learn bins from reference ``values`` (numeric dtypes get quantile edges).

        ``max_sample`` caps how many values the quantiles are computed from (an evenly
        strided subsample, so the result is deterministic).
        """
        if values.dtype.kind in "biuf":
            v = values.astype(np.float64, copy=False)
            if max_sample is not None and v.size > max_sample:
                v = v[:: -(-v.size // max_sample)]
            finite = v[np.isfinite(v)]
            if finite.size == 0:
                return cls(kind="numeric", edges=())
            qs = np.quantile(finite, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
            # Quantile edges equal to the minimum would leave an empty first bin.
            edges = np.unique(qs[qs > finite.min()])
            return cls(kind="numeric", edges=tuple(float(e) for e in edges))
        levels = _as_str(values)
        present = levels[levels != _MISSING]
        uniq = np.unique(present)
        return cls(kind="categorical", levels=tuple(str(u) for u in uniq))

    def transform(self, values: npt.NDArray[Any]) -> IntArray:
        """Bin index of each value (``n_bins - 1`` for missing)."""
        missing_bin = self.n_bins - 1
        if self.kind == "numeric":
            v = values.astype(np.float64, copy=False)
            edges = np.asarray(self.edges, dtype=np.float64)
            missing = np.isnan(v)
            idx = count_edges_at_or_below(edges, v, missing)
            idx[missing] = missing_bin
            return idx
        s = _as_str(values)
        lv = np.asarray(self.levels, dtype=object)
        pos = np.searchsorted(lv, s) if lv.size else np.zeros(s.size, dtype=np.intp)
        pos = np.minimum(pos, max(lv.size - 1, 0))
        found = lv[pos] == s if lv.size else np.zeros(s.size, dtype=bool)
        idx = np.where(found, pos, len(self.levels)).astype(np.int64)
        idx[s == _MISSING] = missing_bin
        return idx

    def counts(self, values: npt.NDArray[Any]) -> IntArray:
        """Histogram of ``values`` over this binner's bins."""
        return np.bincount(self.transform(values), minlength=self.n_bins).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"kind": self.kind, "edges": list(self.edges), "levels": list(self.levels)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Binner:
        """Rebuild from :meth:`to_dict` output."""
        kind: BinKind = "numeric" if data["kind"] == "numeric" else "categorical"
        return cls(
            kind=kind,
            edges=tuple(float(e) for e in data.get("edges", ())),
            levels=tuple(str(v) for v in data.get("levels", ())),
        )


_MISSING = "\x00missing"
_LUT_CELLS = 1 << 16


def count_edges_at_or_below(
    edges: FloatArray, values: FloatArray, missing: npt.NDArray[np.bool_] | None = None
) -> IntArray:
    """``np.searchsorted(edges, values, side="right")`` for sorted ``edges``, faster.

    A binary search per value costs tens of nanoseconds on unsorted data (branch misses).
    When the edges are well separated (the usual case for quantile edges) a lookup table
    over a uniform grid gives each value's count directly: with every grid cell narrower
    than half the smallest gap between edges, at most one edge lies near a value, and
    one comparison on each side corrects the table's answer exactly. Otherwise this falls
    back to ``searchsorted``. ``missing`` (NaN positions) get an arbitrary index.
    """
    n_edges = edges.size
    if n_edges < 2:
        return np.searchsorted(edges, values, side="right").astype(np.int64)
    lo, hi = float(edges[0]), float(edges[-1])
    span, min_gap = hi - lo, float(np.min(np.diff(edges)))
    if not (span > 0 and np.isfinite(span) and min_gap > 0):
        return np.searchsorted(edges, values, side="right").astype(np.int64)
    # The smallest table that keeps cells under half the smallest gap (small = in cache).
    cells = 1 << max(8, int(np.ceil(np.log2(4.0 * span / min_gap))))
    if cells > _LUT_CELLS:
        return np.searchsorted(edges, values, side="right").astype(np.int64)
    width = span / cells
    grid = lo + np.arange(cells) * width
    lut = np.searchsorted(edges, grid, side="right").astype(np.int32)
    t = (values - lo) * (1.0 / width)
    if missing is not None and missing.any():
        t[missing] = 0.0
    np.clip(t, 0.0, cells - 1, out=t)
    count = lut[t.astype(np.intp)]
    above = np.concatenate([edges, [np.inf]])[count]
    below = np.concatenate([[-np.inf], edges])[count]
    result = count.astype(np.int64)
    result += values >= above
    result -= values < below
    return result


def _as_str(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Object array of strings, missing values (None / NaN) as a sentinel."""
    series = pd.Series(values, dtype=object)
    out: npt.NDArray[Any] = series.astype(str).to_numpy(dtype=object)
    out[series.isna().to_numpy()] = _MISSING
    return out


def is_numeric(values: npt.NDArray[Any]) -> bool:
    """True for bool, integer and float arrays."""
    return values.dtype.kind in "biuf"


def decile_table(
    y: npt.NDArray[Any], scores: FloatArray, n_groups: int = 10
) -> list[dict[str, Any]]:
    """Lift and cumulative gain by score group, highest scores first."""
    order = np.argsort(-scores, kind="stable")
    groups = np.array_split(order, n_groups)
    total_pos = float(y.sum())
    base = total_pos / y.size
    rows: list[dict[str, Any]] = []
    cum_pos = 0.0
    cum_n = 0
    for g, members in enumerate(groups, start=1):
        pos = float(y[members].sum())
        cum_pos += pos
        cum_n += members.size
        rate = pos / members.size if members.size else math.nan
        rows.append(
            {
                "group": g,
                "n": int(members.size),
                "min_score": float(scores[members].min()) if members.size else None,
                "positive_rate": rate,
                "lift": rate / base if base > 0 else None,
                "cumulative_gain": cum_pos / total_pos if total_pos > 0 else None,
                "cumulative_lift": (cum_pos / cum_n) / base if base > 0 and cum_n else None,
            }
        )
    return rows


def calibration_bins(
    y: npt.NDArray[Any], scores: FloatArray, n_bins: int = 10
) -> tuple[list[dict[str, Any]], float]:
    """Reliability table on equal-width score bins and the expected calibration error."""
    idx = np.minimum((scores * n_bins).astype(np.int64), n_bins - 1)
    n = np.bincount(idx, minlength=n_bins).astype(np.float64)
    s_sum = np.bincount(idx, weights=scores, minlength=n_bins)
    y_sum = np.bincount(idx, weights=y.astype(np.float64), minlength=n_bins)
    rows: list[dict[str, Any]] = []
    ece = 0.0
    for b in range(n_bins):
        if n[b] == 0:
            continue
        mean_score = s_sum[b] / n[b]
        observed = y_sum[b] / n[b]
        ece += n[b] / scores.size * abs(mean_score - observed)
        rows.append(
            {
                "bin": b,
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "n": int(n[b]),
                "mean_score": float(mean_score),
                "observed_rate": float(observed),
            }
        )
    return rows, float(ece)


def confusion_at(y: npt.NDArray[Any], scores: FloatArray, threshold: float) -> dict[str, float]:
    """Confusion counts and rates when ``score >= threshold`` is the positive decision."""
    pred = scores >= threshold
    yb = y.astype(bool)
    tp = int(np.count_nonzero(pred & yb))
    fp = int(np.count_nonzero(pred & ~yb))
    fn = int(np.count_nonzero(~pred & yb))
    tn = int(y.size - tp - fp - fn)
    return {
        "threshold": float(threshold),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "tpr": tp / (tp + fn) if tp + fn else math.nan,
        "fpr": fp / (fp + tn) if fp + tn else math.nan,
        "precision": tp / (tp + fp) if tp + fp else math.nan,
        "flag_rate": (tp + fp) / y.size,
    }


def group_rates(
    codes: npt.NDArray[np.int64],
    n_groups: int,
    y: npt.NDArray[Any],
    pred: npt.NDArray[np.bool_],
) -> dict[str, npt.NDArray[np.float64]]:
    """Per-group counts via ``bincount``: n, positives, selected, true and false positives."""
    yf = y.astype(np.float64)
    pf = pred.astype(np.float64)
    return {
        "n": np.asarray(np.bincount(codes, minlength=n_groups), dtype=np.float64),
        "pos": np.asarray(np.bincount(codes, weights=yf, minlength=n_groups), dtype=np.float64),
        "sel": np.asarray(np.bincount(codes, weights=pf, minlength=n_groups), dtype=np.float64),
        "tp": np.asarray(np.bincount(codes, weights=yf * pf, minlength=n_groups), dtype=np.float64),
    }


def mean_jaccard(a: Sequence[frozenset[int]], b: Sequence[frozenset[int]]) -> float:
    """Mean Jaccard similarity of paired sets."""
    if not a:
        return math.nan
    total = 0.0
    for x, y in zip(a, b, strict=True):
        union = len(x | y)
        total += len(x & y) / union if union else 1.0
    return total / len(a)


# --------------------------------------------------------------------- group comparisons


def critical_z(confidence: float, comparisons: int = 1) -> float:
    """Two-sided normal quantile for ``confidence``, Bonferroni-adjusted over ``comparisons``.

    Comparing every pair of k groups makes k(k-1)/2 comparisons; without the adjustment
    a model that treats four age bands identically would "fail" one of them far more
    often than 1 - ``confidence`` of the time.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    alpha = (1.0 - confidence) / max(comparisons, 1)
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def wilson_interval(successes: float, trials: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (sensible even for 0 or n successes)."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2.0 * trials)) / (1.0 + z2 / trials)
    half = (
        z * math.sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)) / (1.0 + z2 / trials)
    )
    return (max(0.0, centre - half), min(1.0, centre + half))


def difference_interval(
    k1: float, n1: float, k2: float, n2: float, z: float
) -> tuple[float, float, float]:
    """``p1 - p2`` with Newcombe's hybrid score interval (his method 10, from Wilson limits).

    It keeps close to nominal coverage for rare events and small groups, where the plain
    Wald interval is far too narrow (Newcombe 1998, Statistics in Medicine 17:873-890).
    """
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    diff = p1 - p2
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (diff, lower, upper)


def ratio_interval(
    k1: float, n1: float, k2: float, n2: float, z: float
) -> tuple[float, float, float]:
    """``p1 / p2`` with the Katz log interval (0.5 added to every cell when one is empty)."""
    if min(k1, k2, n1 - k1, n2 - k2) == 0:
        k1, k2, n1, n2 = k1 + 0.5, k2 + 0.5, n1 + 1.0, n2 + 1.0
    ratio = (k1 / n1) / (k2 / n2)
    se = math.sqrt(1.0 / k1 - 1.0 / n1 + 1.0 / k2 - 1.0 / n2)
    return (ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se))
