"""Ports of the validation library: what a model must offer, and the progress callback."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd


class ScoringModel(Protocol):
    """A binary classifier as the validation library sees it.

    ``score`` returns the probability of the positive class for each row of ``features``
    (columns in ``feature_names`` order). Adapters for scikit-learn estimators and LightGBM
    boosters live in :mod:`dualtrack.validation.loading`.
    """

    @property
    def feature_names(self) -> tuple[str, ...] | None: ...

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]: ...


class ProgressCallback(Protocol):
    """Called after each test: ``done`` of ``total`` tests finished, the last one ``test_id``."""

    def __call__(self, done: int, total: int, test_id: str) -> None: ...
