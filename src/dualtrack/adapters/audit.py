"""Ledger-backed implementations of :class:`dualtrack.ledger.ports.AuditSink`.

Feature services take an ``AuditSink``; these adapters cover the ways the platform wires one:
inside the caller's unit of work (the record commits with the caller's rows), buffered for one
multi-row append in the caller's unit of work, or in a transaction of its own per record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dualtrack.ports import UnitOfWork


class UowAuditSink:
    """Appends to the ledger inside an open unit of work; the caller commits."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self._uow.audit.record(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=payload,
        )


class LedgerAuditSink:
    """Writes each record to the ledger in its own, committed transaction."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        with self._uow() as uow:
            UowAuditSink(uow).record(
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                payload=payload,
            )
            uow.commit()


class BufferedAuditSink:
    """Collects records for the caller to append in one ``record_many`` call (one head lock,
    one multi-row insert), inside the caller's transaction: for hot paths that raise several
    ledger entries per unit of work."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, str, Mapping[str, Any]]] = []

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self.items.append((actor, action, subject_type, subject_id, payload))


__all__ = ["BufferedAuditSink", "LedgerAuditSink", "UowAuditSink"]
