"""Hash-chained audit ledger entries and chain verification (pure functions).

Each entry's hash covers its sequence number, time, actor, action, subject, canonical payload and
the previous entry's hash. Changing, deleting or reordering any stored row therefore breaks the
chain at that row, and :func:`verify_chain` names the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _string  # json.dumps' encoder (ensure_ascii off)
from typing import Any

GENESIS_HASH = "0" * 64
#: The largest sequence number either database holds (64-bit signed): a page "before" a
#: larger one is refused rather than passed to the database, which would fail on it.
MAX_SEQ = 2**63 - 1


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text, no NaN/Infinity."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        if _has_non_finite(value):
            raise ValueError("ledger payloads cannot hold NaN or infinity") from None
        raise exc from None


def _has_non_finite(value: Any) -> bool:
    """Only walked when encoding failed, to say why (the encoder itself refuses NaN)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Mapping):
        return any(_has_non_finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite(item) for item in value)
    return False


def format_time(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and a ``Z``: sorts correctly as text."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One appended, hashed record."""

    seq: int
    recorded_at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload_json: str
    prev_hash: str
    hash: str

    @property
    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.payload_json)
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def entry_hash(
    *,
    seq: int,
    recorded_at: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload_json: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical form of every field except the hash itself."""
    if type(seq) is int and all(
        type(v) is str
        for v in (recorded_at, actor, action, subject_type, subject_id, payload_json, prev_hash)
    ):
        # the canonical form written out in its fixed key order with the same string encoder
        # json.dumps uses, so the text (and hash) is identical, without a dictionary walk
        body = (
            f'{{"action":{_string(action)},"actor":{_string(actor)},'
            f'"payload":{_string(payload_json)},"prev_hash":{_string(prev_hash)},'
            f'"recorded_at":{_string(recorded_at)},"seq":{seq},'
            f'"subject_id":{_string(subject_id)},"subject_type":{_string(subject_type)}}}'
        )
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    body = canonical_json(
        {
            "seq": seq,
            "recorded_at": recorded_at,
            "actor": actor,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload_json,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def seal(
    *,
    seq: int,
    recorded_at: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> LedgerEntry:
    """Build the next entry of a chain."""
    payload_json = canonical_json(dict(payload))
    digest = entry_hash(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        payload_json=payload_json,
        prev_hash=prev_hash,
    )
    return LedgerEntry(
        seq, recorded_at, actor, action, subject_type, subject_id, payload_json, prev_hash, digest
    )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a full-chain check. ``first_bad_seq`` names where the chain breaks."""

    ok: bool
    entries_checked: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries_checked": self.entries_checked,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_chain(
    entries: Iterable[LedgerEntry], *, head_seq: int | None = None, head_hash: str | None = None
) -> VerifyResult:
    """Check an ordered stream of entries (ascending ``seq``) against the chain rules.

    ``head_seq``/``head_hash`` are the values the store recorded for its last append; they
    reveal entries deleted from the end of the chain.
    """
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                problem = (
                    f"entry {expected_seq} is missing (deleted); next stored entry is {entry.seq}"
                )
                return VerifyResult(False, checked, prev, expected_seq, problem)
            problem = f"entry {entry.seq} is out of order (expected {expected_seq})"
            return VerifyResult(False, checked, prev, entry.seq, problem)
        recomputed = entry_hash(
            seq=entry.seq,
            recorded_at=entry.recorded_at,
            actor=entry.actor,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            payload_json=entry.payload_json,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return VerifyResult(
                False, checked, prev, entry.seq, f"entry {entry.seq} was modified (hash mismatch)"
            )
        if entry.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                prev,
                entry.seq,
                f"entry {entry.seq} does not link to entry {entry.seq - 1} (reordered or replaced)",
            )
        prev = entry.hash
        checked += 1
        expected_seq += 1
    if head_seq is not None and head_seq != checked:
        bad = checked + 1
        return VerifyResult(
            False,
            checked,
            prev,
            bad,
            f"entry {bad} is missing: the head records {head_seq} entries",
        )
    if head_hash is not None and checked and head_hash != prev:
        return VerifyResult(False, checked, prev, checked, f"entry {checked} differs from the head")
    return VerifyResult(True, checked, prev)


__all__ = [
    "GENESIS_HASH",
    "LedgerEntry",
    "VerifyResult",
    "canonical_json",
    "entry_hash",
    "format_time",
    "seal",
    "verify_chain",
]
