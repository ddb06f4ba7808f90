"""Bad inputs fail early with a clear InvalidInput naming the problem (table-driven)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from dualtrack.errors import InvalidInput
from dualtrack.validation import DatasetSpec, load_dataset, load_model, run_validation
from dualtrack.validation.errors import InvalidDataset, InvalidModelArtifact, InvalidScores

from .conftest import FEATURES, Data, NaNModel


def _one_class(d: Data) -> pd.DataFrame:
    return d.test.assign(target=0)


def _renamed(d: Data) -> pd.DataFrame:
    return d.test.rename(columns={"f03": "f3"})


@pytest.mark.parametrize(
    ("make", "spec", "error", "words"),
    [
        (lambda d: d.test.iloc[0:0], DatasetSpec(), InvalidDataset, "empty"),
        (_one_class, DatasetSpec(), InvalidDataset, "exactly two classes"),
        (
            lambda d: d.test.drop(columns=["race"]),
            DatasetSpec(protected_attributes=("sex", "race")),
            InvalidDataset,
            "race",
        ),
        (_renamed, DatasetSpec(), InvalidDataset, "f03"),
        (lambda d: d.test.drop(columns=["target"]), DatasetSpec(), InvalidDataset, "target"),
        (
            lambda d: d.test.assign(
                target=np.where(np.arange(len(d.test)) == 5, np.nan, d.test.target)
            ),
            DatasetSpec(),
            InvalidDataset,
            "missing value",
        ),
    ],
    ids=["empty", "one-class", "missing-protected", "feature-mismatch", "no-target", "nan-target"],
)
def test_bad_datasets(
    data: Data,
    make: Callable[[Data], pd.DataFrame],
    spec: DatasetSpec,
    error: type[InvalidInput],
    words: str,
) -> None:
    with pytest.raises(error, match=words) as info:
        run_validation(data.logistic, make(data), "LOW", spec=spec)
    assert isinstance(info.value, InvalidInput)


def test_near_miss_two_classes_with_strings_is_accepted(data: Data) -> None:
    frame = data.test.assign(target=np.where(data.test.target == 1, "bad", "good"))
    run = run_validation(data.logistic, frame, "LOW")
    # "good" sorts after "bad", so "good" is the positive class: AUC flips below 0.5.
    assert run.result("performance.auc").metrics["auc"] < 0.5


def test_nan_scores_are_rejected(data: Data) -> None:
    with pytest.raises(InvalidScores, match="1 NaN"):
        run_validation(NaNModel(), data.test, "LOW")


def test_tier_plan_requirements(data: Data) -> None:
    with pytest.raises(InvalidDataset, match="reference"):
        run_validation(data.logistic, data.test, "HIGH", spec=data.spec)
    with pytest.raises(InvalidDataset, match="protected attributes"):
        run_validation(data.logistic, data.test, "HIGH", reference=data.train)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"this is not a model at all\n", "neither"),
        (b"", "neither"),
        (pickle.dumps({"weights": [1, 2, 3]}), "no predict_proba"),
        (b"tree\nversion=v4\nnum_class=oops\n", "corrupt"),
    ],
    ids=["text", "empty", "pickled-dict", "broken-lightgbm"],
)
def test_files_that_are_not_models(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(InvalidModelArtifact, match=words):
        load_model(path)


def test_model_files_load_and_hash(tmp_path: Path, data: Data) -> None:
    sk = tmp_path / "model.joblib"
    joblib.dump(data.logistic, sk)
    txt = tmp_path / "model.txt"
    data.booster.save_model(str(txt))
    loaded_sk = load_model(sk)
    loaded_lgb = load_model(txt)
    assert loaded_sk.format == "sklearn"
    assert loaded_lgb.format == "lightgbm-booster"
    assert loaded_lgb.model.feature_names == tuple(FEATURES)
    frame = data.test[FEATURES]
    np.testing.assert_allclose(
        loaded_lgb.model.score(frame), data.booster.predict(frame.to_numpy()), rtol=1e-12
    )
    run = run_validation(loaded_sk, data.test, "LOW")
    assert run.model_artifact_sha256 == loaded_sk.sha256
    with pytest.raises(InvalidModelArtifact, match="sha256"):
        load_model(sk, expected_sha256="0" * 64)
    assert load_model(sk, expected_sha256=loaded_sk.sha256.upper()).sha256 == loaded_sk.sha256


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_dataset_files(tmp_path: Path, data: Data, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        data.test.to_csv(path, index=False)
    else:
        data.test.to_parquet(path)
    frame = load_dataset(path)
    assert list(frame.columns) == list(data.test.columns)
    assert len(frame) == len(data.test)
    run = run_validation(data.logistic, path, "LOW")
    assert run.data_fingerprint.n_rows == len(data.test)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("data.xlsx", b"x", "csv"),
        ("data.csv", b"a,b\n", "empty"),
        ("data.parquet", b"nope", "cannot be read"),
    ],
)
def test_bad_dataset_files(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidDataset, match=words):
        load_dataset(path)


@pytest.mark.parametrize("thresholds", [(), (1.5,), (0.2, -0.1)])
def test_bad_thresholds_are_rejected(thresholds: tuple[float, ...]) -> None:
    with pytest.raises(InvalidDataset, match="thresholds"):
        DatasetSpec(thresholds=thresholds)
