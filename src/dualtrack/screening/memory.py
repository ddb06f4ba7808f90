"""In-memory adapters for the screening ports (tests, CLI demos, single-process use)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from dualtrack.screening.domain import Clearance


class InMemoryClearanceRepository:
    """Clearances kept in a dict keyed by (client, list, entry, entry content hash)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str, str], Clearance] = {}

    def add(self, clearance: Clearance) -> None:
        """Store ``clearance``."""
        key = (
            clearance.client_id,
            clearance.list_id,
            clearance.entry_id,
            clearance.entry_content_hash,
        )
        self._items[key] = clearance

    def is_cleared(
        self, *, client_id: str, list_id: str, entry_id: str, entry_content_hash: str
    ) -> bool:
        """Whether exactly this key was cleared."""
        return (client_id, list_id, entry_id, entry_content_hash) in self._items

    def for_client(self, client_id: str) -> Sequence[Clearance]:
        """Clearances of ``client_id`` in insertion order."""
        return [c for c in self._items.values() if c.client_id == client_id]


class SystemClock:
    """The real UTC clock."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)
