"""SQL adapters of screening, and the *ambient unit of work* shared with the VA desk.

The screening and VA-dealing services are long-lived objects whose repositories are fixed at
construction, while a use case (load a list, check a transaction) must write its rows and its
ledger entries in ONE transaction. :class:`AmbientUnit` solves this: an operation opens
``with unit() as uow:``; every repository and the ledger sink built on the same
``AmbientUnit`` then join that transaction (found through a context variable) instead of
opening their own. Outside an operation each call runs in its own short transaction. On
SQLite this also avoids a second connection waiting for the write lock the first one holds.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from dualtrack.adapters.codec import decode, to_jsonable
from dualtrack.adapters.screening_tables import (
    screening_clearances,
    screening_decisions,
    screening_list_versions,
    screening_load_alerts,
)
from dualtrack.adapters.sql import Clock, SqlUnitOfWork, utc_now
from dualtrack.ledger.domain import format_time
from dualtrack.screening.domain import Clearance


def dump(value: Any) -> str:
    """Canonical JSON text of a record (via the generic codec)."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stamp(moment: datetime) -> str:
    """Sortable UTC text for a timezone-aware time."""
    return format_time(moment)


class AmbientUnit:
    """Joins the unit of work of the enclosing operation, or opens a short one."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._current: ContextVar[SqlUnitOfWork | None] = ContextVar(
            f"ambient-uow-{id(self)}", default=None
        )

    @contextmanager
    def __call__(self) -> Iterator[SqlUnitOfWork]:
        current = self._current.get()
        if current is not None:
            yield current
            return
        with SqlUnitOfWork(self._engine, self._clock) as uow:
            token = self._current.set(uow)
            try:
                yield uow
                uow.commit()
            finally:
                self._current.reset(token)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self() as uow:
            yield uow.connection


class AmbientLedgerSink:
    """``AuditSink`` writing into the ambient transaction (or its own one)."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit
        self._muted: ContextVar[bool] = ContextVar(f"sink-muted-{id(self)}", default=False)

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Drop records inside the block (rebuilding an index from stored versions)."""
        token = self._muted.set(True)
        try:
            yield
        finally:
            self._muted.reset(token)

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        if self._muted.get():
            return
        with self._unit() as uow:
            uow.audit.record(
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                payload=to_jsonable(dict(payload)),
            )


class SqlClearanceRepository:
    """``ClearanceRepository`` over ``screening_clearances``."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def add(self, clearance: Clearance) -> None:
        t = screening_clearances
        key = (
            (t.c.client_id == clearance.client_id)
            & (t.c.list_id == clearance.list_id)
            & (t.c.entry_id == clearance.entry_id)
            & (t.c.entry_content_hash == clearance.entry_content_hash)
        )
        with self._unit.connection() as c:
            c.execute(delete(t).where(key))
            c.execute(
                insert(t).values(
                    client_id=clearance.client_id,
                    list_id=clearance.list_id,
                    entry_id=clearance.entry_id,
                    entry_content_hash=clearance.entry_content_hash,
                    cleared_at=stamp(clearance.cleared_at),
                    data=dump(clearance),
                )
            )

    def is_cleared(
        self, *, client_id: str, list_id: str, entry_id: str, entry_content_hash: str
    ) -> bool:
        t = screening_clearances
        with self._unit.connection() as c:
            row = c.execute(
                select(t.c.client_id).where(
                    (t.c.client_id == client_id)
                    & (t.c.list_id == list_id)
                    & (t.c.entry_id == entry_id)
                    & (t.c.entry_content_hash == entry_content_hash)
                )
            ).first()
        return row is not None

    def for_client(self, client_id: str) -> Sequence[Clearance]:
        t = screening_clearances
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.data).where(t.c.client_id == client_id).order_by(t.c.cleared_at)
            )
            return [decode(Clearance, json.loads(r.data)) for r in rows]


@dataclass(frozen=True, slots=True)
class StoredListVersion:
    """A stored list version: enough to rebuild its snapshot byte for byte."""

    version_id: str
    list_id: str
    status: str
    loaded_at: str
    loaded_by: str
    source: str
    format: str
    content_hash: str
    entry_count: int
    raw: bytes
    companions: dict[str, str]  # name -> hex of the companion file's bytes


class SqlScreeningStore:
    """List versions, load alerts and screening decisions."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    # -------------------------------------------------------------- list versions

    def active_version_ids(self) -> dict[str, str]:
        t = screening_list_versions
        with self._unit.connection() as c:
            rows = c.execute(select(t.c.list_id, t.c.version_id).where(t.c.status == "active"))
            return {r.list_id: r.version_id for r in rows}

    def get_version(self, version_id: str) -> StoredListVersion | None:
        t = screening_list_versions
        with self._unit.connection() as c:
            row = c.execute(select(t).where(t.c.version_id == version_id)).first()
        if row is None:
            return None
        return StoredListVersion(
            version_id=row.version_id,
            list_id=row.list_id,
            status=row.status,
            loaded_at=row.loaded_at,
            loaded_by=row.loaded_by,
            source=row.source,
            format=row.format,
            content_hash=row.content_hash,
            entry_count=int(row.entry_count),
            raw=bytes(row.raw),
            companions=json.loads(row.companions),
        )

    def add_active_version(self, version: StoredListVersion) -> None:
        """Store ``version`` as the list's active one; the previous one is superseded."""
        t = screening_list_versions
        with self._unit.connection() as c:
            c.execute(
                update(t)
                .where((t.c.list_id == version.list_id) & (t.c.status == "active"))
                .values(status="superseded")
            )
            c.execute(
                insert(t).values(
                    version_id=version.version_id,
                    list_id=version.list_id,
                    status="active",
                    loaded_at=version.loaded_at,
                    loaded_by=version.loaded_by,
                    source=version.source,
                    format=version.format,
                    content_hash=version.content_hash,
                    entry_count=version.entry_count,
                    raw=version.raw,
                    companions=json.dumps(version.companions, sort_keys=True),
                )
            )

    def list_versions(self, list_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Metadata of stored versions (newest first), without the raw bytes."""
        t = screening_list_versions
        stmt = select(
            t.c.version_id,
            t.c.list_id,
            t.c.status,
            t.c.loaded_at,
            t.c.loaded_by,
            t.c.source,
            t.c.format,
            t.c.content_hash,
            t.c.entry_count,
        ).order_by(t.c.loaded_at.desc())
        if list_id is not None:
            stmt = stmt.where(t.c.list_id == list_id)
        with self._unit.connection() as c:
            return [dict(r._mapping) for r in c.execute(stmt)]

    # -------------------------------------------------------------- load alerts

    def add_load_alert(self, alert_id: str, list_id: str, occurred_at: str, data: Any) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(screening_load_alerts).values(
                    alert_id=alert_id,
                    list_id=list_id,
                    occurred_at=occurred_at,
                    severity=str(data.get("severity", "critical")),
                    acknowledged=False,
                    data=dump(data),
                )
            )

    def load_alerts(self, *, include_acknowledged: bool = False) -> builtins.list[dict[str, Any]]:
        t = screening_load_alerts
        stmt = select(t).order_by(t.c.occurred_at.desc())
        if not include_acknowledged:
            stmt = stmt.where(t.c.acknowledged.is_(False))
        with self._unit.connection() as c:
            return [
                {"alert_id": r.alert_id, "acknowledged": bool(r.acknowledged), **json.loads(r.data)}
                for r in c.execute(stmt)
            ]

    def acknowledge_alert(self, alert_id: str) -> bool:
        t = screening_load_alerts
        with self._unit.connection() as c:
            result = c.execute(update(t).where(t.c.alert_id == alert_id).values(acknowledged=True))
        return bool(result.rowcount)

    # -------------------------------------------------------------- decisions

    def add_decision(
        self, screening_id: str, client_id: str, screened_at: str, decision: str, data: Any
    ) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(screening_decisions).values(
                    screening_id=screening_id,
                    client_id=client_id,
                    screened_at=screened_at,
                    decision=decision,
                    data=dump(data),
                )
            )

    def get_decision(self, screening_id: str) -> dict[str, Any] | None:
        t = screening_decisions
        with self._unit.connection() as c:
            data = c.execute(select(t.c.data).where(t.c.screening_id == screening_id)).scalar()
        return json.loads(data) if data else None

    def decisions(
        self, *, client_id: str | None = None, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        t = screening_decisions
        stmt = select(t.c.data).order_by(t.c.screened_at.desc()).limit(limit)
        if client_id is not None:
            stmt = stmt.where(t.c.client_id == client_id)
        with self._unit.connection() as c:
            return [json.loads(r.data) for r in c.execute(stmt)]


__all__ = [
    "AmbientLedgerSink",
    "AmbientUnit",
    "SqlClearanceRepository",
    "SqlScreeningStore",
    "StoredListVersion",
    "dump",
    "stamp",
]
