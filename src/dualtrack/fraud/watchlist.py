"""The high-risk payee watch list: who listed a payee, why, and when scoring sees it.

Banks block or hold payments to accounts and FPS proxies that the police or their own
investigations have flagged (the Police Scameter list, confirmed mule accounts). The list
changes every day, so it is stored, not shipped: each change is made by a named user, is
ledgered in the same transaction, and bumps the list's *revision*. A scoring process asks
for the changes after the revision it has (:meth:`WatchlistRepository.changes`) at most
once a second and applies them without a restart; every process on the database sees the
same list.

Payee IDs are kept and matched in a canonical form (:func:`canonical_payee`), so that a
listing of ``+852 9123 4567`` matches a payment to ``+852-91234567`` or ``91234567``, and
``004-123-456789-001`` matches ``004123456789001``.

Payee IDs (account numbers, phone numbers, e-mail proxies) may identify a person, so they
never go into the ledger, logs or error messages: the ledger keeps their keyed pseudonyms
(the same ones the fraud path's privacy policy gives the ``payee_id`` field), and an error
names the offending line, not its text. Free-text reasons stay in the list's table.

Each listing says what scoring does with a payment to the payee: ``review`` (hold it and
warn the customer before they confirm, as the HKMA's Suspicious Account Alert does for
payees that the Police's Scameter marks "High Risk") or ``block`` (a confirmed mule
account). A source listing a payee it lists already can make that listing's action
stricter, never milder.

A payee may be listed by several sources at once (the Scameter extract, the bank's own
investigation), each a :class:`Listing` of its own; the payee is on the list while any
source lists it, with the strictest of their actions. A source that publishes its whole
list (a Scameter extract each day) is *synced*: that source's listings of payees missing
from the new extract are dropped (a payee another source lists stays on the list), and the
source's refresh time is recorded (:meth:`WatchlistService.sync_source`). Taking a payee
off by hand drops every source's listing: a compliance decision covers them all.

A listing may carry a date by which someone must review it (the bank's own listings: a
feed is reviewed by its publisher). Listings past that date are *due*
(:meth:`WatchlistService.due`); they stay in force until a compliance officer keeps them
with a next date (:meth:`WatchlistService.review`) or takes the payee off, since letting
payments to a suspected mule through is a person's decision, not a timer's.

Who may do what: fraud analysts, compliance officers and admins list payees; only
compliance officers and admins take a payee off the list (taking one off lets payments to
a suspected mule through again) or sync a source (which takes payees off); auditors and
senior managers may also read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from dualtrack.errors import InvalidInput, RoleNotAllowed
from dualtrack.fraud.domain import ACTION_RANK, Action
from dualtrack.identity.domain import Actor, Role
from dualtrack.ledger.ports import AuditSink

MAX_PAYEE_ID = 128
MAX_SOURCE = 64
MAX_REASON = 500
#: the furthest a review date may be set: three years (the bank's own policy may be shorter)
MAX_REVIEW_DAYS = 1_096
HK_OFFSET = timedelta(hours=8)
#: payee pseudonyms named in one ledger entry; a larger change is recorded by its count and
#: the sha256 of all its pseudonyms
LEDGER_REFS = 50

LIST_ROLES = frozenset({Role.ANALYST, Role.COMPLIANCE_OFFICER, Role.ADMIN})
UNLIST_ROLES = frozenset({Role.COMPLIANCE_OFFICER, Role.ADMIN})
READ_ROLES = LIST_ROLES | {Role.AUDITOR, Role.SENIOR_MANAGER}

LEDGER_SUBJECT = ("fraud_watchlist", "payees")
LISTING_ACTIONS: tuple[Action, ...] = ("review", "block")


@dataclass(frozen=True, slots=True)
class Listing:
    """One source's listing of a payee (a payee listed by two sources has two), with the
    date (Hong Kong) by which someone must review it, if it has one, and who last did."""

    payee_id: str
    source: str
    action: Action
    reason: str
    listed_by: str
    listed_at: str
    review_by: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "payee_id": self.payee_id,
            "source": self.source,
            "action": self.action,
            "reason": self.reason,
            "listed_by": self.listed_by,
            "listed_at": self.listed_at,
            "review_by": self.review_by,
            "reviewed_by": self.reviewed_by,
            "reviewed_at": self.reviewed_at,
            "review_note": self.review_note,
        }


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One payee on the list (``listed``) or taken off it (``unlisted_*`` set).

    A listed payee's action, source, reason and listing user and time are those of the
    listing that sets its action (the strictest; of equals, the earliest); ``sources``
    names every source that lists it now."""

    payee_id: str
    source: str
    reason: str
    listed_by: str
    listed_at: str
    revision: int
    action: Action = "block"
    listed: bool = True
    unlisted_by: str | None = None
    unlisted_at: str | None = None
    unlisted_reason: str | None = None
    #: taken off by a sync (its source dropped it), not by a person
    unlisted_in_sync: bool = False
    sources: tuple[str, ...] = ()
    #: the payee's keyed pseudonym, as scored payments carry it (None: listed before
    #: migration fraud_0007 and not looked up since)
    payee_ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "payee_id": self.payee_id,
            "listed": self.listed,
            "action": self.action,
            "source": self.source,
            "sources": list(self.sources),
            "reason": self.reason,
            "listed_by": self.listed_by,
            "listed_at": self.listed_at,
            "unlisted_by": self.unlisted_by,
            "unlisted_at": self.unlisted_at,
            "unlisted_reason": self.unlisted_reason,
            "unlisted_in_sync": self.unlisted_in_sync,
            "revision": self.revision,
        }


@dataclass(frozen=True, slots=True)
class WatchlistChanges:
    """What changed after a revision: payees listed (with their action) and payees taken
    off, as of ``revision``. Applying them to the list as it was at the earlier revision
    gives the list at ``revision``."""

    revision: int
    listed: tuple[tuple[str, Action], ...] = ()
    unlisted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchlistEdit:
    """The outcome of one change: how many payees it changed and how many it left alone."""

    changed: int
    unchanged: int
    revision: int

    def to_dict(self) -> dict[str, int]:
        return {"changed": self.changed, "unchanged": self.unchanged, "revision": self.revision}


@dataclass(frozen=True, slots=True)
class WatchlistSync:
    """The outcome of syncing a source with its whole published list: the source's
    listings added (or made stricter) and dropped; of the dropped, how many payees another
    source still lists (``still_listed``: they stay on the list)."""

    source: str
    listed: int
    unlisted: int
    unchanged: int
    revision: int
    synced_at: str
    #: payees in the source's list that a person took off: a sync does not list them again
    held_off: int = 0
    still_listed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "listed": self.listed,
            "unlisted": self.unlisted,
            "still_listed": self.still_listed,
            "unchanged": self.unchanged,
            "held_off": self.held_off,
            "revision": self.revision,
            "synced_at": self.synced_at,
        }


@dataclass(frozen=True, slots=True)
class WatchSource:
    """Where listings come from: how many payees each source lists now (a payee two
    sources list counts for both), its latest listing, and (for a synced source) when, by
    whom and at which revision it was last refreshed."""

    source: str
    listed: int
    latest_listing: str | None
    synced_at: str | None = None
    synced_by: str | None = None
    synced_revision: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "listed": self.listed,
            "latest_listing": self.latest_listing,
            "synced_at": self.synced_at,
            "synced_by": self.synced_by,
            "synced_revision": self.synced_revision,
        }


@dataclass(frozen=True, slots=True)
class DueListings:
    """Listings whose review date has come (on ``today``, a Hong Kong date), earliest
    first, and how many there are."""

    listings: tuple[Listing, ...]
    total: int
    today: str
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "total": self.total,
            "offset": self.offset,
            "listings": [x.to_dict() for x in self.listings],
        }


@dataclass(frozen=True, slots=True)
class WatchlistPage:
    entries: tuple[WatchEntry, ...]
    total: int
    revision: int
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "total": self.total,
            "offset": self.offset,
            "entries": [e.to_dict() for e in self.entries],
        }


class WatchlistRepository(Protocol):
    """The stored list: one entry per payee (what scoring reads, :meth:`changes`) and the
    sources' listings behind it. A change first calls ``lock``, which makes writers of the
    list wait for each other until the change commits (so each reads what the one before
    it wrote, and revisions commit in order) and returns the revision; ``bump`` raises the
    revision and returns it, once per change that changes something. Entries read by
    ``get`` and ``page`` carry the sources that list them. ``put`` is told which of its payees have an entry
    already (``stored``: the caller has read them); ``add_listings`` adds listings a
    source does not have yet (a replaced one is dropped first)."""

    def revision(self) -> int: ...
    def lock(self) -> int: ...
    def bump(self) -> int: ...
    def get(self, payee_ids: Sequence[str]) -> dict[str, WatchEntry]: ...
    def put(self, entries: Sequence[WatchEntry], *, stored: Collection[str]) -> None: ...
    def listings(self, payee_ids: Sequence[str]) -> dict[str, list[Listing]]: ...
    def add_listings(self, listings: Sequence[Listing]) -> None: ...
    def drop_listings(self, payee_ids: Sequence[str], *, source: str | None) -> None: ...
    def page(self, *, offset: int, limit: int, listed: bool) -> list[WatchEntry]: ...
    def count(self, *, listed: bool) -> int: ...
    def changes(self, after: int) -> WatchlistChanges: ...
    def listed_from(self, source: str) -> dict[str, Action]: ...
    def set_review(
        self,
        payee_ids: Sequence[str],
        *,
        source: str,
        review_by: str,
        by: str,
        at: str,
        note: str,
    ) -> None: ...
    def due(self, *, on: str, offset: int, limit: int) -> tuple[list[Listing], int]: ...
    def taken_off_by_hand(self) -> set[str]: ...
    def record_sync(self, source: str, *, at: str, by: str, revision: int) -> None: ...
    def sources(self) -> list[WatchSource]: ...


def parse_payee_ids(lines: Iterable[str], *, first_line: int = 1) -> list[str]:
    """Payee IDs from text, one per line; blank lines and ``#`` comments are skipped and
    repeats kept once. A bad line refuses the whole input, naming up to 20 line numbers
    (never their text)."""
    found: dict[str, None] = {}
    problems: list[str] = []
    for number, line in enumerate(lines, start=first_line):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        problem = payee_id_problem(text)
        if problem:
            problems.append(f"line {number}: {problem}")
            if len(problems) >= 20:
                break
            continue
        found[text] = None
    if problems:
        raise InvalidInput("the watch list has bad lines: " + "; ".join(problems), lines=problems)
    return list(found)


def payee_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a listed payee ID (None when it can)."""
    if not value:
        return "the payee ID is empty"
    if len(value) > MAX_PAYEE_ID:
        return f"the payee ID is longer than {MAX_PAYEE_ID} characters"
    if value != value.strip() or any(not c.isprintable() for c in value):
        # spaces inside are kept (transactions may carry "004 123456 001"); tabs, line
        # breaks and other control characters are not
        return "the payee ID contains control characters or surrounding spaces"
    return None


_SEPARATORS = str.maketrans("", "", " -.()/")
_HK_PREFIXES = ("+852", "00852", "(852)", "852 ", "852-")


def canonical_payee(value: str) -> str:
    """The form a payee ID is listed and matched in (our rule, not a standard):

    * an e-mail proxy (it has an ``@``): lower case;
    * anything else: spaces, dashes, dots, brackets and slashes removed, letters in upper
      case; a Hong Kong phone number written with its country code (``+852``, ``00852``,
      ``(852)``, or ``852`` followed by a space or dash) and 8 digits starting 2-9 becomes
      the 8 digits. A bare ``852`` run into the digits is left alone: it could begin an
      account number.
    """
    text = value.strip()
    if "@" in text:
        return text.lower()
    compact = text.translate(_SEPARATORS).upper()
    if text.startswith(_HK_PREFIXES):
        local = compact.removeprefix("+").removeprefix("00").removeprefix("852")
        if len(local) == 8 and local.isdigit() and local[0] in "23456789":
            return local
    return compact or text


def _check_ids(payee_ids: Sequence[str]) -> list[str]:
    if not payee_ids:
        raise InvalidInput("name at least one payee ID")
    problems = []
    for i, value in enumerate(payee_ids):
        problem = payee_id_problem(value.strip() if isinstance(value, str) else "")
        if problem:
            problems.append(f"payee {i + 1}: {problem}")
    if problems:
        raise InvalidInput("invalid payee IDs: " + "; ".join(problems[:20]), payees=problems[:20])
    return list(dict.fromkeys(canonical_payee(v) for v in payee_ids))


def _check_text(value: str, name: str, limit: int, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"give a {name}", field=name)
    if len(text) > limit:
        raise InvalidInput(f"the {name} is longer than {limit} characters", field=name)
    if any(not c.isprintable() for c in text):
        raise InvalidInput(f"the {name} contains control characters", field=name)
    return text


class WatchlistService:
    """Changes and reads of the list inside one unit of work (the caller commits)."""

    def __init__(
        self,
        repo: WatchlistRepository,
        audit: AuditSink,
        payee_ref: Callable[[str], str],
        now: Callable[[], str],
    ) -> None:
        self._repo = repo
        self._audit = audit
        self._payee_ref = payee_ref
        self._now = now

    def list_payees(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        reason: str = "",
        action: str = "block",
        review_by: str | None = None,
    ) -> WatchlistEdit:
        """List payees under ``source`` with ``action``. A payee ``source`` already lists
        is left as it is, unless ``action`` is stricter: then the new listing replaces the
        old. Another source's listing of the payee is kept beside it; the payee's action is
        the strictest of them. ``changed`` counts the listings added or made stricter.
        ``review_by`` (a Hong Kong date after today, within :data:`MAX_REVIEW_DAYS`) is
        when someone must look at the listings again (:meth:`due`, :meth:`review`)."""
        _allowed(actor, LIST_ROLES, "list payees on the fraud watch list")
        ids = _check_ids(payee_ids)
        source = _check_text(source, "source", MAX_SOURCE, required=True)
        reason = _check_text(reason, "reason", MAX_REASON, required=False)
        checked = _check_action(action)
        review = self._check_review_by(review_by) if review_by is not None else None
        at_revision = self._repo.lock()
        current = self._repo.listings(ids)
        new = _needing(ids, checked, _actions_of(current, source))
        if not new:
            return WatchlistEdit(0, len(ids), at_revision)
        revision = self._repo.bump()
        self._list(actor, new, current, source, reason, checked, revision, review_by=review)
        return WatchlistEdit(len(new), len(ids) - len(new), revision)

    def review(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        next_review: str,
        note: str = "",
    ) -> WatchlistEdit:
        """Keep ``source``'s listings of ``payee_ids`` after a review, to be reviewed again
        by ``next_review`` (compliance officers and admins: they decide that a payee stays
        listed). The list as scoring sees it does not change, so the revision does not
        either; the review is ledgered (``fraud.watchlist_reviewed``; the note stays in
        the listing, like reasons). A payee that ``source`` does not list is counted as
        unchanged. This is also how an existing listing gets its first review date
        (listing it again with the same action changes nothing). To end a listing, take
        the payee off instead."""
        _allowed(actor, UNLIST_ROLES, "review listings of the fraud watch list")
        ids = _check_ids(payee_ids)
        source = _check_text(source, "source", MAX_SOURCE, required=True)
        note = _check_text(note, "note", MAX_REASON, required=False)
        review = self._check_review_by(next_review)
        revision = self._repo.lock()
        found = self._repo.listings(ids)
        kept = [p for p in ids if any(x.source == source for x in found.get(p, ()))]
        if kept:
            self._repo.set_review(
                kept,
                source=source,
                review_by=review,
                by=actor.username,
                at=self._now(),
                note=note,
            )
            self._record(
                actor,
                "fraud.watchlist_reviewed",
                kept,
                revision,
                {"source": source, "next_review": review},
            )
        return WatchlistEdit(len(kept), len(ids) - len(kept), revision)

    def due(
        self, actor: Actor, *, offset: int = 0, limit: int = 100, on: str | None = None
    ) -> DueListings:
        """Listings whose review date is ``on`` (default: today in Hong Kong) or earlier,
        earliest first. A listing past its date stays in force: taking a payee off lets
        payments to a suspected mule through, so it is a person's decision."""
        _allowed(actor, READ_ROLES, "read the fraud watch list")
        if offset < 0 or not 1 <= limit <= 1_000:
            raise InvalidInput("offset must be >= 0 and limit between 1 and 1000")
        today = on or self._today()
        found, total = self._repo.due(on=today, offset=offset, limit=limit)
        return DueListings(tuple(found), total, today, offset)

    def _today(self) -> str:
        instant = datetime.fromisoformat(self._now().replace("Z", "+00:00"))
        return (instant.astimezone(UTC) + HK_OFFSET).date().isoformat()

    def _check_review_by(self, value: str) -> str:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(
                "the review date is not a date (YYYY-MM-DD)", field="review_by"
            ) from None
        today = date.fromisoformat(self._today())
        if not today < day <= today + timedelta(days=MAX_REVIEW_DAYS):
            raise InvalidInput(
                f"the review date must be after today ({today}) and within "
                f"{MAX_REVIEW_DAYS} days",
                field="review_by",
            )
        return day.isoformat()

    def sync_source(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        reason: str = "",
        action: str = "review",
    ) -> WatchlistSync:
        """Make ``source``'s listings exactly ``payee_ids`` (its whole published list):
        list the new ones, drop its listings of payees that are not in it, and record the
        refresh (compliance officers and admins: it takes payees off). A dropped payee
        that another source lists stays on the list (``still_listed``). A payee that a
        person took off the list stays off (``held_off``): a feed does not overrule that
        decision; listing the payee by hand does."""
        _allowed(actor, UNLIST_ROLES, "sync a source of the fraud watch list")
        ids = _check_ids(payee_ids)
        source = _check_text(source, "source", MAX_SOURCE, required=True)
        reason = _check_text(reason, "reason", MAX_REASON, required=False)
        checked = _check_action(action)
        self._repo.lock()
        # a sync reads the source's listings and the payees taken off by hand, not each
        # payee's rows: a daily extract is mostly the payees it had the day before
        held = self._repo.taken_off_by_hand().intersection(ids)
        mine = self._repo.listed_from(source)
        new = [p for p in _needing(ids, checked, mine) if p not in held]
        current = self._repo.listings(new) if new else {}
        keep = set(ids)
        gone = [p for p in mine if p not in keep]
        revision = self._repo.bump()
        now = self._now()
        if new:
            self._list(actor, new, current, source, reason, checked, revision, sync=True)
        off: list[str] = []
        if gone:
            remaining = self._repo.listings(gone)
            self._repo.drop_listings(gone, source=source)
            off = self._settle(
                {p: [x for x in remaining.get(p, ()) if x.source != source] for p in gone},
                revision,
                actor=actor,
                off_reason=f"no longer in the {source} list synced at {now}",
            )
            self._record(
                actor,
                "fraud.watchlist_unlisted",
                gone,
                revision,
                {"source": source, "sync": True, "still_listed": len(gone) - len(off)},
            )
        self._repo.record_sync(source, at=now, by=actor.username, revision=revision)
        synced = WatchlistSync(
            source,
            len(new),
            len(gone),
            len(ids) - len(new) - len(held),
            revision,
            now,
            held_off=len(held),
            still_listed=len(gone) - len(off),
        )
        # the refresh itself, even when it changed nothing
        self._audit.record(
            actor=actor.username,
            action="fraud.watchlist_synced",
            subject_type=LEDGER_SUBJECT[0],
            subject_id=LEDGER_SUBJECT[1],
            payload={**synced.to_dict(), "action": checked, "payees": len(ids)},
        )
        return synced

    def sources(self, actor: Actor) -> list[WatchSource]:
        """Each source's listed payees, latest listing and last sync."""
        _allowed(actor, READ_ROLES, "read the fraud watch list")
        return self._repo.sources()

    def _list(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        current: Mapping[str, Sequence[Listing]],
        source: str,
        reason: str,
        action: Action,
        revision: int,
        *,
        sync: bool = False,
        review_by: str | None = None,
    ) -> None:
        now = self._now()
        added = {
            p: Listing(p, source, action, reason, actor.username, now, review_by=review_by)
            for p in payee_ids
        }
        mine = _actions_of(current, source)
        replaced = [p for p in payee_ids if p in mine]
        if replaced:
            self._repo.drop_listings(replaced, source=source)
        self._repo.add_listings(list(added.values()))
        self._settle(
            {
                p: [*(x for x in current.get(p, ()) if x.source != source), listing]
                for p, listing in added.items()
            },
            revision,
            actor=actor,
            off_reason="",
        )
        extra: dict[str, Any] = {"source": source, "action": action}
        if sync:
            extra["sync"] = True
        if review_by is not None:
            extra["review_by"] = review_by
        self._record(actor, "fraud.watchlist_listed", payee_ids, revision, extra)

    def _settle(
        self,
        listings: Mapping[str, Sequence[Listing]],
        revision: int,
        *,
        actor: Actor,
        off_reason: str,
    ) -> list[str]:
        """Write each payee's entry as its listings (after a change) make it: listed with
        the strictest listing's action, or, with none left, taken off (by a sync, with
        ``off_reason``). An entry that would not change is not written, so scoring does
        not read it again. Returns the payees taken off."""
        stored = self._repo.get(list(listings))
        writes: list[WatchEntry] = []
        off: list[str] = []
        for payee_id, found in listings.items():
            before = stored.get(payee_id)
            if found:
                entry = _entry_of(payee_id, found, revision)
                if before is None or not before.listed or _sets_other(before, entry):
                    writes.append(replace(entry, payee_ref=self._payee_ref(payee_id)))
            elif before is not None and before.listed:
                writes.append(
                    replace(
                        before,
                        revision=revision,
                        listed=False,
                        unlisted_by=actor.username,
                        unlisted_at=self._now(),
                        unlisted_reason=off_reason,
                        unlisted_in_sync=True,
                    )
                )
                off.append(payee_id)
        if writes:
            self._repo.put(writes, stored=stored.keys())
        return off

    def unlist_payees(
        self, actor: Actor, payee_ids: Sequence[str], *, reason: str
    ) -> WatchlistEdit:
        """Take payees off the list, every source's listing of them (compliance officers
        and admins; a reason is needed)."""
        _allowed(actor, UNLIST_ROLES, "take payees off the fraud watch list")
        ids = _check_ids(payee_ids)
        reason = _check_text(reason, "reason", MAX_REASON, required=True)
        at_revision = self._repo.lock()
        stored = self._repo.get(ids)
        listed = [stored[p] for p in ids if p in stored and stored[p].listed]
        if not listed:
            return WatchlistEdit(0, len(ids), at_revision)
        revision = self._repo.bump()
        now = self._now()
        self._repo.drop_listings([e.payee_id for e in listed], source=None)
        self._repo.put(
            [
                replace(
                    e,
                    revision=revision,
                    listed=False,
                    unlisted_by=actor.username,
                    unlisted_at=now,
                    unlisted_reason=reason,
                    unlisted_in_sync=False,
                    sources=(),
                )
                for e in listed
            ],
            stored=stored.keys(),
        )
        self._record(actor, "fraud.watchlist_unlisted", [e.payee_id for e in listed], revision, {})
        return WatchlistEdit(len(listed), len(ids) - len(listed), revision)

    def page(
        self, actor: Actor, *, offset: int = 0, limit: int = 100, listed: bool = True
    ) -> WatchlistPage:
        """Entries newest change first (listed ones, or with ``listed=False`` those taken
        off), the count of all of them and the list's revision."""
        _allowed(actor, READ_ROLES, "read the fraud watch list")
        if offset < 0 or not 1 <= limit <= 1_000:
            raise InvalidInput("offset must be >= 0 and limit between 1 and 1000")
        return WatchlistPage(
            tuple(self._repo.page(offset=offset, limit=limit, listed=listed)),
            self._repo.count(listed=listed),
            self._repo.revision(),
            offset,
        )

    def _record(
        self,
        actor: Actor,
        action: str,
        payee_ids: Sequence[str],
        revision: int,
        extra: dict[str, Any],
    ) -> None:
        refs = sorted(self._payee_ref(p) for p in payee_ids)
        self._audit.record(
            actor=actor.username,
            action=action,
            subject_type=LEDGER_SUBJECT[0],
            subject_id=LEDGER_SUBJECT[1],
            payload={
                **extra,
                "count": len(refs),
                "revision": revision,
                "payee_refs": refs[:LEDGER_REFS],
                "payee_refs_sha256": hashlib.sha256("\n".join(refs).encode()).hexdigest(),
            },
        )


def _needing(ids: Sequence[str], action: Action, mine: Mapping[str, Action]) -> list[str]:
    """Which of ``ids`` a source's listing with ``action`` changes, given the source's
    present listings (``mine``, payee -> action): those it does not list yet, or lists with
    a milder action."""
    rank = ACTION_RANK[action]
    return [p for p in ids if p not in mine or ACTION_RANK[mine[p]] < rank]


def _actions_of(listings: Mapping[str, Sequence[Listing]], source: str) -> dict[str, Action]:
    """``source``'s actions among the payees' listings (payee -> action)."""
    return {p: x.action for p, found in listings.items() for x in found if x.source == source}


def _entry_of(payee_id: str, listings: Sequence[Listing], revision: int) -> WatchEntry:
    """A listed payee's entry: the listing that sets its action is the strictest, of
    equals the earliest (then by source name, so the choice does not depend on order)."""
    top = min(listings, key=lambda x: (-ACTION_RANK[x.action], x.listed_at, x.source))
    return WatchEntry(
        payee_id,
        top.source,
        top.reason,
        top.listed_by,
        top.listed_at,
        revision,
        action=top.action,
        sources=tuple(sorted({x.source for x in listings})),
    )


def _sets_other(before: WatchEntry, after: WatchEntry) -> bool:
    """Whether a listed payee's stored entry must be rewritten (``sources`` is read from
    the listings, not stored with the entry)."""
    return (before.action, before.source, before.reason, before.listed_by, before.listed_at) != (
        after.action,
        after.source,
        after.reason,
        after.listed_by,
        after.listed_at,
    )


def listing_action(value: str) -> Action | None:
    """``value`` as a listing's action, or None when it is not one."""
    return next((a for a in LISTING_ACTIONS if a == value), None)


def _check_action(action: str) -> Action:
    found = listing_action(action)
    if found is not None:
        return found
    raise InvalidInput(
        'the action of a listing is "review" or "block"', field="action", allowed=LISTING_ACTIONS
    )


def _allowed(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise RoleNotAllowed(
            f"role {actor.role.value} may not {what}",
            role=actor.role.value,
            allowed=sorted(r.value for r in roles),
        )


__all__ = [
    "LISTING_ACTIONS",
    "LIST_ROLES",
    "MAX_REVIEW_DAYS",
    "READ_ROLES",
    "UNLIST_ROLES",
    "DueListings",
    "Listing",
    "WatchEntry",
    "WatchSource",
    "WatchlistChanges",
    "WatchlistEdit",
    "WatchlistPage",
    "WatchlistRepository",
    "WatchlistService",
    "WatchlistSync",
    "canonical_payee",
    "listing_action",
    "parse_payee_ids",
    "payee_id_problem",
]
