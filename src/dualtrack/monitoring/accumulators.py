"""Chunk-at-a-time accumulators: memory depends on bins and windows, not on rows.

:class:`DriftAccumulator` keeps, per feature, the counts over the profile's fine bins.
:class:`PerformanceAccumulator` keeps, per time window, counts of scores over 1,000
equal-width score bins split by label (so AUC per window comes from histograms), plus sums
for mean score, decision rate and Brier score. A ten-million-row log therefore streams
through in chunks with a few megabytes of state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from dualtrack.monitoring.domain import DriftMetric, WindowPerformance
from dualtrack.monitoring.errors import InvalidMonitoringData
from dualtrack.monitoring.profile import SCORE, ReferenceProfile
from dualtrack.validation.stats import binned_auc, binned_ks, psi


def column(chunk: Any, name: str) -> npt.NDArray[Any]:
    """One column of a pandas or polars chunk as a numpy array."""
    if name not in chunk.columns:
        raise InvalidMonitoringData(f"decision log chunk lacks column {name!r}")
    return np.asarray(chunk[name].to_numpy())


def epoch_seconds(values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Datetimes (numpy datetime64 of any unit) or integer epoch seconds as int64 seconds."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]").astype(np.int64)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    raise InvalidMonitoringData("time column must hold datetimes or integer epoch seconds")


def iso(seconds: int) -> str:
    """UTC ISO-8601 timestamp of epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass
class DriftAccumulator:
    """Counts of every profiled feature (and the score) over the profile's fine bins."""

    profile: ReferenceProfile
    counts: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    n_rows: int = 0

    def update(self, chunk: Any, *, score_column: str) -> None:
        """Add one chunk of the decision log."""
        for name in (*self.profile.features, SCORE):
            values = column(chunk, score_column if name == SCORE else name)
            bins = self.profile.bins[name]
            c = bins.fine.counts(values)
            if name in self.counts:
                self.counts[name] += c
            else:
                self.counts[name] = c
        self.n_rows += len(chunk)

    def result(self) -> tuple[DriftMetric, ...]:
        """PSI (decile bins) and KS (percentile bins, scipy's ``kstwo`` p-value) per subject."""
        out = []
        for name in (SCORE, *self.profile.features):
            bins = self.profile.bins[name]
            ref = np.asarray(bins.reference_fine_counts, dtype=np.int64)
            cur = self.counts.get(name, np.zeros_like(ref))
            n_ref = int(ref.sum())
            n_cur = int(cur.sum())
            value_psi = psi(bins.coarse_counts(ref), bins.coarse_counts(cur)) if n_cur else None
            ks = pvalue = None
            numeric = bins.fine.kind == "numeric"
            if numeric and n_cur:
                ks = binned_ks(ref[:-1], cur[:-1])  # the last bin holds missing values
                n_r, n_c = int(ref[:-1].sum()), int(cur[:-1].sum())
                if n_r and n_c and ks is not None and math.isfinite(ks):
                    # The asymptotic two-sample distribution scipy's ks_2samp uses.
                    n_eff = round(n_r * n_c / (n_r + n_c))
                    pvalue = float(sps.kstwo.sf(ks, max(n_eff, 1)))
            out.append(
                DriftMetric(
                    subject="score" if name == SCORE else name,
                    kind="numeric" if numeric else "categorical",
                    psi=value_psi,
                    ks=ks,
                    ks_pvalue=pvalue,
                    n_reference=n_ref,
                    n_current=n_cur,
                    missing_rate=float(cur[-1] / n_cur) if n_cur else None,
                )
            )
        return tuple(out)


@dataclass
class _Window:
    n: int = 0
    score_sum: float = 0.0
    positive_decisions: int = 0
    labelled: int = 0
    bad: int = 0
    brier_sum: float = 0.0
    pos_hist: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    neg_hist: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    score_fine: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass
class PerformanceAccumulator:
    """Per-window decision and (where labelled) performance statistics."""

    profile: ReferenceProfile
    window_seconds: int = 86_400
    score_bins: int = 1_000
    windows: dict[int, _Window] = field(default_factory=dict)

    def update(
        self,
        chunk: Any,
        *,
        score_column: str,
        time_column: str,
        label_column: str | None,
        decision_column: str | None = None,
    ) -> None:
        """Add one chunk; rows with a missing label count as decisions but not for AUC."""
        scores = column(chunk, score_column).astype(np.float64)
        if np.isnan(scores).any():
            raise InvalidMonitoringData("decision log holds missing scores")
        win = epoch_seconds(column(chunk, time_column)) // self.window_seconds
        if decision_column is not None:
            decided = column(chunk, decision_column).astype(bool)
        else:
            decided = scores >= self.profile.threshold
        labels: npt.NDArray[np.float64] | None = None
        if label_column is not None and label_column in chunk.columns:
            labels = column(chunk, label_column).astype(np.float64)  # None -> NaN
        uniq, inv = np.unique(win, return_inverse=True)
        k = uniq.size
        sb = self.score_bins
        sbin = np.minimum((scores * sb).astype(np.int64), sb - 1)
        n = np.bincount(inv, minlength=k)
        ssum = np.bincount(inv, weights=scores, minlength=k)
        dsum = np.bincount(inv, weights=decided.astype(np.float64), minlength=k)
        fine = self.profile.bins[SCORE].fine
        fine_idx = fine.transform(scores)
        fine_counts = np.bincount(inv * fine.n_bins + fine_idx, minlength=k * fine.n_bins)
        fine_counts = fine_counts.reshape(k, fine.n_bins)
        if labels is not None:
            has = ~np.isnan(labels)
            y = np.where(has, labels, 0.0)
            lab = np.bincount(inv, weights=has.astype(np.float64), minlength=k)
            bad = np.bincount(inv, weights=y, minlength=k)
            brier = np.bincount(inv, weights=np.where(has, (scores - y) ** 2, 0.0), minlength=k)
            cell = inv * sb + sbin
            pos_h = np.bincount(cell, weights=y, minlength=k * sb).reshape(k, sb)
            neg_h = np.bincount(cell, weights=(has & (y == 0)).astype(np.float64), minlength=k * sb)
            neg_h = neg_h.reshape(k, sb)
        for j, w in enumerate(uniq.tolist()):
            acc = self.windows.get(w)
            if acc is None:
                acc = _Window(
                    pos_hist=np.zeros(sb),
                    neg_hist=np.zeros(sb),
                    score_fine=np.zeros(fine.n_bins, np.int64),
                )
                self.windows[w] = acc
            acc.n += int(n[j])
            acc.score_sum += float(ssum[j])
            acc.positive_decisions += int(dsum[j])
            acc.score_fine += fine_counts[j]
            if labels is not None:
                acc.labelled += int(lab[j])
                acc.bad += int(bad[j])
                acc.brier_sum += float(brier[j])
                acc.pos_hist += pos_h[j]
                acc.neg_hist += neg_h[j]

    def result(self, *, min_labelled: int = 1) -> tuple[WindowPerformance, ...]:
        """One record per window, in time order; AUC only with ``min_labelled`` labels."""
        bins = self.profile.bins[SCORE]
        ref = np.asarray(bins.reference_fine_counts, dtype=np.int64)
        out = []
        for w in sorted(self.windows):
            acc = self.windows[w]
            enough = acc.labelled >= min_labelled and 0 < acc.bad < acc.labelled
            out.append(
                WindowPerformance(
                    window_start=iso(w * self.window_seconds),
                    window_end=iso((w + 1) * self.window_seconds),
                    n_decisions=acc.n,
                    n_labelled=acc.labelled,
                    mean_score=acc.score_sum / acc.n if acc.n else None,
                    positive_decision_rate=acc.positive_decisions / acc.n if acc.n else None,
                    score_psi=psi(bins.coarse_counts(ref), bins.coarse_counts(acc.score_fine)),
                    bad_rate=acc.bad / acc.labelled if acc.labelled else None,
                    auc=binned_auc(acc.pos_hist, acc.neg_hist) if enough else None,
                    brier=acc.brier_sum / acc.labelled if acc.labelled else None,
                )
            )
        return tuple(out)
