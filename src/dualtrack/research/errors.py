"""Errors raised by the research assistant, rooted in ``dualtrack.errors``.

::

    InvalidInput
    ├── InvalidDocument     (corrupt, encrypted, empty or oversized upload)
    └── UnsafeQuery         (SQL that is not a single read-only SELECT on allowed tables)
    PlatformError
    └── ChatEndpointError   (the optional OpenAI-compatible endpoint failed or timed out)
"""

from __future__ import annotations

from dualtrack.errors import InvalidInput, PlatformError


class InvalidDocument(InvalidInput):
    """A document could not be ingested; nothing from it was indexed."""

    code = "research-invalid-document"


class UnsafeQuery(InvalidInput):
    """A data-analysis query was rejected by the read-only SQL checker."""

    code = "research-unsafe-query"


class ChatEndpointError(PlatformError):
    """The configured chat endpoint failed, timed out or answered nonsense."""

    code = "research-chat-endpoint"


__all__ = ["ChatEndpointError", "InvalidDocument", "UnsafeQuery"]
