"""Use cases: a system's control gaps, and attaching evidence or findings to a control."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from dualtrack.controls.domain import (
    Catalogue,
    ControlGap,
    Evidence,
    EvidenceKind,
    PlatformFacts,
    compute_gaps,
    default_catalogue,
)
from dualtrack.errors import InvalidInput, NotFound, RoleNotAllowed
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.domain import format_time
from dualtrack.registry.domain import Lifecycle

if TYPE_CHECKING:
    from dualtrack.ports import UnitOfWork

_ATTACHERS = frozenset(
    {Role.MODEL_DEVELOPER, Role.VALIDATOR, Role.COMPLIANCE_OFFICER, Role.SENIOR_MANAGER, Role.ADMIN}
)
_FINDERS = frozenset({Role.VALIDATOR, Role.COMPLIANCE_OFFICER, Role.SENIOR_MANAGER, Role.AUDITOR})
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024


class ControlsService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        catalogue: Catalogue | None = None,
    ) -> None:
        self._uow = uow
        self.catalogue = catalogue or default_catalogue()

    def gaps(self, system_id: str) -> list[ControlGap]:
        with self._uow() as uow:
            system = uow.systems.get(system_id)
            if system is None:
                raise NotFound("no such AI system", system_id=system_id)
            required = self.catalogue.required_for(system.attributes, system.tier)
            evidence = uow.evidence.list_for_system(system_id)
            runs = []
            approved: list[str] = []
            for version in uow.versions.list_for_system(system_id):
                runs.extend(uow.validations.list_for_version(version.id))
                if version.state in {Lifecycle.APPROVED, Lifecycle.DEPLOYED} or (
                    version.approved_by is not None
                ):
                    approved.append(version.id)
            ledger_count = len(uow.audit.page(before_seq=None, limit=10_000, subject_id=system_id))
        latest = max(runs, key=lambda r: r.created_at) if runs else None
        facts = PlatformFacts(
            latest_validation_id=latest.id if latest else None,
            latest_validation_passed=bool(latest and latest.effective_pass),
            validated_controls=frozenset(latest.controls) if latest else frozenset(),
            approved_version_ids=tuple(approved),
            ledger_entries=ledger_count,
        )
        return compute_gaps(required, evidence, facts)

    def attach_evidence(
        self,
        actor: Actor,
        system_id: str,
        control_id: str,
        *,
        kind: EvidenceKind,
        reference: str,
        note: str = "",
        content: bytes | None = None,
        verdict: str = "met",
    ) -> Evidence:
        """Attach a file (hashed), link or note; ``verdict='unmet'`` records a finding."""
        if verdict not in {"met", "unmet"}:
            raise InvalidInput("verdict must be 'met' or 'unmet'")
        allowed = _FINDERS if verdict == "unmet" else _ATTACHERS
        if actor.role not in allowed:
            raise RoleNotAllowed(
                f"role {actor.role.value} may not record {verdict} evidence",
                role=actor.role.value,
            )
        if self.catalogue.get(control_id) is None:
            raise NotFound("no such control", control_id=control_id)
        if not reference.strip() or len(reference) > 2000:
            raise InvalidInput("reference must be 1-2000 characters")
        if len(note) > 10_000:
            raise InvalidInput("note is too long (10,000 characters at most)")
        digest = None
        if kind is EvidenceKind.FILE:
            if content is None:
                raise InvalidInput("file evidence needs the file's content")
            if len(content) > MAX_EVIDENCE_BYTES:
                raise InvalidInput("evidence files are limited to 50 MB")
            digest = hashlib.sha256(content).hexdigest()
        elif kind is EvidenceKind.LINK and not reference.startswith(
            ("https://", "http://", "file:")
        ):
            raise InvalidInput("a link must start with https://, http:// or file:")
        with self._uow() as uow:
            system = uow.systems.get(system_id)
            if system is None:
                raise NotFound("no such AI system", system_id=system_id)
            item = Evidence(
                id=str(uuid.uuid4()),
                system_id=system_id,
                control_id=control_id,
                kind=kind,
                reference=reference,
                sha256=digest,
                note=note,
                verdict=verdict,
                added_by=actor.username,
                added_at=format_time(uow.now()),
            )
            uow.evidence.add(item)
            uow.audit.record(
                actor=actor.username,
                action="evidence.attached",
                subject_type="ai_system",
                subject_id=system_id,
                payload={
                    "evidence_id": item.id,
                    "control_id": control_id,
                    "kind": kind.value,
                    "sha256": digest,
                    "verdict": verdict,
                },
            )
            uow.commit()
        return item

    def evidence(self, system_id: str) -> list[Evidence]:
        with self._uow() as uow:
            return uow.evidence.list_for_system(system_id)
