"""Errors raised by the VA-dealing package (each with a stable ``code``).

::

    PlatformError
    ├── NotFound
    │   ├── FirmNotFound            va-firm-not-found
    │   ├── ClientNotFound          va-client-not-found
    │   └── ChallengeNotFound       va-challenge-not-found
    ├── Conflict
    │   ├── DuplicateRecord         va-duplicate
    │   ├── IllegalTransition       (licence status changes)
    │   └── RetentionLocked         va-retention-locked
    ├── InvalidInput
    │   ├── InvalidAddress          va-invalid-address
    │   ├── InvalidTransaction      va-invalid-transaction
    │   └── WalletProofFailed       va-wallet-proof-failed
    └── ConfigurationError
        └── ControlConfigError      va-control-config

Messages never carry names, addresses or other client data; identifiers go in ``fields``.
"""

from __future__ import annotations

from dualtrack.errors import ConfigurationError, Conflict, InvalidInput, NotFound


class FirmNotFound(NotFound):
    """No firm with this id in the licence register."""

    code = "va-firm-not-found"


class ClientNotFound(NotFound):
    """No client with this id."""

    code = "va-client-not-found"


class ChallengeNotFound(NotFound):
    """No open wallet-ownership challenge or micro-payment test with this id."""

    code = "va-challenge-not-found"


class DuplicateRecord(Conflict):
    """A firm, client or wallet with this id is already recorded."""

    code = "va-duplicate"


class RetentionLocked(Conflict):
    """A record is still inside its retention period (or under legal hold)."""

    code = "va-retention-locked"


class InvalidAddress(InvalidInput):
    """A wallet address that is malformed or whose checksum does not verify."""

    code = "va-invalid-address"


class InvalidTransaction(InvalidInput):
    """A transaction that is structurally unusable (no id, naive time, non-positive amount)."""

    code = "va-invalid-transaction"


class WalletProofFailed(InvalidInput):
    """A wallet-ownership proof did not verify."""

    code = "va-wallet-proof-failed"


class ControlConfigError(ConfigurationError):
    """The controls file or an override is malformed."""

    code = "va-control-config"


__all__ = [
    "ChallengeNotFound",
    "ClientNotFound",
    "ControlConfigError",
    "DuplicateRecord",
    "FirmNotFound",
    "InvalidAddress",
    "InvalidTransaction",
    "RetentionLocked",
    "WalletProofFailed",
]
