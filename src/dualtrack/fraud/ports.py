"""Ports of the fraud feature: where online feature state and cases live, and the clock.

In-memory adapters live in :mod:`dualtrack.fraud.memory`; the platform adds SQL (cases)
and, if needed, Redis (feature state) adapters behind the same Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dualtrack.fraud.domain import Alert, Case
    from dualtrack.fraud.features import EntityState


class FeatureStateStore(Protocol):
    """Per-key online feature state, plus the features already returned per transaction.

    Keys look like ``customer:<id>``, ``account:<id>`` or ``payee:<id>``, so a store may be
    partitioned by key. ``remember``/``remembered`` make scoring idempotent per
    transaction ID; a store may forget IDs older than the longest feature window.
    """

    def load(self, key: str) -> EntityState | None: ...

    def save(self, key: str, state: EntityState) -> None: ...

    def remembered(self, txn_id: str) -> tuple[float, ...] | None: ...

    def remember(self, txn_id: str, ts: int, features: tuple[float, ...]) -> None: ...

    def last_ts(self, customer_id: str) -> int | None: ...


class CaseRepository(Protocol):
    """Storage of alerts and cases (the platform provides a SQL implementation)."""

    def add_alert(self, alert: Alert) -> None: ...

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def update_alert(self, alert: Alert) -> None: ...

    def alerts_for_case(self, case_id: str) -> Sequence[Alert]: ...

    def add_case(self, case: Case) -> None: ...

    def get_case(self, case_id: str) -> Case | None: ...

    def update_case(self, case: Case) -> None: ...

    def open_case_for(self, customer_ref: str) -> Case | None: ...

    def list_cases(self, *, status: str | None = None) -> Iterable[Case]: ...


class Clock(Protocol):
    """Current UTC time (injected so tests can freeze it)."""

    def now(self) -> datetime: ...
