"""The prepared inputs every validation test reads: features, target, scores, groups.

:meth:`ValidationContext.build` checks the inputs once (empty data, one-class target,
missing protected attributes, mismatched feature names, NaN scores) and scores the model
once, so individual tests never re-score the full dataset. Reference data (typically the
training sample) is optional; tests that need it are skipped without it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dualtrack.validation.domain import DataFingerprint, DatasetSpec
from dualtrack.validation.errors import InvalidDataset, InvalidScores
from dualtrack.validation.ports import ScoringModel
from dualtrack.validation.stats import Binner

logger = logging.getLogger(__name__)

MAX_NAMES_IN_MESSAGE = 10


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_IN_MESSAGE])
    extra = len(names) - MAX_NAMES_IN_MESSAGE
    return shown + (f" (+{extra} more)" if extra > 0 else "")


def row_hashes(frame: pd.DataFrame) -> npt.NDArray[np.uint64]:
    """A 64-bit content hash per row (pandas' vectorised hasher, fixed key)."""
    hashed = pd.util.hash_pandas_object(frame, index=False)
    return np.asarray(hashed.to_numpy(), dtype=np.uint64)


def fingerprint(
    frame: pd.DataFrame,
    hashes: npt.NDArray[np.uint64],
    extra_hashes: npt.NDArray[np.uint64] | None = None,
) -> DataFingerprint:
    """sha256 over the schema and the row hashes (row order matters).

    ``hashes`` cover the feature columns and ``extra_hashes`` the remaining ones (target,
    protected attributes), so feature hashes computed for duplicate checks are reused.
    """
    digest = hashlib.sha256()
    for name, dtype in zip(frame.columns, frame.dtypes, strict=True):
        digest.update(f"{name}\x1f{dtype}\x1e".encode())
    digest.update(np.ascontiguousarray(hashes).tobytes())
    if extra_hashes is not None:
        digest.update(np.ascontiguousarray(extra_hashes).tobytes())
    return DataFingerprint(
        sha256=digest.hexdigest(),
        n_rows=len(frame),
        n_columns=frame.shape[1],
        columns=tuple(str(c) for c in frame.columns),
    )


@dataclass(frozen=True, slots=True)
class GroupCodes:
    """A protected attribute as integer codes with their labels (missing is its own group)."""

    name: str
    codes: npt.NDArray[np.int64]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class LabelledData:
    """One side of a comparison: features, target (if any), scores, hashes, fingerprint."""

    features: pd.DataFrame
    target: npt.NDArray[np.int8] | None
    scores: npt.NDArray[np.float64]
    hashes: npt.NDArray[np.uint64]
    fingerprint: DataFingerprint


@dataclass(frozen=True)
class ValidationContext:
    """Everything a validation test may read; built once per run."""

    model: ScoringModel
    spec: DatasetSpec
    feature_names: tuple[str, ...]
    current: LabelledData
    groups: tuple[GroupCodes, ...]
    reference: LabelledData | None = None
    seed: int = 0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def y(self) -> npt.NDArray[np.int8]:
        """Target of the current data (0/1)."""
        assert self.current.target is not None
        return self.current.target

    @property
    def scores(self) -> npt.NDArray[np.float64]:
        """Model scores of the current data."""
        return self.current.scores

    @property
    def features(self) -> pd.DataFrame:
        """Feature columns of the current data, in model order."""
        return self.current.features

    def column(self, name: str, *, reference: bool = False) -> npt.NDArray[Any]:
        """One feature column as a numpy array (numeric columns as float64 with NaN)."""
        key = f"col:{int(reference)}:{name}"
        if key not in self._cache:
            side = self.reference if reference else self.current
            assert side is not None
            s = side.features[name]
            if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
                self._cache[key] = s.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                self._cache[key] = s.to_numpy(dtype=object)
        value: npt.NDArray[Any] = self._cache[key]
        return value

    def binner(self, name: str, n_bins: int) -> Binner:
        """Bins for ``name`` (a feature or ``"score"``) learnt from the reference data."""
        key = f"bin:{name}:{n_bins}"
        if key not in self._cache:
            if name == "__score__":
                assert self.reference is not None
                values: npt.NDArray[Any] = self.reference.scores
            else:
                values = self.column(name, reference=True)
            self._cache[key] = Binner.fit(values, n_bins)
        binner: Binner = self._cache[key]
        return binner

    def bin_index(
        self, name: str, n_bins: int, *, reference: bool = False
    ) -> npt.NDArray[np.int64]:
        """Bin index of every row of a feature (or ``"__score__"``), reference-learnt bins."""
        key = f"idx:{int(reference)}:{name}:{n_bins}"
        if key not in self._cache:
            binner = self.binner(name, n_bins)
            if name == "__score__":
                side = self.reference if reference else self.current
                assert side is not None
                values: npt.NDArray[Any] = side.scores
            else:
                values = self.column(name, reference=reference)
            self._cache[key] = binner.transform(values)
        index: npt.NDArray[np.int64] = self._cache[key]
        return index

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded from the run seed and a per-test salt (reproducible samples)."""
        digest = hashlib.sha256(f"{self.seed}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def sample_index(self, n: int, salt: str) -> npt.NDArray[np.intp]:
        """Indices of up to ``n`` current rows, sampled without replacement."""
        total = len(self.current.features)
        if total <= n:
            return np.arange(total)
        return np.sort(self.rng(salt).choice(total, size=n, replace=False))

    def numeric_features(self) -> tuple[str, ...]:
        """Feature names whose current column is numeric."""
        return tuple(n for n in self.feature_names if self.column(n).dtype.kind == "f")

    @classmethod
    def build(
        cls,
        model: ScoringModel,
        dataset: pd.DataFrame,
        spec: DatasetSpec,
        *,
        reference: pd.DataFrame | None = None,
        reference_sample: int | None = 200_000,
        seed: int = 0,
    ) -> ValidationContext:
        """Check the inputs, score the model once, and hash the data."""
        feature_names = _resolve_features(model, dataset, spec)
        current = _prepare(model, dataset, spec, feature_names, "dataset", require_target=True)
        groups = tuple(_group_codes(dataset, name) for name in spec.protected_attributes)
        ref = None
        if reference is not None:
            if reference_sample is not None and len(reference) > reference_sample:
                rng = np.random.default_rng(seed)
                keep = np.sort(rng.choice(len(reference), size=reference_sample, replace=False))
                reference = reference.iloc[keep]
            ref = _prepare(model, reference, spec, feature_names, "reference", require_target=False)
        return cls(
            model=model,
            spec=spec,
            feature_names=feature_names,
            current=current,
            groups=groups,
            reference=ref,
            seed=seed,
        )


def _resolve_features(
    model: ScoringModel, dataset: pd.DataFrame, spec: DatasetSpec
) -> tuple[str, ...]:
    if len(dataset) == 0:
        raise InvalidDataset("dataset is empty (no rows)")
    columns = [str(c) for c in dataset.columns]
    missing_protected = [a for a in spec.protected_attributes if a not in columns]
    if missing_protected:
        raise InvalidDataset(
            "protected attribute columns named in the AI system record are missing from the "
            f"dataset: {_names(missing_protected)}",
            missing=missing_protected,
        )
    if spec.target not in columns:
        raise InvalidDataset(f"target column {spec.target!r} is missing from the dataset")
    wanted = model.feature_names or spec.feature_names
    if wanted is None:
        excluded = {spec.target, *spec.protected_attributes}
        wanted = tuple(c for c in columns if c not in excluded)
        n_expected = getattr(model, "n_features", None)
        if n_expected is not None and n_expected != len(wanted):
            raise InvalidDataset(
                f"model expects {n_expected} features but the dataset has {len(wanted)} "
                "non-target, non-protected columns; pass feature_names in the DatasetSpec"
            )
    missing = [f for f in wanted if f not in columns]
    if missing:
        raise InvalidDataset(
            f"feature names do not match the model: {len(missing)} model feature(s) missing "
            f"from the dataset: {_names(missing)}",
            missing=missing,
        )
    if (
        spec.feature_names is not None
        and model.feature_names is not None
        and tuple(spec.feature_names) != tuple(model.feature_names)
    ):
        raise InvalidDataset("feature names in the DatasetSpec differ from the model's")
    return tuple(wanted)


def _target(dataset: pd.DataFrame, spec: DatasetSpec, label: str) -> npt.NDArray[np.int8]:
    raw = dataset[spec.target]
    if raw.isna().any():
        raise InvalidDataset(
            f"target column {spec.target!r} in the {label} has {int(raw.isna().sum())} missing "
            "value(s)"
        )
    values = raw.to_numpy()
    classes = np.unique(values)
    if classes.size != 2:
        raise InvalidDataset(
            f"target column {spec.target!r} in the {label} must have exactly two classes, "
            f"found {classes.size}"
        )
    return np.asarray(values == classes[1], dtype=np.int8)


def _prepare(
    model: ScoringModel,
    frame: pd.DataFrame,
    spec: DatasetSpec,
    feature_names: tuple[str, ...],
    label: str,
    *,
    require_target: bool,
) -> LabelledData:
    if len(frame) == 0:
        raise InvalidDataset(f"{label} is empty (no rows)")
    missing = [f for f in feature_names if f not in frame.columns]
    if missing:
        raise InvalidDataset(
            f"feature names do not match the model: {label} lacks {_names(missing)}",
            missing=missing,
        )
    target = None
    if require_target or spec.target in frame.columns:
        target = _target(frame, spec, label)
    features = frame.loc[:, list(feature_names)]
    scores = score_checked(model, features, label)
    hashes = row_hashes(features)
    others = [c for c in frame.columns if c not in set(feature_names)]
    extra = row_hashes(frame.loc[:, others]) if others else None
    return LabelledData(features, target, scores, hashes, fingerprint(frame, hashes, extra))


def score_checked(
    model: ScoringModel, features: pd.DataFrame, label: str
) -> npt.NDArray[np.float64]:
    """Score and reject NaN, infinite or out-of-range probabilities."""
    scores = np.asarray(model.score(features), dtype=np.float64)
    if scores.shape != (len(features),):
        raise InvalidScores(f"model returned {scores.shape} scores for {len(features)} rows")
    n_nan = int(np.count_nonzero(~np.isfinite(scores)))
    if n_nan:
        raise InvalidScores(f"model produced {n_nan} NaN or infinite score(s) on the {label}")
    if scores.min() < 0.0 or scores.max() > 1.0:
        raise InvalidScores(f"model produced scores outside [0, 1] on the {label}")
    return scores


def _group_codes(frame: pd.DataFrame, name: str) -> GroupCodes:
    codes, uniques = pd.factorize(frame[name], sort=True, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("(missing)")
    return GroupCodes(name=name, codes=codes, labels=tuple(labels))
