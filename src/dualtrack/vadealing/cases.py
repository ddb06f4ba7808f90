"""Alerts and cases of the VA-dealing desk, with the same workflow as fraud cases.

A transaction check that holds or blocks, and a screening with a potential match, each raise
an :class:`VaAlert`; alerts of one client are filed into that client's open
:class:`VaCase`. An analyst takes the case into review and resolves it either as
**confirmed suspicious** (a suspicious transaction report for the JFIU is then drafted from
the case facts) or as **cleared**. Resolved cases take no further transitions.

Nothing here is shown to the client: client-facing text comes from
:func:`dualtrack.vadealing.reporting.client_message`, which never carries the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from dualtrack.errors import IllegalTransition, InvalidInput, NotFound
from dualtrack.ledger.ports import AuditSink
from dualtrack.vadealing.ports import Clock

CaseStatus = Literal["open", "in_review", "confirmed_suspicious", "cleared"]
AlertSource = Literal["rule", "screening"]

FINAL_STATUSES: frozenset[CaseStatus] = frozenset({"confirmed_suspicious", "cleared"})
CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    "open": frozenset({"in_review", "confirmed_suspicious", "cleared"}),
    "in_review": frozenset({"open", "confirmed_suspicious", "cleared"}),
    "confirmed_suspicious": frozenset(),
    "cleared": frozenset(),
}


class CaseNotFound(NotFound):
    """No VA case with this id."""

    code = "va-case-not-found"


@dataclass(frozen=True, slots=True)
class VaAlert:
    """One reason to look at a client: a held/blocked check or a screening hit.

    ``ref`` is the check id (rule alerts) or the screening id (screening alerts);
    ``codes`` are rule ids or ``list_id:entry_id`` pairs; ``summary`` is staff-only text.
    """

    alert_id: str
    case_id: str
    client_id: str
    source: AlertSource
    ref: str
    action: str
    codes: tuple[str, ...]
    summary: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VaCase:
    """Alerts of one client investigated together."""

    case_id: str
    client_id: str
    status: CaseStatus
    opened_at: datetime
    updated_at: datetime
    assignee: str | None = None
    resolved_by: str | None = None
    note: str = ""
    str_id: str | None = None

    @property
    def is_final(self) -> bool:
        """Resolved cases take no new alerts and no further transitions."""
        return self.status in FINAL_STATUSES

    def move_to(self, target: CaseStatus, *, actor: str, at: datetime, note: str = "") -> VaCase:
        """The case in ``target`` status, or :class:`IllegalTransition`."""
        if target not in CASE_TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"case cannot move from {self.status} to {target}",
                case_id=self.case_id,
                source=self.status,
                target=target,
            )
        return replace(
            self,
            status=target,
            updated_at=at,
            assignee=actor if target == "in_review" else self.assignee,
            resolved_by=actor if target in FINAL_STATUSES else None,
            note=note or self.note,
        )


class VaCaseRepository(Protocol):
    """Storage of VA alerts and cases."""

    def open_case_for(self, client_id: str) -> VaCase | None: ...

    def add_case(self, case: VaCase) -> None: ...

    def update_case(self, case: VaCase) -> None: ...

    def get_case(self, case_id: str) -> VaCase | None: ...

    def list_cases(self, *, status: CaseStatus | None = None) -> Sequence[VaCase]: ...

    def add_alert(self, alert: VaAlert) -> None: ...

    def alerts_for_case(self, case_id: str) -> Sequence[VaAlert]: ...


class VaCaseService:
    """Raise alerts into cases and move cases through review to a verdict."""

    def __init__(self, repository: VaCaseRepository, audit: AuditSink, *, clock: Clock) -> None:
        self._repo = repository
        self._audit = audit
        self._clock = clock

    def raise_alert(
        self,
        *,
        client_id: str,
        source: AlertSource,
        ref: str,
        action: str,
        codes: Sequence[str],
        summary: str,
        actor: str = "system",
    ) -> VaAlert:
        """File an alert into the client's open case (opening one when there is none)."""
        if not client_id or not ref:
            raise InvalidInput("an alert needs a client and a reference")
        now = self._clock.now()
        case = self._repo.open_case_for(client_id)
        if case is None:
            case = VaCase(
                case_id=f"vacase-{uuid.uuid4().hex[:12]}",
                client_id=client_id,
                status="open",
                opened_at=now,
                updated_at=now,
            )
            self._repo.add_case(case)
            self._record(actor, "va.case_opened", case.case_id, {"client_id": client_id})
        alert = VaAlert(
            alert_id=f"vaalert-{uuid.uuid4().hex[:12]}",
            case_id=case.case_id,
            client_id=client_id,
            source=source,
            ref=ref,
            action=action,
            codes=tuple(codes),
            summary=summary,
            created_at=now,
        )
        self._repo.add_alert(alert)
        self._audit.record(
            actor=actor,
            action="va.alert_raised",
            subject_type="va_alert",
            subject_id=alert.alert_id,
            payload={
                "case_id": case.case_id,
                "source": source,
                "ref": ref,
                "action": action,
                "codes": list(alert.codes),
            },
        )
        return alert

    def queue(self, *, status: CaseStatus | None = None) -> list[VaCase]:
        """Cases in ``status`` (unresolved ones by default), oldest first."""
        if status is not None:
            cases = list(self._repo.list_cases(status=status))
        else:
            cases = [c for c in self._repo.list_cases() if not c.is_final]
        return sorted(cases, key=lambda c: (c.opened_at, c.case_id))

    def get_case(self, case_id: str) -> VaCase:
        """The case, or :class:`CaseNotFound`."""
        case = self._repo.get_case(case_id)
        if case is None:
            raise CaseNotFound("no such VA case", case_id=case_id)
        return case

    def alerts(self, case_id: str) -> list[VaAlert]:
        """Alerts of a case, oldest first."""
        self.get_case(case_id)
        return sorted(self._repo.alerts_for_case(case_id), key=lambda a: a.created_at)

    def start_review(self, case_id: str, *, actor: str) -> VaCase:
        """An analyst picks the case up."""
        return self._move(case_id, "in_review", actor=actor, note="")

    def release(self, case_id: str, *, actor: str) -> VaCase:
        """Put the case back in the queue."""
        return self._move(case_id, "open", actor=actor, note="")

    def clear(self, case_id: str, *, actor: str, note: str) -> VaCase:
        """Resolve as not suspicious."""
        if not note.strip():
            raise InvalidInput("clearing a case needs a note")
        return self._move(case_id, "cleared", actor=actor, note=note)

    def confirm_suspicious(self, case_id: str, *, actor: str, note: str, str_id: str) -> VaCase:
        """Resolve as suspicious; ``str_id`` names the STR draft prepared for the JFIU."""
        if not note.strip():
            raise InvalidInput("confirming a case needs the grounds for suspicion")
        case = self._move(case_id, "confirmed_suspicious", actor=actor, note=note)
        linked = replace(case, str_id=str_id)
        self._repo.update_case(linked)
        return linked

    def _move(self, case_id: str, target: CaseStatus, *, actor: str, note: str) -> VaCase:
        case = self.get_case(case_id)
        moved = case.move_to(target, actor=actor, at=self._clock.now(), note=note)
        self._repo.update_case(moved)
        self._record(actor, f"va.case_{target}", case_id, {"from": case.status, "to": target})
        return moved

    def _record(self, actor: str, action: str, case_id: str, payload: dict[str, object]) -> None:
        self._audit.record(
            actor=actor,
            action=action,
            subject_type="va_case",
            subject_id=case_id,
            payload=payload,
        )


__all__ = [
    "CASE_TRANSITIONS",
    "AlertSource",
    "CaseNotFound",
    "CaseStatus",
    "VaAlert",
    "VaCase",
    "VaCaseRepository",
    "VaCaseService",
]
