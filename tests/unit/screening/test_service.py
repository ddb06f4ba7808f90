"""Screening service: versions, failed loads, clearances, audit payloads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import dualtrack.screening as screening
from dualtrack.screening import InMemoryClearanceRepository, ScreeningService
from dualtrack.screening.domain import ListLoaded, ListLoadFailed
from dualtrack.screening.errors import ListNotLoaded, NameRejected

FIX = Path(__file__).parent / "fixtures"


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self.records.append(
            {"actor": actor, "action": action, "subject_id": subject_id, "payload": dict(payload)}
        )


class FakeClock:
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


@pytest.fixture
def audit() -> FakeAudit:
    return FakeAudit()


@pytest.fixture
def svc(audit: FakeAudit) -> ScreeningService:
    s = ScreeningService(clearances=InMemoryClearanceRepository(), audit=audit, clock=FakeClock())
    event = s.load_list(
        (FIX / "sdn.xml").read_bytes(), list_id="ofac", source="sdn.xml", actor="ops"
    )
    assert isinstance(event, ListLoaded)
    return s


def test_screen_finds_chinese_name_and_records_version(svc: ScreeningService) -> None:
    result = svc.screen(actor="analyst", client_id="C1", name="Peter Chan Tai-man")
    assert result.decision == "potential-match"
    hit = result.hits[0]
    assert hit.entry_id == "90001" and hit.list_id == "ofac"
    assert hit.list_version == svc.active_versions()["ofac"].version_id
    assert "CHAN" in hit.reason
    assert result.list_versions == (hit.list_version,)


def test_no_hit_for_other_person(svc: ScreeningService) -> None:
    result = svc.screen(actor="a", client_id="C2", name="LEUNG Siu Ming")
    assert result.decision == "no-hit" and result.hits == ()


def test_audit_payload_has_no_raw_name(svc: ScreeningService, audit: FakeAudit) -> None:
    svc.screen(actor="a", client_id="C1", name="陳大文")
    record = audit.records[-1]
    assert record["action"] == "screening.performed"
    text = json.dumps(record, ensure_ascii=False)
    assert "陳" not in text and "CHAN" not in text.upper().replace("CHANGE", "")
    assert record["payload"]["query_hash"] == svc.query_hash("陳大文")
    assert record["payload"]["hits"][0]["entry_id"] == "90001"


def test_cleared_hit_does_not_recur_until_entry_changes(svc: ScreeningService) -> None:
    first = svc.screen(actor="a", client_id="C1", name="CHAN Tai Man")
    svc.clear_hit(actor="checker", client_id="C1", hit=first.hits[0], reason="different HKID")
    again = svc.screen(actor="a", client_id="C1", name="CHAN Tai Man")
    assert again.hits == () and again.suppressed == 1
    other_client = svc.screen(actor="a", client_id="C9", name="CHAN Tai Man")
    assert len(other_client.hits) == 1
    changed = (FIX / "sdn.xml").read_bytes().replace(b"01 Feb 1970", b"01 Feb 1971")
    svc.load_list(changed, list_id="ofac", source="sdn-v2.xml", actor="ops")
    after = svc.screen(actor="a", client_id="C1", name="CHAN Tai Man")
    assert len(after.hits) == 1 and after.suppressed == 0


def test_failed_load_keeps_previous_version_and_alerts(
    svc: ScreeningService, audit: FakeAudit
) -> None:
    before = svc.active_versions()["ofac"]
    outcome = svc.load_list(b"<sdnList><sdnEntry>", list_id="ofac", source="bad.xml", actor="ops")
    assert isinstance(outcome, ListLoadFailed)
    assert outcome.kept_version == before.version_id
    assert outcome.error_code == "screening-list-malformed"
    assert svc.alerts == [outcome]
    assert svc.active_versions()["ofac"] == before
    assert audit.records[-1]["action"] == "screening.list_load_failed"
    assert svc.screen(actor="a", client_id="C1", name="CHAN Tai Man").hits


def test_wallet_match_is_case_insensitive_for_hex(svc: ScreeningService) -> None:
    result = svc.screen(
        actor="a", client_id="C3", wallet_address="0xabcdef0123456789abcdef0123456789abcdef01"
    )
    assert result.hits[0].match_kind == "wallet" and result.hits[0].score == 1.0


def test_birth_year_adjusts_score(svc: ScreeningService) -> None:
    same = svc.screen(actor="a", client_id="C1", name="Chen Dawen", birth_year=1970).hits
    far = svc.screen(actor="a", client_id="C1", name="Chen Dawen", birth_year=1990).hits
    assert same and "birth year matches" in same[0].reason
    # An exact name with a distant birth year still goes to review, ranked lower.
    assert not far or (far[0].score < same[0].score and "differs by 20" in far[0].reason)


def test_bad_input(svc: ScreeningService) -> None:
    with pytest.raises(NameRejected):
        svc.screen(actor="a", client_id="C1", name="CHAN\x07")
    with pytest.raises(ListNotLoaded):
        svc.screen(actor="a", client_id="C1", name="CHAN Tai Man", list_ids=["un"])


def test_exported_members_match_namespace() -> None:
    public = {n for n in dir(screening) if not n.startswith("_")}
    modules = {
        "chinese",
        "domain",
        "errors",
        "explain",
        "fetch",
        "loaders",
        "matching",
        "memory",
        "names",
        "ports",
        "service",
        "synthetic",
        "data",
        "wiring",  # the platform composition (imported once any edge has used screening)
    }
    assert set(screening.__all__) == public - modules
    assert screening.__all__ == sorted(screening.__all__)


def test_domain_and_service_import_no_web_or_db_frameworks() -> None:
    src = Path(screening.__file__).parent
    for path in src.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("fastapi", "sqlalchemy", "typer", "starlette", "httpx"):
            assert f"import {banned}" not in text and f"from {banned}" not in text, path.name


def test_clearing_a_stale_hit_conflicts(svc: ScreeningService) -> None:
    from dualtrack.errors import Conflict

    hit = svc.screen(actor="a", client_id="C1", name="CHAN Tai Man").hits[0]
    changed = (FIX / "sdn.xml").read_bytes().replace(b"01 Feb 1970", b"01 Feb 1971")
    svc.load_list(changed, list_id="ofac", source="sdn-v2.xml", actor="ops")
    with pytest.raises(Conflict):
        svc.clear_hit(actor="checker", client_id="C1", hit=hit, reason="not him")


def test_first_load_failure_has_no_kept_version(audit: FakeAudit) -> None:
    s = ScreeningService(clearances=InMemoryClearanceRepository(), audit=audit, clock=FakeClock())
    outcome = s.load_list(b"not a list", list_id="un", source="un.txt", actor="ops")
    assert isinstance(outcome, ListLoadFailed) and outcome.kept_version is None
    assert s.active_versions() == {}


def test_organisation_names_ignore_legal_form(svc: ScreeningService) -> None:
    hits = svc.screen(actor="a", client_id="C5", name="Golden Dragon Trading Co Ltd").hits
    assert hits and hits[0].entry_id == "90002"
