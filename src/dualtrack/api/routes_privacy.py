"""Routes of the privacy guard: scan, redact, re-identify, and per-AI-system policies.

Findings are returned as spans (``start``/``end`` in characters of the text sent) with the
entity type and score; the matched text is not echoed unless ``include_text`` is asked for,
since the caller already holds it. Request bodies are capped by the app's body limit (413).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StringConstraints, model_validator
from starlette.concurrency import run_in_threadpool

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import NOT_BLANK, Flag, Strict, Strip, Strip3
from dualtrack.errors import InvalidInput
from dualtrack.privacy.domain import Finding
from dualtrack.privacy.streaming import decode_bytes
from dualtrack.privacy.wiring import service

router = APIRouter(prefix="/api/v1", tags=["privacy"])

Mode = Literal["redact", "mask", "replace", "pseudonymise", "encrypt"]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=NOT_BLANK), Strip]
ReasonText = Annotated[str, StringConstraints(min_length=3, max_length=2000), Strip3]


class ScanRequest(Strict):
    text: Annotated[str, StringConstraints(min_length=1)]
    profile: Literal["default", "spacy"] = "default"
    include_text: Flag = Field(
        False, description="Also return each finding's matched text (off by default)."
    )


class FindingOut(BaseModel):
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str
    text: str | None = None


class ScanResponse(BaseModel):
    characters: int
    total: int
    by_type: dict[str, int]
    findings: list[FindingOut]


class RedactRequest(Strict):
    """Exactly one of ``text`` and ``record``."""

    text: Annotated[str, StringConstraints(min_length=1)] | None = None
    record: dict[str, Any] | None = Field(
        None, description="A JSON object; every string in it is scanned and transformed."
    )
    mode: Mode = "replace"
    mask_keep: int = Field(
        0, ge=0, le=8, strict=True, description="mask mode: characters left visible."
    )

    @model_validator(mode="after")
    def _one_input(self) -> RedactRequest:
        if (self.text is None) == (self.record is None):
            raise ValueError("send exactly one of text and record")
        return self


class RedactResponse(BaseModel):
    mode: Mode
    text: str | None = None
    record: dict[str, Any] | None = None
    summary: dict[str, Any]
    findings: list[FindingOut] = Field(
        default_factory=list, description="Spans in the text sent (text input only)."
    )
    request_id: str = Field(description="The ledger subject of this redaction.")


class ReidentifyRequest(Strict):
    token: Token
    reason: ReasonText


class ReidentifyResponse(BaseModel):
    entity_type: str
    plaintext: str


class PolicyRule(Strict):
    path: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    action: Literal["allow", "scan", "pseudonymise", "encrypt", "redact", "drop"]
    entity_type: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "FIELD"


class PolicyBody(Strict):
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    fields: list[PolicyRule] = Field(default_factory=list, max_length=500)
    default_field_action: Literal["allow", "scan", "pseudonymise", "encrypt", "redact", "drop"] = (
        "scan"
    )
    entity_actions: dict[
        Annotated[str, StringConstraints(max_length=40)],
        Literal["allow", "pseudonymise", "encrypt", "replace", "mask", "redact"],
    ] = Field(default_factory=dict, max_length=100)
    default_entity_action: Literal[
        "allow", "pseudonymise", "encrypt", "replace", "mask", "redact"
    ] = "replace"


class PolicyPut(Strict):
    """Either a shipped template by name (see GET /privacy/policy-templates) or a policy."""

    template: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    policy: PolicyBody | None = None

    @model_validator(mode="after")
    def _one(self) -> PolicyPut:
        if (self.template is None) == (self.policy is None):
            raise ValueError("send exactly one of template and policy")
        return self


class ApplyRequest(Strict):
    record: dict[str, Any]


def _findings(found: list[Finding], text: str, include_text: bool) -> list[FindingOut]:
    return [
        FindingOut(**f.to_dict(), text=text[f.start : f.end] if include_text else None)
        for f in found
    ]


def _counts(found: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in found:
        counts[str(f.entity_type)] = counts.get(str(f.entity_type), 0) + 1
    return dict(sorted(counts.items()))


@router.post("/privacy/scan", response_model=ScanResponse, response_model_exclude_none=True)
def scan(body: ScanRequest, platform: PlatformDep, actor: ActorDep) -> ScanResponse:
    """Find personal data in a text: spans, entity types and scores (not ledgered).

    The matched text is returned only with `include_text: true`. Profile `spacy` adds spaCy
    person names when spaCy and its model are installed (503 otherwise)."""
    found = service(platform).scan(body.text, profile=body.profile)
    return ScanResponse(
        characters=len(body.text),
        total=len(found),
        by_type=_counts(found),
        findings=_findings(found, body.text, body.include_text),
    )


@router.post("/privacy/redact", response_model=RedactResponse, response_model_exclude_none=True)
def redact(body: RedactRequest, platform: PlatformDep, actor: ActorDep) -> RedactResponse:
    """Redact a text or a JSON record: `redact` (remove), `mask` (`*`), `replace` (type tag),
    `pseudonymise` (keyed HMAC token, stable across calls) or `encrypt` (reversible AES-SIV
    token). The ledger records the mode, counts per type and pseudonyms, never the text.
    Modes needing a key that is not configured answer 503."""
    gateway = service(platform)
    value: Any = body.text if body.text is not None else body.record
    result = gateway.redact(actor, value, body.mode, mask_keep=body.mask_keep)
    response = RedactResponse(
        mode=body.mode, summary=result.summary(), request_id=result.request_id
    )
    if body.text is not None:
        response.text = result.output
        response.findings = _findings(list(result.findings), body.text, False)
    else:
        response.record = result.output
    return response


_RAW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/privacy/scan/upload",
    response_model=ScanResponse,
    response_model_exclude_none=True,
    openapi_extra=_RAW_BODY,
)
async def scan_upload(request: Request, platform: PlatformDep, actor: ActorDep) -> ScanResponse:
    """Scan a raw UTF-8 text body (e.g. `curl --data-binary @note.txt`). Binary or invalid
    UTF-8 bodies answer 422 `privacy-undecodable-input`; nothing of them is echoed."""
    raw = await request.body()
    gateway = service(platform)
    text = await run_in_threadpool(_decode, raw)
    found = await run_in_threadpool(gateway.scan, text)
    return ScanResponse(
        characters=len(text),
        total=len(found),
        by_type=_counts(found),
        findings=_findings(found, text, False),
    )


@router.post(
    "/privacy/redact/upload",
    response_model=RedactResponse,
    response_model_exclude_none=True,
    openapi_extra=_RAW_BODY,
)
async def redact_upload(
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    mode: Annotated[Mode, Query(description="How to transform each finding.")] = "replace",
) -> RedactResponse:
    """Redact a raw UTF-8 text body; the answer is as for `POST /privacy/redact`."""
    raw = await request.body()
    gateway = service(platform)
    text = await run_in_threadpool(_decode, raw)
    result = await run_in_threadpool(gateway.redact, actor, text, mode)
    return RedactResponse(
        mode=mode,
        text=result.output,
        summary=result.summary(),
        findings=_findings(list(result.findings), text, False),
        request_id=result.request_id,
    )


def _decode(raw: bytes) -> str:
    text = decode_bytes(raw)
    if not text.strip():
        raise InvalidInput("the body is empty")
    return text


@router.post("/privacy/reidentify", response_model=ReidentifyResponse)
def reidentify(body: ReidentifyRequest, platform: PlatformDep, actor: ActorDep) -> Any:
    """Turn an `enc:` token back into the personal data (compliance officers only).

    The request, with its reason, is written to the ledger before the plaintext is returned;
    a refused request (403) is ledgered too."""
    entity_type, plaintext = service(platform).reidentify(actor, body.token, body.reason)
    return ReidentifyResponse(entity_type=entity_type, plaintext=plaintext)


@router.get("/privacy/policy-templates")
def policy_templates(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The policy templates shipped with dualtrack (fraud scoring, research assistant)."""
    return {name: p.to_dict() for name, p in sorted(service(platform).templates.items())}


@router.get("/systems/{system_id}/privacy-policy")
def get_policy(system_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The privacy policy in force for an AI system: which fields and entity types reach its
    model and in what form. Without a stored policy (`stored: false`) the strict default
    applies: every detected entity is replaced by its type tag."""
    return service(platform).policy(system_id).to_dict()


@router.put("/systems/{system_id}/privacy-policy")
def put_policy(
    system_id: str, body: PolicyPut, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Set an AI system's privacy policy (compliance officer or admin); ledgered."""
    policy = body.policy.model_dump() if body.policy is not None else None
    stored = service(platform).set_policy(actor, system_id, policy=policy, template=body.template)
    return stored.to_dict()


@router.post("/systems/{system_id}/privacy-policy/apply")
def apply_policy(
    system_id: str, body: ApplyRequest, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Preview what of a record the AI system's model would receive under its policy."""
    return {"record": service(platform).apply_policy(system_id, body.record)}
