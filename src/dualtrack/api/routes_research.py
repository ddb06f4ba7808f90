"""Routes of the research and data-analysis assistant (issue 6).

Questions answered from the document library with citations; investment content from the
HIGH-tier assistant waits for a compliance officer; released answers carry the AI disclosure.
Uploads go through the app's request-body limit (``DUALTRACK_MAX_BODY_BYTES``, 1 MiB by
default): larger documents are added with ``dualtrack docs add``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import Field, StringConstraints, model_validator

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import NOT_BLANK, Flag, Strict, Strip, Strip3
from dualtrack.errors import InvalidInput
from dualtrack.identity.domain import Role
from dualtrack.research.wiring import (
    MAX_QUESTION_CHARS,
    ReviewView,
    chunk_json,
    document_json,
    reply_json,
    review_json,
    service,
)

router = APIRouter(prefix="/api/v1", tags=["research assistant"])

# Drafts of held answers are for reviewers (and audit), not for the asker.
_DRAFT_READERS = frozenset({Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.ADMIN})

Question = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NOT_BLANK), Strip
]
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=500), Strip3]


class AskRequest(Strict):
    question: Question = Field(description=f"At most {MAX_QUESTION_CHARS} characters.")
    client_id: ClientId | None = Field(
        None, description="The client the question is for (opt-outs apply; pseudonymised)."
    )
    request_human: Flag = Field(False, description="Route to a member of staff instead.")


class ReviewDecisionRequest(Strict):
    decision: Literal["approve", "edit", "reject"]
    edited_text: Annotated[str, StringConstraints(min_length=1, max_length=8000)] | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class OptOutRequest(Strict):
    client_id: ClientId
    opted_out: Flag = True


class SqlRequest(Strict):
    """Exactly one of ``sql`` (run as written) and ``question`` (needs a language model)."""

    sql: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    question: Question | None = None

    @model_validator(mode="after")
    def _one(self) -> SqlRequest:
        if (self.sql is None) == (self.question is None):
            raise ValueError("send exactly one of sql and question")
        return self


@router.post("/assistant/ask")
def ask(body: AskRequest, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Ask the research assistant. ``status`` is ``answered`` (with numbered citations and
    the AI disclosure), ``pending_review`` (investment content held for a licensed reviewer;
    poll ``GET /assistant/reviews/{review_id}``), ``routed_to_human``, ``refused`` (no
    supporting passage) or ``blocked`` (prompt injection). Questions over
    ``MAX_QUESTION_CHARS`` get 422."""
    gateway = service(platform)
    reply = gateway.ask(
        actor, body.question, client_id=body.client_id, request_human=body.request_human
    )
    return reply_json(reply, gateway)


@router.get("/assistant/documents")
def list_documents(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Documents in the research library, with chunk counts and chunks flagged as planted
    prompt injections (excluded from answers)."""
    gateway = service(platform)
    return {
        "embedder": gateway.embedder.model_id,
        "note": gateway.embedder_note,
        "documents": [document_json(d) for d in gateway.list_documents()],
    }


@router.post("/assistant/documents", status_code=201)
def add_document(
    platform: PlatformDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="PDF, HTML, Markdown or text")],
    title: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    """Upload one document (multipart). It is parsed, chunked, screened for injections and
    embedded before anything is stored: a corrupt, encrypted or empty file gets 422 and
    leaves nothing behind. Bodies over the app limit (1 MiB by default) get 413; use
    ``dualtrack docs add`` for large files. Re-uploading unchanged content is a no-op."""
    gateway = service(platform)
    data = file.file.read()
    result = gateway.add_document(
        actor, filename=file.filename or "upload", data=data, title=title or None
    )
    return {
        "indexed": result.indexed,
        "document": document_json(result.document),
        "note": gateway.embedder_note,
    }


@router.delete("/assistant/documents/{doc_id}")
def delete_document(
    doc_id: str,
    platform: PlatformDep,
    actor: ActorDep,
    reason: Annotated[Reason, Query(description="Why (retention, withdrawn...)")],
) -> dict[str, Any]:
    """Delete a document with its chunks and embeddings in one transaction (retention).
    Compliance officers and admins only."""
    service(platform).delete_document(actor, doc_id, reason=reason)
    return {"deleted": doc_id}


@router.get("/assistant/chunks/{chunk_id}")
def get_chunk(chunk_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The cited source passage (chunk IDs look like ``doc-id#00003``: encode ``#`` as %23)."""
    return chunk_json(service(platform).chunk(chunk_id))


@router.get("/assistant/reviews")
def list_reviews(
    platform: PlatformDep,
    actor: ActorDep,
    status: Literal["pending", "approved", "edited", "rejected", "all"] = "pending",
) -> list[dict[str, Any]]:
    """The answer review queue (drafts included): compliance officers, auditors, admins."""
    gateway = service(platform)
    items = gateway.reviews_for(actor, status=None if status == "all" else status)
    return [review_json(ReviewView(i, None), include_draft=True) for i in items]


@router.get("/assistant/reviews/{review_id}")
def get_review(review_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """A review's state. The asker sees the released text with the AI disclosure once a
    reviewer approved or edited it; reviewers also see the draft."""
    view = service(platform).review(actor, review_id)
    return review_json(view, include_draft=actor.role in _DRAFT_READERS)


@router.post("/assistant/reviews/{review_id}")
def decide_review(
    review_id: str, body: ReviewDecisionRequest, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Approve, edit or reject a held answer. Only a compliance officer (the platform's
    licensed reviewer, SFC-17) who is not the asker may decide; decisions are final."""
    if body.decision == "edit" and not body.edited_text:
        raise InvalidInput("an edit needs edited_text")
    view = service(platform).decide(
        actor, review_id, decision=body.decision, edited_text=body.edited_text, note=body.note
    )
    return review_json(view, include_draft=True)


@router.post("/assistant/opt-out")
def opt_out(body: OptOutRequest, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Record that a client wants a human instead of the AI assistant (HKMA-GENAI-04); their
    later questions go to the human queue."""
    service(platform).set_opt_out(actor, body.client_id, opted_out=body.opted_out)
    return {"client_id": body.client_id, "opted_out": body.opted_out}


@router.get("/assistant/datasets")
def list_datasets(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Datasets registered for read-only SQL."""
    return [
        {
            "name": d.dataset.name,
            "source": d.dataset.source,
            "rows": d.dataset.n_rows,
            "columns": [{"name": c, "type": t} for c, t in d.dataset.columns],
            "sha256": d.sha256,
            "registered_at": d.registered_at,
            "registered_by": d.registered_by,
        }
        for d in service(platform).list_datasets()
    ]


@router.post("/assistant/sql")
def run_sql(body: SqlRequest, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Query registered datasets read-only (DuckDB). SQL must be a single SELECT on
    registered datasets (422 otherwise). A ``question`` is turned into SQL by the configured
    language model and goes through the same checks (503 when none is configured)."""
    gateway = service(platform)
    if body.sql is not None:
        result = gateway.query(actor, body.sql)
    else:
        assert body.question is not None
        result = gateway.ask_data(actor, body.question)
    return result.to_dict()
