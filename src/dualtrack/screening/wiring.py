"""Composition of sanctions screening into the platform: stored list versions, a per-process
index, clearances and decisions in SQL, the ledger, and the VA case hook.

``service(platform)`` returns the platform's :class:`ScreeningDesk` (built once per process).

* **List versions** are stored with their raw file bytes (``screening_list_versions``). The
  matching index lives in process memory: each process builds it lazily, at its first use,
  from the stored *active* versions, and re-syncs before every operation (one small query),
  so a list loaded from the CLI is used by a running server at its next request.
* A list that **fails to load** leaves the previous version in service; the failure is
  stored as an alert (``screening_load_alerts``), written to the ledger and reported to the
  caller as an error naming the version kept.
* Every **screening decision** is stored with the list versions it used and ledgered (the
  ledger holds a keyed hash of the name, never the name). A **clearance** is remembered per
  (client, list, entry, entry content hash), so a changed entry is screened afresh.
* A potential match raises an alert in the client's VA case (``dualtrack.vadealing``), with
  the same workflow as rule hits.
"""

from __future__ import annotations

import binascii
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dualtrack.adapters.screening_sql import (
    AmbientLedgerSink,
    AmbientUnit,
    SqlClearanceRepository,
    SqlScreeningStore,
    StoredListVersion,
    stamp,
)
from dualtrack.bootstrap import Platform
from dualtrack.errors import InvalidInput, NotFound
from dualtrack.identity.domain import Actor, Role
from dualtrack.screening.domain import (
    ListFormat,
    ListLoaded,
    ListLoadFailed,
    ScreeningHit,
    ScreeningResult,
)
from dualtrack.screening.errors import ListFormatError
from dualtrack.screening.loaders import build_snapshot, content_hash
from dualtrack.screening.service import ScreeningConfig, ScreeningService

logger = logging.getLogger(__name__)

LIST_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
FORMATS: tuple[ListFormat, ...] = ("ofac-xml", "ofac-csv", "un-xml", "ftm-jsonl", "wallet-csv")
SCREENERS = frozenset({Role.COMPLIANCE_OFFICER, Role.ANALYST, Role.ADMIN})
LIST_MANAGERS = frozenset({Role.COMPLIANCE_OFFICER, Role.ADMIN})
DEMO_LIST_ID = "hk-demo-watchlist"
UN_LIST_ID = "un-sc"

HitListener = Callable[[ScreeningResult, str, str], None]


class ListLoadRejected(InvalidInput):
    """A list file was refused; the previous version stays in service (an alert is raised)."""

    code = "screening-list-load-failed"


def require_role(actor: Actor, roles: frozenset[Role], what: str) -> None:
    """Refuse ``actor`` unless it holds one of ``roles``."""
    from dualtrack.errors import RoleNotAllowed

    if actor.role not in roles:
        raise RoleNotAllowed(
            f"your role may not {what}",
            role=actor.role.value,
            allowed=sorted(r.value for r in roles),
        )


@dataclass
class LoadOutcome:
    """What loading a list did: the version in service and whether it is new."""

    list_id: str
    version_id: str
    entry_count: int
    previous_version: str | None
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "version_id": self.version_id,
            "entry_count": self.entry_count,
            "previous_version": self.previous_version,
            "changed": self.changed,
        }


@dataclass
class ScreeningDesk:
    """The governed screening service of one platform."""

    unit: AmbientUnit
    sink: AmbientLedgerSink
    store: SqlScreeningStore
    service: ScreeningService
    listeners: list[HitListener] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------------ index sync

    def sync(self) -> None:
        """Bring the in-memory index in line with the stored active versions.

        Database reads happen outside the index lock and indexing happens under it without
        touching the database, so the lock is never held while waiting for a database lock
        (no lock-order deadlock with a transaction that is screening). A list already in
        service that another thread of this process is replacing right now is left as it is
        (the replacement is not committed yet)."""
        stored = self.store.active_version_ids()
        for list_id, version_id in sorted(stored.items()):
            current = self.service.active_versions().get(list_id)
            if current is not None and current.version_id == version_id:
                continue
            row = self.store.get_version(version_id)
            if row is None:  # pragma: no cover - replaced between the two queries
                continue
            if not self._lock.acquire(blocking=current is None):
                continue
            try:
                now = self.service.active_versions().get(list_id)
                if now is None or now.version_id != version_id:
                    self._activate_stored(row)
            finally:
                self._lock.release()

    def _activate_stored(self, row: StoredListVersion) -> None:
        from datetime import datetime

        companions = {k: binascii.unhexlify(v) for k, v in row.companions.items()}
        snapshot = build_snapshot(
            row.raw,
            list_id=row.list_id,
            source=row.source,
            loaded_at=datetime.fromisoformat(row.loaded_at.replace("Z", "+00:00")),
            fmt=row.format,  # type: ignore[arg-type]
            companions=companions or None,
        )
        if snapshot.version.version_id != row.version_id:
            logger.error("stored list version %s does not rebuild identically", row.version_id)
        with self.sink.muted():  # a rebuild is not a new load: nothing to ledger
            self.service.activate(snapshot, actor="system:index-rebuild")
        logger.info("screening index built for list %s", row.list_id)

    # ------------------------------------------------------------------ lists

    def load_list(
        self,
        actor: Actor,
        data: bytes,
        *,
        list_id: str,
        source: str,
        fmt: str | None = None,
        companions: Mapping[str, bytes] | None = None,
    ) -> LoadOutcome:
        """Parse and activate a list version; on failure keep the old one, alert, and raise."""
        require_role(actor, LIST_MANAGERS, "load sanctions lists")
        if not LIST_ID_RE.match(list_id):
            raise InvalidInput("list_id must be 1-63 lower-case letters, digits, . _ -")
        if fmt is not None and fmt not in FORMATS:
            raise ListFormatError("unknown list format", format=fmt, known=list(FORMATS))
        chosen = fmt
        with self.unit(), self._lock:  # database first, then the index lock
            self.sync()
            active = self.service.active_versions().get(list_id)
            if active is not None and active.content_hash == content_hash(data, companions):
                return LoadOutcome(
                    list_id, active.version_id, active.entry_count, active.version_id, False
                )
            # One transaction: the version row or the alert row, with the ledger entries.
            event = self.service.load_list(
                data,
                list_id=list_id,
                source=source,
                actor=actor.username,
                fmt=chosen,
                companions=companions,
            )
            if isinstance(event, ListLoaded):
                version = event.version
                self.store.add_active_version(
                    StoredListVersion(
                        version_id=version.version_id,
                        list_id=list_id,
                        status="active",
                        loaded_at=stamp(version.loaded_at),
                        loaded_by=actor.username,
                        source=source[:500],
                        format=version.format,
                        content_hash=version.content_hash,
                        entry_count=version.entry_count,
                        raw=data,
                        companions={
                            k: binascii.hexlify(v).decode() for k, v in (companions or {}).items()
                        },
                    )
                )
                return LoadOutcome(
                    list_id,
                    version.version_id,
                    version.entry_count,
                    event.previous_version,
                    True,
                )
            alert_id = self._store_alert(event)
        raise ListLoadRejected(
            f"the list did not load ({event.problem}); the previous version stays in service",
            list_id=list_id,
            alert_id=alert_id,
            error_code=event.error_code,
            kept_version=event.kept_version or "",
        )

    def _store_alert(self, event: ListLoadFailed) -> str:
        alert_id = f"listalert-{uuid.uuid4().hex[:12]}"
        self.store.add_load_alert(
            alert_id,
            event.list_id,
            stamp(event.occurred_at),
            {
                "list_id": event.list_id,
                "source": event.source,
                "error_code": event.error_code,
                "problem": event.problem,
                "kept_version": event.kept_version,
                "actor": event.actor,
                "occurred_at": stamp(event.occurred_at),
                "severity": event.severity,
                "details": event.details,
            },
        )
        return alert_id

    def versions(self, list_id: str | None = None) -> list[dict[str, Any]]:
        """Stored versions (newest first) with which one is active."""
        return self.store.list_versions(list_id)

    def active(self) -> dict[str, str]:
        """list id -> version id in service."""
        self.sync()
        return {k: v.version_id for k, v in self.service.active_versions().items()}

    def alerts(self, *, include_acknowledged: bool = False) -> list[dict[str, Any]]:
        """List-load alerts, newest first."""
        return self.store.load_alerts(include_acknowledged=include_acknowledged)

    def acknowledge_alert(self, actor: Actor, alert_id: str) -> None:
        """Mark a list-load alert as handled (ledgered)."""
        require_role(actor, LIST_MANAGERS, "acknowledge list alerts")
        with self.unit():
            if not self.store.acknowledge_alert(alert_id):
                raise NotFound("no such list alert", alert_id=alert_id)
            self.sink.record(
                actor=actor.username,
                action="screening.list_alert_acknowledged",
                subject_type="sanctions_list_alert",
                subject_id=alert_id,
                payload={},
            )

    # ------------------------------------------------------------------ screening

    def screen(
        self,
        actor: Actor,
        *,
        client_id: str,
        name: str | None = None,
        birth_year: int | None = None,
        wallet_address: str | None = None,
        list_ids: Sequence[str] | None = None,
        context: str = "manual",
        raise_alerts: bool = True,
    ) -> ScreeningResult:
        """Screen a party; store the decision and raise a VA case alert on a potential match."""
        require_role(actor, SCREENERS, "screen names")
        self.sync()
        with self.unit():  # the index is read-only between activations: no lock needed
            result = self.service.screen(
                actor=actor.username,
                client_id=client_id,
                name=name,
                birth_year=birth_year,
                wallet_address=wallet_address,
                list_ids=list_ids,
            )
            body = result.to_dict()
            body["context"] = context
            body["screened_by"] = actor.username
            self.store.add_decision(
                result.screening_id,
                client_id,
                stamp(result.screened_at),
                result.decision,
                body,
            )
            if raise_alerts and result.hits:
                for listener in self.listeners:
                    listener(result, actor.username, context)
        return result

    def decision(self, screening_id: str) -> dict[str, Any]:
        """A stored screening decision."""
        found = self.store.get_decision(screening_id)
        if found is None:
            raise NotFound("no such screening decision", screening_id=screening_id)
        return found

    def decisions(self, *, client_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Recent screening decisions, newest first."""
        return self.store.decisions(client_id=client_id, limit=limit)

    def clear(
        self, actor: Actor, *, screening_id: str, list_id: str, entry_id: str, reason: str
    ) -> dict[str, Any]:
        """Clear one hit of a stored decision: it stays hidden until the entry changes."""
        require_role(actor, SCREENERS, "clear screening hits")
        stored = self.decision(screening_id)
        match = [h for h in stored["hits"] if h["list_id"] == list_id and h["entry_id"] == entry_id]
        if not match:
            raise NotFound("that entry is not a hit of this screening", entry_id=entry_id)
        hit = ScreeningHit(**match[0])
        self.sync()
        with self.unit():
            clearance = self.service.clear_hit(
                actor=actor.username, client_id=stored["client_id"], hit=hit, reason=reason
            )
        return {
            "client_id": clearance.client_id,
            "list_id": clearance.list_id,
            "entry_id": clearance.entry_id,
            "entry_content_hash": clearance.entry_content_hash,
            "list_version": clearance.list_version,
            "cleared_by": clearance.cleared_by,
            "cleared_at": stamp(clearance.cleared_at),
        }


def ambient(platform: Platform) -> AmbientUnit:
    """The ambient unit of work shared by screening and the VA desk on ``platform``."""
    return platform.feature("ambient-unit", lambda p: AmbientUnit(p.engine))


def _build(platform: Platform) -> ScreeningDesk:
    unit = ambient(platform)
    sink = AmbientLedgerSink(unit)
    service = ScreeningService(
        clearances=SqlClearanceRepository(unit),
        audit=sink,
        config=ScreeningConfig(
            query_hash_key=platform.settings.secret_key.get_secret_value().encode()
        ),
    )
    return ScreeningDesk(unit=unit, sink=sink, store=SqlScreeningStore(unit), service=service)


def service(platform: Platform) -> ScreeningDesk:
    """The platform's screening desk (built once), with the VA case hook attached."""
    desk = platform.feature("screening", _build)
    if not desk.listeners:
        from dualtrack.vadealing.wiring import service as va_service

        va_service(platform)  # registers its listener on this desk
    return desk


# ---------------------------------------------------------------------- demo


def demo_watchlist() -> bytes:
    """A synthetic watch list in OpenSanctions FollowTheMoney JSON lines.

    Hand-written entries exercise Hong Kong names (one written only in Chinese characters,
    陳大文, which ``CHAN Tai Man`` must find) among 300 seeded synthetic entries."""
    import json

    from dualtrack.screening.synthetic import generate_list

    def person(entry_id: str, names: list[str], **props: list[str]) -> str:
        body = {"name": names[:1], "alias": names[1:], **props}
        record = {"id": entry_id, "schema": "Person", "properties": body, "datasets": ["demo"]}
        return json.dumps(record, ensure_ascii=False)

    lines = [
        person("HKD-0001", ["陳大文"], birthDate=["1968"], notes=["synthetic demo entry"]),
        person("HKD-0002", ["CHEN Da Wen"], birthDate=["1975"], notes=["synthetic demo entry"]),
        person("HKD-0003", ["CHAN Tai-wing", "陳大榮"], notes=["synthetic demo entry"]),
        person("HKD-0004", ["WONG Siu Ming, Kelvin"], notes=["synthetic demo entry"]),
        json.dumps(
            {
                "id": "HKD-0005",
                "schema": "Company",
                "properties": {"name": ["Harbour Star Shipping Ltd"]},
            }
        ),
    ]
    for entry in generate_list(300, seed=20261125, list_id=DEMO_LIST_ID):
        names = [n.name for n in entry.names]
        lines.append(person(entry.entry_id, names, birthDate=list(entry.birth_dates)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def seed_demo(platform: Platform) -> None:
    """Load the demo watch list and the committed UN excerpt (idempotent)."""
    from pathlib import Path

    desk = service(platform)
    carol = Actor.of(platform.identity.get_user("carol"))
    active = desk.active()
    if DEMO_LIST_ID not in active:
        desk.load_list(
            carol, demo_watchlist(), list_id=DEMO_LIST_ID, source="hk-demo-watchlist.jsonl"
        )
    excerpt = (
        Path(__file__).resolve().parents[3] / "data" / "screening" / "un_consolidated_excerpt.xml"
    )
    if UN_LIST_ID not in active and excerpt.exists():
        desk.load_list(carol, excerpt.read_bytes(), list_id=UN_LIST_ID, source=excerpt.name)


__all__ = [
    "DEMO_LIST_ID",
    "UN_LIST_ID",
    "ListLoadRejected",
    "LoadOutcome",
    "ScreeningDesk",
    "ambient",
    "demo_watchlist",
    "seed_demo",
    "service",
]
