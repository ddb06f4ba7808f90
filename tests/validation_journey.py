"""Shared helpers of the validation/monitoring end-to-end tests: a tiny model and data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from dualtrack.bootstrap import Platform
from dualtrack.identity.domain import Actor
from dualtrack.registry.domain import OpportunityArea, SystemAttributes
from dualtrack.validation.demo import FEATURES, train_demo_model, write_demo_files

ROWS = 10_000


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_files(var_dir: Path) -> dict[str, Path]:
    """Demo files under ``<var_dir>/data/demo`` (the folder the API may read by path)."""
    return write_demo_files(var_dir / "data" / "demo", rows=ROWS, seed=0)


def fraud_like_system(platform: Platform, dev: Actor, name: str = "Payments scoring") -> str:
    """A MEDIUM-tier system (fraud detection on personal data) with protected ``sex``."""
    attributes = SystemAttributes(
        name=name,
        purpose="Scores payments for fraud.",
        business_function="Retail payments",
        opportunity_area=OpportunityArea.FRAUD_CRIME_DETECTION,
        accountable_senior_manager="sam",
        owner="dev",
        uses_personal_data=True,
        protected_attributes=("sex",),
    )
    return platform.registry.register_system(dev, attributes).id


def register(platform: Platform, dev: Actor, system_id: str, model: Path, label: str) -> str:
    version = platform.registry.register_version(
        dev,
        system_id,
        version=label,
        artifact_sha256=sha256(model),
        data_fingerprint="0" * 64,
        artifact_uri=str(model),
    )
    platform.registry.submit(dev, version.id)
    return version.id


def weak_model(files: dict[str, Path], out: Path) -> Path:
    """A booster trained on shuffled labels: it fails the AUC test."""
    train = pd.read_csv(files["train"])
    rng = np.random.default_rng(5)
    train["target"] = rng.permutation(train["target"].to_numpy())
    booster = train_demo_model(train)
    booster.save_model(str(out))
    return out


def variant(files: dict[str, Path], name: str, change: str) -> Path:
    """A broken copy of the validation set (see the bad-input tests)."""
    frame = pd.read_csv(files["valid"])
    if change == "empty":
        frame = frame.head(0)
    elif change == "one-class":
        frame["target"] = 0
    elif change == "no-protected":
        frame = frame.drop(columns=["sex"])
    elif change == "renamed-feature":
        frame = frame.rename(columns={FEATURES[0]: "feature_zero"})
    out = files["valid"].with_name(name)
    frame.to_csv(out, index=False)
    return out


class NaNClassifier:
    """A scikit-learn-style classifier whose scores are NaN (a broken model)."""

    feature_names_in_ = np.array(FEATURES)
    n_features_in_ = len(FEATURES)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        out = np.full((len(features), 2), 0.5)
        out[::7, 1] = np.nan
        return out


def nan_model(out: Path) -> Path:
    import joblib

    joblib.dump(NaNClassifier(), out)
    return out
