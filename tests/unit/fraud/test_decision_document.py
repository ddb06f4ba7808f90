"""The stored decision document is written by hand for speed; it must stay what the generic
codec would write, so stored decisions decode back to equal objects."""

from __future__ import annotations

import json

from dualtrack.adapters.codec import decode, to_jsonable
from dualtrack.adapters.fraud_sql import decision_document, decision_row
from dualtrack.fraud.domain import ReasonCode
from dualtrack.fraud.governed import GovernedDecision


def _decision(**change: object) -> GovernedDecision:
    base: dict[str, object] = {
        "txn_id": "T000100000042",
        "score": 0.8125,
        "action": "block",
        "model_action": "review",
        "rule_hits": ("payee_on_watchlist", "daily_cap_exceeded"),
        "reasons": (
            ReasonCode("cust_cnt_1h", 7.0, 1.25, "7 payments by this customer in the last hour"),
            ReasonCode("amount", 48_000.0, 0.5, "amount HK$48,000"),
        ),
        "model_version": "fraud-1.2.0",
        "version_id": "ver-abc",
        "customer_ref": "CUSTOMER_ID_0123abcd",
        "decided_at": "2026-12-02T08:00:00.000000Z",
        "request_sha256": "ab" * 32,
        "features": {"amount": 48_000.0, "cust_cnt_1h": 7.0},
        "replayed": True,
    }
    base.update(change)
    return GovernedDecision(**base)  # type: ignore[arg-type]


def test_document_equals_the_codec_output_and_round_trips() -> None:
    for decision in (_decision(), _decision(rule_hits=(), reasons=(), features={})):
        expected = to_jsonable(decision)
        expected.pop("replayed")
        expected.pop("state_event")  # its own column
        assert decision_document(decision) == expected
        stored = json.loads(decision_row(decision)["data"])
        back = decode(GovernedDecision, stored)
        assert back == _replace_replayed(decision)


def test_every_field_but_replayed_and_the_state_event_is_in_the_document() -> None:
    fields = set(GovernedDecision.__dataclass_fields__) - {"replayed", "state_event"}
    assert set(decision_document(_decision())) == fields


def _replace_replayed(decision: GovernedDecision) -> GovernedDecision:
    from dataclasses import replace

    return replace(decision, replayed=False)
