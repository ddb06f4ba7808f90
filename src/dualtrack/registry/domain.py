"""AI systems, model versions and their lifecycle (stdlib only).

An *AI system* is a business use of AI (the fraud model of the cards business, a research
chatbot). Its risk tier, human-oversight mode and required controls are computed from its
attributes by the tiering rules (``tiering.py``); nobody types a tier in. A system has *model
versions*, each moving through the lifecycle::

    draft -> submitted -> validated -> approved -> deployed -> retired

with the backward moves a model-risk function needs (withdraw a submission, send a version back
for rework, re-submit after the artifact changed). Anything else is an illegal transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from dualtrack.errors import IllegalTransition


class OpportunityArea(StrEnum):
    """The six opportunity areas of the FSTB policy statement (28 Oct 2024)."""

    RESEARCH_DATA_ANALYSIS = "research_data_analysis"
    INVESTMENT = "investment"
    CUSTOMER_SERVICE = "customer_service"
    RISK_ASSESSMENT = "risk_assessment"
    FRAUD_CRIME_DETECTION = "fraud_crime_detection"
    WORKFLOW_AUTOMATION = "workflow_automation"


class Tier(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]


_TIER_RANK = {Tier.LOW: 0, Tier.MEDIUM: 1, Tier.HIGH: 2}


class Oversight(StrEnum):
    """Human-oversight modes of the PCPD AI Model Framework (Jun 2024)."""

    HUMAN_OUT_OF_THE_LOOP = "human-out-of-the-loop"
    HUMAN_IN_COMMAND = "human-in-command"
    HUMAN_IN_THE_LOOP = "human-in-the-loop"

    @property
    def rank(self) -> int:
        return _OVERSIGHT_RANK[self]


_OVERSIGHT_RANK = {
    Oversight.HUMAN_OUT_OF_THE_LOOP: 0,
    Oversight.HUMAN_IN_COMMAND: 1,
    Oversight.HUMAN_IN_THE_LOOP: 2,
}

FLAGS = (
    "customer_facing",
    "gives_investment_advice",
    "generative",
    "uses_personal_data",
    "third_party_provider",
)


@dataclass(frozen=True, slots=True)
class SystemAttributes:
    """What a system is and does: the only input to risk tiering."""

    name: str
    purpose: str
    business_function: str
    opportunity_area: OpportunityArea
    accountable_senior_manager: str
    owner: str
    customer_facing: bool = False
    gives_investment_advice: bool = False
    generative: bool = False
    uses_personal_data: bool = False
    third_party_provider: bool = False
    protected_attributes: tuple[str, ...] = ()

    def flags(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in FLAGS}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "purpose": self.purpose,
            "business_function": self.business_function,
            "opportunity_area": self.opportunity_area.value,
            "accountable_senior_manager": self.accountable_senior_manager,
            "owner": self.owner,
            **self.flags(),
            "protected_attributes": list(self.protected_attributes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SystemAttributes:
        return cls(
            name=data["name"],
            purpose=data["purpose"],
            business_function=data["business_function"],
            opportunity_area=OpportunityArea(data["opportunity_area"]),
            accountable_senior_manager=data["accountable_senior_manager"],
            owner=data["owner"],
            protected_attributes=tuple(data.get("protected_attributes", ())),
            **{flag: bool(data.get(flag, False)) for flag in FLAGS},
        )


@dataclass(frozen=True, slots=True)
class TierAssessment:
    """The computed tier, oversight mode and the rules that produced them."""

    tier: Tier
    oversight: Oversight
    rule_ids: tuple[str, ...]
    reasons: tuple[str, ...]
    ruleset_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "oversight": self.oversight.value,
            "rule_ids": list(self.rule_ids),
            "reasons": list(self.reasons),
            "ruleset_version": self.ruleset_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TierAssessment:
        return cls(
            Tier(data["tier"]),
            Oversight(data["oversight"]),
            tuple(data["rule_ids"]),
            tuple(data["reasons"]),
            data["ruleset_version"],
        )


@dataclass(frozen=True, slots=True)
class AISystem:
    id: str
    attributes: SystemAttributes
    assessment: TierAssessment
    created_by: str
    created_at: str
    updated_at: str
    revision: int = 1

    @property
    def tier(self) -> Tier:
        return self.assessment.tier

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.attributes.to_json(),
            **self.assessment.to_json(),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "revision": self.revision,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AISystem:
        return cls(
            id=data["id"],
            attributes=SystemAttributes.from_json(data),
            assessment=TierAssessment.from_json(data),
            created_by=data["created_by"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            revision=data["revision"],
        )


class Lifecycle(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    APPROVED = "approved"
    DEPLOYED = "deployed"
    RETIRED = "retired"


_ALLOWED: dict[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.DRAFT: frozenset({Lifecycle.SUBMITTED, Lifecycle.RETIRED}),
    Lifecycle.SUBMITTED: frozenset({Lifecycle.VALIDATED, Lifecycle.DRAFT, Lifecycle.RETIRED}),
    Lifecycle.VALIDATED: frozenset({Lifecycle.APPROVED, Lifecycle.SUBMITTED, Lifecycle.RETIRED}),
    Lifecycle.APPROVED: frozenset({Lifecycle.DEPLOYED, Lifecycle.SUBMITTED, Lifecycle.RETIRED}),
    Lifecycle.DEPLOYED: frozenset({Lifecycle.RETIRED, Lifecycle.SUBMITTED}),
    Lifecycle.RETIRED: frozenset(),
}


def allowed_transitions(state: Lifecycle) -> frozenset[Lifecycle]:
    return _ALLOWED[state]


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: str
    system_id: str
    version: str
    artifact_sha256: str
    data_fingerprint: str
    provider: str
    licence: str
    metrics: dict[str, float]
    state: Lifecycle
    created_by: str
    created_at: str
    updated_at: str
    submitted_by: str | None = None
    validated_by: str | None = None
    approved_by: str | None = None
    deployed_by: str | None = None
    artifact_uri: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def transition(self, target: Lifecycle, *, at: str, **who: str | None) -> ModelVersion:
        if target not in _ALLOWED[self.state]:
            raise IllegalTransition(
                f"a {self.state.value} model version cannot become {target.value}",
                version_id=self.id,
                state=self.state.value,
                target=target.value,
            )
        return replace(self, state=target, updated_at=at, **who)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system_id": self.system_id,
            "version": self.version,
            "artifact_sha256": self.artifact_sha256,
            "data_fingerprint": self.data_fingerprint,
            "provider": self.provider,
            "licence": self.licence,
            "metrics": dict(self.metrics),
            "state": self.state.value,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "submitted_by": self.submitted_by,
            "validated_by": self.validated_by,
            "approved_by": self.approved_by,
            "deployed_by": self.deployed_by,
            "artifact_uri": self.artifact_uri,
            "config": dict(self.config),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelVersion:
        return cls(
            id=data["id"],
            system_id=data["system_id"],
            version=data["version"],
            artifact_sha256=data["artifact_sha256"],
            data_fingerprint=data["data_fingerprint"],
            provider=data["provider"],
            licence=data["licence"],
            metrics=dict(data.get("metrics", {})),
            state=Lifecycle(data["state"]),
            created_by=data["created_by"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            submitted_by=data.get("submitted_by"),
            validated_by=data.get("validated_by"),
            approved_by=data.get("approved_by"),
            deployed_by=data.get("deployed_by"),
            artifact_uri=data.get("artifact_uri"),
            config=dict(data.get("config", {})),
        )


__all__ = [
    "FLAGS",
    "AISystem",
    "Lifecycle",
    "ModelVersion",
    "OpportunityArea",
    "Oversight",
    "SystemAttributes",
    "Tier",
    "TierAssessment",
    "allowed_transitions",
]
