"""SQL repositories of the VA-dealing desk (SQLite and PostgreSQL).

Each repository works in the ambient unit of work (see
:class:`dualtrack.adapters.screening_sql.AmbientUnit`), so that a transaction check, its
linked-history rows, its alerts and its ledger entries commit together or not at all.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from dualtrack.adapters.codec import decode
from dualtrack.adapters.screening_sql import AmbientUnit, dump, stamp
from dualtrack.adapters.vadealing_tables import (
    va_alerts,
    va_cases,
    va_checks,
    va_clients,
    va_firms,
    va_fx_rates,
    va_linked,
    va_proofs,
    va_str_drafts,
)
from dualtrack.vadealing.cases import CaseStatus, VaAlert, VaCase
from dualtrack.vadealing.domain import (
    Client,
    Firm,
    FxRate,
    LinkedEntry,
    MicroPaymentTest,
    WalletChallenge,
)
from dualtrack.vadealing.reporting import StrDraft


def _utc(moment: datetime) -> str:
    return stamp(moment.astimezone(UTC))


# Hot-path records (read on every check) are decoded by hand: the generic codec resolves
# type hints on every call, which dominated the cost of a check.
def _linked(data: dict[str, Any]) -> LinkedEntry:
    return LinkedEntry(
        tx_id=data["tx_id"],
        client_id=data["client_id"],
        kind=data["kind"],
        asset=data["asset"],
        quantity=Decimal(data["quantity"]),
        hkd_value=None if data["hkd_value"] is None else Decimal(data["hkd_value"]),
        at=datetime.fromisoformat(data["at"]),
        wallet=data["wallet"],
        decision=data["decision"],
    )


def _rate(data: dict[str, Any]) -> FxRate:
    return FxRate(
        currency=data["currency"],
        hkd_per_unit=Decimal(data["hkd_per_unit"]),
        as_of=datetime.fromisoformat(data["as_of"]),
        source=data["source"],
    )


class SqlFirmRepository:
    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def get(self, firm_id: str) -> Firm | None:
        with self._unit.connection() as c:
            data = c.execute(select(va_firms.c.data).where(va_firms.c.firm_id == firm_id)).scalar()
        return decode(Firm, json.loads(data)) if data else None

    def save(self, firm: Firm) -> None:
        values = {"kind": firm.kind, "status": firm.status, "data": dump(firm)}
        with self._unit.connection() as c:
            result = c.execute(
                update(va_firms).where(va_firms.c.firm_id == firm.firm_id).values(**values)
            )
            if result.rowcount == 0:
                c.execute(insert(va_firms).values(firm_id=firm.firm_id, **values))

    def list(self) -> Iterable[Firm]:
        with self._unit.connection() as c:
            rows = c.execute(select(va_firms.c.data).order_by(va_firms.c.firm_id))
            return [decode(Firm, json.loads(r.data)) for r in rows]


class SqlClientRepository:
    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def get(self, client_id: str) -> Client | None:
        t = va_clients
        with self._unit.connection() as c:
            data = c.execute(select(t.c.data).where(t.c.client_id == client_id)).scalar()
        return decode(Client, json.loads(data)) if data else None

    def save(self, client: Client) -> None:
        t = va_clients
        values = {"cdd_status": client.cdd_status, "data": dump(client)}
        with self._unit.connection() as c:
            result = c.execute(update(t).where(t.c.client_id == client.client_id).values(**values))
            if result.rowcount == 0:
                c.execute(insert(t).values(client_id=client.client_id, **values))

    def list(self) -> builtins.list[Client]:
        with self._unit.connection() as c:
            rows = c.execute(select(va_clients.c.data).order_by(va_clients.c.client_id))
            return [decode(Client, json.loads(r.data)) for r in rows]


class SqlProofChallengeStore:
    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def _put(self, proof_id: str, kind: str, client_id: str, record: Any) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_proofs).values(
                    proof_id=proof_id,
                    kind=kind,
                    client_id=client_id,
                    closed=False,
                    data=dump(record),
                )
            )

    def _get(self, proof_id: str, kind: str) -> str | None:
        t = va_proofs
        with self._unit.connection() as c:
            data = c.execute(
                select(t.c.data).where(
                    (t.c.proof_id == proof_id) & (t.c.kind == kind) & t.c.closed.is_(False)
                )
            ).scalar()
        return str(data) if data else None

    def put_challenge(self, challenge: WalletChallenge) -> None:
        self._put(challenge.challenge_id, "challenge", challenge.client_id, challenge)

    def get_challenge(self, challenge_id: str) -> WalletChallenge | None:
        data = self._get(challenge_id, "challenge")
        return decode(WalletChallenge, json.loads(data)) if data else None

    def put_test(self, test: MicroPaymentTest) -> None:
        self._put(test.test_id, "test", test.client_id, test)

    def get_test(self, test_id: str) -> MicroPaymentTest | None:
        data = self._get(test_id, "test")
        return decode(MicroPaymentTest, json.loads(data)) if data else None

    def close(self, proof_id: str) -> None:
        with self._unit.connection() as c:
            c.execute(update(va_proofs).where(va_proofs.c.proof_id == proof_id).values(closed=True))


class SqlFxRates:
    """``FxRateProvider`` over stored rates (each with its source), plus ``add``."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def add(self, rate: FxRate) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_fx_rates).values(
                    currency=rate.currency.upper(), as_of=_utc(rate.as_of), data=dump(rate)
                )
            )

    def knows(self, currency: str) -> bool:
        t = va_fx_rates
        with self._unit.connection() as c:
            found = c.execute(
                select(t.c.id).where(t.c.currency == currency.upper()).limit(1)
            ).first()
        return found is not None

    def rate_at(self, currency: str, at: datetime) -> FxRate | None:
        t = va_fx_rates
        with self._unit.connection() as c:
            data = c.execute(
                select(t.c.data)
                .where((t.c.currency == currency.upper()) & (t.c.as_of <= _utc(at)))
                .order_by(t.c.as_of.desc(), t.c.id.desc())
                .limit(1)
            ).scalar()
        return _rate(json.loads(data)) if data else None

    def latest(self) -> builtins.list[FxRate]:
        """The newest rate of each currency."""
        t = va_fx_rates
        newest = select(t.c.currency, func.max(t.c.as_of).label("as_of")).group_by(t.c.currency)
        sub = newest.subquery()
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.data)
                .join(sub, (t.c.currency == sub.c.currency) & (t.c.as_of == sub.c.as_of))
                .order_by(t.c.currency)
            )
            return [_rate(json.loads(r.data)) for r in rows]


class SqlLinkedTransactionStore:
    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def append(self, key: str, entry: LinkedEntry) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_linked).values(
                    key=key, at=_utc(entry.at), tx_id=entry.tx_id, data=dump(entry)
                )
            )

    def since(self, key: str, start: datetime) -> Sequence[LinkedEntry]:
        t = va_linked
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.data)
                .where((t.c.key == key) & (t.c.at >= _utc(start)))
                .order_by(t.c.at, t.c.id)
            )
            return [_linked(json.loads(r.data)) for r in rows]


class SqlCheckRepository:
    """Checked transactions: the transaction, the result and what was done about it."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def add(
        self,
        *,
        check_id: str,
        tx_id: str,
        client_id: str,
        tx_at: datetime,
        checked_at: datetime,
        decision: str,
        data: dict[str, Any],
    ) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_checks).values(
                    check_id=check_id,
                    tx_id=tx_id,
                    client_id=client_id,
                    tx_at=_utc(tx_at),
                    checked_at=_utc(checked_at),
                    decision=decision,
                    data=json.dumps(data, sort_keys=True, ensure_ascii=False),
                )
            )

    def get(self, check_id: str) -> dict[str, Any] | None:
        t = va_checks
        with self._unit.connection() as c:
            data = c.execute(select(t.c.data).where(t.c.check_id == check_id)).scalar()
        return json.loads(data) if data else None

    def list(
        self, *, client_id: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        t = va_checks
        stmt = select(t.c.data).order_by(t.c.checked_at.desc()).limit(limit)
        if client_id is not None:
            stmt = stmt.where(t.c.client_id == client_id)
        with self._unit.connection() as c:
            return [json.loads(r.data) for r in c.execute(stmt)]

    def retention_rows(self) -> builtins.list[tuple[str, str, str, str]]:
        """(check_id, tx_id, tx_at, stored text) of every check, oldest first."""
        t = va_checks
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.check_id, t.c.tx_id, t.c.tx_at, t.c.data).order_by(t.c.tx_at)
            )
            return [(r.check_id, r.tx_id, r.tx_at, r.data) for r in rows]

    def delete(self, check_ids: Sequence[str]) -> int:
        """Delete checks and the linked-history rows of their transactions."""
        if not check_ids:
            return 0
        with self._unit.connection() as c:
            tx_ids = [
                r.tx_id
                for r in c.execute(
                    select(va_checks.c.tx_id).where(va_checks.c.check_id.in_(list(check_ids)))
                )
            ]
            result = c.execute(delete(va_checks).where(va_checks.c.check_id.in_(list(check_ids))))
            remaining = {
                r.tx_id
                for r in c.execute(select(va_checks.c.tx_id).where(va_checks.c.tx_id.in_(tx_ids)))
            }
            gone = [tx for tx in tx_ids if tx not in remaining]
            if gone:
                c.execute(delete(va_linked).where(va_linked.c.tx_id.in_(gone)))
        return int(result.rowcount)


class SqlVaCaseRepository:
    """``VaCaseRepository`` plus STR drafts and retention helpers."""

    def __init__(self, unit: AmbientUnit) -> None:
        self._unit = unit

    def open_case_for(self, client_id: str) -> VaCase | None:
        t = va_cases
        with self._unit.connection() as c:
            data = c.execute(
                select(t.c.data)
                .where((t.c.client_id == client_id) & t.c.status.in_(["open", "in_review"]))
                .order_by(t.c.opened_at)
                .limit(1)
            ).scalar()
        return decode(VaCase, json.loads(data)) if data else None

    def add_case(self, case: VaCase) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_cases).values(
                    case_id=case.case_id,
                    client_id=case.client_id,
                    status=case.status,
                    opened_at=_utc(case.opened_at),
                    updated_at=_utc(case.updated_at),
                    data=dump(case),
                )
            )

    def update_case(self, case: VaCase) -> None:
        with self._unit.connection() as c:
            c.execute(
                update(va_cases)
                .where(va_cases.c.case_id == case.case_id)
                .values(status=case.status, updated_at=_utc(case.updated_at), data=dump(case))
            )

    def get_case(self, case_id: str) -> VaCase | None:
        with self._unit.connection() as c:
            data = c.execute(select(va_cases.c.data).where(va_cases.c.case_id == case_id)).scalar()
        return decode(VaCase, json.loads(data)) if data else None

    def list_cases(self, *, status: CaseStatus | None = None) -> Sequence[VaCase]:
        stmt = select(va_cases.c.data).order_by(va_cases.c.opened_at)
        if status is not None:
            stmt = stmt.where(va_cases.c.status == status)
        with self._unit.connection() as c:
            return [decode(VaCase, json.loads(r.data)) for r in c.execute(stmt)]

    def add_alert(self, alert: VaAlert) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_alerts).values(
                    alert_id=alert.alert_id,
                    case_id=alert.case_id,
                    created_at=_utc(alert.created_at),
                    data=dump(alert),
                )
            )

    def alerts_for_case(self, case_id: str) -> Sequence[VaAlert]:
        t = va_alerts
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.data).where(t.c.case_id == case_id).order_by(t.c.created_at)
            )
            return [decode(VaAlert, json.loads(r.data)) for r in rows]

    def add_str(self, str_id: str, case_id: str, draft: StrDraft) -> None:
        with self._unit.connection() as c:
            c.execute(
                insert(va_str_drafts).values(
                    str_id=str_id,
                    case_id=case_id,
                    drafted_at=_utc(draft.drafted_at),
                    data=dump(draft),
                )
            )

    def get_str(self, str_id: str) -> StrDraft | None:
        t = va_str_drafts
        with self._unit.connection() as c:
            data = c.execute(select(t.c.data).where(t.c.str_id == str_id)).scalar()
        return decode(StrDraft, json.loads(data)) if data else None

    def resolved_rows(self) -> builtins.list[tuple[str, str, str, str]]:
        """(case_id, status, updated_at, stored text incl. alerts and STR) of resolved cases."""
        t = va_cases
        out = []
        with self._unit.connection() as c:
            rows = c.execute(
                select(t.c.case_id, t.c.status, t.c.updated_at, t.c.data)
                .where(t.c.status.in_(["confirmed_suspicious", "cleared"]))
                .order_by(t.c.updated_at)
            ).all()
            for r in rows:
                alerts = [
                    a.data
                    for a in c.execute(
                        select(va_alerts.c.data)
                        .where(va_alerts.c.case_id == r.case_id)
                        .order_by(va_alerts.c.alert_id)
                    )
                ]
                strs = [
                    s.data
                    for s in c.execute(
                        select(va_str_drafts.c.data).where(va_str_drafts.c.case_id == r.case_id)
                    )
                ]
                out.append((r.case_id, r.status, r.updated_at, "\n".join([r.data, *alerts, *strs])))
        return out

    def delete_cases(self, case_ids: Sequence[str]) -> int:
        if not case_ids:
            return 0
        ids = list(case_ids)
        with self._unit.connection() as c:
            c.execute(delete(va_str_drafts).where(va_str_drafts.c.case_id.in_(ids)))
            c.execute(delete(va_alerts).where(va_alerts.c.case_id.in_(ids)))
            result = c.execute(delete(va_cases).where(va_cases.c.case_id.in_(ids)))
        return int(result.rowcount)


__all__ = [
    "SqlCheckRepository",
    "SqlClientRepository",
    "SqlFirmRepository",
    "SqlFxRates",
    "SqlLinkedTransactionStore",
    "SqlProofChallengeStore",
    "SqlVaCaseRepository",
]
