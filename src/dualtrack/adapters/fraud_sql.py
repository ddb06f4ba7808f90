"""SQL adapters of the fraud feature: decisions, alerts and cases, on SQLite and PostgreSQL.

* :class:`SqlCaseRepository` implements the library's ``CaseRepository`` over a connection.
* :class:`SqlDecisionStore` implements ``DecisionStore``: lookups run on a *read* engine
  (for SQLite a second engine in autocommit mode, so a lookup never queues behind the
  writer's lock: WAL readers see the last commit without blocking), and writes go through
  the platform's :class:`~dualtrack.adapters.group_commit.GroupCommitter`: decision rows,
  their ``fraud.decision`` ledger entries and the alerts/cases they raise commit in one
  transaction, shared with other concurrent requests, before anyone is answered.
* :class:`SqlDeployedVersion` reads the fraud system's deployed version straight from the
  registry tables on the read engine (cheap enough to re-check every second).
* :class:`SqlScoringLease` lets one process at a time serve fraud scoring on a database.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    create_engine,
    delete,
    distinct,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from dualtrack.adapters import tables as core
from dualtrack.adapters.audit import BufferedAuditSink, UowAuditSink
from dualtrack.adapters.codec import decode, to_jsonable
from dualtrack.adapters.fraud_tables import (
    fraud_alerts,
    fraud_cases,
    fraud_decisions,
    fraud_scoring_owner,
    fraud_state_snapshot_parts,
    fraud_state_snapshots,
)
from dualtrack.adapters.group_commit import GroupCommitter
from dualtrack.adapters.privacy_sql import SqlPolicyRepository
from dualtrack.adapters.sql import (
    SqlLedgerRepository,
    SqlUnitOfWork,
    insert_rows,
    placeholder,
    utc_now,
)
from dualtrack.fraud.domain import Alert, Case, CaseStatus, Decision
from dualtrack.fraud.governed import GovernedDecision, ScoringOwnedElsewhere
from dualtrack.fraud.ports import Clock
from dualtrack.fraud.service import CaseService
from dualtrack.privacy.domain import PrivacyPolicy
from dualtrack.registry.domain import Lifecycle, ModelVersion

DECISION_ACTOR = "system:fraud-scoring"
P = TypeVar("P")
_CHUNK = 500
# decisions looked up per statement while following (bound parameters: SQLite allows
# 32,766 since 3.32, PostgreSQL 65,535)
_FOLLOW_CHUNK = 5_000


def _dump(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"))


def _instant(value: Any) -> str:
    return str(to_jsonable(value))


def read_engine(engine: Engine) -> Engine:
    """An engine for lookups that must not wait for the writer.

    SQLite: a separate engine in autocommit (each SELECT reads the last committed state in
    WAL mode without taking the write lock; the platform engine opens every transaction with
    ``BEGIN IMMEDIATE``). Other databases: the platform engine itself."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return engine
    reader = create_engine(
        make_url(str(url.render_as_string(hide_password=False))),
        connect_args={"timeout": 30, "check_same_thread": False},
        hide_parameters=True,
    )

    @event.listens_for(reader, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return reader


# ------------------------------------------------------------------------------ cases


class SqlCaseRepository:
    """``CaseRepository`` over one connection (the caller owns the transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add_alert(self, alert: Alert) -> None:
        self._c.execute(
            insert(fraud_alerts).values(
                alert_id=alert.alert_id,
                case_id=alert.case_id,
                txn_id=alert.txn_id,
                created_at=_instant(alert.created_at),
                data=_dump(alert),
            )
        )

    def get_alert(self, alert_id: str) -> Alert | None:
        data = self._c.execute(
            select(fraud_alerts.c.data).where(fraud_alerts.c.alert_id == alert_id)
        ).scalar()
        return decode(Alert, json.loads(data)) if data else None

    def update_alert(self, alert: Alert) -> None:
        self._c.execute(
            update(fraud_alerts)
            .where(fraud_alerts.c.alert_id == alert.alert_id)
            .values(case_id=alert.case_id, data=_dump(alert))
        )

    def alerts_for_case(self, case_id: str) -> builtins.list[Alert]:
        rows = self._c.execute(
            select(fraud_alerts.c.data)
            .where(fraud_alerts.c.case_id == case_id)
            .order_by(fraud_alerts.c.created_at, fraud_alerts.c.alert_id)
        )
        return [decode(Alert, json.loads(r.data)) for r in rows]

    def add_case(self, case: Case) -> None:
        self._c.execute(
            insert(fraud_cases).values(
                case_id=case.case_id,
                customer_ref=case.customer_ref,
                status=case.status.value,
                opened_at=_instant(case.opened_at),
                updated_at=_instant(case.updated_at),
                data=_dump(case),
            )
        )

    def get_case(self, case_id: str) -> Case | None:
        data = self._c.execute(
            select(fraud_cases.c.data).where(fraud_cases.c.case_id == case_id)
        ).scalar()
        return decode(Case, json.loads(data)) if data else None

    def update_case(self, case: Case) -> None:
        self._c.execute(
            update(fraud_cases)
            .where(fraud_cases.c.case_id == case.case_id)
            .values(
                status=case.status.value,
                updated_at=_instant(case.updated_at),
                data=_dump(case),
            )
        )

    def open_case_for(self, customer_ref: str) -> Case | None:
        data = self._c.execute(
            select(fraud_cases.c.data)
            .where(
                fraud_cases.c.customer_ref == customer_ref,
                fraud_cases.c.status.in_([CaseStatus.OPEN.value, CaseStatus.IN_REVIEW.value]),
            )
            .order_by(fraud_cases.c.opened_at)
            .limit(1)
        ).scalar()
        return decode(Case, json.loads(data)) if data else None

    def list_cases(self, *, status: str | None = None) -> Iterable[Case]:
        stmt = select(fraud_cases.c.data).order_by(fraud_cases.c.opened_at)
        if status is not None:
            stmt = stmt.where(fraud_cases.c.status == CaseStatus(status).value)
        return [decode(Case, json.loads(r.data)) for r in self._c.execute(stmt)]

    # --- queries for the alert queue and case pages (beyond the library's port) ---------

    def alert_counts(self, case_ids: Sequence[str]) -> dict[str, tuple[int, float, str]]:
        """Per case: number of alerts, highest score, newest alert time."""
        counts: dict[str, tuple[int, float, str]] = {}
        ids = list(case_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = self._c.execute(
                select(
                    fraud_alerts.c.case_id,
                    func.count(),
                    func.max(fraud_decisions.c.score),
                    func.max(fraud_alerts.c.created_at),
                )
                .select_from(
                    fraud_alerts.outerjoin(
                        fraud_decisions, fraud_decisions.c.txn_id == fraud_alerts.c.txn_id
                    )
                )
                .where(fraud_alerts.c.case_id.in_(ids[start : start + _CHUNK]))
                .group_by(fraud_alerts.c.case_id)
            )
            for r in rows:
                counts[r[0]] = (int(r[1]), float(r[2] or 0.0), str(r[3]))
        return counts

    def recent_alerts(
        self, *, limit: int | None = 20, case_ids: Sequence[str] | None = None
    ) -> builtins.list[Alert]:
        stmt = select(fraud_alerts.c.data).order_by(
            fraud_alerts.c.created_at.desc(), fraud_alerts.c.alert_id
        )
        if case_ids is not None:
            stmt = stmt.where(fraud_alerts.c.case_id.in_(list(case_ids)))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [decode(Alert, json.loads(r.data)) for r in self._c.execute(stmt)]


# -------------------------------------------------------------------------- decisions


def decision_document(d: GovernedDecision) -> dict[str, Any]:
    """The stored JSON document of a decision: what :func:`to_jsonable` gives for it, less
    ``replayed``, written out by hand because this runs for every scored payment (the
    generic codec walks type hints and cost ~0.3 ms a decision); a unit test keeps the two
    equal."""
    return {
        "txn_id": d.txn_id,
        "score": d.score,
        "action": d.action,
        "model_action": d.model_action,
        "rule_hits": list(d.rule_hits),
        "reasons": [
            {"feature": r.feature, "value": r.value, "contribution": r.contribution, "text": r.text}
            for r in d.reasons
        ],
        "model_version": d.model_version,
        "version_id": d.version_id,
        "customer_ref": d.customer_ref,
        "decided_at": d.decided_at,
        "request_sha256": d.request_sha256,
        "features": dict(d.features),
        "watch_ref": d.watch_ref,
    }


DECISION_COLUMNS = (
    "txn_id",
    "version_id",
    "customer_ref",
    "score",
    "action",
    "decided_at",
    "request_sha256",
    "data",
    "event_ts",
    "state_event",
)


def decision_values(decision: GovernedDecision) -> tuple[Any, ...]:
    """A decision's row in :data:`DECISION_COLUMNS` order."""
    event = decision.state_event
    return (
        decision.txn_id,
        decision.version_id,
        decision.customer_ref,
        decision.score,
        decision.action,
        decision.decided_at,
        decision.request_sha256,
        # orjson: several times faster than json.dumps here, same compact sorted JSON
        orjson.dumps(decision_document(decision), option=orjson.OPT_SORT_KEYS).decode(),
        None if event is None else event["ts"],
        None if event is None else orjson.dumps(event).decode(),
    )


def decision_row(decision: GovernedDecision) -> dict[str, Any]:
    return dict(zip(DECISION_COLUMNS, decision_values(decision), strict=True))


def _decision(data: str) -> GovernedDecision:
    return decode(GovernedDecision, json.loads(data))


_LOOKUP_SQL: dict[tuple[int, str], str] = {}


def decisions_by_id(conn: Connection, txn_ids: Sequence[str]) -> dict[str, GovernedDecision]:
    """Stored decisions for ``txn_ids`` (absent IDs are missing). Runs before and inside
    every scoring write, so the statement goes to the driver as text, cached per number of
    IDs: the same SELECT ... WHERE txn_id IN (...) SQLAlchemy would build, without
    compiling it each time (about half the lookup's cost for 50 IDs on SQLite)."""
    found: dict[str, GovernedDecision] = {}
    style = conn.dialect.paramstyle
    for start in range(0, len(txn_ids), _CHUNK):
        chunk = tuple(txn_ids[start : start + _CHUNK])
        key = (len(chunk), style)
        sql = _LOOKUP_SQL.get(key)
        if sql is None:
            marker = placeholder(conn)
            sql = _LOOKUP_SQL[key] = (
                f"SELECT txn_id, data FROM {fraud_decisions.name} "
                f"WHERE txn_id IN ({', '.join([marker] * len(chunk))})"
            )
        for txn_id, data in conn.exec_driver_sql(sql, chunk):
            found[txn_id] = _decision(data)
    return found


def decisions_for_customer(
    conn: Connection, customer_ref: str, *, limit: int = 50
) -> builtins.list[GovernedDecision]:
    rows = conn.execute(
        select(fraud_decisions.c.data)
        .where(fraud_decisions.c.customer_ref == customer_ref)
        .order_by(fraud_decisions.c.decided_at.desc())
        .limit(limit)
    )
    return [_decision(r.data) for r in rows]


def decision_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(fraud_decisions.c.action, func.count()).group_by(fraud_decisions.c.action)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def last_simulated_txn(conn: Connection) -> tuple[int, int] | None:
    """(day, index) of the newest simulator transaction ID (``T<dddd><iiiiiii>``) decided."""
    rows = conn.execute(
        select(fraud_decisions.c.txn_id)
        .where(fraud_decisions.c.txn_id.like("T" + "_" * 11))
        .order_by(fraud_decisions.c.txn_id.desc())
        .limit(50)
    )
    for (txn_id,) in rows:
        digits = str(txn_id)[1:]
        if digits.isdigit():
            return int(digits[:4]), int(digits[4:])
    return None


def ledger_sink(uow: SqlUnitOfWork) -> UowAuditSink:
    """An ``AuditSink`` bound to ``uow``'s transaction."""
    return UowAuditSink(uow)


def _library_decision(d: GovernedDecision) -> Decision:
    return Decision(
        txn_id=d.txn_id,
        score=d.score,
        action=d.action,
        model_action=d.model_action,
        rule_hits=d.rule_hits,
        reasons=d.reasons,
        model_version=d.model_version,
    )


def _state_events_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, str | None]:
    """``txn_id -> state_event`` for stored decisions, by primary key: one ``= ANY(array)``
    on PostgreSQL (a 5,000-value ``IN`` list took 2-4 times as long there), ``IN`` lists of
    :data:`_FOLLOW_CHUNK` elsewhere."""
    columns = (fraud_decisions.c.txn_id, fraud_decisions.c.state_event)
    if conn.dialect.name == "postgresql":
        wanted = bindparam("ids", type_=postgresql.ARRAY(String))
        rows = conn.execute(select(*columns).where(columns[0] == any_(wanted)), {"ids": ids})
        return {txn_id: text for txn_id, text in rows}
    stored: dict[str, str | None] = {}
    for start in range(0, len(ids), _FOLLOW_CHUNK):
        chunk = ids[start : start + _FOLLOW_CHUNK]
        rows = conn.execute(select(*columns).where(columns[0].in_(chunk)))
        stored.update((txn_id, text) for txn_id, text in rows)
    return stored


def ledger_head(reader: Engine) -> int:
    """The position of the ledger's last entry (0 when it is empty), read on ``reader``."""
    with reader.connect() as conn:
        return SqlLedgerRepository(conn, utc_now).head()[0]


def ledger_hash_at(reader: Engine, position: int) -> str | None:
    """The hash of the ledger entry at ``position`` (None if there is none)."""
    entries = core.ledger_entries
    with reader.connect() as conn:
        found = conn.execute(select(entries.c.hash).where(entries.c.seq == position)).scalar()
    return str(found) if found is not None else None


class StoredEvents(NamedTuple):
    """What :meth:`SqlDecisionStore.state_events_after` read: the ledger position it
    reached, how many ledger entries it read, and the decisions' state events in order."""

    position: int
    entries: int
    events: builtins.list[dict[str, Any]]


class SqlDecisionStore:
    """``DecisionStore``: reads on the read engine, writes group-committed with the ledger.

    Concurrent :meth:`persist` calls are coalesced: each adds its decisions to a pending list
    and, if no flush is queued, queues one on the group committer. A flush drains everything
    pending and writes it with one lookup, one multi-row insert and one ledger append (under
    its own savepoint), so the writer thread's cost per request stays small. Callers wait on
    their own future, resolved only once the committer's transaction holding their flush has
    committed (or failed)."""

    def __init__(self, committer: GroupCommitter, reader: Engine, clock: Clock) -> None:
        self._committer = committer
        self._reader = reader
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: builtins.list[
            tuple[Sequence[GovernedDecision], Future[builtins.list[GovernedDecision]]]
        ] = []
        self._flush_queued = False

    def get_many(self, txn_ids: Sequence[str]) -> dict[str, GovernedDecision]:
        with self._reader.connect() as conn:
            return decisions_by_id(conn, txn_ids)

    def state_events_after(self, position: int, *, limit: int = 5_000) -> StoredEvents:
        """The state events of the decisions stored after ledger position ``position``,
        reading at most ``limit`` ledger entries, in ledger order: the order the decisions
        were committed, which is the order the scoring process folded them in (except that
        requests scored at the same time may swap places).

        Ledger appends lock the ledger head and commit in sequence order, so whatever a
        read sees is a prefix of the ledger: reading on from the returned position gets
        every later decision exactly once, while another process keeps scoring. Decisions
        without a state event (stored before migration ``fraud_0002``, or scored with no
        privacy policy in force) are passed over. Two index-driven reads (a range of the
        ledger's primary key, then the decisions by primary key), so the plan does not
        depend on fresh table statistics."""
        entries = core.ledger_entries
        with self._reader.connect() as conn:
            ledger = conn.execute(
                select(entries.c.seq, entries.c.action, entries.c.subject_id)
                .where(entries.c.seq > position)
                .order_by(entries.c.seq)
                .limit(limit)
            ).all()
            ids = [subject for _seq, action, subject in ledger if action == "fraud.decision"]
            stored = _state_events_by_id(conn, ids)
        events = [orjson.loads(text) for txn_id in ids if (text := stored.get(txn_id))]
        return StoredEvents(ledger[-1][0] if ledger else position, len(ledger), events)

    def decisions_after(self, position: int) -> int:
        """How many decisions were stored after ledger position ``position``."""
        return self.stored_decisions(self._reader, after=position)

    @staticmethod
    def stored_decisions(reader: Engine, *, after: int = 0) -> int:
        """How many decisions the ledger holds after position ``after`` (all by default)."""
        entries = core.ledger_entries
        with reader.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(entries)
                    .where(entries.c.seq > after, entries.c.action == "fraud.decision")
                ).scalar_one()
            )

    def persist(
        self, decisions: Sequence[GovernedDecision], timeout: float = 30.0
    ) -> builtins.list[GovernedDecision]:
        try:
            return self._enqueue(decisions).result(timeout)
        except IntegrityError:
            # another process stored one of these IDs between our lookup and our insert:
            # the retry re-reads inside the writer's transaction and keeps theirs
            return self._enqueue(decisions).result(timeout)

    def _enqueue(
        self, decisions: Sequence[GovernedDecision]
    ) -> Future[builtins.list[GovernedDecision]]:
        future: Future[builtins.list[GovernedDecision]] = Future()
        with self._lock:
            self._pending.append((decisions, future))
            if self._flush_queued:
                return future
            self._flush_queued = True
        drained: builtins.list[
            tuple[Sequence[GovernedDecision], Future[builtins.list[GovernedDecision]]]
        ] = []

        def flush(uow: SqlUnitOfWork) -> builtins.list[Any]:
            with self._lock:
                drained.extend(self._pending)
                self._pending = []
                self._flush_queued = False
            return self._flush(uow, drained)

        def settle(done: Future[builtins.list[Any]]) -> None:
            # runs once the committer's transaction holding this flush committed or failed
            error = done.exception()
            outcomes = done.result() if error is None else [error] * len(drained)
            for (_decisions, waiter), outcome in zip(drained, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    waiter.set_exception(outcome)
                else:
                    waiter.set_result(outcome)

        self._committer.submit(flush).add_done_callback(settle)
        return future

    def _flush(
        self,
        uow: SqlUnitOfWork,
        drained: Sequence[
            tuple[Sequence[GovernedDecision], Future[builtins.list[GovernedDecision]]]
        ],
    ) -> builtins.list[Any]:
        # no savepoint of its own: the committer runs each flush in one, and a failure here
        # reaches every drained request through ``settle``
        everything = [d for decisions, _f in drained for d in decisions]
        stored = self._write(uow, everything)
        by_id: dict[str, GovernedDecision] = {}
        for d in stored:
            by_id.setdefault(d.txn_id, d)
        return [[by_id[d.txn_id] for d in decisions] for decisions, _f in drained]

    def _write(
        self, uow: SqlUnitOfWork, decisions: Sequence[GovernedDecision]
    ) -> builtins.list[GovernedDecision]:
        conn = uow.connection
        existing = decisions_by_id(conn, [d.txn_id for d in decisions])
        new: builtins.list[GovernedDecision] = []
        seen: set[str] = set()
        for d in decisions:
            if d.txn_id not in existing and d.txn_id not in seen:
                new.append(d)
                seen.add(d.txn_id)
        if new:
            insert_rows(conn, fraud_decisions, DECISION_COLUMNS, [decision_values(d) for d in new])
            entries: builtins.list[tuple[str, str, str, str, Mapping[str, Any]]] = [
                (
                    DECISION_ACTOR,
                    "fraud.decision",
                    "fraud_transaction",
                    d.txn_id,
                    d.ledger_payload(),
                )
                for d in new
            ]
            alerting = [d for d in new if d.action != "allow"]
            if alerting:
                # alerts, cases and their ledger entries join the same single append
                sink = BufferedAuditSink()
                cases = CaseService(SqlCaseRepository(conn), sink, clock=self._clock)
                cases.raise_alerts(
                    [_library_decision(d) for d in alerting],
                    {d.txn_id: d.customer_ref for d in alerting},
                )
                entries.extend(sink.items)
            uow.audit.record_many(entries)
        kept = {d.txn_id for d in new}
        out = []
        for d in decisions:
            if d.txn_id in kept:
                out.append(d)
            else:
                stored = existing.get(d.txn_id)
                out.append(_replay(stored) if stored is not None else d)
        return out


def _replay(decision: GovernedDecision) -> GovernedDecision:
    from dataclasses import replace

    return replace(decision, replayed=True)


class SqlDeployedVersion:
    """``VersionSource``: the named system's deployed version from the registry tables."""

    def __init__(self, reader: Engine, system_name: str) -> None:
        self._reader = reader
        self._name = system_name
        self._system_id: str | None = None

    def deployed(self) -> ModelVersion | None:
        with self._reader.connect() as conn:
            if self._system_id is None:
                self._system_id = conn.execute(
                    select(core.ai_systems.c.id).where(core.ai_systems.c.name == self._name)
                ).scalar()
                if self._system_id is None:
                    return None
            data = conn.execute(
                select(core.model_versions.c.data)
                .where(
                    core.model_versions.c.system_id == self._system_id,
                    core.model_versions.c.state == Lifecycle.DEPLOYED.value,
                )
                .order_by(core.model_versions.c.updated_at.desc())
                .limit(1)
            ).scalar()
        return ModelVersion.from_json(json.loads(data)) if data else None


class SqlFraudPolicy(Generic[P]):
    """``PolicySource``: the privacy policy stored for the named AI system, read on the read
    engine (scoring never waits for the writer), or ``default`` while none is stored.
    ``prepare`` turns a policy into what the scorer applies; it runs again only when the
    stored policy changes (a new revision)."""

    def __init__(
        self,
        reader: Engine,
        system_name: str,
        prepare: Callable[[PrivacyPolicy], P],
        default: PrivacyPolicy,
    ) -> None:
        self._reader = reader
        self._name = system_name
        self._prepare = prepare
        self._default = default
        self._system_id: str | None = None
        self._cached: tuple[tuple[int, str] | None, P] | None = None

    def current(self) -> P:
        stored = None
        with self._reader.connect() as conn:
            if self._system_id is None:
                self._system_id = conn.execute(
                    select(core.ai_systems.c.id).where(core.ai_systems.c.name == self._name)
                ).scalar()
            if self._system_id is not None:
                stored = SqlPolicyRepository(conn).get(self._system_id)
        version = (stored.revision, stored.updated_at) if stored is not None else None
        if self._cached is None or self._cached[0] != version:
            policy = stored.policy if stored is not None else self._default
            self._cached = (version, self._prepare(policy))
        return self._cached[1]


@dataclass(frozen=True, slots=True)
class ScoringOwner:
    """The process that holds (or last held) the fraud scoring lease."""

    holder: str
    host: str
    pid: int
    started_at: str
    heartbeat_at: float

    def describe(self, now: float) -> str:
        return (
            f"host {self.host}, pid {self.pid}, serving since {self.started_at}, "
            f"last heartbeat {max(0.0, now - self.heartbeat_at):.0f} s ago"
        )


class SqlScoringLease:
    """One live holder at a time for ``name`` (default ``fraud.score``), on SQLite and
    PostgreSQL.

    :meth:`claim` takes the lease if nobody holds it, if this holder already does, or if the
    holder's last heartbeat is older than ``ttl_s`` (it crashed or hung); otherwise it raises
    :class:`~dualtrack.fraud.governed.ScoringOwnedElsewhere` naming the holder's host and
    process. :meth:`beat` renews it and says whether it is still ours. :meth:`release` gives
    it up. The row is read ``FOR UPDATE`` (PostgreSQL) inside the platform's write
    transaction (``BEGIN IMMEDIATE`` on SQLite), so two claimers cannot both win."""

    def __init__(
        self,
        engine: Engine,
        *,
        ttl_s: float,
        name: str = "fraud.score",
        clock: Callable[[], float] = time.time,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._engine = engine
        self.ttl_s = ttl_s
        self.name = name
        self._clock = clock
        self.holder = uuid.uuid4().hex
        self.host = host if host is not None else socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()

    def current(self) -> ScoringOwner | None:
        """The row as stored (live or not)."""
        with self._engine.connect() as conn:
            return self._read(conn)

    def live_owner(self) -> ScoringOwner | None:
        """The holder if its lease is still live, else None."""
        owner = self.current()
        if owner is None or self._clock() - owner.heartbeat_at > self.ttl_s:
            return None
        return owner

    def claim(self) -> None:
        now = self._clock()
        values = {
            "holder": self.holder,
            "host": self.host[:255],
            "pid": self.pid,
            "started_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
            "heartbeat_at": now,
        }
        try:
            with self._engine.begin() as conn:
                owner = self._read(conn, for_update=True)
                if owner is None:
                    conn.execute(insert(fraud_scoring_owner).values(name=self.name, **values))
                elif owner.holder == self.holder or now - owner.heartbeat_at > self.ttl_s:
                    conn.execute(
                        update(fraud_scoring_owner)
                        .where(fraud_scoring_owner.c.name == self.name)
                        .values(**values)
                    )
                else:
                    raise self._refusal(owner, now)
        except IntegrityError:  # another process inserted the row first
            owner = self.current()
            if owner is None or owner.holder != self.holder:
                raise self._refusal(owner, now) from None

    def beat(self) -> bool:
        """Renew the lease; False if another holder has it now."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(fraud_scoring_owner)
                .where(
                    fraud_scoring_owner.c.name == self.name,
                    fraud_scoring_owner.c.holder == self.holder,
                )
                .values(heartbeat_at=self._clock())
            )
            return bool(result.rowcount)

    def release(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(fraud_scoring_owner).where(
                    fraud_scoring_owner.c.name == self.name,
                    fraud_scoring_owner.c.holder == self.holder,
                )
            )

    def _read(self, conn: Connection, *, for_update: bool = False) -> ScoringOwner | None:
        query = select(
            fraud_scoring_owner.c.holder,
            fraud_scoring_owner.c.host,
            fraud_scoring_owner.c.pid,
            fraud_scoring_owner.c.started_at,
            fraud_scoring_owner.c.heartbeat_at,
        ).where(fraud_scoring_owner.c.name == self.name)
        if for_update:
            query = query.with_for_update()
        row = conn.execute(query).first()
        return ScoringOwner(*row) if row is not None else None

    def _refusal(self, owner: ScoringOwner | None, now: float) -> ScoringOwnedElsewhere:
        who = owner.describe(now) if owner is not None else "another process"
        return ScoringOwnedElsewhere(
            f"another process serves fraud scoring on this database ({who}); its feature "
            "state would not see this process's decisions. Stop it, or wait "
            f"{self.ttl_s:.0f} s after it stopped without releasing"
        )


class SavedState(NamedTuple):
    """A saved feature state as stored: which ledger entry it is exact at, when and where
    it was last saved, its size (header and every layer's parts), how many layers it has
    (a whole state, then one per save of changed keys), and (from :meth:`SqlStateSnapshots.
    get` only) its header and its parts in order; :meth:`SqlStateSnapshots.head` gives the
    header without the parts."""

    position: int
    ledger_hash: str
    saved_at: str
    saved_by: str
    size: int
    body: bytes | None = None
    parts: tuple[bytes, ...] = ()
    layers: int = 1


class SqlStateSnapshots:
    """The last saved feature state for ``name`` (default ``fraud.score``): a header row
    (``fraud_state_snapshots``) and its parts (``fraud_state_snapshot_parts``), numbered in
    the order they are read, each row with the ledger position of the save that wrote it.

    A save either replaces the header and every part (a whole state) or adds parts after
    the last on top of a given parent (a layer of changed keys), in one transaction, and
    only for a state exact at a later ledger position, so a slow writer of an older state (a
    standby's checkpoint finishing after the holder's stop) cannot undo a newer one. The
    header is read ``FOR UPDATE`` (PostgreSQL) in the platform's write transaction (``BEGIN
    IMMEDIATE`` on SQLite), as the lease is; plain reads go to ``reader`` (the fraud read
    engine: :func:`read_engine`), so they never wait for the writer."""

    def __init__(
        self,
        engine: Engine,
        *,
        reader: Engine | None = None,
        name: str = "fraud.score",
        clock: Callable[[], float] = time.time,
        host: str | None = None,
    ) -> None:
        self._engine = engine
        self._reader = reader if reader is not None else engine
        self.name = name
        self._clock = clock
        self.host = host if host is not None else socket.gethostname()

    def put(
        self,
        position: int,
        ledger_hash: str,
        body: bytes,
        parts: Sequence[bytes] = (),
        *,
        parent: tuple[int, str] | None = None,
        size: int | None = None,
    ) -> bool:
        """Store ``body`` (the header) and ``parts`` as the state exact at ``position``;
        False (nothing written) if the stored one is exact at that position or a later
        one. Without ``parent`` the parts replace all stored ones; with it they are added
        after them, and only if the stored state is the one saved at ``parent`` (ledger
        position and hash; else False). ``size`` is the whole saved state's (default: the
        header's and these parts')."""
        table, parts_table = fraud_state_snapshots, fraud_state_snapshot_parts
        values = {
            "position": position,
            "ledger_hash": ledger_hash,
            "saved_at": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds"),
            "saved_by": self.host[:255],
            "size": size if size is not None else len(body) + sum(len(part) for part in parts),
            "body": body,
        }
        try:
            with self._engine.begin() as conn:
                stored = conn.execute(
                    select(table.c.position, table.c.ledger_hash)
                    .where(table.c.name == self.name)
                    .with_for_update()
                ).first()
                if stored is not None and stored[0] >= position:
                    return False
                if parent is not None and (stored is None or tuple(stored) != parent):
                    return False
                if stored is None:
                    conn.execute(insert(table).values(name=self.name, **values))
                else:
                    conn.execute(update(table).where(table.c.name == self.name).values(**values))
                first = 0
                if parent is None:
                    conn.execute(delete(parts_table).where(parts_table.c.name == self.name))
                else:
                    last = conn.execute(
                        select(func.max(parts_table.c.part)).where(parts_table.c.name == self.name)
                    ).scalar()
                    first = 0 if last is None else int(last) + 1
                for number, part in enumerate(parts, first):  # one at a time: parts are large
                    conn.execute(
                        insert(parts_table).values(
                            name=self.name, part=number, position=position, body=part
                        )
                    )
        except IntegrityError:  # another process inserted the first row meanwhile
            return False
        return True

    def get(self) -> SavedState | None:
        """The stored state with its header and parts (None if none was saved), read from
        one snapshot of the database (a repeatable-read transaction on PostgreSQL; an
        explicit deferred transaction on SQLite, whose reader otherwise reads each statement
        afresh), so a save that commits in between cannot pair this header with another
        save's parts. Parts of a later position are left out anyway."""
        with self._reader.connect() as plain:
            conn = plain
            if plain.dialect.name == "postgresql":
                conn = plain.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                dbapi = conn.connection.dbapi_connection
                if conn.dialect.name == "sqlite" and not getattr(dbapi, "in_transaction", True):
                    conn.exec_driver_sql("BEGIN DEFERRED")  # the read engine is in autocommit
                saved = self._read(conn, with_body=True)
                if saved is None:
                    return None
                t = fraud_state_snapshot_parts
                rows = conn.execute(
                    select(t.c.body)
                    .where(t.c.name == self.name, t.c.position <= saved.position)
                    .order_by(t.c.part)
                )
                return saved._replace(parts=tuple(bytes(row[0]) for row in rows))

    def head(self) -> SavedState | None:
        """The stored state with its header, without its parts."""
        with self._reader.connect() as conn:
            return self._read(conn, with_body=True)

    def describe(self) -> SavedState | None:
        """The stored state without its body."""
        with self._reader.connect() as conn:
            return self._read(conn, with_body=False)

    def clear(self) -> None:
        with self._engine.begin() as conn:
            for table in (fraud_state_snapshots, fraud_state_snapshot_parts):
                conn.execute(delete(table).where(table.c.name == self.name))

    def discard(self, position: int, ledger_hash: str) -> None:
        """Delete the stored state if it is still the one saved at ``position`` with
        ``ledger_hash`` (one found unusable), not one saved since."""
        table, parts_table = fraud_state_snapshots, fraud_state_snapshot_parts
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(table).where(
                    table.c.name == self.name,
                    table.c.position == position,
                    table.c.ledger_hash == ledger_hash,
                )
            ).rowcount
            if gone:
                conn.execute(delete(parts_table).where(parts_table.c.name == self.name))

    def _read(self, conn: Connection, *, with_body: bool) -> SavedState | None:
        table = fraud_state_snapshots
        columns = [
            table.c.position,
            table.c.ledger_hash,
            table.c.saved_at,
            table.c.saved_by,
            table.c.size,
        ]
        if with_body:
            columns.append(table.c.body)
        row = conn.execute(select(*columns).where(table.c.name == self.name)).first()
        if row is None:
            return None
        t = fraud_state_snapshot_parts
        layers = conn.execute(
            select(func.count(distinct(t.c.position))).where(
                t.c.name == self.name, t.c.position <= row[0]
            )
        ).scalar()
        body = bytes(row[5]) if with_body else None
        return SavedState(
            int(row[0]),
            str(row[1]),
            str(row[2]),
            str(row[3]),
            int(row[4]),
            body,
            layers=int(layers or 0),
        )


__all__ = [
    "DECISION_ACTOR",
    "SavedState",
    "ScoringOwner",
    "SqlCaseRepository",
    "SqlDecisionStore",
    "SqlDeployedVersion",
    "SqlFraudPolicy",
    "SqlScoringLease",
    "SqlStateSnapshots",
    "StoredEvents",
    "decision_counts",
    "decision_row",
    "decisions_by_id",
    "decisions_for_customer",
    "last_simulated_txn",
    "ledger_hash_at",
    "ledger_head",
    "ledger_sink",
    "read_engine",
]
