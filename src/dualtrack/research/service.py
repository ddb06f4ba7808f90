"""Use cases of the research assistant: ingest, ask, review, opt out.

The governance rules live here, once, for every edge (API, CLI, dashboard):

* SFC-15/17: when the AI system is in the HIGH tier, any question or answer classified as
  investment recommendation, advice or research is held in a review queue until a licensed
  reviewer (not the asker) approves or edits it; released answers carry the AI disclosure.
* HKMA-GENAI-04: an opted-out client (or one who asks for a person) goes to a human queue.
* SFC-10/11: injected questions are blocked, injected passages are excluded and reported,
  and personal data is redacted before any external call and in every audit payload.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dualtrack.errors import InvalidInput, NotFound
from dualtrack.ledger.ports import AuditSink
from dualtrack.research.answer import check_groundedness, compose_extractive, compose_with_llm
from dualtrack.research.domain import (
    Answer,
    AnswerSentence,
    AssistantReply,
    Chunk,
    Citation,
    Document,
    GuardVerdict,
    HumanRequest,
    IngestResult,
    ReleasedAnswer,
    RetrievedChunk,
    ReviewDecision,
    ReviewItem,
)
from dualtrack.research.errors import ChatEndpointError, InvalidDocument
from dualtrack.research.guard import RuleModelGuard, injection_guard, investment_guard
from dualtrack.research.index import HybridIndex
from dualtrack.research.ingest import detect_format, iter_blocks
from dualtrack.research.memory import (
    InMemoryHumanQueue,
    InMemoryOptOutRegistry,
    InMemoryReviewRepository,
    SystemClock,
)
from dualtrack.research.ports import (
    ChatModel,
    ChunkStore,
    Clock,
    Embedder,
    HumanQueue,
    OptOutRegistry,
    Redactor,
    ReviewRepository,
)
from dualtrack.research.text import chunk_blocks, guess_language

logger = logging.getLogger(__name__)

REFUSAL = "The document library does not contain a passage that answers this question."
BLOCKED = (
    "The question was not processed because it looks like an attempt to override the "
    "assistant's instructions."
)
ROUTED = "Your question has been passed to a member of staff, who will reply to you."
HELD = (
    "Your question has been answered in draft; a licensed representative will review it "
    "before it is released to you."
)


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """Settings of one deployed assistant (an AI system in the registry)."""

    system_id: str = "research-assistant"
    #: Risk tier from the AI inventory; "high" turns on the investment-content review gate.
    risk_tier: str = "high"
    top_k: int = 5
    max_chunk_chars: int = 700
    chunk_overlap_sentences: int = 1
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    max_chunks: int = 50_000
    min_coverage: float = 0.5
    max_answer_sentences: int = 2
    embed_batch: int = 64

    @property
    def high_risk(self) -> bool:
        return self.risk_tier.strip().lower() == "high"


def _slug(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return base[:60] or "doc"


class ResearchAssistant:
    """The research and data-analysis assistant's document and Q&A use cases."""

    def __init__(
        self,
        *,
        store: ChunkStore,
        embedder: Embedder,
        redactor: Redactor,
        audit: AuditSink,
        config: AssistantConfig | None = None,
        chat: ChatModel | None = None,
        reviews: ReviewRepository | None = None,
        human_queue: HumanQueue | None = None,
        opt_outs: OptOutRegistry | None = None,
        clock: Clock | None = None,
        injection: RuleModelGuard | None = None,
        investment: RuleModelGuard | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.redactor = redactor
        self.audit = audit
        self.config = config or AssistantConfig()
        self.chat = chat
        self.reviews = reviews or InMemoryReviewRepository()
        self.human_queue = human_queue or InMemoryHumanQueue()
        self.opt_outs = opt_outs or InMemoryOptOutRegistry()
        self.clock = clock or SystemClock()
        self.injection = injection or injection_guard()
        self.investment = investment or investment_guard()
        self.index = HybridIndex(dim=embedder.dim)
        self.index.load(store.iter_all())

    # ------------------------------------------------------------------ documents
    def add_document(
        self,
        *,
        filename: str,
        data: bytes,
        actor: str,
        title: str | None = None,
        doc_id: str | None = None,
    ) -> IngestResult:
        """Parse, chunk, screen, embed and store a document, all or nothing.

        Re-adding a document whose content hash is unchanged is a no-op; a changed one
        replaces the previous version only after the new one is fully prepared.
        """
        cfg = self.config
        if not data or not data.strip():
            raise InvalidDocument("empty document", reason="empty")
        if len(data) > cfg.max_bytes:
            raise InvalidDocument("document too large", reason="too-large", size=len(data))
        doc_id = doc_id or _slug(filename)
        content_hash = hashlib.sha256(data).hexdigest()
        existing = self.store.get(doc_id)
        if existing is not None and existing.content_hash == content_hash:
            return IngestResult(existing, indexed=False)
        fmt = detect_format(filename, data)

        chunks: list[Chunk] = []
        pages = 0
        lang_sample: list[str] = []
        for block in iter_blocks(fmt, data, max_pages=cfg.max_pages):
            pages = max(pages, block.page or 0)
            for draft in chunk_blocks(
                [block],
                max_chars=cfg.max_chunk_chars,
                overlap_sentences=cfg.chunk_overlap_sentences,
            ):
                if len(chunks) >= cfg.max_chunks:
                    raise InvalidDocument("document has too many chunks", reason="too-many-chunks")
                verdict = self.injection.check_passage(draft.text)
                lang = guess_language(draft.text)
                if len(lang_sample) < 20:
                    lang_sample.append(lang)
                chunks.append(
                    Chunk(
                        chunk_id=f"{doc_id}#{len(chunks):05d}",
                        doc_id=doc_id,
                        ordinal=len(chunks),
                        text=draft.text,
                        source=filename,
                        page=draft.page,
                        section=draft.section,
                        language=lang,
                        injection_score=verdict.score,
                        flagged=verdict.flagged,
                    )
                )
        if not chunks:
            raise InvalidDocument("document contains no extractable text", reason="no-text")
        vectors = np.concatenate(
            [
                self.embedder.embed([c.text for c in chunks[i : i + cfg.embed_batch]])
                for i in range(0, len(chunks), cfg.embed_batch)
            ]
        )
        flagged = tuple(c.chunk_id for c in chunks if c.flagged)
        language = max(set(lang_sample), key=lang_sample.count)
        document = Document(
            doc_id=doc_id,
            title=title or filename,
            source=filename,
            fmt=fmt,
            content_hash=content_hash,
            language=language,
            n_pages=pages,
            n_chunks=len(chunks),
            added_at=self.clock.now(),
            flagged_chunk_ids=flagged,
        )
        if existing is not None:
            self.store.delete(doc_id)
            self.index.remove_document(doc_id)
        self.store.add(document, chunks, vectors)
        self.index.add(chunks, vectors)
        self.audit.record(
            actor=actor,
            action="research.document.indexed",
            subject_type="research_document",
            subject_id=doc_id,
            payload={
                "system_id": cfg.system_id,
                "content_hash": content_hash,
                "format": fmt,
                "chunks": len(chunks),
                "pages": pages,
                "replaced": existing is not None,
                "flagged_chunk_ids": list(flagged),
                "embedder": self.embedder.model_id,
            },
        )
        if flagged:
            logger.warning("document %s has %s chunks flagged as injection", doc_id, len(flagged))
        return IngestResult(document, indexed=True)

    def delete_document(self, doc_id: str, *, actor: str, reason: str = "retention") -> None:
        if self.store.get(doc_id) is None:
            raise NotFound("document not found", doc_id=doc_id)
        self.store.delete(doc_id)
        self.index.remove_document(doc_id)
        self.audit.record(
            actor=actor,
            action="research.document.deleted",
            subject_type="research_document",
            subject_id=doc_id,
            payload={"system_id": self.config.system_id, "reason": reason},
        )

    def list_documents(self) -> list[Document]:
        return self.store.list_documents()

    # ------------------------------------------------------------------ questions
    def retrieve(self, question: str, *, k: int | None = None) -> list[RetrievedChunk]:
        """Hybrid search, including flagged chunks (callers decide what to exclude)."""
        vec = self.embedder.embed([question])[0]
        return self.index.search(question, vec, k=k or self.config.top_k, exclude_flagged=False)

    def ask(
        self,
        question: str,
        *,
        asker: str,
        client_id: str | None = None,
        request_human: bool = False,
    ) -> AssistantReply:
        cfg = self.config
        interaction_id = uuid.uuid4().hex
        question = question.strip()
        if not question:
            raise InvalidInput("empty question")
        redacted_q = self.redactor.redact(question)
        audit: dict[str, Any] = {
            "system_id": cfg.system_id,
            "risk_tier": cfg.risk_tier,
            "client_id": client_id,
            "question": redacted_q,
        }

        if request_human or (client_id is not None and self.opt_outs.is_opted_out(client_id)):
            reason = "client_requested_human" if request_human else "client_opted_out"
            req = HumanRequest(
                uuid.uuid4().hex, interaction_id, client_id, question, reason, self.clock.now()
            )
            self.human_queue.add(req)
            reply = AssistantReply(
                interaction_id, "routed_to_human", ROUTED, human_request_id=req.request_id
            )
            return self._record(asker, reply, audit | {"reason": reason})

        q_injection = self.injection.check(question)
        verdicts: list[GuardVerdict] = [q_injection]
        if q_injection.flagged:
            reply = AssistantReply(interaction_id, "blocked", BLOCKED, verdicts=tuple(verdicts))
            return self._record(asker, reply, audit)
        q_invest = self.investment.check(question)
        verdicts.append(q_invest)

        # Fetch a few extra so that excluding injected chunks still leaves top_k passages.
        hits = self.retrieve(question, k=cfg.top_k + 5)
        excluded = [h.chunk.chunk_id for h in hits if h.chunk.flagged]
        used = [h for h in hits if not h.chunk.flagged][: cfg.top_k]
        if excluded:
            verdicts.append(
                GuardVerdict("indirect_injection", True, 1.0, "excluded:" + ",".join(excluded))
            )
        answer = self._compose(question, used)
        verdicts.append(
            GuardVerdict(
                "groundedness",
                bool(answer.removed),
                len(answer.sentences) / max(len(answer.sentences) + len(answer.removed), 1),
                f"removed:{len(answer.removed)}",
            )
        )
        retrieved_ids = tuple(h.chunk.chunk_id for h in used)
        if answer.refused:
            reply = AssistantReply(
                interaction_id,
                "refused",
                REFUSAL,
                answer=answer,
                verdicts=tuple(verdicts),
                retrieved_chunk_ids=retrieved_ids,
                excluded_chunk_ids=tuple(excluded),
            )
            return self._record(asker, reply, audit)

        a_invest = self.investment.check(answer.text)
        verdicts.append(
            GuardVerdict(
                "investment_content_answer",
                a_invest.flagged,
                a_invest.score,
                a_invest.detail,
                a_invest.latency_ms,
            )
        )
        if cfg.high_risk and (q_invest.flagged or a_invest.flagged):
            item = ReviewItem(
                review_id=uuid.uuid4().hex,
                interaction_id=interaction_id,
                asker=asker,
                client_id=client_id,
                question=question,
                draft=answer,
                created_at=self.clock.now(),
            )
            self.reviews.add(item)
            reply = AssistantReply(
                interaction_id,
                "pending_review",
                HELD,
                answer=answer,
                verdicts=tuple(verdicts),
                retrieved_chunk_ids=retrieved_ids,
                excluded_chunk_ids=tuple(excluded),
                review_id=item.review_id,
            )
            return self._record(asker, reply, audit)
        reply = AssistantReply(
            interaction_id,
            "answered",
            answer.text,
            answer=answer,
            verdicts=tuple(verdicts),
            retrieved_chunk_ids=retrieved_ids,
            excluded_chunk_ids=tuple(excluded),
        )
        return self._record(asker, reply, audit)

    def _compose(self, question: str, used: Sequence[RetrievedChunk]) -> Answer:
        passages = [(i + 1, h.chunk.text) for i, h in enumerate(used)]
        citations_all = {
            i + 1: Citation(i + 1, h.chunk.chunk_id, h.chunk.source, h.chunk.page, h.chunk.section)
            for i, h in enumerate(used)
        }
        notes: list[str] = []
        generator: Any = "extractive"
        sentences: list[AnswerSentence]
        if self.chat is not None and passages:
            # Nothing leaves the process unredacted (SFC-11, PDPO DPP3/DPP4).
            safe = [(m, self.redactor.redact(t)) for m, t in passages]
            try:
                sentences = compose_with_llm(self.chat, self.redactor.redact(question), safe)
                generator = "llm"
            except ChatEndpointError as exc:
                logger.warning("chat endpoint failed (%s); using the extractive answerer", exc.code)
                notes.append(f"language model unavailable ({exc.message}); extractive answer shown")
                sentences = self._extractive(question, passages, used)
        else:
            sentences = self._extractive(question, passages, used)
        kept, removed = check_groundedness(sentences, dict(passages))
        used_markers = sorted({m for s in kept for m in s.citations if m in citations_all})
        return Answer(
            sentences=tuple(kept),
            citations=tuple(citations_all[m] for m in used_markers),
            generator=generator,
            refused=not kept,
            removed=tuple(removed),
            notes=tuple(notes),
        )

    def _extractive(
        self, question: str, passages: list[tuple[int, str]], used: Sequence[RetrievedChunk]
    ) -> list[AnswerSentence]:
        contexts = [
            f"{h.chunk.section or ''} {h.chunk.source.rsplit('.', 1)[0].replace('-', ' ')}"
            for h in used
        ]
        return compose_extractive(
            question,
            passages,
            self.index.bm25.idf,
            contexts=contexts,
            max_sentences=self.config.max_answer_sentences,
            min_coverage=self.config.min_coverage,
        )

    def _record(self, actor: str, reply: AssistantReply, base: dict[str, Any]) -> AssistantReply:
        answer = reply.answer
        payload = base | {
            "status": reply.status,
            "retrieved_chunk_ids": list(reply.retrieved_chunk_ids),
            "excluded_chunk_ids": list(reply.excluded_chunk_ids),
            "cited_chunk_ids": list(answer.cited_chunk_ids) if answer else [],
            "answer": self.redactor.redact(answer.text) if answer and not answer.refused else None,
            "removed_sentences": len(answer.removed) if answer else 0,
            "generator": answer.generator if answer else None,
            "model": self.chat.model_id if self.chat is not None else None,
            "embedder": self.embedder.model_id,
            "verdicts": [v.to_dict() for v in reply.verdicts],
            "review_id": reply.review_id,
            "human_request_id": reply.human_request_id,
        }
        self.audit.record(
            actor=actor,
            action="research.ask",
            subject_type="ai_interaction",
            subject_id=reply.interaction_id,
            payload=payload,
        )
        return reply

    # ------------------------------------------------------------------ review and opt-out
    def pending_reviews(self) -> list[ReviewItem]:
        return self.reviews.pending()

    def decide_review(
        self,
        review_id: str,
        *,
        decision: ReviewDecision,
        reviewer: str,
        reviewer_role: str,
        edited_text: str | None = None,
        note: str | None = None,
    ) -> ReviewItem:
        item = self.reviews.get(review_id)
        if item is None:
            raise NotFound("review not found", review_id=review_id)
        decided = item.decide(
            decision=decision,
            reviewer=reviewer,
            reviewer_role=reviewer_role,
            at=self.clock.now(),
            edited_text=edited_text,
            note=note,
        )
        self.reviews.update(decided)
        self.audit.record(
            actor=reviewer,
            action=f"research.review.{decided.status}",
            subject_type="ai_interaction",
            subject_id=decided.interaction_id,
            payload={
                "system_id": self.config.system_id,
                "review_id": review_id,
                "reviewer_role": reviewer_role,
                "final_text": self.redactor.redact(decided.final_text)
                if decided.final_text
                else None,
                "note": self.redactor.redact(note) if note else None,
            },
        )
        return decided

    def released_answer(self, review_id: str) -> ReleasedAnswer:
        """The client-facing text of a released review; NotFound while pending or rejected."""
        item = self.reviews.get(review_id)
        if item is None or not item.released or item.final_text is None or item.reviewer is None:
            raise NotFound("no released answer for this review", review_id=review_id)
        return ReleasedAnswer(review_id, item.final_text, item.draft.citations, item.reviewer)

    def set_opt_out(self, client_id: str, opted_out: bool, *, actor: str) -> None:
        self.opt_outs.set_opt_out(client_id, opted_out)
        self.audit.record(
            actor=actor,
            action="research.opt_out.set" if opted_out else "research.opt_out.cleared",
            subject_type="client",
            subject_id=client_id,
            payload={"system_id": self.config.system_id, "opted_out": opted_out},
        )


__all__ = ["AssistantConfig", "ResearchAssistant"]
