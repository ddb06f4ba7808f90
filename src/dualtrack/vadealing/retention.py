"""Record retention: which records may be deleted at a date, and evidence of a deletion.

Two regimes apply to a VA dealer's records:

* **AMLO** (Cap. 615 Sch.2, since 1 Mar 2018): transaction records for 5 years from the
  date the transaction completed; CDD and account records for 5 years after the business
  relationship ended (VA-AML-12, figure 6 in the reference).
* **SFC** record-keeping rules: at least 7 years (figure 7, [S]).

A record under both regimes is kept for the longer period. A record whose relevant date is
not yet known (relationship still open) or that is under legal hold is never deletable.
Deleting produces a ``DeletionEvidence`` record: what was deleted (ids and content hashes,
combined into one digest), when, by whom, and under which policy version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dualtrack.vadealing.errors import InvalidTransaction, RetentionLocked

Regime = Literal["AMLO", "SFC"]
RecordCategory = Literal["transaction", "cdd", "account", "str", "audit_log", "correspondence"]


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Keep ``categories`` under ``regime`` for ``years`` from the record's relevant date."""

    regime: Regime
    categories: frozenset[RecordCategory]
    years: int
    basis: str
    source: str


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """A versioned set of retention rules."""

    version: str
    rules: tuple[RetentionRule, ...]


_ALL: frozenset[RecordCategory] = frozenset(
    {"transaction", "cdd", "account", "str", "audit_log", "correspondence"}
)


def default_retention_policy(*, amlo_years: int = 5, sfc_years: int = 7) -> RetentionPolicy:
    """AMLO 5 years (transactions from completion; CDD/account from relationship end), SFC 7."""
    return RetentionPolicy(
        version=f"amlo{amlo_years}-sfc{sfc_years}",
        rules=(
            RetentionRule(
                regime="AMLO",
                categories=frozenset({"transaction", "str"}),
                years=amlo_years,
                basis="transaction completed",
                source="S-AMLO Sch.2 s.20 (5 years since 1 Mar 2018) [C]",
            ),
            RetentionRule(
                regime="AMLO",
                categories=frozenset({"cdd", "account", "correspondence"}),
                years=amlo_years,
                basis="business relationship ended",
                source="S-AMLO Sch.2 s.20 (5 years since 1 Mar 2018) [C]",
            ),
            RetentionRule(
                regime="SFC",
                categories=_ALL,
                years=sfc_years,
                basis="relevant date of the record",
                source="S-VATP record keeping (at least 7 years) [S]",
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """What retention needs to know about a stored record (not its content)."""

    record_id: str
    category: RecordCategory
    regimes: frozenset[Regime]
    relevant_date: date | None
    content_sha256: str
    legal_hold: bool = False


@dataclass(frozen=True, slots=True)
class RetentionDecision:
    """Whether a record may be deleted on a date, and from when."""

    record_id: str
    deletable: bool
    deletable_from: date | None
    reason: str


@dataclass(frozen=True, slots=True)
class DeletionEvidence:
    """Proof of what was deleted: digest over (id, content hash) pairs, when, by whom."""

    evidence_id: str
    deleted_at: datetime
    deleted_by: str
    policy_version: str
    record_count: int
    records_digest: str
    records: tuple[tuple[str, str], ...]


def content_digest(content: bytes) -> str:
    """SHA-256 hex digest of a record's stored bytes."""
    return hashlib.sha256(content).hexdigest()


def add_years(start: date, years: int) -> date:
    """``start`` plus whole years; 29 Feb rolls forward to 1 Mar (never shortens retention)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def retention_decision(record: RecordMeta, policy: RetentionPolicy, on: date) -> RetentionDecision:
    """Decide for one record."""
    if record.legal_hold:
        return RetentionDecision(record.record_id, False, None, "under legal hold")
    if record.relevant_date is None:
        return RetentionDecision(
            record.record_id, False, None, "relevant date not reached (relationship open)"
        )
    periods = [
        rule.years
        for rule in policy.rules
        if rule.regime in record.regimes and record.category in rule.categories
    ]
    if not periods:
        return RetentionDecision(record.record_id, False, None, "no retention rule applies: keep")
    deletable_from = add_years(record.relevant_date, max(periods))
    if on >= deletable_from:
        return RetentionDecision(
            record.record_id, True, deletable_from, f"retention of {max(periods)} years elapsed"
        )
    return RetentionDecision(
        record.record_id, False, deletable_from, f"within {max(periods)}-year retention"
    )


def deletable_records(
    records: Iterable[RecordMeta], policy: RetentionPolicy, on: date
) -> list[RetentionDecision]:
    """Decisions for every record, in input order."""
    return [retention_decision(record, policy, on) for record in records]


def make_deletion_evidence(
    records: Sequence[RecordMeta],
    policy: RetentionPolicy,
    *,
    deleted_at: datetime,
    deleted_by: str,
) -> DeletionEvidence:
    """Build the evidence for deleting ``records``; refuses if any is still retained."""
    if not records:
        raise InvalidTransaction("nothing to delete")
    if deleted_at.tzinfo is None:
        raise InvalidTransaction("deletion time must be timezone-aware")
    locked = [
        d.record_id
        for d in deletable_records(records, policy, deleted_at.date())
        if not d.deletable
    ]
    if locked:
        raise RetentionLocked("records are still within retention", record_ids=locked)
    pairs = tuple(sorted((r.record_id, r.content_sha256) for r in records))
    digest = hashlib.sha256(
        "\n".join(f"{rid}:{sha}" for rid, sha in pairs).encode("utf-8")
    ).hexdigest()
    return DeletionEvidence(
        evidence_id=f"del-{digest[:16]}-{deleted_at.strftime('%Y%m%dT%H%M%SZ')}",
        deleted_at=deleted_at,
        deleted_by=deleted_by,
        policy_version=policy.version,
        record_count=len(pairs),
        records_digest=digest,
        records=pairs,
    )


__all__ = [
    "DeletionEvidence",
    "RecordCategory",
    "RecordMeta",
    "Regime",
    "RetentionDecision",
    "RetentionPolicy",
    "RetentionRule",
    "add_years",
    "content_digest",
    "default_retention_policy",
    "deletable_records",
    "make_deletion_evidence",
    "retention_decision",
]
