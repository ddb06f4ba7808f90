"""Models compiled to native code (lleaves) score exactly as LightGBM does, and a library
that is not the artifact's own is never used."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dualtrack.fraud import compiled
from dualtrack.fraud.ensemble import merge_models
from dualtrack.fraud.features import FEATURE_NAMES, with_features
from dualtrack.fraud.model import ModelArtifact
from dualtrack.fraud.service import FraudScorer
from dualtrack.fraud.validation import ValidationLimits


@pytest.fixture(scope="module")
def library(artifact: ModelArtifact, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("compiled")
    return compiled.compile_model(artifact, cache)


def test_the_optional_compiler_is_installed_from_the_lock_file() -> None:
    assert compiled.available()


def test_compiled_scores_equal_lightgbm_on_real_features(
    artifact: ModelArtifact, library: Path, stream: pl.DataFrame
) -> None:
    assert library.name.startswith(artifact.artifact_sha256)
    forest = compiled.load_compiled(artifact, library.parent)
    assert forest is not None
    x = with_features(stream.head(5_000)).select(FEATURE_NAMES).to_numpy()
    expected = artifact.booster().predict(x)
    for threads in (1, 2):
        np.testing.assert_allclose(forest.predict(x, threads=threads), expected, rtol=0, atol=1e-12)
    # compiling again reuses the library
    assert compiled.compile_model(artifact, library.parent) == library


def test_scorer_with_the_compiled_model_decides_the_same(
    artifact: ModelArtifact, library: Path, stream: pl.DataFrame
) -> None:
    forest = compiled.load_compiled(artifact, library.parent)
    rows = stream.head(3_000).drop("is_fraud", "typology")
    limits = ValidationLimits(max_batch=5_000)
    plain = FraudScorer(artifact, limits=limits).score_columns(rows)
    fast = FraudScorer(artifact, limits=limits, compiled=forest).score_columns(rows)
    np.testing.assert_allclose(fast.scores, plain.scores, rtol=0, atol=1e-12)
    assert np.array_equal(fast.actions, plain.actions)
    assert plain.actions.any(), "some rows are flagged, so reasons were computed"
    assert {i: r for i, r in fast.reasons.items()} == plain.reasons


def test_a_library_that_is_not_the_artifacts_own_is_refused(
    artifact: ModelArtifact, library: Path, tmp_path: Path
) -> None:
    other = replace(artifact, model_text=_shifted(artifact))
    assert other.artifact_sha256 != artifact.artifact_sha256
    # the other artifact's path, holding this artifact's library (agrees only with itself)
    foreign = compiled.library_path(other, tmp_path)
    shutil.copy(library, foreign)
    assert compiled.load_compiled(other, tmp_path) is None, "no digest beside it"
    shutil.copy(_digest(library), _digest(foreign))
    assert compiled.load_compiled(other, tmp_path) is None, "disagrees on the probe rows"
    assert compiled.load_compiled(artifact, tmp_path) is None  # never compiled here
    # damaged bytes never reach LLVM (which would abort the process)
    own = compiled.library_path(artifact, tmp_path)
    own.write_bytes(b"not a shared library")
    shutil.copy(_digest(library), _digest(own))
    assert compiled.load_compiled(artifact, tmp_path) is None
    # compiling again replaces what does not match its digest
    assert compiled.compile_model(artifact, tmp_path) == own
    assert compiled.load_compiled(artifact, tmp_path) is not None


def _digest(library: Path) -> Path:
    return library.with_name(library.name + ".sha256")


def _shifted(artifact: ModelArtifact) -> str:
    """Another forest: the first ten trees of this one."""
    return str(artifact.booster().model_to_string(num_iteration=10))


def test_a_merged_seed_bag_compiles_and_agrees(
    artifact: ModelArtifact, stream: pl.DataFrame, tmp_path: Path
) -> None:
    """A seed bag's merged text has no ``tree_sizes`` header (lleaves needs one)."""
    booster = artifact.booster()
    halves = [booster.model_to_string(num_iteration=10), booster.model_to_string()]
    bag = replace(artifact, model_text=merge_models(halves))
    assert "tree_sizes=" not in bag.model_text
    compiled.compile_model(bag, tmp_path)
    forest = compiled.load_compiled(bag, tmp_path)
    assert forest is not None
    x = with_features(stream.head(2_000)).select(FEATURE_NAMES).to_numpy()
    np.testing.assert_allclose(forest.predict(x), bag.booster().predict(x), rtol=0, atol=1e-12)
