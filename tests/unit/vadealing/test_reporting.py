"""STR drafts for the JFIU, and client messages that never tip off."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from dualtrack.vadealing.controls import load_control_set
from dualtrack.vadealing.domain import CheckResult, RuleHit
from dualtrack.vadealing.reporting import (
    StrCaseFacts,
    StrTransaction,
    build_str_draft,
    client_message,
    render_str_json,
    render_str_text,
)

from .conftest import T0


def _facts() -> StrCaseFacts:
    hit = RuleHit("structuring", "VA-AML-03", "B6", ">= 3 amounts", "hold", "3 amounts just under")
    return StrCaseFacts(
        case_id="CASE-7",
        reporting_firm_id="FIRM-SELF",
        mlro_ref="MLRO-1",
        subject_ref="pseud-4f2a",
        opened_at=T0,
        grounds="Three transfers just under HK$8,000 within two hours to one wallet.",
        transactions=tuple(
            StrTransaction(
                f"t{i}",
                T0 + timedelta(minutes=30 * i),
                "transfer_out",
                "ETH",
                Decimal("0.3"),
                Decimal("7500.00"),
                "wallet-ref-1",
            )
            for i in range(3)
        ),
        rule_hits=(hit, hit),
        actions_taken=("transactions held", "CDD re-triggered"),
    )


def test_str_draft_totals_and_period() -> None:
    draft = build_str_draft(_facts(), drafted_at=T0 + timedelta(days=1))
    assert draft.total_hkd == Decimal("22500.00")
    assert draft.period_start == T0
    assert draft.period_end == T0 + timedelta(minutes=60)
    assert draft.indicators == ("VA-AML-03 structuring",)  # deduplicated
    assert draft.status == "draft"


def test_str_json_round_trips() -> None:
    data = json.loads(render_str_json(build_str_draft(_facts(), drafted_at=T0)))
    assert data["recipient"] == "JFIU"
    assert data["total_hkd"] == "22500.00"
    assert [t["tx_id"] for t in data["transactions"]] == ["t0", "t1", "t2"]
    assert data["rule_hits"][0]["control_id"] == "VA-AML-03"


def test_str_text_has_grounds_and_tipping_off_warning() -> None:
    text = render_str_text(build_str_draft(_facts(), drafted_at=T0))
    assert "Grounds for suspicion" in text
    assert "HK$22,500.00" in text
    assert "tipping-off" in text


def _every_rule_hit() -> list[RuleHit]:
    return [
        RuleHit(s.rule_id, s.control_id, s.source, "figure-x", s.action, s.description)
        for s in load_control_set().rules
    ]


@pytest.mark.parametrize("decision", ["allow", "hold", "block"])
def test_client_message_never_reveals_rules(decision: str) -> None:
    hits = tuple(_every_rule_hit())
    result = CheckResult("t1", decision, hits, Decimal("1"), "feed", T0, None, "v", T0)  # type: ignore[arg-type]
    message = client_message(result, reference="REF-1").lower()
    assert "ref-1" in message
    for hit in hits:
        for leak in (hit.rule_id, hit.control_id, hit.rule_id.replace("_", " "), hit.reason):
            assert leak.lower() not in message, leak
    for word in ("suspicious", "aml", "travel rule", "cdd", "structuring", "sanction", "jfiu"):
        assert word not in message


def test_client_messages_differ_by_outcome_only() -> None:
    assert len({client_message(d) for d in ("allow", "hold", "block")}) == 3  # type: ignore[arg-type]
