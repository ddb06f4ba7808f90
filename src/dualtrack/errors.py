"""The exception tree shared by every dualtrack feature.

Services raise these; the edges translate them (the API to RFC 9457 problem responses in
``dualtrack.api.problems``, the CLI to a message on stderr and exit code 2).

::

    PlatformError
    ├── NotFound
    ├── Conflict
    │   └── IllegalTransition
    ├── PermissionDenied
    │   ├── SelfApprovalForbidden
    │   └── RoleNotAllowed
    ├── InvalidInput
    ├── ConfigurationError
    └── LedgerIntegrityError

Every error has a stable ``code`` (used in problem ``type`` URIs and in the ledger) and a
message that never contains secrets or personal data: callers put identifiers such as a
system ID in ``fields`` and keep free text out of it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PlatformError(Exception):
    """Root of every error dualtrack raises on purpose."""

    code: ClassVar[str] = "platform-error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = fields


class NotFound(PlatformError):
    """The named object does not exist (or is not visible to the caller)."""

    code = "not-found"


class Conflict(PlatformError):
    """The request clashes with the current state (duplicate, stale version...)."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A lifecycle transition that the state machine does not allow."""

    code = "illegal-transition"


class PermissionDenied(PlatformError):
    """The actor may not do this."""

    code = "permission-denied"


class SelfApprovalForbidden(PermissionDenied):
    """Maker-checker: the checker must be a different person from the maker."""

    code = "self-approval-forbidden"


class RoleNotAllowed(PermissionDenied):
    """The actor's role does not allow this action (for this risk tier)."""

    code = "role-not-allowed"


class InvalidInput(PlatformError):
    """Input that is malformed or fails a business rule."""

    code = "invalid-input"


class ConfigurationError(PlatformError):
    """Missing or unsafe configuration (for example no pseudonymisation key)."""

    code = "configuration-error"


class LedgerIntegrityError(PlatformError):
    """The audit ledger's hash chain does not verify."""

    code = "ledger-integrity"


__all__ = [
    "ConfigurationError",
    "Conflict",
    "IllegalTransition",
    "InvalidInput",
    "LedgerIntegrityError",
    "NotFound",
    "PermissionDenied",
    "PlatformError",
    "RoleNotAllowed",
    "SelfApprovalForbidden",
]
