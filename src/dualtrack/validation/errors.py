"""Errors raised by the validation library.

::

    InvalidInput (dualtrack.errors)
    ├── InvalidModelArtifact   the file is not a model we can load, or its hash is wrong
    ├── InvalidDataset         empty data, bad target, missing or mismatched columns
    ├── InvalidScores          the model produced NaN or out-of-range scores
    └── UnknownValidationTest  a plan names a test id that is not registered
    ConfigurationError (dualtrack.errors)
    └── InvalidPlan            a validation plan file is malformed

Messages name columns, counts and test ids, never cell values (cells may hold personal data).
"""

from __future__ import annotations

from dualtrack.errors import ConfigurationError, InvalidInput


class InvalidModelArtifact(InvalidInput):
    """The model file cannot be used as a binary classifier."""

    code = "validation-invalid-model"


class InvalidDataset(InvalidInput):
    """The dataset cannot be validated against (empty, one class, missing columns...)."""

    code = "validation-invalid-dataset"


class InvalidScores(InvalidInput):
    """The model's scores are unusable (NaN, infinite or outside [0, 1])."""

    code = "validation-invalid-scores"


class UnknownValidationTest(InvalidInput):
    """A test id that no validation test is registered under."""

    code = "validation-unknown-test"


class InvalidPlan(ConfigurationError):
    """A validation plan (YAML data) is malformed."""

    code = "validation-invalid-plan"


__all__ = [
    "InvalidDataset",
    "InvalidModelArtifact",
    "InvalidPlan",
    "InvalidScores",
    "UnknownValidationTest",
]
