"""The governed privacy guard: who may do what, per-system policies, and what the ledger keeps.

:class:`PrivacyGateway` is what the API, CLI, dashboard and the Track 1 AI systems call. It
wraps :class:`~dualtrack.privacy.service.PrivacyService` with

* actors: every redaction, table run and re-identification is written to the audit ledger
  under the acting user, with counts, entity types and keyed pseudonyms only (never the text,
  never a ciphertext token of a redaction, never a file name, which may itself name a person);
* keys checked up front: a mode that needs a missing or malformed key fails with a
  :class:`MissingKey` whose message names the setting to fix, before any output is written;
* per-AI-system policies (:class:`StoredPolicy`), set by a compliance officer or an admin and
  ledgered in the same transaction; a system without one gets :func:`strict_policy`;
* outputs written to a temporary file and renamed on success, so a failure leaves nothing
  half-written next to the input.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, Self, cast

from dualtrack.errors import InvalidInput, NotFound, RoleNotAllowed
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.ports import AuditSink
from dualtrack.privacy.domain import Finding, PrivacyPolicy, RedactionMode
from dualtrack.privacy.errors import InvalidToken, MissingKey
from dualtrack.privacy.guard import PrivacyGuard, Profile
from dualtrack.privacy.policy import default_policies
from dualtrack.privacy.service import DEFAULT_REIDENTIFY_ROLES, PrivacyService
from dualtrack.privacy.streaming import decode_bytes, iter_decoded, iter_segments
from dualtrack.privacy.tabular import ColumnSpec, TableRun, transform_table
from dualtrack.privacy.transform import (
    ENCRYPTED_TOKEN_RE,
    Encryptor,
    Pseudonymiser,
    apply_findings,
)

logger = logging.getLogger(__name__)

MODES: tuple[RedactionMode, ...] = ("redact", "mask", "replace", "pseudonymise", "encrypt")
POLICY_ROLES: frozenset[Role] = frozenset({Role.COMPLIANCE_OFFICER, Role.ADMIN})
MAX_LEDGER_TOKENS = 50
ProgressCallback = Callable[[int], None]
KeyKind = Literal["pseudonymise", "encrypt"]


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """The privacy policy in force for one AI system, with who set it."""

    system_id: str
    policy: PrivacyPolicy
    template: str | None
    revision: int
    updated_by: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "system_id": self.system_id,
            "template": self.template,
            "revision": self.revision,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "stored": self.revision > 0,
            "policy": self.policy.to_dict(),
        }


class PolicyRepository(Protocol):
    def get(self, system_id: str) -> StoredPolicy | None: ...
    def put(self, stored: StoredPolicy) -> None: ...
    def list(self) -> list[StoredPolicy]: ...


class AuditRecorder(Protocol):
    """The ledger inside a unit of work (``record`` may return the sealed entry)."""

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> object: ...


class PrivacyUnitOfWork(Protocol):
    """One transaction over the policy table and the audit ledger."""

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def audit(self) -> AuditRecorder: ...

    def now_text(self) -> str: ...
    def commit(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True, slots=True)
class Redaction:
    """A redacted text or record and what was found (spans refer to the input text)."""

    output: Any
    findings: tuple[Finding, ...]
    entity_counts: dict[str, int]
    request_id: str

    def summary(self) -> dict[str, Any]:
        return {
            "total": sum(self.entity_counts.values()),
            "by_type": dict(sorted(self.entity_counts.items())),
        }


@dataclass(frozen=True, slots=True)
class FileRun:
    """Outcome of a streamed text-file redaction (counts only)."""

    bytes_read: int
    characters: int
    entity_counts: dict[str, int]
    request_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "bytes_read": self.bytes_read,
            "characters": self.characters,
            "entity_counts": dict(sorted(self.entity_counts.items())),
            "request_id": self.request_id,
        }


def strict_policy(system_id: str) -> PrivacyPolicy:
    """The policy of a system nobody has configured: every entity becomes its type tag."""
    return PrivacyPolicy(
        system_id=system_id,
        default_field_action="scan",
        default_entity_action="replace",
        description="No policy set: every detected entity is replaced by its type tag.",
    )


def policy_needs(policy: PrivacyPolicy) -> set[KeyKind]:
    """Which keys applying ``policy`` may need."""
    actions: set[str] = {r.action for r in policy.fields} | {policy.default_field_action}
    actions |= {str(a) for a in policy.entity_actions.values()} | {policy.default_entity_action}
    needs: set[KeyKind] = set()
    if "pseudonymise" in actions:
        needs.add("pseudonymise")
    if "encrypt" in actions:
        needs.add("encrypt")
    return needs


class _ActorSink:
    """Writes the library's audit records under the acting user."""

    def __init__(self, sink: AuditSink, actor: str, subject_id: str | None = None) -> None:
        self._sink = sink
        self._actor = actor
        self._subject_id = subject_id

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self._sink.record(
            actor=self._actor,
            action=action,
            subject_type=subject_type,
            subject_id=self._subject_id or subject_id,
            payload=payload,
        )


class _CountingReader:
    def __init__(self, handle: BinaryIO, progress: ProgressCallback | None) -> None:
        self._handle = handle
        self._progress = progress
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self.count += len(block)
        if self._progress is not None and block:
            self._progress(self.count)
        return block


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path next to ``target``, renamed onto it only if the block succeeds."""
    temp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


class PrivacyGateway:
    """Privacy use cases with actors, keys, policies and the ledger (see module docstring)."""

    def __init__(
        self,
        guard: PrivacyGuard,
        *,
        uow: Callable[[], PrivacyUnitOfWork],
        audit: AuditSink,
        find_system: Callable[[str], str],
        pseudonym_key: bytes | None,
        encryption_key: bytes | None,
        key_help: Mapping[KeyKind, str],
        templates: Mapping[str, PrivacyPolicy] | None = None,
        reidentify_roles: Iterable[str] = DEFAULT_REIDENTIFY_ROLES,
    ) -> None:
        self.guard = guard
        self._uow = uow
        self._audit = audit
        self._find_system = find_system
        self._pseudonym_key = pseudonym_key
        self._encryption_key = encryption_key
        self._pseudonymiser = Pseudonymiser(pseudonym_key) if pseudonym_key else None
        self._encryptor = Encryptor(encryption_key) if encryption_key else None
        self._key_help = dict(key_help)
        self.templates: dict[str, PrivacyPolicy] = dict(
            templates if templates is not None else default_policies()
        )
        self._reidentify_roles = frozenset(reidentify_roles)
        self._guards: dict[str, PrivacyGuard] = {guard.profile: guard}
        self.service = self._service("privacy-service")

    def __repr__(self) -> str:
        return "PrivacyGateway(keys=<hidden>)"

    def _service(self, actor: str, subject_id: str | None = None) -> PrivacyService:
        return PrivacyService(
            self.guard,
            audit=_ActorSink(self._audit, actor, subject_id),
            pseudonym_key=self._pseudonym_key,
            encryption_key=self._encryption_key,
            reidentify_roles=self._reidentify_roles,
        )

    # ------------------------------------------------------------------ keys

    @property
    def keys_configured(self) -> dict[str, bool]:
        return {
            "pseudonymise": self._pseudonymiser is not None,
            "encrypt": self._encryptor is not None,
        }

    def require_keys(self, mode: str) -> None:
        """Raise :class:`MissingKey` (naming the setting) if ``mode`` needs an absent key."""
        if mode == "pseudonymise" and self._pseudonymiser is None:
            raise MissingKey(self._key_help["pseudonymise"])
        if mode == "encrypt" and self._encryptor is None:
            raise MissingKey(self._key_help["encrypt"])

    @staticmethod
    def check_mode(mode: str) -> RedactionMode:
        for known in MODES:
            if mode == known:
                return known
        raise InvalidInput("unknown mode", mode=mode[:40], modes=list(MODES))

    # ------------------------------------------------------------------ detection

    def guard_for(self, profile: str) -> PrivacyGuard:
        if profile not in ("default", "spacy"):
            raise InvalidInput("unknown detection profile", profile=profile)
        if profile not in self._guards:
            self._guards[profile] = PrivacyGuard(cast(Profile, profile))
        return self._guards[profile]

    def scan(self, text: str | bytes, *, profile: str = "default") -> list[Finding]:
        """Findings in ``text`` (not ledgered: nothing leaves the guard)."""
        value = decode_bytes(text) if isinstance(text, bytes) else text
        return self.guard_for(profile).detect(value)

    # ------------------------------------------------------------------ redaction

    def redact(
        self,
        actor: Actor,
        value: str | bytes | Mapping[str, Any] | list[Any],
        mode: str = "replace",
        *,
        mask_keep: int = 0,
        channel: str = "api",
    ) -> Redaction:
        """Redact a text or a JSON record; ledgered with counts and pseudonyms only."""
        checked = self.check_mode(mode)
        self.require_keys(checked)
        if mask_keep < 0:
            raise InvalidInput("mask_keep must not be negative")
        counts: dict[str, int] = {}
        tokens: set[str] = set()
        if isinstance(value, bytes):
            value = decode_bytes(value)
        if isinstance(value, str):
            findings = self.guard.detect(value)
            output: Any = self._apply(value, findings, checked, mask_keep, counts, tokens)
            kind, size = "text", len(value)
        else:
            findings = []
            output = self._walk(value, checked, mask_keep, counts, tokens)
            kind, size = "record", 0
        request_id = str(uuid.uuid4())
        payload: dict[str, Any] = {
            "mode": checked,
            "input": kind,
            "channel": channel,
            "entity_counts": dict(sorted(counts.items())),
        }
        if kind == "text":
            payload["characters"] = size
        if tokens:
            payload["pseudonyms"] = sorted(tokens)
        self._audit.record(
            actor=actor.username,
            action="privacy.redacted",
            subject_type="privacy_request",
            subject_id=request_id,
            payload=payload,
        )
        return Redaction(output, tuple(findings), counts, request_id)

    def _apply(
        self,
        text: str,
        findings: Sequence[Finding],
        mode: RedactionMode,
        mask_keep: int,
        counts: dict[str, int],
        tokens: set[str],
    ) -> str:
        for f in findings:
            kind = str(f.entity_type)
            counts[kind] = counts.get(kind, 0) + 1
            # Keep a bounded sample for the ledger: memory must not grow with the input.
            if (
                mode == "pseudonymise"
                and self._pseudonymiser is not None
                and len(tokens) < MAX_LEDGER_TOKENS
            ):
                tokens.add(self._pseudonymiser.token(kind, text[f.start : f.end]))
        return apply_findings(
            text,
            findings,
            mode,
            pseudonymiser=self._pseudonymiser,
            encryptor=self._encryptor,
            mask_keep=mask_keep,
        )

    def _walk(
        self,
        value: Any,
        mode: RedactionMode,
        mask_keep: int,
        counts: dict[str, int],
        tokens: set[str],
    ) -> Any:
        if isinstance(value, Mapping):
            return {k: self._walk(v, mode, mask_keep, counts, tokens) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, mode, mask_keep, counts, tokens) for v in value]
        if isinstance(value, str):
            found = self.guard.detect(value)
            return self._apply(value, found, mode, mask_keep, counts, tokens)
        return value

    def redact_file(
        self,
        actor: Actor,
        source: Path,
        target: Path,
        mode: str = "replace",
        *,
        progress: ProgressCallback | None = None,
    ) -> FileRun:
        """Redact a UTF-8 text file of any size in bounded memory; atomic output."""
        checked = self.check_mode(mode)
        self.require_keys(checked)
        _check_paths(source, target)
        counts: dict[str, int] = {}
        tokens: set[str] = set()
        characters = 0
        with source.open("rb") as raw, atomic_output(target) as temp:
            reader = _CountingReader(raw, progress)
            chunks = iter_decoded(cast(BinaryIO, reader))
            with temp.open("w", encoding="utf-8", newline="") as sink:
                for segment, found in iter_segments(self.guard.detect, chunks):
                    sink.write(self._apply(segment, found, checked, 0, counts, tokens))
                    characters += len(segment)
            bytes_read = reader.count
        run = FileRun(bytes_read, characters, counts, str(uuid.uuid4()))
        payload: dict[str, Any] = {"mode": checked, "input": "text-file", **run.to_dict()}
        payload.pop("request_id")
        payload["suffix"] = source.suffix.lower()[:10]
        if tokens:
            payload["pseudonyms"] = sorted(tokens)
        self._audit.record(
            actor=actor.username,
            action="privacy.file_redacted",
            subject_type="privacy_request",
            subject_id=run.request_id,
            payload=payload,
        )
        return run

    def redact_records(
        self,
        actor: Actor,
        records: Iterable[Any],
        mode: str = "replace",
    ) -> Iterator[Any]:
        """Redact a stream of JSON values (JSON Lines), one ledger entry at the end."""
        checked = self.check_mode(mode)
        self.require_keys(checked)
        counts: dict[str, int] = {}
        tokens: set[str] = set()
        n = 0
        for record in records:
            n += 1
            yield self._walk(record, checked, 0, counts, tokens)
        payload: dict[str, Any] = {
            "mode": checked,
            "input": "records",
            "records": n,
            "entity_counts": dict(sorted(counts.items())),
        }
        if tokens:
            payload["pseudonyms"] = sorted(tokens)
        self._audit.record(
            actor=actor.username,
            action="privacy.redacted",
            subject_type="privacy_request",
            subject_id=str(uuid.uuid4()),
            payload=payload,
        )

    def transform_table(
        self,
        actor: Actor,
        source: Path,
        target: Path,
        *,
        columns: Sequence[str] | Literal["auto"] = "auto",
        mode: str = "pseudonymise",
        chunk_rows: int = 50_000,
        progress: ProgressCallback | None = None,
    ) -> TableRun:
        """Pseudonymise (or redact...) PII columns of a CSV/Parquet file; atomic output."""
        checked = self.check_mode(mode)
        self.require_keys(checked)
        _check_paths(source, target)
        specs: Sequence[ColumnSpec] | Literal["auto"] = (
            "auto" if columns == "auto" else [ColumnSpec.parse(c) for c in columns]
        )
        with atomic_output(target) as temp:
            run = transform_table(
                self.guard,
                source,
                temp,
                columns=specs,
                mode=checked,
                pseudonymiser=self._pseudonymiser,
                encryptor=self._encryptor,
                chunk_rows=chunk_rows,
                progress=progress,
            )
        self._audit.record(
            actor=actor.username,
            action="privacy.table_transformed",
            subject_type="privacy_request",
            subject_id=str(uuid.uuid4()),
            payload={"mode": checked, "input": source.suffix.lower()[:10], **run.to_dict()},
        )
        return run

    # ------------------------------------------------------------------ re-identification

    def reidentify(self, actor: Actor, token: str, reason: str) -> tuple[str, str]:
        """``(entity_type, plaintext)`` of an ``enc:`` token, for authorised roles only.

        A denial is ledgered (token and role); so is a success (token, type and reason, not
        the plaintext), before the plaintext is returned."""
        match = ENCRYPTED_TOKEN_RE.fullmatch(token.strip())
        if match is None:
            # Not ledgered: whatever was sent is not a token and might be personal data.
            raise InvalidToken("not an encrypted privacy token (expected enc:TYPE:...)")
        if actor.role.value in self._reidentify_roles:
            self.require_keys("encrypt")
        plaintext = self._service(actor.username).reidentify(
            token.strip(), actor=actor.username, role=actor.role.value, reason=reason
        )
        return match.group(1), plaintext

    # ------------------------------------------------------------------ policies

    def policy(self, system: str) -> StoredPolicy:
        """The policy in force for an AI system (ID or name); strict if none was set."""
        system_id = self._find_system(system)
        with self._uow() as uow:
            stored = uow.policies.get(system_id)
        if stored is not None:
            return stored
        return StoredPolicy(system_id, strict_policy(system_id), None, 0, "", "")

    def set_policy(
        self,
        actor: Actor,
        system: str,
        *,
        policy: Mapping[str, Any] | None = None,
        template: str | None = None,
    ) -> StoredPolicy:
        """Attach a policy (given in full, or a shipped template by name) to an AI system."""
        if actor.role not in POLICY_ROLES:
            raise RoleNotAllowed(
                f"role {actor.role.value} may not set privacy policies",
                role=actor.role.value,
                allowed=sorted(r.value for r in POLICY_ROLES),
            )
        if (policy is None) == (template is None):
            raise InvalidInput("give either a policy or a template name")
        system_id = self._find_system(system)
        if template is not None:
            if template not in self.templates:
                raise NotFound(
                    "no such policy template", template=template, known=sorted(self.templates)
                )
            chosen = replace(self.templates[template], system_id=system_id)
        else:
            assert policy is not None
            try:
                chosen = PrivacyPolicy.from_dict({**policy, "system_id": system_id})
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput("invalid privacy policy", reason=str(exc)[:200]) from None
        with self._uow() as uow:
            current = uow.policies.get(system_id)
            stored = StoredPolicy(
                system_id=system_id,
                policy=chosen,
                template=template,
                revision=(current.revision if current else 0) + 1,
                updated_by=actor.username,
                updated_at=uow.now_text(),
            )
            uow.policies.put(stored)
            uow.audit.record(
                actor=actor.username,
                action="privacy.policy_set",
                subject_type="ai_system",
                subject_id=system_id,
                payload={
                    "template": template,
                    "revision": stored.revision,
                    "policy": chosen.to_dict(),
                },
            )
            uow.commit()
        return stored

    def apply_policy(self, system: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """What of ``record`` may reach the model of an AI system (the AI paths call this)."""
        stored = self.policy(system)
        for kind in sorted(policy_needs(stored.policy)):
            self.require_keys(kind)
        return self.service.apply_policy(record, stored.policy)


def _check_paths(source: Path, target: Path) -> None:
    if not source.is_file():
        raise NotFound("input file not found", suffix=source.suffix)
    if source.stat().st_size == 0:
        raise InvalidInput("the input file is empty")
    if target.exists() and target.resolve() == source.resolve():
        raise InvalidInput("the output must not overwrite the input")


__all__ = [
    "MODES",
    "AuditRecorder",
    "FileRun",
    "PolicyRepository",
    "PrivacyGateway",
    "PrivacyUnitOfWork",
    "Redaction",
    "StoredPolicy",
    "atomic_output",
    "policy_needs",
    "strict_policy",
]
