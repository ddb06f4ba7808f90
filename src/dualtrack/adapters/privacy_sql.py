"""SQL repository for privacy policies, and the unit of work the privacy gateway uses.

The unit of work shares one transaction between the policy table and the audit ledger, so a
policy change and its ledger entry commit together or not at all.
"""

from __future__ import annotations

import builtins
import json
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from dualtrack.adapters.privacy_tables import privacy_policies as t_policies
from dualtrack.adapters.sql import Clock, SqlLedgerRepository, SqlUnitOfWork, utc_now
from dualtrack.ledger.domain import format_time
from dualtrack.privacy.domain import PrivacyPolicy
from dualtrack.privacy.governance import StoredPolicy


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SqlPolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _stored(row: Any) -> StoredPolicy:
        return StoredPolicy(
            system_id=row.system_id,
            policy=PrivacyPolicy.from_dict(json.loads(row.data)),
            template=row.template,
            revision=int(row.revision),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    def get(self, system_id: str) -> StoredPolicy | None:
        row = self._c.execute(select(t_policies).where(t_policies.c.system_id == system_id)).first()
        return self._stored(row) if row else None

    def put(self, stored: StoredPolicy) -> None:
        values = {
            "template": stored.template,
            "revision": stored.revision,
            "updated_by": stored.updated_by,
            "updated_at": stored.updated_at,
            "data": _dump(stored.policy.to_dict()),
        }
        result = self._c.execute(
            update(t_policies).where(t_policies.c.system_id == stored.system_id).values(**values)
        )
        if result.rowcount == 0:
            self._c.execute(insert(t_policies).values(system_id=stored.system_id, **values))

    def list(self) -> builtins.list[StoredPolicy]:
        rows = self._c.execute(select(t_policies).order_by(t_policies.c.system_id))
        return [self._stored(row) for row in rows]


class SqlPrivacyUnitOfWork:
    """The core unit of work plus the policy repository, in one transaction."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self._inner = SqlUnitOfWork(engine, clock)
        self._clock = clock
        self._policies: SqlPolicyRepository | None = None

    @property
    def policies(self) -> SqlPolicyRepository:
        assert self._policies is not None
        return self._policies

    @property
    def audit(self) -> SqlLedgerRepository:
        return self._inner.audit

    def now_text(self) -> str:
        return format_time(self._clock())

    def commit(self) -> None:
        self._inner.commit()

    def __enter__(self) -> SqlPrivacyUnitOfWork:
        self._inner.__enter__()
        self._policies = SqlPolicyRepository(self._inner.connection)
        return self

    def __exit__(self, *exc: object) -> None:
        self._policies = None
        self._inner.__exit__(*exc)


__all__ = ["SqlPolicyRepository", "SqlPrivacyUnitOfWork"]
