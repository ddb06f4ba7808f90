"""SQL storage of customers' answers to held payments (:mod:`dualtrack.fraud.responses`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from dualtrack.adapters.fraud_tables import fraud_customer_responses as t_responses
from dualtrack.fraud.responses import CustomerResponse, checked_response


def _response(row: Any) -> CustomerResponse:
    return CustomerResponse(
        txn_id=row.txn_id,
        response=checked_response(row.response),
        channel=row.channel,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


def responses_for(conn: Connection, txn_ids: Sequence[str]) -> dict[str, CustomerResponse]:
    found: dict[str, CustomerResponse] = {}
    for start in range(0, len(txn_ids), 1_000):
        chunk = list(txn_ids[start : start + 1_000])
        rows = conn.execute(select(t_responses).where(t_responses.c.txn_id.in_(chunk)))
        found.update((row.txn_id, _response(row)) for row in rows)
    return found


def add_response(conn: Connection, response: CustomerResponse) -> bool:
    """Store ``response``; False (and nothing written) when the decision already has one,
    stored by a concurrent request (the primary key decides; a savepoint keeps the
    caller's transaction usable on PostgreSQL)."""
    try:
        with conn.begin_nested():
            conn.execute(insert(t_responses).values(**response.to_dict()))
    except IntegrityError:
        return False
    return True


__all__ = ["add_response", "responses_for"]
