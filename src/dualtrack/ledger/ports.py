"""Ports of the audit ledger that other features depend on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AuditSink(Protocol):
    """Where a feature's service writes what happened.

    ``payload`` must be JSON-serialisable and must not contain raw personal data: pass
    pseudonyms (see ``dualtrack.privacy``) or identifiers instead.
    """

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None: ...
