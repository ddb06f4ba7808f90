"""Records of the screening feature: list entries, list versions, hits, clearances, events.

All are frozen dataclasses built from the standard library only, so they can be stored,
compared and serialised by the edges (API schemas, SQL adapters) without this package
knowing about them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

EntityType = Literal["individual", "entity", "vessel", "aircraft", "wallet", "unknown"]
NameKind = Literal["primary", "alias", "weak-alias", "original-script"]
ListFormat = Literal["ofac-xml", "ofac-csv", "un-xml", "ftm-jsonl", "wallet-csv"]
Decision = Literal["no-hit", "potential-match"]


@dataclass(frozen=True, slots=True)
class ListName:
    """One name of a list entry, with the script it is written in."""

    name: str
    kind: NameKind = "primary"
    script: str = "latin"  # latin | han | cyrillic | arabic | other


@dataclass(frozen=True, slots=True)
class WalletAddress:
    """A virtual-asset address attached to a list entry."""

    address: str
    chain: str = ""


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed person, organisation, vessel or wallet, in our internal model."""

    list_id: str
    entry_id: str
    entity_type: EntityType
    names: tuple[ListName, ...]
    birth_dates: tuple[str, ...] = ()  # ISO dates, or bare years "1960"
    nationalities: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    wallets: tuple[WalletAddress, ...] = ()
    programs: tuple[str, ...] = ()
    remarks: str = ""

    @property
    def content_hash(self) -> str:
        """SHA-256 over the entry's content: changes whenever anything listed changes."""
        body = asdict(self)
        return hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()

    @property
    def birth_years(self) -> frozenset[int]:
        """Years found in ``birth_dates``."""
        years = set()
        for d in self.birth_dates:
            head = d[:4]
            if head.isdigit():
                years.add(int(head))
        return frozenset(years)


@dataclass(frozen=True, slots=True)
class ListVersion:
    """Identity of one loaded snapshot of a list: content hash, load time and source."""

    list_id: str
    content_hash: str
    loaded_at: datetime
    source: str
    format: ListFormat
    entry_count: int

    @property
    def version_id(self) -> str:
        """Stable string written with every screening decision."""
        stamp = self.loaded_at.strftime("%Y%m%dT%H%M%SZ")
        return f"{self.list_id}@{self.content_hash[:16]}@{stamp}"


@dataclass(frozen=True, slots=True)
class ListSnapshot:
    """A fully loaded list: its version and all entries (never partial)."""

    version: ListVersion
    entries: tuple[ListEntry, ...]


@dataclass(frozen=True, slots=True)
class ScreeningHit:
    """One list entry that may be the screened party."""

    list_id: str
    entry_id: str
    entry_content_hash: str
    list_version: str
    score: float
    matched_name: str
    reason: str
    entity_type: EntityType
    match_kind: Literal["name", "wallet"] = "name"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """Outcome of one screening request."""

    screening_id: str
    client_id: str
    query_hash: str
    decision: Decision
    hits: tuple[ScreeningHit, ...]
    suppressed: int  # hits hidden because a reviewer cleared them before
    list_versions: tuple[str, ...]
    threshold: float
    screened_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO strings)."""
        body = asdict(self)
        body["screened_at"] = self.screened_at.isoformat()
        return body


@dataclass(frozen=True, slots=True)
class Clearance:
    """A reviewer's decision that a hit is not the client, for one entry content."""

    client_id: str
    list_id: str
    entry_id: str
    entry_content_hash: str
    cleared_by: str
    reason: str
    cleared_at: datetime
    list_version: str


@dataclass(frozen=True, slots=True)
class ListLoaded:
    """Event: a new list version went into service."""

    version: ListVersion
    previous_version: str | None
    actor: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ListLoadFailed:
    """Event and alert: a list failed to load; the previous version stays in service."""

    list_id: str
    source: str
    error_code: str
    problem: str
    kept_version: str | None
    actor: str
    occurred_at: datetime
    severity: Literal["warning", "critical"] = "critical"
    details: dict[str, Any] = field(default_factory=dict)
