"""SQL adapters of the fraud watch list (:mod:`dualtrack.fraud.watchlist`), SQLite and
PostgreSQL.

* :class:`SqlWatchlistRepository` is the list inside a unit of work (changes and reads).
* :class:`SqlWatchlistChanges` is what a scoring process polls, on the read engine: the
  payees whose rows changed after the revision it has.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from dualtrack.adapters.fraud_tables import fraud_watchlist as t_watch
from dualtrack.adapters.fraud_tables import fraud_watchlist_listings as t_listing
from dualtrack.adapters.fraud_tables import fraud_watchlist_revision as t_revision
from dualtrack.adapters.fraud_tables import fraud_watchlist_sources as t_sources
from dualtrack.fraud.domain import Action
from dualtrack.fraud.watchlist import (
    Listing,
    WatchEntry,
    WatchlistChanges,
    WatchSource,
    listing_action,
)

NAME = "fraud.watchlist"
#: payee IDs per ``IN`` list (bound parameters: SQLite allows 32,766, PostgreSQL 65,535)
_CHUNK = 1_000


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    """``values`` in lists of at most :data:`_CHUNK` (one ``IN`` list each)."""
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _entry(row: Any) -> WatchEntry:
    return WatchEntry(
        payee_id=row.payee_id,
        source=row.source,
        reason=row.reason,
        listed_by=row.listed_by,
        listed_at=row.listed_at,
        revision=int(row.revision),
        action=_action(row.action),
        listed=bool(row.listed),
        unlisted_by=row.unlisted_by,
        unlisted_at=row.unlisted_at,
        unlisted_reason=row.unlisted_reason,
        unlisted_in_sync=bool(row.unlisted_in_sync),
        payee_ref=row.payee_ref,
    )


def _listing(row: Any) -> Listing:
    return Listing(
        row.payee_id,
        row.source,
        _action(row.action),
        row.reason,
        row.listed_by,
        row.listed_at,
        review_by=row.review_by,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
    )


def _action(value: str) -> Action:
    # a value this code never writes is read as the strictest action
    return listing_action(value) or "block"


def _values(entry: WatchEntry) -> dict[str, Any]:
    return {
        "listed": entry.listed,
        "action": entry.action,
        "source": entry.source,
        "reason": entry.reason,
        "listed_by": entry.listed_by,
        "listed_at": entry.listed_at,
        "unlisted_by": entry.unlisted_by,
        "unlisted_at": entry.unlisted_at,
        "unlisted_reason": entry.unlisted_reason,
        "unlisted_in_sync": entry.unlisted_in_sync,
        "revision": entry.revision,
        "payee_ref": entry.payee_ref,
    }


def _revision(conn: Connection) -> int:
    value = conn.execute(select(t_revision.c.revision).where(t_revision.c.name == NAME)).scalar()
    return int(value or 0)


class SqlWatchlistRepository:
    """``WatchlistRepository`` over one connection (the unit of work's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def revision(self) -> int:
        return _revision(self._c)

    def lock(self) -> int:
        # SELECT ... FOR UPDATE takes the revision row's lock until the change commits: a
        # second writer waits here (PostgreSQL; on SQLite every write transaction begins
        # IMMEDIATE and holds the database's write lock), so it reads what the first wrote
        # (two writers listing one payee cannot both insert its listing) and revisions
        # become visible in order, so a reader never skips one
        value = self._c.execute(
            select(t_revision.c.revision).where(t_revision.c.name == NAME).with_for_update()
        ).scalar()
        return int(value or 0)

    def bump(self) -> int:
        value = self._c.execute(
            update(t_revision)
            .where(t_revision.c.name == NAME)
            .values(revision=t_revision.c.revision + 1)
            .returning(t_revision.c.revision)
        ).scalar()
        if value is None:  # a database created without the migration's first row
            self._c.execute(insert(t_revision).values(name=NAME, revision=1))
            return 1
        return int(value)

    def get(self, payee_ids: Sequence[str]) -> dict[str, WatchEntry]:
        found: dict[str, WatchEntry] = {}
        for chunk in _chunks(payee_ids):
            rows = self._c.execute(select(t_watch).where(t_watch.c.payee_id.in_(chunk)))
            found.update((row.payee_id, _entry(row)) for row in rows)
        return self._with_sources(found)

    def _with_sources(self, entries: dict[str, WatchEntry]) -> dict[str, WatchEntry]:
        sources = self._sources_of([p for p, e in entries.items() if e.listed])
        return {p: replace(e, sources=sources.get(p, ())) for p, e in entries.items()}

    def _sources_of(self, payee_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for chunk in _chunks(payee_ids):
            rows = self._c.execute(
                select(t_listing.c.payee_id, t_listing.c.source)
                .where(t_listing.c.payee_id.in_(chunk))
                .order_by(t_listing.c.payee_id, t_listing.c.source)
            )
            for payee_id, source in rows:
                found.setdefault(payee_id, []).append(source)
        return {p: tuple(s) for p, s in found.items()}

    def listings(self, payee_ids: Sequence[str]) -> dict[str, builtins.list[Listing]]:
        found: dict[str, builtins.list[Listing]] = {}
        for chunk in _chunks(payee_ids):
            rows = self._c.execute(select(t_listing).where(t_listing.c.payee_id.in_(chunk)))
            for row in rows:
                found.setdefault(row.payee_id, []).append(_listing(row))
        return found

    def add_listings(self, listings: Sequence[Listing]) -> None:
        rows = [x.to_dict() for x in listings]  # its keys are the table's columns
        for start in range(0, len(rows), _CHUNK):
            self._c.execute(insert(t_listing), rows[start : start + _CHUNK])

    def drop_listings(self, payee_ids: Sequence[str], *, source: str | None) -> None:
        for chunk in _chunks(payee_ids):
            where: builtins.list[ColumnElement[bool]] = [t_listing.c.payee_id.in_(chunk)]
            if source is not None:
                where.append(t_listing.c.source == source)
            self._c.execute(delete(t_listing).where(*where))

    def put(self, entries: Sequence[WatchEntry], *, stored: Collection[str]) -> None:
        existing = set(stored)
        new = [
            {"payee_id": e.payee_id, **_values(e)} for e in entries if e.payee_id not in existing
        ]
        for start in range(0, len(new), _CHUNK):
            self._c.execute(insert(t_watch), new[start : start + _CHUNK])
        for entry in entries:
            if entry.payee_id in existing:
                self._c.execute(
                    update(t_watch)
                    .where(t_watch.c.payee_id == entry.payee_id)
                    .values(**_values(entry))
                )

    def page(self, *, offset: int, limit: int, listed: bool) -> builtins.list[WatchEntry]:
        rows = self._c.execute(
            select(t_watch)
            .where(t_watch.c.listed.is_(listed))
            .order_by(t_watch.c.revision.desc(), t_watch.c.payee_id)
            .offset(offset)
            .limit(limit)
        )
        page = {row.payee_id: _entry(row) for row in rows}
        return builtins.list(self._with_sources(page).values())

    def count(self, *, listed: bool) -> int:
        return int(
            self._c.execute(
                select(func.count()).select_from(t_watch).where(t_watch.c.listed.is_(listed))
            ).scalar()
            or 0
        )

    def changes(self, after: int) -> WatchlistChanges:
        return changes_after(self._c, after)

    def listed_from(self, source: str) -> dict[str, Action]:
        rows = self._c.execute(
            select(t_listing.c.payee_id, t_listing.c.action).where(t_listing.c.source == source)
        )
        return {payee_id: _action(action) for payee_id, action in rows}

    def set_review(
        self,
        payee_ids: Sequence[str],
        *,
        source: str,
        review_by: str,
        by: str,
        at: str,
        note: str,
    ) -> None:
        for chunk in _chunks(payee_ids):
            self._c.execute(
                update(t_listing)
                .where(t_listing.c.payee_id.in_(chunk), t_listing.c.source == source)
                .values(review_by=review_by, reviewed_by=by, reviewed_at=at, review_note=note)
            )

    def due(self, *, on: str, offset: int, limit: int) -> tuple[builtins.list[Listing], int]:
        where = t_listing.c.review_by <= on  # ISO dates compare as text
        rows = self._c.execute(
            select(t_listing)
            .where(where)
            .order_by(t_listing.c.review_by, t_listing.c.payee_id, t_listing.c.source)
            .offset(offset)
            .limit(limit)
        )
        total = self._c.execute(select(func.count()).select_from(t_listing).where(where))
        return [_listing(row) for row in rows], int(total.scalar() or 0)

    def by_refs(self, refs: Sequence[str]) -> dict[str, WatchEntry]:
        """Entries by payee pseudonym (:attr:`WatchEntry.payee_ref`), with their sources."""
        found: dict[str, WatchEntry] = {}
        for chunk in _chunks(refs):
            rows = self._c.execute(select(t_watch).where(t_watch.c.payee_ref.in_(chunk)))
            found.update((row.payee_id, _entry(row)) for row in rows)
        return {e.payee_ref or "": e for e in self._with_sources(found).values()}

    def without_ref(self) -> builtins.list[str]:
        """Payees stored before their pseudonym was (migration ``fraud_0007``)."""
        rows = self._c.execute(select(t_watch.c.payee_id).where(t_watch.c.payee_ref.is_(None)))
        return builtins.list(rows.scalars())

    def set_refs(self, refs: dict[str, str]) -> None:
        rows = [{"p": payee_id, "r": ref} for payee_id, ref in refs.items()]
        statement = (
            update(t_watch)
            .where(t_watch.c.payee_id == bindparam("p"))
            .values(payee_ref=bindparam("r"))
        )
        for start in range(0, len(rows), _CHUNK):
            self._c.execute(statement, rows[start : start + _CHUNK])

    def taken_off_by_hand(self) -> set[str]:
        rows = self._c.execute(
            select(t_watch.c.payee_id).where(
                t_watch.c.listed.is_(False), t_watch.c.unlisted_in_sync.is_(False)
            )
        )
        return set(rows.scalars())

    def record_sync(self, source: str, *, at: str, by: str, revision: int) -> None:
        values = {"synced_at": at, "synced_by": by, "revision": revision}
        done = self._c.execute(
            update(t_sources).where(t_sources.c.source == source).values(**values)
        )
        if done.rowcount == 0:
            self._c.execute(insert(t_sources).values(source=source, **values))

    def sources(self) -> builtins.list[WatchSource]:
        listed = {
            source: (int(count), latest)
            for source, count, latest in self._c.execute(
                select(t_listing.c.source, func.count(), func.max(t_listing.c.listed_at)).group_by(
                    t_listing.c.source
                )
            )
        }
        synced = {row.source: row for row in self._c.execute(select(t_sources))}
        found = []
        for source in sorted(set(listed) | set(synced)):
            count, latest = listed.get(source, (0, None))
            sync = synced.get(source)
            found.append(
                WatchSource(
                    source,
                    count,
                    latest,
                    synced_at=sync.synced_at if sync else None,
                    synced_by=sync.synced_by if sync else None,
                    synced_revision=int(sync.revision) if sync else None,
                )
            )
        return found


def changes_after(conn: Connection, after: int) -> WatchlistChanges:
    """The rows changed after revision ``after``, as of the revision read first.

    The revision is read before the rows: a change committing in between is then read
    again on the next poll, which is harmless (listing a listed payee again changes
    nothing), whereas reading the rows first could skip it for good."""
    revision = _revision(conn)
    if revision <= after:
        return WatchlistChanges(revision)
    listed: list[tuple[str, Action]] = []
    unlisted: list[str] = []
    rows = conn.execute(
        select(t_watch.c.payee_id, t_watch.c.listed, t_watch.c.action).where(
            t_watch.c.revision > after
        )
    )
    for payee_id, is_listed, action in rows:
        if is_listed:
            listed.append((payee_id, _action(action)))
        else:
            unlisted.append(payee_id)
    return WatchlistChanges(revision, tuple(listed), tuple(unlisted))


#: a change this large has PostgreSQL's statistics refreshed at once (see
#: :func:`refresh_statistics`)
BULK_CHANGE = 10_000


def refresh_statistics(engine: Engine, changed: int) -> None:
    """After a large import, have PostgreSQL sample the list again. Until autovacuum gets
    to it, the planner does not know that almost every row has an old revision and reads
    the whole table for each scoring process's next poll (13 ms per 100k rows here)
    instead of the revision index. SQLite plans with the index anyway."""
    if changed >= BULK_CHANGE and engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE fraud_watchlist"))
            conn.commit()


class SqlWatchlistChanges:
    """``WatchlistSource`` for scoring: :func:`changes_after` on the read engine."""

    def __init__(self, reader: Engine) -> None:
        self._reader = reader

    def changes(self, after: int) -> WatchlistChanges:
        with self._reader.connect() as conn:
            return changes_after(conn, after)


__all__ = [
    "SqlWatchlistChanges",
    "SqlWatchlistRepository",
    "changes_after",
    "refresh_statistics",
]
