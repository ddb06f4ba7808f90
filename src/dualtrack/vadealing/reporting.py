"""Suspicious transaction report (STR) drafts for the JFIU, and client-facing messages.

An STR draft is assembled from case facts that an analyst confirms; the renderer produces
JSON (for a case system) and plain text (for review and filing). Client-facing messages are
deliberately generic: telling a client why a transaction is held could tip them off
(VA-AML-11), so ``client_message`` never includes rule ids, control ids or reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from dualtrack.vadealing.domain import CheckResult, Decision, RuleHit


@dataclass(frozen=True, slots=True)
class StrTransaction:
    """One transaction referred to in the report (pseudonymous references only)."""

    tx_id: str
    at: datetime
    kind: str
    asset: str
    quantity: Decimal
    hkd_value: Decimal | None
    wallet_ref: str | None = None


@dataclass(frozen=True, slots=True)
class StrCaseFacts:
    """What the analyst establishes before an STR is drafted."""

    case_id: str
    reporting_firm_id: str
    mlro_ref: str
    subject_ref: str
    opened_at: datetime
    grounds: str
    transactions: tuple[StrTransaction, ...]
    rule_hits: tuple[RuleHit, ...] = ()
    actions_taken: tuple[str, ...] = ()
    subject_kind: str = "individual"


@dataclass(frozen=True, slots=True)
class StrDraft:
    """A draft STR: the facts plus computed totals, ready for MLRO review (not yet filed)."""

    facts: StrCaseFacts
    drafted_at: datetime
    total_hkd: Decimal
    period_start: datetime | None
    period_end: datetime | None
    indicators: tuple[str, ...] = field(default=())
    status: str = "draft"


def build_str_draft(facts: StrCaseFacts, *, drafted_at: datetime) -> StrDraft:
    """Compute totals, the period covered and the distinct indicators for the report."""
    times = [t.at for t in facts.transactions]
    total = sum((t.hkd_value for t in facts.transactions if t.hkd_value is not None), Decimal(0))
    indicators = tuple(dict.fromkeys(f"{hit.control_id} {hit.rule_id}" for hit in facts.rule_hits))
    return StrDraft(
        facts=facts,
        drafted_at=drafted_at,
        total_hkd=total,
        period_start=min(times) if times else None,
        period_end=max(times) if times else None,
        indicators=indicators,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def str_to_dict(draft: StrDraft) -> dict[str, Any]:
    """JSON-ready dictionary of the draft."""
    facts = draft.facts
    return {
        "report_type": "STR",
        "recipient": "JFIU",
        "status": draft.status,
        "case_id": facts.case_id,
        "reporting_firm_id": facts.reporting_firm_id,
        "mlro_ref": facts.mlro_ref,
        "subject": {"ref": facts.subject_ref, "kind": facts.subject_kind},
        "opened_at": _iso(facts.opened_at),
        "drafted_at": _iso(draft.drafted_at),
        "period": {"start": _iso(draft.period_start), "end": _iso(draft.period_end)},
        "total_hkd": str(draft.total_hkd),
        "grounds_for_suspicion": facts.grounds,
        "indicators": list(draft.indicators),
        "rule_hits": [hit.to_dict() for hit in facts.rule_hits],
        "transactions": [
            {
                "tx_id": t.tx_id,
                "at": _iso(t.at),
                "kind": t.kind,
                "asset": t.asset,
                "quantity": str(t.quantity),
                "hkd_value": None if t.hkd_value is None else str(t.hkd_value),
                "wallet_ref": t.wallet_ref,
            }
            for t in facts.transactions
        ],
        "actions_taken": list(facts.actions_taken),
    }


def render_str_json(draft: StrDraft) -> str:
    """The draft as pretty-printed JSON (stable key order)."""
    return json.dumps(str_to_dict(draft), indent=2, sort_keys=True, ensure_ascii=False)


def render_str_text(draft: StrDraft) -> str:
    """The draft as plain text for the MLRO's review."""
    data = str_to_dict(draft)
    lines = [
        "SUSPICIOUS TRANSACTION REPORT - DRAFT (to the JFIU)",
        f"Case: {data['case_id']}    Reporting firm: {data['reporting_firm_id']}",
        f"MLRO: {data['mlro_ref']}    Drafted: {data['drafted_at']}",
        f"Subject: {data['subject']['ref']} ({data['subject']['kind']})",
        f"Period: {data['period']['start']} to {data['period']['end']}",
        f"Total value: HK${draft.total_hkd:,.2f}"
        f" over {len(draft.facts.transactions)} transaction(s)",
        "",
        "Grounds for suspicion:",
        f"  {data['grounds_for_suspicion']}",
        "",
        "Indicators:",
        *(f"  - {item}" for item in data["indicators"]),
        "",
        "Transactions:",
        *(
            f"  - {t['tx_id']} {t['at']} {t['kind']} {t['quantity']} {t['asset']}"
            f" (HK${t['hkd_value']})"
            for t in data["transactions"]
        ),
        "",
        "Actions taken:",
        *(f"  - {item}" for item in data["actions_taken"]),
        "",
        "Do not disclose this report or its existence to the subject (tipping-off).",
    ]
    return "\n".join(lines) + "\n"


_CLIENT_MESSAGES: dict[Decision, str] = {
    "allow": "Your transaction has been accepted.",
    "hold": (
        "Your transaction is being processed. This can take longer than usual; "
        "we will contact you if we need anything from you."
    ),
    "block": (
        "We are unable to complete this transaction. "
        "Please contact your account manager for assistance."
    ),
}


def client_message(result: CheckResult | Decision, *, reference: str | None = None) -> str:
    """A message safe to show the client: the outcome only, never the reason (no tipping-off)."""
    decision: Decision = result if isinstance(result, str) else result.decision
    text = _CLIENT_MESSAGES[decision]
    if reference:
        text += f" Reference: {reference}."
    return text


__all__ = [
    "StrCaseFacts",
    "StrDraft",
    "StrTransaction",
    "build_str_draft",
    "client_message",
    "render_str_json",
    "render_str_text",
    "str_to_dict",
]
