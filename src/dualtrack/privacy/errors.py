"""Errors raised by the privacy guard (all rooted in :mod:`dualtrack.errors`).

::

    ConfigurationError
    ├── MissingKey              (no pseudonymisation / encryption key configured)
    └── ProfileUnavailable      (e.g. the "spacy" profile without spaCy or its model)
    InvalidInput
    ├── UndecodableInput        (invalid UTF-8, binary data)
    └── InvalidToken            (a re-identification token that does not decrypt)
    RoleNotAllowed
    └── ReidentificationNotAllowed

Messages never contain the text being scanned, a token's plaintext or a key.
"""

from __future__ import annotations

from dualtrack.errors import ConfigurationError, InvalidInput, RoleNotAllowed


class MissingKey(ConfigurationError):
    """An operation needs a key that was not passed in; plaintext is never the fallback."""

    code = "privacy-missing-key"


class ProfileUnavailable(ConfigurationError):
    """The requested detection profile needs an optional package that is not installed."""

    code = "privacy-profile-unavailable"


class UndecodableInput(InvalidInput):
    """Input bytes are not valid UTF-8 text (or look binary)."""

    code = "privacy-undecodable-input"


class InvalidToken(InvalidInput):
    """A token presented for re-identification is malformed or fails authentication."""

    code = "privacy-invalid-token"


class ReidentificationNotAllowed(RoleNotAllowed):
    """The caller's role may not turn tokens back into personal data."""

    code = "privacy-reidentification-not-allowed"


__all__ = [
    "InvalidToken",
    "MissingKey",
    "ProfileUnavailable",
    "ReidentificationNotAllowed",
    "UndecodableInput",
]
