"""The reference profile: what "normal" looked like, kept as bin edges and counts.

A profile is fitted once (on the training or validation sample of a model version) and
stored as JSON next to the version. Monitoring then never needs the reference rows again:
each feature has fine bins on reference percentiles (for KS) and a decile grouping of those
fine bins (for PSI), so one ``searchsorted`` per value serves both metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dualtrack.monitoring.errors import InvalidMonitoringData
from dualtrack.validation.stats import Binner, ranking_metrics

SCORE = "__score__"


@dataclass(frozen=True, slots=True)
class FeatureBins:
    """Fine bins of one column plus the map from fine bins to PSI bins."""

    fine: Binner
    coarse_of_fine: tuple[int, ...]
    reference_fine_counts: tuple[int, ...]

    @property
    def n_coarse(self) -> int:
        """Number of PSI bins (including the missing bin)."""
        return max(self.coarse_of_fine) + 1

    def coarse_counts(self, fine_counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Fold fine-bin counts into PSI-bin counts."""
        return np.bincount(
            np.asarray(self.coarse_of_fine), weights=fine_counts, minlength=self.n_coarse
        ).astype(np.int64)

    @classmethod
    def fit(cls, values: npt.NDArray[Any], *, n_fine: int = 100, n_coarse: int = 10) -> FeatureBins:
        """Fine bins at reference percentiles; PSI bins at the deciles among those edges."""
        fine = Binner.fit(values, n_fine)
        if fine.kind == "numeric":
            edges = np.asarray(fine.edges)
            v = values.astype(np.float64, copy=False)
            finite = v[np.isfinite(v)]
            if finite.size and edges.size:
                deciles = np.quantile(finite, np.linspace(0, 1, n_coarse + 1)[1:-1])
                # Snap decile edges onto fine edges so every fine bin sits in one PSI bin.
                snap = np.unique(edges[np.clip(np.searchsorted(edges, deciles), 0, edges.size - 1)])
            else:
                snap = np.array([], dtype=np.float64)
            lower = np.r_[-np.inf, edges]
            found = np.asarray(np.searchsorted(snap, lower, side="right"), dtype=np.int64)
            coarse_idx = [int(i) for i in found]
            mapping = [*coarse_idx, int(snap.size) + 1]
        else:
            # Categories: PSI on the levels themselves; "other" and "missing" keep their bins.
            mapping = list(range(fine.n_bins))
        counts = fine.counts(values)
        return cls(
            fine=fine, coarse_of_fine=tuple(mapping), reference_fine_counts=tuple(counts.tolist())
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "fine": self.fine.to_dict(),
            "coarse_of_fine": list(self.coarse_of_fine),
            "reference_fine_counts": list(self.reference_fine_counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBins:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            fine=Binner.from_dict(data["fine"]),
            coarse_of_fine=tuple(int(v) for v in data["coarse_of_fine"]),
            reference_fine_counts=tuple(int(v) for v in data["reference_fine_counts"]),
        )


@dataclass(frozen=True, slots=True)
class ReferenceProfile:
    """Bins and summary numbers of the reference data for one model version."""

    features: tuple[str, ...]
    bins: Mapping[str, FeatureBins]
    n_rows: int
    threshold: float
    reference_auc: float | None
    reference_decision_rate: float
    reference_mean_score: float

    @classmethod
    def fit(
        cls,
        columns: Mapping[str, npt.NDArray[Any]],
        scores: npt.NDArray[np.float64],
        *,
        threshold: float,
        labels: npt.NDArray[Any] | None = None,
        n_fine: int = 100,
        n_coarse: int = 10,
    ) -> ReferenceProfile:
        """Fit from reference feature columns, the model's scores and optional labels."""
        if scores.size == 0:
            raise InvalidMonitoringData("reference data is empty")
        bins = {
            name: FeatureBins.fit(v, n_fine=n_fine, n_coarse=n_coarse)
            for name, v in columns.items()
        }
        bins[SCORE] = FeatureBins.fit(scores, n_fine=n_fine, n_coarse=n_coarse)
        auc = None
        if labels is not None:
            y = np.asarray(labels).astype(np.int8)
            if 0 < int(y.sum()) < y.size:
                auc = ranking_metrics(y, scores).auc
        return cls(
            features=tuple(columns),
            bins=bins,
            n_rows=int(scores.size),
            threshold=float(threshold),
            reference_auc=auc,
            reference_decision_rate=float(np.mean(scores >= threshold)),
            reference_mean_score=float(scores.mean()),
        )

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        features: Sequence[str],
        score_column: str,
        threshold: float,
        label_column: str | None = None,
    ) -> ReferenceProfile:
        """Fit from a pandas or polars DataFrame holding features, scores and labels."""
        missing = [c for c in (*features, score_column) if c not in frame.columns]
        if missing:
            raise InvalidMonitoringData(
                f"reference data lacks column(s): {', '.join(missing[:10])}", missing=missing
            )
        cols = {f: np.asarray(frame[f].to_numpy()) for f in features}
        labels = np.asarray(frame[label_column].to_numpy()) if label_column else None
        scores = np.asarray(frame[score_column].to_numpy(), dtype=np.float64)
        return cls.fit(cols, scores, threshold=threshold, labels=labels)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (store this with the model version)."""
        return {
            "features": list(self.features),
            "bins": {k: v.to_dict() for k, v in self.bins.items()},
            "n_rows": self.n_rows,
            "threshold": self.threshold,
            "reference_auc": self.reference_auc,
            "reference_decision_rate": self.reference_decision_rate,
            "reference_mean_score": self.reference_mean_score,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceProfile:
        """Rebuild from :meth:`to_dict` output."""
        auc = data.get("reference_auc")
        return cls(
            features=tuple(data["features"]),
            bins={k: FeatureBins.from_dict(v) for k, v in data["bins"].items()},
            n_rows=int(data["n_rows"]),
            threshold=float(data["threshold"]),
            reference_auc=float(auc) if auc is not None and math.isfinite(auc) else None,
            reference_decision_rate=float(data["reference_decision_rate"]),
            reference_mean_score=float(data["reference_mean_score"]),
        )
