"""SQL implementations of the storage ports (SQLite and PostgreSQL through SQLAlchemy Core)."""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Table, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from dualtrack.controls.domain import Evidence, EvidenceKind
from dualtrack.errors import Conflict
from dualtrack.identity.domain import Role, User
from dualtrack.ledger.domain import GENESIS_HASH, LedgerEntry, format_time, seal
from dualtrack.registry.domain import AISystem, Lifecycle, ModelVersion
from dualtrack.validation_records import ValidationRecord

from . import tables as t

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _dump(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _execute_unique(conn: Connection, statement: Executable, conflict: Conflict) -> Any:
    """Run a write in a savepoint; a uniqueness violation becomes ``conflict`` and leaves the
    surrounding transaction usable."""
    try:
        with conn.begin_nested():
            return conn.execute(statement)
    except IntegrityError as exc:
        raise conflict from exc


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def _user(self, row: Any) -> User:
        return User(row.id, row.username, row.display_name, Role(row.role), bool(row.active))

    def add(self, user: User, password_hash: str | None) -> None:
        self._c.execute(
            insert(t.users).values(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                active=user.active,
                password_hash=password_hash,
            )
        )

    def get(self, user_id: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return self._user(row) if row else None

    def get_by_username(self, username: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.username == username)).first()
        return self._user(row) if row else None

    def password_hash(self, user_id: str) -> str | None:
        value = self._c.execute(
            select(t.users.c.password_hash).where(t.users.c.id == user_id)
        ).scalar()
        return str(value) if value else None

    def list(self) -> builtins.list[User]:
        rows = self._c.execute(select(t.users).order_by(t.users.c.username))
        return [self._user(row) for row in rows]

    def set_role(self, user_id: str, role: Role) -> None:
        # Keys carry the role they were issued for; a role change revokes them.
        self._c.execute(update(t.users).where(t.users.c.id == user_id).values(role=role.value))
        self._c.execute(
            update(t.api_keys).where(t.api_keys.c.user_id == user_id).values(revoked=True)
        )

    def add_api_key(self, key_id: str, user_id: str, role: Role, digest: str, label: str) -> None:
        self._c.execute(
            insert(t.api_keys).values(
                key_id=key_id, user_id=user_id, role=role.value, digest=digest, label=label
            )
        )

    def get_api_key(self, key_id: str) -> tuple[str, Role, str, bool] | None:
        row = self._c.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        if row is None:
            return None
        return row.user_id, Role(row.role), row.digest, bool(row.revoked)


class SqlSystemRepository:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._c = conn
        self._clock = clock

    def _revision(self, system: AISystem, actor: str, change: str) -> None:
        self._c.execute(
            insert(t.ai_system_revisions).values(
                system_id=system.id,
                revision=system.revision,
                recorded_at=format_time(self._clock()),
                actor=actor,
                change=change,
                data=_dump(system.to_json()),
            )
        )

    def add(self, system: AISystem, *, actor: str, change: str) -> None:
        _execute_unique(
            self._c,
            insert(t.ai_systems).values(
                id=system.id,
                name=system.attributes.name,
                tier=system.tier.value,
                revision=system.revision,
                updated_at=system.updated_at,
                data=_dump(system.to_json()),
            ),
            Conflict("an AI system with that name exists", name=system.attributes.name),
        )
        self._revision(system, actor, change)

    def update(self, system: AISystem, *, actor: str, change: str) -> None:
        result = _execute_unique(
            self._c,
            update(t.ai_systems)
            .where(
                and_(
                    t.ai_systems.c.id == system.id,
                    t.ai_systems.c.revision == system.revision - 1,
                )
            )
            .values(
                name=system.attributes.name,
                tier=system.tier.value,
                revision=system.revision,
                updated_at=system.updated_at,
                data=_dump(system.to_json()),
            ),
            Conflict("an AI system with that name exists", name=system.attributes.name),
        )
        if result.rowcount != 1:
            raise Conflict("the AI system changed meanwhile; reload and retry", system_id=system.id)
        self._revision(system, actor, change)

    def get(self, system_id: str) -> AISystem | None:
        data = self._c.execute(
            select(t.ai_systems.c.data).where(t.ai_systems.c.id == system_id)
        ).scalar()
        return AISystem.from_json(json.loads(data)) if data else None

    def get_by_name(self, name: str) -> AISystem | None:
        data = self._c.execute(
            select(t.ai_systems.c.data).where(t.ai_systems.c.name == name)
        ).scalar()
        return AISystem.from_json(json.loads(data)) if data else None

    def list(self) -> builtins.list[AISystem]:
        rows = self._c.execute(select(t.ai_systems.c.data).order_by(t.ai_systems.c.name))
        return [AISystem.from_json(json.loads(r.data)) for r in rows]

    def list_as_of(self, moment: str) -> builtins.list[AISystem]:
        r = t.ai_system_revisions
        latest = (
            select(r.c.system_id, func.max(r.c.revision).label("rev"))
            .where(r.c.recorded_at <= moment)
            .group_by(r.c.system_id)
            .subquery()
        )
        rows = self._c.execute(
            select(r.c.data).join(
                latest, and_(r.c.system_id == latest.c.system_id, r.c.revision == latest.c.rev)
            )
        )
        systems = [AISystem.from_json(json.loads(row.data)) for row in rows]
        return sorted(systems, key=lambda s: s.attributes.name)

    def history(self, system_id: str) -> builtins.list[dict[str, Any]]:
        r = t.ai_system_revisions
        rows = self._c.execute(select(r).where(r.c.system_id == system_id).order_by(r.c.revision))
        return [
            {
                "revision": row.revision,
                "recorded_at": row.recorded_at,
                "actor": row.actor,
                "change": row.change,
                "snapshot": json.loads(row.data),
            }
            for row in rows
        ]


class SqlVersionRepository:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._c = conn
        self._clock = clock

    def _revision(self, version: ModelVersion, actor: str, change: str) -> None:
        self._c.execute(
            insert(t.model_version_revisions).values(
                version_id=version.id,
                recorded_at=format_time(self._clock()),
                actor=actor,
                change=change,
                data=_dump(version.to_json()),
            )
        )

    def add(self, version: ModelVersion, *, actor: str, change: str) -> None:
        _execute_unique(
            self._c,
            insert(t.model_versions).values(
                id=version.id,
                system_id=version.system_id,
                version=version.version,
                state=version.state.value,
                updated_at=version.updated_at,
                data=_dump(version.to_json()),
            ),
            Conflict("that version label exists for this system", version=version.version),
        )
        self._revision(version, actor, change)

    def update(self, version: ModelVersion, *, actor: str, change: str) -> None:
        self._c.execute(
            update(t.model_versions)
            .where(t.model_versions.c.id == version.id)
            .values(
                state=version.state.value,
                updated_at=version.updated_at,
                data=_dump(version.to_json()),
            )
        )
        self._revision(version, actor, change)

    def get(self, version_id: str) -> ModelVersion | None:
        data = self._c.execute(
            select(t.model_versions.c.data).where(t.model_versions.c.id == version_id)
        ).scalar()
        return ModelVersion.from_json(json.loads(data)) if data else None

    def list_for_system(self, system_id: str) -> builtins.list[ModelVersion]:
        rows = self._c.execute(
            select(t.model_versions.c.data)
            .where(t.model_versions.c.system_id == system_id)
            .order_by(t.model_versions.c.updated_at)
        )
        return [ModelVersion.from_json(json.loads(r.data)) for r in rows]

    def list_in_states(self, states: frozenset[Lifecycle]) -> builtins.list[ModelVersion]:
        rows = self._c.execute(
            select(t.model_versions.c.data)
            .where(t.model_versions.c.state.in_([s.value for s in states]))
            .order_by(t.model_versions.c.updated_at)
        )
        return [ModelVersion.from_json(json.loads(r.data)) for r in rows]

    def list_as_of(self, moment: str) -> builtins.list[ModelVersion]:
        r = t.model_version_revisions
        latest = (
            select(r.c.version_id, func.max(r.c.id).label("rid"))
            .where(r.c.recorded_at <= moment)
            .group_by(r.c.version_id)
            .subquery()
        )
        rows = self._c.execute(select(r.c.data).join(latest, r.c.id == latest.c.rid))
        return [ModelVersion.from_json(json.loads(row.data)) for row in rows]

    def history(self, version_id: str) -> builtins.list[dict[str, Any]]:
        r = t.model_version_revisions
        rows = self._c.execute(select(r).where(r.c.version_id == version_id).order_by(r.c.id))
        return [
            {
                "recorded_at": row.recorded_at,
                "actor": row.actor,
                "change": row.change,
                "state": json.loads(row.data)["state"],
            }
            for row in rows
        ]


class SqlEvidenceRepository:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, item: Evidence) -> None:
        self._c.execute(
            insert(t.evidence).values(
                id=item.id,
                system_id=item.system_id,
                control_id=item.control_id,
                added_at=item.added_at,
                data=_dump(item.to_json()),
            )
        )

    def list_for_system(self, system_id: str) -> builtins.list[Evidence]:
        rows = self._c.execute(
            select(t.evidence.c.data)
            .where(t.evidence.c.system_id == system_id)
            .order_by(t.evidence.c.added_at)
        )
        out = []
        for row in rows:
            d = json.loads(row.data)
            out.append(
                Evidence(
                    d["id"],
                    d["system_id"],
                    d["control_id"],
                    EvidenceKind(d["kind"]),
                    d["reference"],
                    d["sha256"],
                    d["note"],
                    d["verdict"],
                    d["added_by"],
                    d["added_at"],
                )
            )
        return out


class SqlValidationRepository:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, record: ValidationRecord) -> None:
        data = record.to_json() | {"result": record.result}
        self._c.execute(
            insert(t.validation_runs).values(
                id=record.id,
                version_id=record.version_id,
                created_at=record.created_at,
                passed=record.passed,
                data=_dump(data),
            )
        )

    def update(self, record: ValidationRecord) -> None:
        data = record.to_json() | {"result": record.result}
        self._c.execute(
            update(t.validation_runs)
            .where(t.validation_runs.c.id == record.id)
            .values(data=_dump(data), passed=record.passed)
        )

    @staticmethod
    def _record(raw: str) -> ValidationRecord:
        d = json.loads(raw)
        return ValidationRecord(
            id=d["id"],
            version_id=d["version_id"],
            system_id=d["system_id"],
            performed_by=d["performed_by"],
            passed=d["passed"],
            summary=d["summary"],
            artifact_sha256=d["artifact_sha256"],
            data_fingerprint=d["data_fingerprint"],
            created_at=d["created_at"],
            controls=tuple(d.get("controls", ())),
            result=d.get("result", {}),
            override_by=d.get("override_by"),
            override_reason=d.get("override_reason"),
        )

    def get(self, record_id: str) -> ValidationRecord | None:
        raw = self._c.execute(
            select(t.validation_runs.c.data).where(t.validation_runs.c.id == record_id)
        ).scalar()
        return self._record(raw) if raw else None

    def list_for_version(self, version_id: str) -> builtins.list[ValidationRecord]:
        rows = self._c.execute(
            select(t.validation_runs.c.data)
            .where(t.validation_runs.c.version_id == version_id)
            .order_by(t.validation_runs.c.created_at)
        )
        return [self._record(r.data) for r in rows]


def _fit(value: str, limit: int) -> str:
    """Identifiers longer than their ledger column become a stable digest (callers keep the
    full value in the payload when they need it)."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[: limit - 7]


_INSERT_SQL: dict[tuple[str, tuple[str, ...], str], str] = {}


def placeholder(conn: Connection) -> str:
    """The driver's positional parameter marker, for SQL handed to ``exec_driver_sql``:
    ``?`` for SQLite, ``%s`` for psycopg."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: builtins.list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) with the driver's ``executemany``.

    For the hot paths' flat rows of strings and numbers: the same INSERT as
    ``conn.execute(insert(table), dicts)``, without SQLAlchemy building and processing a
    parameter dictionary per row (about half the cost of a 50-row insert on SQLite)."""
    style = conn.dialect.paramstyle
    key = (table.name, columns, style)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        missing = [name for name in columns if name not in table.c]
        if missing:
            raise ValueError(f"{table.name} has no columns {missing}")
        marker = placeholder(conn)
        sql = _INSERT_SQL[key] = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))})"
        )
    conn.exec_driver_sql(sql, rows)


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        row.seq,
        row.recorded_at,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        row.payload,
        row.prev_hash,
        row.hash,
    )


_LEDGER_COLUMNS = (
    "seq",
    "recorded_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "payload",
    "prev_hash",
    "hash",
)


class SqlLedgerRepository:
    """Append-only, hash-chained ledger. Appends happen inside the caller's transaction."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._c = conn
        self._clock = clock

    def _lock_head(self) -> tuple[int, str]:
        # driver-level text: this runs on every append of every hot path
        lock = " FOR UPDATE" if self._c.dialect.name == "postgresql" else ""
        row = self._c.exec_driver_sql(
            f"SELECT seq, hash FROM {t.ledger_head.name} WHERE id = 1{lock}"
        ).first()
        if row is None:
            self._c.execute(insert(t.ledger_head).values(id=1, seq=0, hash=GENESIS_HASH))
            return 0, GENESIS_HASH
        return int(row.seq), str(row.hash)

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        return self.record_many([(actor, action, subject_type, subject_id, payload)])[0]

    def record_many(
        self, items: list[tuple[str, str, str, str, Mapping[str, Any]]]
    ) -> builtins.list[LedgerEntry]:
        """Append several entries under one head lock (group commit for hot paths)."""
        seq, prev = self._lock_head()
        at = format_time(self._clock())
        entries = []
        for raw_actor, action, raw_type, raw_subject, payload in items:
            actor, subject_type = _fit(raw_actor, 100), _fit(raw_type, 40)
            subject_id = _fit(raw_subject, 100)
            seq += 1
            entry = seal(
                seq=seq,
                recorded_at=at,
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                payload=payload,
                prev_hash=prev,
            )
            entries.append(entry)
            prev = entry.hash
        insert_rows(
            self._c,
            t.ledger_entries,
            _LEDGER_COLUMNS,
            [
                (
                    e.seq,
                    e.recorded_at,
                    e.actor,
                    e.action,
                    e.subject_type,
                    e.subject_id,
                    e.payload_json,
                    e.prev_hash,
                    e.hash,
                )
                for e in entries
            ],
        )
        marker = placeholder(self._c)
        self._c.exec_driver_sql(
            f"UPDATE {t.ledger_head.name} SET seq = {marker}, hash = {marker} WHERE id = 1",
            (seq, prev),
        )
        return entries

    def head(self) -> tuple[int, str]:
        row = self._c.execute(
            select(t.ledger_head.c.seq, t.ledger_head.c.hash).where(t.ledger_head.c.id == 1)
        ).first()
        return (int(row.seq), str(row.hash)) if row else (0, GENESIS_HASH)

    def iter_entries(self, after_seq: int = 0, batch: int = 1000) -> Iterator[LedgerEntry]:
        last = after_seq
        while True:
            rows = self._c.execute(
                select(t.ledger_entries)
                .where(t.ledger_entries.c.seq > last)
                .order_by(t.ledger_entries.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield _entry(row)
            last = rows[-1].seq

    def page(
        self,
        *,
        before_seq: int | None,
        limit: int,
        subject_id: str | None = None,
        subject_type: str | None = None,
    ) -> builtins.list[LedgerEntry]:
        stmt = select(t.ledger_entries).order_by(t.ledger_entries.c.seq.desc()).limit(limit)
        if before_seq is not None:
            stmt = stmt.where(t.ledger_entries.c.seq < before_seq)
        if subject_id is not None:
            stmt = stmt.where(t.ledger_entries.c.subject_id == subject_id)
        if subject_type is not None:
            stmt = stmt.where(t.ledger_entries.c.subject_type == subject_type)
        return [_entry(row) for row in self._c.execute(stmt)]


class SqlUnitOfWork:
    """One database transaction. Leaving the block without ``commit()`` rolls back."""

    def __init__(self, engine: Engine, clock: Clock = utc_now, *, readonly: bool = False) -> None:
        self._engine = engine
        self._clock = clock
        self._readonly = readonly
        self._conn: Connection | None = None

    def now(self) -> datetime:
        return self._clock()

    @property
    def connection(self) -> Connection:
        assert self._conn is not None
        return self._conn

    def __enter__(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._readonly:
            conn = conn.execution_options(dualtrack_readonly=True)
        conn.begin()
        self._conn = conn
        self.users = SqlUserRepository(conn)
        self.systems = SqlSystemRepository(conn, self._clock)
        self.versions = SqlVersionRepository(conn, self._clock)
        self.evidence = SqlEvidenceRepository(conn)
        self.validations = SqlValidationRepository(conn)
        self.audit = SqlLedgerRepository(conn, self._clock)
        return self

    def commit(self) -> None:
        if self._readonly:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.connection.commit()

    def __exit__(self, *exc: object) -> None:
        conn = self._conn
        self._conn = None
        if conn is not None:
            conn.rollback()
            conn.close()


__all__ = ["SqlUnitOfWork", "utc_now"]
