"""Ports the privacy guard depends on or offers (Protocols only)."""

from __future__ import annotations

from typing import Protocol

from dualtrack.ledger.ports import AuditSink
from dualtrack.privacy.domain import Finding


class TextDetector(Protocol):
    """Anything that finds personal data in text (``PrivacyGuard`` is the built-in one)."""

    def detect(self, text: str) -> list[Finding]: ...


__all__ = ["AuditSink", "TextDetector"]
