"""Errors raised by the fraud feature, each with a stable ``code``.

::

    InvalidInput
    └── FraudInputError          (fraud-invalid-input)
    ConfigurationError
    ├── DatasetChecksumError     (fraud-dataset-checksum)
    └── ModelArtifactError       (fraud-model-artifact)
    NotFound
    └── CaseNotFound             (fraud-case-not-found)
    IllegalTransition
    └── IllegalCaseTransition    (fraud-illegal-case-transition)

Messages name fields, rows and identifiers of records we generate (transaction IDs, case
IDs), never customer names, account numbers or phone numbers.
"""

from __future__ import annotations

from dualtrack.errors import ConfigurationError, IllegalTransition, InvalidInput, NotFound


class FraudInputError(InvalidInput):
    """A transaction or batch failed validation; ``fields['problems']`` lists why."""

    code = "fraud-invalid-input"


class DatasetChecksumError(ConfigurationError):
    """A downloaded dataset does not have the published checksum."""

    code = "fraud-dataset-checksum"


class ModelArtifactError(ConfigurationError):
    """A model artifact is missing, incomplete or fails its sha256 check."""

    code = "fraud-model-artifact"


class CaseNotFound(NotFound):
    """No alert or case with that ID."""

    code = "fraud-case-not-found"


class IllegalCaseTransition(IllegalTransition):
    """The case state machine does not allow this move."""

    code = "fraud-illegal-case-transition"


__all__ = [
    "CaseNotFound",
    "DatasetChecksumError",
    "FraudInputError",
    "IllegalCaseTransition",
    "ModelArtifactError",
]
