"""Retention: AMLO 5 years / SFC 7 years from the relevant date; deletion evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dualtrack.vadealing.errors import InvalidTransaction, RetentionLocked
from dualtrack.vadealing.retention import (
    RecordMeta,
    add_years,
    content_digest,
    default_retention_policy,
    deletable_records,
    make_deletion_evidence,
    retention_decision,
)

POLICY = default_retention_policy()


def rec(
    rid: str,
    category: str = "transaction",
    regimes: tuple[str, ...] = ("AMLO",),
    relevant: date | None = date(2020, 6, 30),
    hold: bool = False,
) -> RecordMeta:
    return RecordMeta(
        record_id=rid,
        category=category,  # type: ignore[arg-type]
        regimes=frozenset(regimes),  # type: ignore[arg-type]
        relevant_date=relevant,
        content_sha256=content_digest(rid.encode()),
        legal_hold=hold,
    )


@pytest.mark.parametrize(
    ("record", "on", "deletable"),
    [
        (rec("a"), date(2025, 6, 29), False),  # one day short of 5 years
        (rec("a"), date(2025, 6, 30), True),
        (rec("b", regimes=("AMLO", "SFC")), date(2025, 6, 30), False),  # SFC's 7 years win
        (rec("b", regimes=("AMLO", "SFC")), date(2027, 6, 30), True),
        (rec("c", category="cdd", relevant=None), date(2040, 1, 1), False),  # relationship open
        (rec("d", hold=True), date(2040, 1, 1), False),
        (rec("e", category="cdd"), date(2025, 6, 30), True),
    ],
)
def test_retention_table(record: RecordMeta, on: date, deletable: bool) -> None:
    assert retention_decision(record, POLICY, on).deletable is deletable


def test_leap_day_never_shortens_retention() -> None:
    assert add_years(date(2024, 2, 29), 5) == date(2029, 3, 1)


def test_deletable_records_reports_each() -> None:
    decisions = deletable_records([rec("a"), rec("d", hold=True)], POLICY, date(2026, 1, 1))
    assert [(d.record_id, d.deletable) for d in decisions] == [("a", True), ("d", False)]
    assert decisions[1].reason == "under legal hold"


def test_deletion_evidence_hashes_what_was_deleted() -> None:
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    evidence = make_deletion_evidence(
        [rec("b2"), rec("a1")], POLICY, deleted_at=at, deleted_by="ops-7"
    )
    assert evidence.record_count == 2
    assert [r for r, _ in evidence.records] == ["a1", "b2"]
    again = make_deletion_evidence(
        [rec("a1"), rec("b2")], POLICY, deleted_at=at, deleted_by="ops-7"
    )
    assert again.records_digest == evidence.records_digest  # order-independent
    other = make_deletion_evidence([rec("a1")], POLICY, deleted_at=at, deleted_by="ops-7")
    assert other.records_digest != evidence.records_digest
    assert evidence.deleted_by == "ops-7" and evidence.policy_version == "amlo5-sfc7"


def test_deletion_refused_inside_retention() -> None:
    with pytest.raises(RetentionLocked) as info:
        make_deletion_evidence(
            [rec("a"), rec("young", relevant=date(2024, 1, 1))],
            POLICY,
            deleted_at=datetime(2026, 1, 1, tzinfo=UTC),
            deleted_by="ops",
        )
    assert info.value.fields["record_ids"] == ["young"]


def test_deletion_needs_records_and_aware_time() -> None:
    with pytest.raises(InvalidTransaction):
        make_deletion_evidence(
            [], POLICY, deleted_at=datetime(2026, 1, 1, tzinfo=UTC), deleted_by="ops"
        )
    with pytest.raises(InvalidTransaction):
        make_deletion_evidence(
            [rec("a")],
            POLICY,
            deleted_at=datetime(2026, 1, 1),
            deleted_by="ops",
        )
