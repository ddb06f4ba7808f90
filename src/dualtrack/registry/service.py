"""Use cases of the AI inventory: register, re-tier, and move model versions through the
maker-checker lifecycle. Every change and its ledger entry commit in one transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dualtrack.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RoleNotAllowed,
    SelfApprovalForbidden,
)
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.domain import format_time
from dualtrack.registry.domain import (
    AISystem,
    Lifecycle,
    ModelVersion,
    SystemAttributes,
    Tier,
)
from dualtrack.registry.tiering import RuleSet, default_ruleset
from dualtrack.validation_records import ValidationRecord

if TYPE_CHECKING:
    from dualtrack.ports import UnitOfWork

UowFactory = Callable[[], "UnitOfWork"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EDITORS = frozenset(
    {Role.MODEL_DEVELOPER, Role.COMPLIANCE_OFFICER, Role.SENIOR_MANAGER, Role.ADMIN}
)
_BUILDERS = frozenset({Role.MODEL_DEVELOPER, Role.ADMIN})
_RETIRERS = frozenset({Role.COMPLIANCE_OFFICER, Role.SENIOR_MANAGER, Role.ADMIN})
_OPEN_STATES = frozenset({Lifecycle.SUBMITTED, Lifecycle.VALIDATED})


def _require(actor: Actor, roles: frozenset[Role], action: str) -> None:
    if actor.role not in roles:
        raise RoleNotAllowed(
            f"role {actor.role.value} may not {action}",
            role=actor.role.value,
            allowed=sorted(r.value for r in roles),
        )


def validator_roles(tier: Tier) -> frozenset[Role]:
    """HIGH-tier models need an independent validator; lower tiers may use compliance too."""
    if tier is Tier.HIGH:
        return frozenset({Role.VALIDATOR})
    return frozenset({Role.VALIDATOR, Role.COMPLIANCE_OFFICER})


@dataclass(frozen=True, slots=True)
class ApprovalItem:
    """A version awaiting approval, and whether the viewing actor may approve it."""

    version: ModelVersion
    system: AISystem
    latest_validation: ValidationRecord | None
    may_approve: bool
    why_not: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version.to_json(),
            "system": {"id": self.system.id, "name": self.system.attributes.name},
            "tier": self.system.tier.value,
            "latest_validation": self.latest_validation.to_json()
            if self.latest_validation
            else None,
            "may_approve": self.may_approve,
            "why_not": self.why_not,
        }


class RegistryService:
    def __init__(self, uow: UowFactory, rules: RuleSet | None = None) -> None:
        self._uow = uow
        self.rules = rules or default_ruleset()

    # ----- AI systems -------------------------------------------------------------------

    def register_system(self, actor: Actor, attributes: SystemAttributes) -> AISystem:
        _require(actor, _EDITORS, "register AI systems")
        _check_attributes(attributes)
        with self._uow() as uow:
            now = format_time(uow.now())
            system = AISystem(
                id=str(uuid.uuid4()),
                attributes=attributes,
                assessment=self.rules.assess(attributes),
                created_by=actor.username,
                created_at=now,
                updated_at=now,
            )
            uow.systems.add(system, actor=actor.username, change="registered")
            uow.audit.record(
                actor=actor.username,
                action="system.registered",
                subject_type="ai_system",
                subject_id=system.id,
                payload={"attributes": attributes.to_json(), **system.assessment.to_json()},
            )
            uow.commit()
        return system

    def update_system(self, actor: Actor, system_id: str, changes: Mapping[str, Any]) -> AISystem:
        """Change attributes; the tier is recomputed and the reason for any change recorded."""
        _require(actor, _EDITORS, "change AI systems")
        if not changes:
            raise InvalidInput("no changes given")
        with self._uow() as uow:
            current = self._system(uow, system_id)
            merged = current.attributes.to_json() | dict(changes)
            try:
                attributes = SystemAttributes.from_json(merged)
            except (KeyError, ValueError) as exc:
                raise InvalidInput(f"invalid attribute value: {exc}") from exc
            _check_attributes(attributes)
            assessment = self.rules.assess(attributes)
            changed = sorted(
                key
                for key, value in attributes.to_json().items()
                if current.attributes.to_json().get(key) != value
            )
            if not changed:
                return current
            updated = replace(
                current,
                attributes=attributes,
                assessment=assessment,
                updated_at=format_time(uow.now()),
                revision=current.revision + 1,
            )
            retiered = assessment.tier != current.tier or (
                assessment.oversight != current.assessment.oversight
            )
            change = f"changed {', '.join(changed)}"
            if retiered:
                change += (
                    f"; re-tiered {current.tier.value} -> {assessment.tier.value} "
                    f"by rules {', '.join(assessment.rule_ids) or 'default'}"
                )
            uow.systems.update(updated, actor=actor.username, change=change)
            uow.audit.record(
                actor=actor.username,
                action="system.updated",
                subject_type="ai_system",
                subject_id=system_id,
                payload={
                    "changed": {k: attributes.to_json()[k] for k in changed},
                    "previous": {k: current.attributes.to_json().get(k) for k in changed},
                },
            )
            if retiered:
                uow.audit.record(
                    actor=actor.username,
                    action="system.retiered",
                    subject_type="ai_system",
                    subject_id=system_id,
                    payload={
                        "from": current.assessment.to_json(),
                        "to": assessment.to_json(),
                        "because_changed": changed,
                    },
                )
            uow.commit()
        return updated

    def get_system(self, system_id: str) -> AISystem:
        with self._uow() as uow:
            return self._system(uow, system_id)

    def find_system(self, id_or_name: str) -> AISystem:
        with self._uow() as uow:
            found = uow.systems.get(id_or_name) or uow.systems.get_by_name(id_or_name)
        if found is None:
            raise NotFound("no such AI system", system=id_or_name)
        return found

    def list_systems(self, *, as_of: str | None = None) -> list[AISystem]:
        with self._uow() as uow:
            return uow.systems.list_as_of(as_of) if as_of else uow.systems.list()

    def system_history(self, system_id: str) -> list[dict[str, Any]]:
        with self._uow() as uow:
            self._system(uow, system_id)
            return uow.systems.history(system_id)

    # ----- model versions ---------------------------------------------------------------

    def register_version(
        self,
        actor: Actor,
        system_id: str,
        *,
        version: str,
        artifact_sha256: str,
        data_fingerprint: str,
        provider: str = "in-house",
        licence: str = "proprietary",
        metrics: Mapping[str, float] | None = None,
        artifact_uri: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        _require(actor, _BUILDERS, "register model versions")
        if not version.strip() or len(version) > 100:
            raise InvalidInput("version label must be 1-100 characters")
        for name, value in (
            ("artifact_sha256", artifact_sha256),
            ("data_fingerprint", data_fingerprint),
        ):
            if not _SHA256.match(value):
                raise InvalidInput(f"{name} must be 64 lower-case hex characters (SHA-256)")
        with self._uow() as uow:
            self._system(uow, system_id)
            now = format_time(uow.now())
            model = ModelVersion(
                id=str(uuid.uuid4()),
                system_id=system_id,
                version=version,
                artifact_sha256=artifact_sha256,
                data_fingerprint=data_fingerprint,
                provider=provider,
                licence=licence,
                metrics=dict(metrics or {}),
                state=Lifecycle.DRAFT,
                created_by=actor.username,
                created_at=now,
                updated_at=now,
                artifact_uri=artifact_uri,
                config=dict(config or {}),
            )
            uow.versions.add(model, actor=actor.username, change="registered")
            uow.audit.record(
                actor=actor.username,
                action="version.registered",
                subject_type="model_version",
                subject_id=model.id,
                payload={
                    "system_id": system_id,
                    "version": version,
                    "artifact_sha256": artifact_sha256,
                    "data_fingerprint": data_fingerprint,
                    "provider": provider,
                    "licence": licence,
                    "metrics": dict(metrics or {}),
                },
            )
            uow.commit()
        return model

    def get_version(self, version_id: str) -> ModelVersion:
        with self._uow() as uow:
            return self._version(uow, version_id)

    def list_versions(self, system_id: str) -> list[ModelVersion]:
        with self._uow() as uow:
            self._system(uow, system_id)
            return uow.versions.list_for_system(system_id)

    def version_history(self, version_id: str) -> list[dict[str, Any]]:
        with self._uow() as uow:
            self._version(uow, version_id)
            return uow.versions.history(version_id)

    def submit(self, actor: Actor, version_id: str) -> ModelVersion:
        _require(actor, _BUILDERS, "submit model versions")
        return self._move(
            actor, version_id, Lifecycle.SUBMITTED, "submitted", submitted_by=actor.username
        )

    def withdraw(self, actor: Actor, version_id: str) -> ModelVersion:
        _require(actor, _BUILDERS, "withdraw model versions")
        return self._move(actor, version_id, Lifecycle.DRAFT, "withdrawn")

    def record_validation(
        self,
        actor: Actor,
        version_id: str,
        *,
        passed: bool,
        summary: str,
        controls: tuple[str, ...] = (),
        result: Mapping[str, Any] | None = None,
        data_fingerprint: str | None = None,
    ) -> ValidationRecord:
        """Store a validation of a submitted version; a pass moves it to ``validated``.

        The validator must not be the version's developer or submitter (SFC-09 independence);
        a HIGH-tier model needs a user in the validator role.
        """
        with self._uow() as uow:
            model = self._version(uow, version_id)
            system = self._system(uow, model.system_id)
            if actor.username in {model.created_by, model.submitted_by}:
                raise SelfApprovalForbidden(
                    "a model version must be validated by someone other than its developer",
                    version_id=version_id,
                )
            _require(
                actor, validator_roles(system.tier), f"validate {system.tier.value}-tier models"
            )
            if model.state is not Lifecycle.SUBMITTED:
                raise Conflict(
                    f"only submitted versions can be validated (this one is {model.state.value})",
                    version_id=version_id,
                )
            now = format_time(uow.now())
            record = ValidationRecord(
                id=str(uuid.uuid4()),
                version_id=version_id,
                system_id=system.id,
                performed_by=actor.username,
                passed=passed,
                summary=summary,
                artifact_sha256=model.artifact_sha256,
                data_fingerprint=data_fingerprint or model.data_fingerprint,
                created_at=now,
                controls=tuple(controls),
                result=dict(result or {}),
            )
            uow.validations.add(record)
            uow.audit.record(
                actor=actor.username,
                action="validation.recorded",
                subject_type="model_version",
                subject_id=version_id,
                payload={
                    "validation_id": record.id,
                    "passed": passed,
                    "summary": summary,
                    "controls": list(controls),
                    "artifact_sha256": model.artifact_sha256,
                },
            )
            if passed:
                moved = model.transition(Lifecycle.VALIDATED, at=now, validated_by=actor.username)
                uow.versions.update(moved, actor=actor.username, change="validated")
            uow.commit()
        return record

    def override_validation(
        self, actor: Actor, validation_id: str, *, reason: str
    ) -> ValidationRecord:
        """A senior manager accepts a failed validation with a written reason (ledgered)."""
        _require(actor, frozenset({Role.SENIOR_MANAGER}), "override failed validations")
        if len(reason.strip()) < 20:
            raise InvalidInput("an override needs a written reason of at least 20 characters")
        with self._uow() as uow:
            record = uow.validations.get(validation_id)
            if record is None:
                raise NotFound("no such validation run", validation_id=validation_id)
            if record.passed:
                raise Conflict("that validation run passed; nothing to override")
            model = self._version(uow, record.version_id)
            if actor.username in {model.created_by, model.submitted_by}:
                raise SelfApprovalForbidden("the model's developer cannot override its validation")
            if model.state is not Lifecycle.SUBMITTED:
                raise Conflict("the version is no longer awaiting validation")
            overridden = replace(record, override_by=actor.username, override_reason=reason)
            uow.validations.update(overridden)
            now = format_time(uow.now())
            moved = model.transition(Lifecycle.VALIDATED, at=now, validated_by=record.performed_by)
            uow.versions.update(moved, actor=actor.username, change="validation overridden")
            uow.audit.record(
                actor=actor.username,
                action="validation.overridden",
                subject_type="model_version",
                subject_id=model.id,
                payload={"validation_id": validation_id, "reason": reason},
            )
            uow.commit()
        return overridden

    def check_approval(self, actor: Actor, model: ModelVersion, system: AISystem) -> None:
        """Raise if ``actor`` may not approve ``model`` now (the maker-checker rules)."""
        # Identity first: a maker is refused as a maker, whatever role they hold today.
        if actor.username in {model.created_by, model.submitted_by}:
            raise SelfApprovalForbidden(
                "maker-checker: the approver must differ from whoever built or submitted "
                "the version",
                version_id=model.id,
            )
        allowed = frozenset(Role(r) for r in self.rules.approver_roles(system.tier))
        if actor.role not in allowed:
            raise RoleNotAllowed(
                f"a {system.tier.value}-tier model needs approval by "
                + " or ".join(sorted(r.value for r in allowed)),
                role=actor.role.value,
                tier=system.tier.value,
            )

    def approve(self, actor: Actor, version_id: str, *, note: str = "") -> ModelVersion:
        with self._uow() as uow:
            model = self._version(uow, version_id)
            system = self._system(uow, model.system_id)
            self.check_approval(actor, model, system)
            if model.state is not Lifecycle.VALIDATED:
                raise Conflict(
                    f"only validated versions can be approved (this one is {model.state.value})",
                    version_id=version_id,
                )
            latest = _latest_validation(uow.validations.list_for_version(version_id))
            if latest is None or not latest.effective_pass:
                raise PermissionDenied("approval needs a passing validation run")
            if latest.artifact_sha256 != model.artifact_sha256:
                raise Conflict("the validated artifact differs from the current one; revalidate")
            now = format_time(uow.now())
            moved = model.transition(Lifecycle.APPROVED, at=now, approved_by=actor.username)
            uow.versions.update(moved, actor=actor.username, change="approved")
            uow.audit.record(
                actor=actor.username,
                action="version.approved",
                subject_type="model_version",
                subject_id=version_id,
                payload={
                    "system_id": system.id,
                    "tier": system.tier.value,
                    "validation_id": latest.id,
                    "note": note,
                    "maker": model.submitted_by,
                },
            )
            uow.commit()
        return moved

    def send_back(self, actor: Actor, version_id: str, *, reason: str) -> ModelVersion:
        """Reviewers return a validated or approved version for rework."""
        _require(
            actor,
            frozenset({Role.VALIDATOR, Role.COMPLIANCE_OFFICER, Role.SENIOR_MANAGER}),
            "send versions back",
        )
        if not reason.strip():
            raise InvalidInput("a reason is required")
        return self._move(actor, version_id, Lifecycle.SUBMITTED, "sent back", reason=reason)

    def deploy(self, actor: Actor, version_id: str) -> ModelVersion:
        """Deploy an approved version; the system's previously deployed version retires."""
        _require(actor, _BUILDERS, "deploy model versions")
        with self._uow() as uow:
            model = self._version(uow, version_id)
            if model.state is not Lifecycle.APPROVED:
                raise Conflict(
                    f"only approved versions can be deployed (this one is {model.state.value})",
                    version_id=version_id,
                )
            now = format_time(uow.now())
            for other in uow.versions.list_for_system(model.system_id):
                if other.state is Lifecycle.DEPLOYED:
                    retired = other.transition(Lifecycle.RETIRED, at=now)
                    uow.versions.update(
                        retired, actor=actor.username, change=f"replaced by {model.version}"
                    )
                    uow.audit.record(
                        actor=actor.username,
                        action="version.retired",
                        subject_type="model_version",
                        subject_id=other.id,
                        payload={"reason": f"replaced by {model.version}"},
                    )
            moved = model.transition(Lifecycle.DEPLOYED, at=now, deployed_by=actor.username)
            uow.versions.update(moved, actor=actor.username, change="deployed")
            uow.audit.record(
                actor=actor.username,
                action="version.deployed",
                subject_type="model_version",
                subject_id=version_id,
                payload={"system_id": model.system_id, "artifact_sha256": model.artifact_sha256},
            )
            uow.commit()
        return moved

    def retire(self, actor: Actor, version_id: str, *, reason: str) -> ModelVersion:
        _require(actor, _RETIRERS, "retire model versions")
        if not reason.strip():
            raise InvalidInput("a reason is required")
        return self._move(actor, version_id, Lifecycle.RETIRED, "retired", reason=reason)

    def update_artifact(
        self, actor: Actor, version_id: str, *, artifact_sha256: str, data_fingerprint: str
    ) -> ModelVersion:
        """A new artifact or training data: a validated/approved/deployed version goes back to
        ``submitted`` and must be validated and approved again (material change, SFC-07)."""
        _require(actor, _BUILDERS, "change model artifacts")
        for value in (artifact_sha256, data_fingerprint):
            if not _SHA256.match(value):
                raise InvalidInput("hashes must be 64 lower-case hex characters (SHA-256)")
        with self._uow() as uow:
            model = self._version(uow, version_id)
            if (artifact_sha256, data_fingerprint) == (
                model.artifact_sha256,
                model.data_fingerprint,
            ):
                return model
            if model.state is Lifecycle.RETIRED:
                raise Conflict("a retired version cannot change")
            now = format_time(uow.now())
            changed = replace(
                model,
                artifact_sha256=artifact_sha256,
                data_fingerprint=data_fingerprint,
                updated_at=now,
            )
            if model.state in {Lifecycle.VALIDATED, Lifecycle.APPROVED, Lifecycle.DEPLOYED}:
                changed = replace(
                    changed,
                    state=Lifecycle.SUBMITTED,
                    validated_by=None,
                    approved_by=None,
                    deployed_by=None,
                )
            uow.versions.update(changed, actor=actor.username, change="artifact changed")
            uow.audit.record(
                actor=actor.username,
                action="version.artifact_changed",
                subject_type="model_version",
                subject_id=version_id,
                payload={
                    "from": {
                        "artifact_sha256": model.artifact_sha256,
                        "data_fingerprint": model.data_fingerprint,
                    },
                    "to": {
                        "artifact_sha256": artifact_sha256,
                        "data_fingerprint": data_fingerprint,
                    },
                    "state": changed.state.value,
                },
            )
            uow.commit()
        return changed

    def approval_queue(self, actor: Actor) -> list[ApprovalItem]:
        with self._uow() as uow:
            items = []
            for model in uow.versions.list_in_states(_OPEN_STATES):
                system = self._system(uow, model.system_id)
                latest = _latest_validation(uow.validations.list_for_version(model.id))
                why_not: str | None = None
                if model.state is Lifecycle.SUBMITTED:
                    why_not = "awaiting validation"
                else:
                    try:
                        self.check_approval(actor, model, system)
                    except PermissionDenied as exc:
                        why_not = exc.message
                items.append(ApprovalItem(model, system, latest, why_not is None, why_not))
        return items

    def validations(self, version_id: str) -> list[ValidationRecord]:
        with self._uow() as uow:
            self._version(uow, version_id)
            return uow.validations.list_for_version(version_id)

    def deployed_version(self, system_id: str) -> ModelVersion | None:
        with self._uow() as uow:
            for model in uow.versions.list_for_system(system_id):
                if model.state is Lifecycle.DEPLOYED:
                    return model
        return None

    # ----- helpers ----------------------------------------------------------------------

    def _move(
        self, actor: Actor, version_id: str, target: Lifecycle, change: str, **extra: str
    ) -> ModelVersion:
        with self._uow() as uow:
            model = self._version(uow, version_id)
            who = {k: v for k, v in extra.items() if k.endswith("_by")}
            moved = model.transition(target, at=format_time(uow.now()), **who)
            uow.versions.update(moved, actor=actor.username, change=change)
            uow.audit.record(
                actor=actor.username,
                action=f"version.{target.value}",
                subject_type="model_version",
                subject_id=version_id,
                payload={"from": model.state.value, "to": target.value, **extra},
            )
            uow.commit()
        return moved

    @staticmethod
    def _system(uow: UnitOfWork, system_id: str) -> AISystem:
        found = uow.systems.get(system_id)
        if found is None:
            raise NotFound("no such AI system", system_id=system_id)
        return found

    @staticmethod
    def _version(uow: UnitOfWork, version_id: str) -> ModelVersion:
        found = uow.versions.get(version_id)
        if found is None:
            raise NotFound("no such model version", version_id=version_id)
        return found


def _latest_validation(records: list[ValidationRecord]) -> ValidationRecord | None:
    return max(records, key=lambda r: r.created_at) if records else None


def _check_attributes(attributes: SystemAttributes) -> None:
    for name in ("name", "purpose", "business_function", "accountable_senior_manager", "owner"):
        value = getattr(attributes, name)
        if not value or not value.strip():
            raise InvalidInput(f"{name} is required")
        if len(value) > 2000:
            raise InvalidInput(f"{name} is too long (2000 characters at most)")


__all__ = ["ApprovalItem", "RegistryService", "validator_roles"]
