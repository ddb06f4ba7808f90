"""Loading model artifacts and datasets handed in as files.

Model files: a pickle / joblib file holding a scikit-learn compatible classifier (anything
with ``predict_proba``, including ``lightgbm.LGBMClassifier`` and pipelines), or a LightGBM
booster saved as a model text file. Unpickling runs code from the file, so only artifacts
that came through the registry (whose sha256 the caller passes as ``expected_sha256``)
should be loaded.

Datasets: CSV or Parquet, read with polars and handed on as a pandas DataFrame (the form
scikit-learn estimators fitted on named columns expect).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dualtrack.validation.errors import InvalidDataset, InvalidModelArtifact
from dualtrack.validation.ports import ScoringModel

logger = logging.getLogger(__name__)

ModelFormat = Literal["sklearn", "lightgbm-booster", "in-memory"]


class SklearnClassifier:
    """Adapter for estimators with ``predict_proba`` (the positive class is ``classes_[-1]``)."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    @property
    def feature_names(self) -> tuple[str, ...] | None:
        """``feature_names_in_`` when the estimator was fitted on a DataFrame."""
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is None:
            return None
        return tuple(str(n) for n in names)

    @property
    def n_features(self) -> int | None:
        """``n_features_in_`` when the estimator exposes it."""
        n = getattr(self.estimator, "n_features_in_", None)
        return int(n) if n is not None else None

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probability of the positive class."""
        data: Any = features if self.feature_names is not None else features.to_numpy()
        proba = np.asarray(self.estimator.predict_proba(data), dtype=np.float64)
        return np.ascontiguousarray(proba[:, -1])


class LightGBMBooster:
    """Adapter for a ``lightgbm.Booster`` with a binary objective."""

    def __init__(self, booster: Any) -> None:
        self.booster = booster

    @property
    def feature_names(self) -> tuple[str, ...] | None:
        """Feature names stored in the booster."""
        return tuple(str(n) for n in self.booster.feature_name())

    @property
    def n_features(self) -> int | None:
        """Number of features the booster was trained on."""
        return int(self.booster.num_feature())

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Predicted probability (the booster's default output for a binary objective)."""
        matrix = features.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(self.booster.predict(matrix), dtype=np.float64)

    def gain_importance(self) -> dict[str, float]:
        """Total split gain per feature, as LightGBM computes it."""
        gains = self.booster.feature_importance(importance_type="gain")
        return {str(n): float(g) for n, g in zip(self.booster.feature_name(), gains, strict=True)}


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model ready to score, with the sha256 of the artifact it came from."""

    model: ScoringModel
    sha256: str
    format: ModelFormat


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def as_scoring_model(obj: Any) -> ScoringModel:
    """Wrap an in-memory estimator or booster (pass-through for adapters)."""
    if isinstance(obj, (SklearnClassifier, LightGBMBooster)):
        return obj
    if type(obj).__name__ == "Booster" and hasattr(obj, "feature_name"):
        return LightGBMBooster(obj)
    if callable(getattr(obj, "predict_proba", None)):
        return SklearnClassifier(obj)
    if callable(getattr(obj, "score", None)) and hasattr(obj, "feature_names"):
        return obj  # type: ignore[no-any-return]
    raise InvalidModelArtifact(
        "object is not a binary classifier: it has no predict_proba", type=type(obj).__name__
    )


def load_model(path: str | Path, *, expected_sha256: str | None = None) -> LoadedModel:
    """Load a model artifact; raises :class:`InvalidModelArtifact` for anything else."""
    p = Path(path)
    if not p.is_file():
        raise InvalidModelArtifact("model file does not exist", path=p.name)
    digest = sha256_file(p)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise InvalidModelArtifact("model file sha256 does not match the registered artifact")
    with p.open("rb") as fh:
        head = fh.read(64)
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return LoadedModel(_load_booster(p), digest, "lightgbm-booster")
    try:
        import joblib  # type: ignore[import-untyped]

        with warnings.catch_warnings():
            # Version-mismatch warnings from scikit-learn should not abort a validation run.
            warnings.simplefilter("ignore")
            obj = joblib.load(p)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InvalidModelArtifact(
            "model file is neither a pickle/joblib classifier nor a LightGBM model text file",
            reason=type(exc).__name__,
        ) from exc
    except (AttributeError, ModuleNotFoundError, ImportError, TypeError) as exc:
        raise InvalidModelArtifact(
            "model file refers to code that is not installed", reason=type(exc).__name__
        ) from exc
    model = as_scoring_model(obj)
    fmt: ModelFormat = "lightgbm-booster" if isinstance(model, LightGBMBooster) else "sklearn"
    return LoadedModel(model, digest, fmt)


def _load_booster(path: Path) -> LightGBMBooster:
    import lightgbm

    try:
        booster = lightgbm.Booster(model_file=str(path))
    except lightgbm.basic.LightGBMError as exc:
        raise InvalidModelArtifact("LightGBM model text file is corrupt") from exc
    return LightGBMBooster(booster)


def load_dataset(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a pandas DataFrame (raises :class:`InvalidDataset`)."""
    import polars as pl

    p = Path(path)
    if not p.is_file():
        raise InvalidDataset("dataset file does not exist", path=p.name)
    suffix = p.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            frame = pl.read_parquet(p)
        elif suffix in {".csv", ".txt"}:
            frame = pl.read_csv(p, infer_schema_length=10_000)
        else:
            raise InvalidDataset("dataset must be a .csv or .parquet file", suffix=suffix)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidDataset("dataset file cannot be read", reason=type(exc).__name__) from exc
    if frame.height == 0:
        raise InvalidDataset("dataset is empty (no rows)")
    return frame.to_pandas()
