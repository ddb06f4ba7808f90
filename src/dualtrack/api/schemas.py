"""Request and response bodies (pydantic lives at the edges only)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from dualtrack.identity.domain import Role
from dualtrack.registry.domain import OpportunityArea


def stripped(value: str, minimum: int = 1) -> str:
    """Surrounding whitespace is dropped after the documented length checks (which count the
    text as sent: ``strip_whitespace`` would check the stripped text, so the API would take
    more than its ``maxLength``); what is left must still be ``minimum`` characters long."""
    value = value.strip()
    if len(value) < minimum:
        raise ValueError(f"needs at least {minimum} characters besides spaces")
    return value


NOT_BLANK = r"\S"
Strip = AfterValidator(stripped)
Strip3 = AfterValidator(partial(stripped, minimum=3))
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Strip]
Text2000 = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, pattern=NOT_BLANK), Strip
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def parse_iso_time(value: str) -> datetime:
    """An ISO 8601 time with its timezone; ``ValueError`` (saying what is wrong) for
    anything else."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 time, e.g. 2026-11-25T09:00:00+08:00") from None
    if parsed.tzinfo is None:
        raise ValueError("needs a timezone, e.g. 2026-11-25T09:00:00+08:00")
    return parsed


def _iso_time(value: object) -> datetime:
    """pydantic's own parsing reads a number, or a string of digits, as Unix time and takes a
    time without a timezone as it comes: a silent wrong date in a record kept for years."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time with a timezone, e.g. 2026-11-25T09:00:00+08:00")
    return parse_iso_time(value)


def _iso_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date, e.g. 2026-11-25")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date, e.g. 2026-11-25") from None


# Request fields take only what their JSON schema says: ISO 8601 text for times and dates,
# true/false for flags (pydantic's lax mode would read 1, "yes" or "on" as true, and
# 1700000000 as a date).
IsoTime = Annotated[datetime, BeforeValidator(_iso_time)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Flag = StrictBool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SystemCreate(Strict):
    """A new AI system. Its tier is computed from these attributes, never supplied."""

    name: Text200
    purpose: Text2000
    business_function: Text200
    opportunity_area: OpportunityArea
    accountable_senior_manager: Text200
    owner: Text200
    customer_facing: Flag = False
    gives_investment_advice: Flag = Field(
        False, description="Gives investment recommendations, advice or research to clients."
    )
    generative: Flag = False
    uses_personal_data: Flag = False
    third_party_provider: Flag = False
    protected_attributes: list[Text200] = Field(default_factory=list, max_length=20)


class SystemUpdate(Strict):
    """Attributes to change; the system is re-tiered and the reason recorded."""

    name: Text200 | None = None
    purpose: Text2000 | None = None
    business_function: Text200 | None = None
    opportunity_area: OpportunityArea | None = None
    accountable_senior_manager: Text200 | None = None
    owner: Text200 | None = None
    customer_facing: Flag | None = None
    gives_investment_advice: Flag | None = None
    generative: Flag | None = None
    uses_personal_data: Flag | None = None
    third_party_provider: Flag | None = None
    protected_attributes: list[Text200] | None = Field(None, max_length=20)


class SystemPublic(BaseModel):
    id: str
    name: str
    purpose: str
    business_function: str
    opportunity_area: str
    accountable_senior_manager: str
    owner: str
    customer_facing: bool
    gives_investment_advice: bool
    generative: bool
    uses_personal_data: bool
    third_party_provider: bool
    protected_attributes: list[str]
    tier: Literal["LOW", "MEDIUM", "HIGH"]
    oversight: str
    rule_ids: list[str]
    reasons: list[str]
    ruleset_version: str
    created_by: str
    created_at: str
    updated_at: str
    revision: int


class VersionCreate(Strict):
    version: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip
    ]
    artifact_sha256: Sha256
    data_fingerprint: Sha256 = Field(description="SHA-256 fingerprint of the training data.")
    provider: Text200 = "in-house"
    licence: Text200 = "proprietary"
    metrics: dict[Annotated[str, StringConstraints(max_length=100)], float] = Field(
        default_factory=dict, max_length=100
    )
    artifact_uri: Annotated[str, StringConstraints(max_length=2000)] | None = None


class VersionPublic(BaseModel):
    id: str
    system_id: str
    version: str
    artifact_sha256: str
    data_fingerprint: str
    provider: str
    licence: str
    metrics: dict[str, float]
    state: str
    created_by: str
    created_at: str
    updated_at: str
    submitted_by: str | None
    validated_by: str | None
    approved_by: str | None
    deployed_by: str | None
    artifact_uri: str | None
    config: dict[str, Any]


class ArtifactUpdate(Strict):
    artifact_sha256: Sha256
    data_fingerprint: Sha256


class ValidationCreate(Strict):
    """A validator's recorded verdict on a submitted version."""

    passed: bool
    summary: Text2000
    controls: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=100
    )


class Reason(Strict):
    reason: Text2000


class ApprovalCreate(Strict):
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class EvidenceCreate(Strict):
    control_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    kind: Literal["link", "note"]
    reference: Text2000
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""
    verdict: Literal["met", "unmet"] = "met"


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{1,62}$")]
    display_name: Text200
    role: Role
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)] | None = None


class UserPublic(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role
    active: bool


class ApiKeyCreate(Strict):
    username: Annotated[str, StringConstraints(max_length=63)]
    label: Text200


class ApiKeyIssued(BaseModel):
    api_key: str = Field(description="Shown once; only a digest is stored.")
