"""Contract every registered validation test must honour (parametrised over the registry)."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pytest

from dualtrack.validation import create_test, registered_tests
from dualtrack.validation.base import PRE_DEPLOYMENT, ValidationTest
from dualtrack.validation.context import ValidationContext
from dualtrack.validation.domain import ValidationTestResult

ALL_IDS = sorted(registered_tests())
REFERENCE_IDS = [i for i in ALL_IDS if registered_tests()[i].needs_reference]


def test_registry_holds_every_required_category() -> None:
    categories = {cls.category for cls in registered_tests().values()}
    assert categories == {
        "performance",
        "stability",
        "fairness",
        "robustness",
        "explainability",
        "data_quality",
        "overfitting",
    }
    for required in (
        "performance.auc",
        "performance.auprc",
        "performance.ks",
        "performance.gini",
        "performance.brier",
        "performance.calibration",
        "performance.confusion",
        "performance.lift",
        "stability.psi_score",
        "stability.psi_features",
        "fairness.demographic_parity",
        "fairness.equalized_odds",
        "robustness.perturbation",
        "robustness.missing_values",
        "data_quality.target_leakage",
        "data_quality.train_test_overlap",
        "overfitting.train_test_gap",
    ):
        assert required in ALL_IDS


@pytest.mark.parametrize("test_id", ALL_IDS)
def test_id_is_stable_and_namespaced(test_id: str) -> None:
    cls = registered_tests()[test_id]
    assert cls.test_id == test_id
    assert test_id.split(".", maxsplit=1)[0] == cls.category
    assert cls.summary


@pytest.mark.parametrize("test_id", ALL_IDS)
def test_init_only_stores_parameters(test_id: str) -> None:
    test = create_test(test_id)
    params = test.get_params()
    clone = create_test(test_id, params)
    assert clone.get_params() == params
    assert repr(clone).startswith(type(test).__name__)
    for name, value in params.items():
        assert getattr(test, name) == value
    assert not [k for k in vars(test) if k.endswith("_")], "no fitted state before run()"


@pytest.mark.parametrize("test_id", ALL_IDS)
def test_result_contract(test_id: str, ctx: ValidationContext) -> None:
    scores_before = ctx.scores.copy()
    test: ValidationTest = create_test(test_id)
    result = test.run(ctx, severity="medium", extra_controls=("X-TEST",))
    assert isinstance(result, ValidationTestResult)
    assert result.test_id == test_id
    assert result.status in {"pass", "fail", "skipped"}
    assert result.passed == (result.status == "pass")
    assert result.severity == "medium"
    assert result.data_fingerprint == ctx.current.fingerprint.sha256
    assert set(PRE_DEPLOYMENT) <= set(result.controls)
    assert result.controls[-1] == "X-TEST"
    assert dict(result.config) == test.get_params()
    assert result.message
    # Immutable and strictly JSON-serialisable, round-trips unchanged.
    assert isinstance(result.metrics, MappingProxyType)
    with pytest.raises(TypeError):
        result.metrics["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        result.status = "pass"  # type: ignore[misc]
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = ValidationTestResult.from_dict(json.loads(text))
    assert again.to_dict() == result.to_dict()
    # Running never changes the context's data, and repeats give the same answer.
    np.testing.assert_array_equal(ctx.scores, scores_before)
    repeat = create_test(test_id).run(ctx, severity="medium", extra_controls=("X-TEST",))
    assert {**repeat.to_dict(), "duration_s": 0} == {**result.to_dict(), "duration_s": 0}


@pytest.mark.parametrize("test_id", REFERENCE_IDS)
def test_tests_needing_reference_skip_without_it(test_id: str, data) -> None:  # type: ignore[no-untyped-def]
    from dualtrack.validation.loading import as_scoring_model

    ctx = ValidationContext.build(as_scoring_model(data.booster), data.test, data.spec)
    result = create_test(test_id).run(ctx)
    assert result.status == "skipped"
    assert "reference" in result.message


def test_unknown_test_and_parameter_are_rejected() -> None:
    from dualtrack.validation.errors import UnknownValidationTest

    with pytest.raises(UnknownValidationTest, match=r"performance\.nope"):
        create_test("performance.nope")
    with pytest.raises(UnknownValidationTest, match="min_aucc"):
        create_test("performance.auc", {"min_aucc": 0.5})


def test_duplicate_registration_is_refused() -> None:
    from dualtrack.validation.base import Outcome, register

    class Clash(ValidationTest):
        test_id = "performance.auc"
        category = "performance"

        def _evaluate(self, ctx: ValidationContext) -> Outcome:
            raise AssertionError

    with pytest.raises(ValueError, match="already registered"):
        register(Clash)
