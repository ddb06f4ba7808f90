"""Ledger-backed implementations of :class:`dualtrack.ledger.ports.AuditSink`.

Feature services take an ``AuditSink``; these two adapters cover the two ways the platform
wires one: inside the caller's unit of work (the record commits with the caller's rows), or in
a transaction of its own per record.
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


__all__ = ["LedgerAuditSink", "UowAuditSink"]
