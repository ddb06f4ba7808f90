"""Errors raised by the screening feature.

::

    InvalidInput (dualtrack.errors)
    ├── NameRejected        a query or list name we refuse to screen (control characters...)
    ├── ListFormatError     a list file in an unknown format or malformed (names line/element)
    └── WalletRejected      a wallet address that is not plausible
    NotFound (dualtrack.errors)
    └── ListNotLoaded       screening before any version of a list is active

Messages never contain the name or address itself: the problem is in ``fields``.
"""

from __future__ import annotations

from dualtrack.errors import InvalidInput, NotFound


class NameRejected(InvalidInput):
    """A name that cannot be screened as given."""

    code = "screening-name-rejected"


class ListFormatError(InvalidInput):
    """A sanctions list file that is not in a supported format or is malformed."""

    code = "screening-list-malformed"


class WalletRejected(InvalidInput):
    """A wallet address that is empty, too long or contains unexpected characters."""

    code = "screening-wallet-rejected"


class ListNotLoaded(NotFound):
    """No version of the requested list is in service."""

    code = "screening-list-not-loaded"


__all__ = ["ListFormatError", "ListNotLoaded", "NameRejected", "WalletRejected"]
