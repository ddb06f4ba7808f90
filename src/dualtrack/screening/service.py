"""Use cases: load list versions, screen a party, clear a hit.

:class:`ScreeningService` keeps one active :class:`~.domain.ListSnapshot` per list id, each
with its own :class:`~.matching.NameIndex` and wallet map. Loading a new version builds the
index first and swaps it in only on success; a failed load leaves the previous version in
service and returns a :class:`~.domain.ListLoadFailed` alert (also written to the ledger).

Every screening decision records the list versions it used. Hits a reviewer cleared for a
client are remembered per (client, list, entry, entry content hash) and hidden until the
entry changes. The ledger payloads hold identifiers and a keyed hash of the query, never the
name itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dualtrack.errors import Conflict, InvalidInput, NotFound, PlatformError
from dualtrack.ledger.ports import AuditSink
from dualtrack.screening.domain import (
    Clearance,
    ListEntry,
    ListFormat,
    ListLoaded,
    ListLoadFailed,
    ListSnapshot,
    ListVersion,
    ScreeningHit,
    ScreeningResult,
)
from dualtrack.screening.errors import ListNotLoaded, NameRejected, WalletRejected
from dualtrack.screening.explain import explain
from dualtrack.screening.loaders import build_snapshot, read_snapshot
from dualtrack.screening.matching import NameIndex
from dualtrack.screening.memory import SystemClock
from dualtrack.screening.names import PreparedName, clean, prepare
from dualtrack.screening.ports import ClearanceRepository, Clock

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.85
BIRTH_YEAR_BONUS = 0.03
BIRTH_YEAR_PENALTY = 0.15

_WALLET_RE = re.compile(r"[A-Za-z0-9:]{10,128}")


@dataclass(frozen=True, slots=True)
class ScreeningConfig:
    """Settings of the screening service (passed in by the composition root)."""

    threshold: float = DEFAULT_THRESHOLD
    max_hits: int = 20
    candidates: int = 40
    query_hash_key: bytes | None = None  # HMAC key for query-name hashes in the ledger

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise InvalidInput("threshold must be in (0, 1]", threshold=self.threshold)
        if self.max_hits < 1 or self.candidates < 1:
            raise InvalidInput("max_hits and candidates must be positive")


def normalise_wallet(address: str) -> str:
    """Canonical form of a wallet address (hex and bech32 are case-insensitive)."""
    a = address.strip()
    if not _WALLET_RE.fullmatch(a):
        raise WalletRejected("wallet address is not plausible", problem="format")
    lower = a.lower()
    if lower.startswith(("0x", "bc1", "tb1", "ltc1", "bcrt1")):
        return lower
    return a


@dataclass(slots=True)
class _ActiveList:
    snapshot: ListSnapshot
    index: NameIndex
    entries: tuple[ListEntry, ...]
    wallets: dict[str, int] = field(default_factory=dict)
    skipped_names: int = 0
    by_entry_id: dict[str, int] = field(default_factory=dict)

    @property
    def version(self) -> ListVersion:
        return self.snapshot.version


def _build_active(snapshot: ListSnapshot, candidates: int) -> _ActiveList:
    names: list[PreparedName] = []
    owners: list[int] = []
    wallets: dict[str, int] = {}
    skipped = 0
    for i, entry in enumerate(snapshot.entries):
        for n in entry.names:
            try:
                names.append(prepare(n.name))
            except NameRejected:
                skipped += 1
                continue
            owners.append(i)
        for w in entry.wallets:
            try:
                wallets[normalise_wallet(w.address)] = i
            except WalletRejected:
                skipped += 1
    index = NameIndex(names, owners, candidates=candidates)
    by_id = {e.entry_id: i for i, e in enumerate(snapshot.entries)}
    return _ActiveList(snapshot, index, snapshot.entries, wallets, skipped, by_id)


class ScreeningService:
    """Screen names and wallet addresses against the active list versions."""

    def __init__(
        self,
        *,
        clearances: ClearanceRepository,
        audit: AuditSink,
        clock: Clock | None = None,
        config: ScreeningConfig | None = None,
    ) -> None:
        self._clearances = clearances
        self._audit = audit
        self._clock = clock or SystemClock()
        self.config = config or ScreeningConfig()
        self._lists: dict[str, _ActiveList] = {}
        self.alerts: list[ListLoadFailed] = []

    # ---------------------------------------------------------------- list versions

    def active_versions(self) -> dict[str, ListVersion]:
        """The version in service for each list id."""
        return {k: v.version for k, v in self._lists.items()}

    def activate(self, snapshot: ListSnapshot, *, actor: str) -> ListLoaded:
        """Index ``snapshot`` and put it in service, replacing the list's previous version."""
        active = _build_active(snapshot, self.config.candidates)
        list_id = snapshot.version.list_id
        previous = self._lists.get(list_id)
        self._lists[list_id] = active
        event = ListLoaded(
            version=snapshot.version,
            previous_version=previous.version.version_id if previous else None,
            actor=actor,
            occurred_at=self._clock.now(),
        )
        if active.skipped_names:
            logger.warning(
                "list %s: %s names or wallets could not be indexed", list_id, active.skipped_names
            )
        self._audit.record(
            actor=actor,
            action="screening.list_loaded",
            subject_type="sanctions_list",
            subject_id=list_id,
            payload={
                "version": snapshot.version.version_id,
                "content_hash": snapshot.version.content_hash,
                "source": snapshot.version.source,
                "format": snapshot.version.format,
                "entries": snapshot.version.entry_count,
                "previous_version": event.previous_version,
                "skipped_names": active.skipped_names,
            },
        )
        return event

    def load_list(
        self,
        data: bytes,
        *,
        list_id: str,
        source: str,
        actor: str,
        fmt: ListFormat | None = None,
        companions: Mapping[str, bytes] | None = None,
    ) -> ListLoaded | ListLoadFailed:
        """Parse and activate a list; on failure keep the old version and return an alert."""
        try:
            snapshot = build_snapshot(
                data,
                list_id=list_id,
                source=source,
                loaded_at=self._clock.now(),
                fmt=fmt,
                filename=Path(source).name,
                companions=companions,
            )
        except PlatformError as exc:
            return self._load_failed(list_id, source, exc, actor)
        return self.activate(snapshot, actor=actor)

    def load_list_file(
        self,
        path: Path,
        *,
        list_id: str,
        actor: str,
        fmt: ListFormat | None = None,
        companions: Mapping[str, Path] | None = None,
    ) -> ListLoaded | ListLoadFailed:
        """:meth:`load_list` for a file on disk."""
        try:
            snapshot = read_snapshot(
                path, list_id=list_id, loaded_at=self._clock.now(), fmt=fmt, companions=companions
            )
        except PlatformError as exc:
            return self._load_failed(list_id, str(path), exc, actor)
        return self.activate(snapshot, actor=actor)

    def _load_failed(
        self, list_id: str, source: str, exc: PlatformError, actor: str
    ) -> ListLoadFailed:
        kept = self._lists.get(list_id)
        alert = ListLoadFailed(
            list_id=list_id,
            source=source,
            error_code=exc.code,
            problem=exc.message,
            kept_version=kept.version.version_id if kept else None,
            actor=actor,
            occurred_at=self._clock.now(),
            details={k: v for k, v in exc.fields.items() if isinstance(v, int | str)},
        )
        self.alerts.append(alert)
        logger.error("list %s failed to load (%s); previous version kept", list_id, exc.code)
        self._audit.record(
            actor=actor,
            action="screening.list_load_failed",
            subject_type="sanctions_list",
            subject_id=list_id,
            payload={
                "source": source,
                "error_code": exc.code,
                "problem": exc.message,
                "kept_version": alert.kept_version,
                "details": alert.details,
            },
        )
        return alert

    # ---------------------------------------------------------------- screening

    def query_hash(self, name: str) -> str:
        """Keyed hash of the normalised query name (what the ledger stores)."""
        text = clean(name).casefold().encode("utf-8")
        if self.config.query_hash_key:
            return hmac.new(self.config.query_hash_key, text, hashlib.sha256).hexdigest()
        return hashlib.sha256(text).hexdigest()

    def screen(
        self,
        *,
        actor: str,
        client_id: str,
        name: str | None = None,
        birth_year: int | None = None,
        wallet_address: str | None = None,
        list_ids: Sequence[str] | None = None,
    ) -> ScreeningResult:
        """Screen a party by name (and optional birth year) and/or wallet address."""
        if not client_id:
            raise InvalidInput("client_id is required")
        if name is None and wallet_address is None:
            raise InvalidInput("give a name or a wallet address to screen")
        if birth_year is not None and not 1850 <= birth_year <= 2100:
            raise InvalidInput("birth_year is out of range", birth_year=birth_year)
        chosen = list(list_ids) if list_ids is not None else sorted(self._lists)
        missing = [lid for lid in chosen if lid not in self._lists]
        if missing or not chosen:
            raise ListNotLoaded("no version of the list is in service", list_ids=missing)
        query = prepare(name) if name is not None else None
        wallet = normalise_wallet(wallet_address) if wallet_address is not None else None
        threshold = self.config.threshold
        hits: list[ScreeningHit] = []
        suppressed = 0
        for list_id in chosen:
            active = self._lists[list_id]
            for hit in self._list_hits(active, query, birth_year, wallet, threshold):
                if self._clearances.is_cleared(
                    client_id=client_id,
                    list_id=hit.list_id,
                    entry_id=hit.entry_id,
                    entry_content_hash=hit.entry_content_hash,
                ):
                    suppressed += 1
                else:
                    hits.append(hit)
        hits.sort(key=lambda h: (-h.score, h.list_id, h.entry_id))
        hits = hits[: self.config.max_hits]
        result = ScreeningResult(
            screening_id=uuid.uuid4().hex,
            client_id=client_id,
            query_hash=self.query_hash(name) if name is not None else "",
            decision="potential-match" if hits else "no-hit",
            hits=tuple(hits),
            suppressed=suppressed,
            list_versions=tuple(self._lists[lid].version.version_id for lid in chosen),
            threshold=threshold,
            screened_at=self._clock.now(),
        )
        self._audit.record(
            actor=actor,
            action="screening.performed",
            subject_type="screening",
            subject_id=result.screening_id,
            payload={
                "client_id": client_id,
                "query_hash": result.query_hash,
                "wallet_hash": hashlib.sha256(wallet.encode()).hexdigest() if wallet else None,
                "birth_year_given": birth_year is not None,
                "decision": result.decision,
                "threshold": threshold,
                "list_versions": list(result.list_versions),
                "suppressed": suppressed,
                "hits": [
                    {
                        "list_id": h.list_id,
                        "entry_id": h.entry_id,
                        "entry_content_hash": h.entry_content_hash,
                        "score": round(h.score, 4),
                        "match_kind": h.match_kind,
                    }
                    for h in hits
                ],
            },
        )
        return result

    def _list_hits(
        self,
        active: _ActiveList,
        query: PreparedName | None,
        birth_year: int | None,
        wallet: str | None,
        threshold: float,
    ) -> list[ScreeningHit]:
        version = active.version.version_id
        found: dict[int, ScreeningHit] = {}
        if wallet is not None and wallet in active.wallets:
            i = active.wallets[wallet]
            entry = active.entries[i]
            found[i] = ScreeningHit(
                list_id=entry.list_id,
                entry_id=entry.entry_id,
                entry_content_hash=entry.content_hash,
                list_version=version,
                score=1.0,
                matched_name=entry.names[0].name if entry.names else "",
                reason="wallet address exact match",
                entity_type=entry.entity_type,
                match_kind="wallet",
            )
        if query is None:
            return list(found.values())
        floor = threshold - BIRTH_YEAR_BONUS if birth_year is not None else threshold
        for owner, name_id, detail in active.index.search(
            query, threshold=floor, limit=self.config.max_hits * 2
        ):
            if owner in found:
                continue
            entry = active.entries[owner]
            score = detail.score
            reason = explain(query, active.index.names[name_id], detail)
            years = entry.birth_years
            if birth_year is not None and years:
                gap = min(abs(birth_year - y) for y in years)
                if gap == 0:
                    score = min(1.0, score + BIRTH_YEAR_BONUS)
                    reason += "; birth year matches"
                elif gap > 1:
                    score -= BIRTH_YEAR_PENALTY
                    reason += f"; birth year differs by {gap}"
            if score < threshold:
                continue
            found[owner] = ScreeningHit(
                list_id=entry.list_id,
                entry_id=entry.entry_id,
                entry_content_hash=entry.content_hash,
                list_version=version,
                score=round(score, 4),
                matched_name=active.index.names[name_id].text,
                reason=reason,
                entity_type=entry.entity_type,
            )
        return list(found.values())

    # ---------------------------------------------------------------- clearances

    def clear_hit(self, *, actor: str, client_id: str, hit: ScreeningHit, reason: str) -> Clearance:
        """Record that ``hit`` is not ``client_id``; it stays hidden until the entry changes."""
        if not reason.strip():
            raise InvalidInput("a clearance needs a reason")
        active = self._lists.get(hit.list_id)
        if active is None:
            raise ListNotLoaded("no version of the list is in service", list_ids=[hit.list_id])
        position = active.by_entry_id.get(hit.entry_id)
        if position is None:
            raise NotFound("list entry not in the active version", entry_id=hit.entry_id)
        entry = active.entries[position]
        if entry.content_hash != hit.entry_content_hash:
            raise Conflict("the list entry changed since this hit", entry_id=hit.entry_id)
        clearance = Clearance(
            client_id=client_id,
            list_id=hit.list_id,
            entry_id=hit.entry_id,
            entry_content_hash=hit.entry_content_hash,
            cleared_by=actor,
            reason=reason,
            cleared_at=self._clock.now(),
            list_version=active.version.version_id,
        )
        self._clearances.add(clearance)
        self._audit.record(
            actor=actor,
            action="screening.hit_cleared",
            subject_type="screening_clearance",
            subject_id=f"{client_id}:{hit.list_id}:{hit.entry_id}",
            payload={
                "client_id": client_id,
                "list_id": hit.list_id,
                "entry_id": hit.entry_id,
                "entry_content_hash": hit.entry_content_hash,
                "list_version": clearance.list_version,
                "reason_length": len(reason),
            },
        )
        return clearance
