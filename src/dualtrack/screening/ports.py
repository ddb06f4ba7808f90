"""Ports of the screening feature (implemented in memory here, in SQL by the lead)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dualtrack.screening.domain import Clearance


class ClearanceRepository(Protocol):
    """Remembers reviewers' clearances of hits, keyed by the entry's content hash."""

    def add(self, clearance: Clearance) -> None:
        """Store a clearance (re-clearing the same key replaces it)."""
        ...

    def is_cleared(
        self, *, client_id: str, list_id: str, entry_id: str, entry_content_hash: str
    ) -> bool:
        """Whether this client was cleared against exactly this entry content."""
        ...

    def for_client(self, client_id: str) -> Sequence[Clearance]:
        """All clearances of one client (for review screens)."""
        ...


class Clock(Protocol):
    """Source of the current UTC time (a fake in tests)."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...
