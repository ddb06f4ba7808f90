"""Routes of the governed core: inventory, lifecycle, approvals, controls, ledger, users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApprovalCreate,
    ArtifactUpdate,
    EvidenceCreate,
    Reason,
    SystemCreate,
    SystemPublic,
    SystemUpdate,
    UserCreate,
    UserPublic,
    ValidationCreate,
    VersionCreate,
    VersionPublic,
    parse_iso_time,
)
from dualtrack.controls.domain import EvidenceKind
from dualtrack.errors import InvalidInput
from dualtrack.ledger.domain import MAX_SEQ, canonical_json, format_time
from dualtrack.registry.domain import SystemAttributes

router = APIRouter(prefix="/api/v1")


def _as_of(value: str | None) -> str | None:
    """An ISO 8601 time with its timezone, as the ledger formats times; anything else (a
    bare number included, which a lenient parser would read as Unix time) is refused."""
    if value is None:
        return None
    try:
        return format_time(parse_iso_time(value))
    except ValueError as exc:
        raise InvalidInput(f"as_of {exc}") from None


@router.post("/systems", status_code=201, response_model=SystemPublic, tags=["inventory"])
def register_system(body: SystemCreate, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Register an AI system. Its tier, oversight mode and required controls are computed."""
    attributes = SystemAttributes.from_json(body.model_dump())
    return platform.registry.register_system(actor, attributes).to_json()


@router.get("/systems", response_model=list[SystemPublic], tags=["inventory"])
def list_systems(
    platform: PlatformDep,
    actor: ActorDep,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Show the inventory as it stood at this time: ISO 8601 with a "
            "timezone, e.g. 2026-11-25T09:00:00Z.",
            json_schema_extra={"format": "date-time"},
        ),
    ] = None,
) -> list[dict[str, Any]]:
    """The AI inventory, now or at a past time."""
    return [s.to_json() for s in platform.registry.list_systems(as_of=_as_of(as_of))]


@router.get("/systems/{system_id}", response_model=SystemPublic, tags=["inventory"])
def get_system(system_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """One AI system with its computed tier, oversight mode and the rules behind them."""
    return platform.registry.get_system(system_id).to_json()


@router.patch("/systems/{system_id}", response_model=SystemPublic, tags=["inventory"])
def update_system(
    system_id: str, body: SystemUpdate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Change attributes. The system is re-tiered and the reason is written to the ledger."""
    changes = body.model_dump(exclude_none=True)
    return platform.registry.update_system(actor, system_id, changes).to_json()


@router.get("/systems/{system_id}/history", tags=["inventory"])
def system_history(system_id: str, platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Every revision of the system with who changed what and why it was re-tiered."""
    return platform.registry.system_history(system_id)


@router.get("/systems/{system_id}/controls", tags=["controls"])
def control_gaps(system_id: str, platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Required controls with status `met`, `unmet` or `evidence missing`."""
    return [g.to_json() for g in platform.controls.gaps(system_id)]


@router.post("/systems/{system_id}/evidence", status_code=201, tags=["controls"])
def attach_evidence(
    system_id: str, body: EvidenceCreate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Attach a link or note to a control (files: `dualtrack controls attach --file`)."""
    item = platform.controls.attach_evidence(
        actor,
        system_id,
        body.control_id,
        kind=EvidenceKind(body.kind),
        reference=body.reference,
        note=body.note,
        verdict=body.verdict,
    )
    return item.to_json()


@router.get("/controls", tags=["controls"])
def catalogue(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The controls catalogue: regulators' expectations in our words, with sources."""
    cat = platform.controls.catalogue
    return {
        "version": cat.version,
        "sources": {
            k: {"title": v.title, "issuer": v.issuer, "date": v.date}
            for k, v in cat.sources.items()
        },
        "controls": [c.to_json() for c in cat.controls],
    }


@router.post(
    "/systems/{system_id}/versions",
    status_code=201,
    response_model=VersionPublic,
    tags=["lifecycle"],
)
def register_version(
    system_id: str, body: VersionCreate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Register a model version (state `draft`) with its artifact hash and data fingerprint."""
    return platform.registry.register_version(actor, system_id, **body.model_dump()).to_json()


@router.get("/systems/{system_id}/versions", response_model=list[VersionPublic], tags=["lifecycle"])
def list_versions(system_id: str, platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The system's model versions in every lifecycle state."""
    return [v.to_json() for v in platform.registry.list_versions(system_id)]


@router.get("/model-versions/{version_id}", response_model=VersionPublic, tags=["lifecycle"])
def get_version(version_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """One model version: hashes, metrics, state and who moved it through the lifecycle."""
    return platform.registry.get_version(version_id).to_json()


@router.get("/model-versions/{version_id}/history", tags=["lifecycle"])
def version_history(
    version_id: str, platform: PlatformDep, actor: ActorDep
) -> list[dict[str, Any]]:
    """Every state change of the version, with actor and time."""
    return platform.registry.version_history(version_id)


@router.post(
    "/model-versions/{version_id}/submit", response_model=VersionPublic, tags=["lifecycle"]
)
def submit(version_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """draft -> submitted (the maker)."""
    return platform.registry.submit(actor, version_id).to_json()


@router.post(
    "/model-versions/{version_id}/validation-verdicts", status_code=201, tags=["lifecycle"]
)
def record_validation(
    version_id: str, body: ValidationCreate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """A validator other than the developer records a verdict; a pass moves the version to
    `validated`. HIGH-tier versions need the validator role."""
    record = platform.registry.record_validation(
        actor, version_id, passed=body.passed, summary=body.summary, controls=tuple(body.controls)
    )
    return record.to_json()


@router.get("/model-versions/{version_id}/validations", tags=["lifecycle"])
def list_validations(
    version_id: str, platform: PlatformDep, actor: ActorDep
) -> list[dict[str, Any]]:
    """Validation records of the version (runs and validator verdicts), oldest first."""
    return [r.to_json() for r in platform.registry.validations(version_id)]


@router.post("/validations/{validation_id}/override", tags=["lifecycle"])
def override_validation(
    validation_id: str, body: Reason, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """A senior manager accepts a failed validation with a written reason."""
    return platform.registry.override_validation(actor, validation_id, reason=body.reason).to_json()


@router.post(
    "/model-versions/{version_id}/approve", response_model=VersionPublic, tags=["lifecycle"]
)
def approve(
    version_id: str, body: ApprovalCreate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """validated -> approved. Maker-checker: not the developer or submitter; the tier decides
    the role (HIGH: senior manager)."""
    return platform.registry.approve(actor, version_id, note=body.note).to_json()


@router.post(
    "/model-versions/{version_id}/send-back", response_model=VersionPublic, tags=["lifecycle"]
)
def send_back(
    version_id: str, body: Reason, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """A validator, compliance officer or senior manager returns a version for rework."""
    return platform.registry.send_back(actor, version_id, reason=body.reason).to_json()


@router.post(
    "/model-versions/{version_id}/deploy", response_model=VersionPublic, tags=["lifecycle"]
)
def deploy(version_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """approved -> deployed; the system's previously deployed version is retired."""
    return platform.registry.deploy(actor, version_id).to_json()


@router.post(
    "/model-versions/{version_id}/retire", response_model=VersionPublic, tags=["lifecycle"]
)
def retire(version_id: str, body: Reason, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Retire a version with a reason (compliance officer, senior manager or admin)."""
    return platform.registry.retire(actor, version_id, reason=body.reason).to_json()


@router.put(
    "/model-versions/{version_id}/artifact", response_model=VersionPublic, tags=["lifecycle"]
)
def update_artifact(
    version_id: str, body: ArtifactUpdate, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """A changed artifact or training data sends the version back to `submitted`."""
    return platform.registry.update_artifact(
        actor,
        version_id,
        artifact_sha256=body.artifact_sha256,
        data_fingerprint=body.data_fingerprint,
    ).to_json()


@router.get("/approvals", tags=["lifecycle"])
def approval_queue(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Versions awaiting validation or approval, with whether the caller may approve each."""
    return [item.to_json() for item in platform.registry.approval_queue(actor)]


@router.get("/ledger", tags=["ledger"])
def ledger_page(
    platform: PlatformDep,
    actor: ActorDep,
    before_seq: int | None = Query(
        None, ge=1, le=MAX_SEQ, description="Only entries before this sequence number."
    ),
    limit: int = Query(50, ge=1, le=500),
    subject_id: str | None = Query(None, max_length=100),
) -> list[dict[str, Any]]:
    """Newest ledger entries first."""
    return [
        e.to_json()
        for e in platform.ledger.page(before_seq=before_seq, limit=limit, subject_id=subject_id)
    ]


@router.get("/ledger/verify", tags=["ledger"])
def ledger_verify(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Recompute the whole hash chain; names the first modified, deleted or reordered entry."""
    return platform.ledger.verify().to_json()


@router.get(
    "/ledger/export",
    tags=["ledger"],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One ledger entry per line, oldest first.",
            "content": {"application/jsonl": {"schema": {"type": "string"}}},
        }
    },
)
def ledger_export(platform: PlatformDep, actor: ActorDep) -> StreamingResponse:
    """The whole ledger as JSON Lines."""

    def lines() -> Any:
        for entry in platform.ledger.entries():
            yield canonical_json(entry.to_json()) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")


@router.get("/users/me", response_model=UserPublic, tags=["users"])
def me(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The user and role the API key acts as."""
    user = platform.identity.get_user(actor.username)
    return {**vars_user(user), "role": actor.role}


@router.get("/users", response_model=list[UserPublic], tags=["users"])
def list_users(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """All users with their single role."""
    return [vars_user(u) for u in platform.identity.list_users()]


@router.post("/users", status_code=201, response_model=UserPublic, tags=["users"])
def create_user(body: UserCreate, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Admins create users with exactly one role."""
    user = platform.identity.create_user(
        actor,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
    )
    return vars_user(user)


@router.post("/api-keys", status_code=201, response_model=ApiKeyIssued, tags=["users"])
def issue_key(body: ApiKeyCreate, platform: PlatformDep, actor: ActorDep) -> dict[str, str]:
    """Issue an API key bound to a user and that user's role. The key is shown once."""
    return {
        "api_key": platform.identity.issue_api_key(actor, username=body.username, label=body.label)
    }


def vars_user(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
    }
