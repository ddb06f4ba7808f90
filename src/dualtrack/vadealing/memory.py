"""In-memory implementations of the VA-dealing ports (tests, evaluation, single process)."""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from dualtrack.vadealing.domain import (
    AddressRisk,
    AssetListing,
    Chain,
    Client,
    Firm,
    FxRate,
    LinkedEntry,
    MicroPaymentTest,
    WalletChallenge,
)


class SystemClock:
    """The real UTC clock."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The current fixed time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self._now = when

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._now += delta


class InMemoryFirmRepository:
    """Licence register held in a dict."""

    def __init__(self, firms: Iterable[Firm] = ()) -> None:
        self._firms: dict[str, Firm] = {f.firm_id: f for f in firms}

    def get(self, firm_id: str) -> Firm | None:
        """The firm, or ``None``."""
        return self._firms.get(firm_id)

    def save(self, firm: Firm) -> None:
        """Insert or replace."""
        self._firms[firm.firm_id] = firm

    def list(self) -> Iterable[Firm]:
        """All firms, in insertion order."""
        return list(self._firms.values())


class InMemoryClientRepository:
    """Clients held in a dict."""

    def __init__(self, clients: Iterable[Client] = ()) -> None:
        self._clients: dict[str, Client] = {c.client_id: c for c in clients}

    def get(self, client_id: str) -> Client | None:
        """The client, or ``None``."""
        return self._clients.get(client_id)

    def save(self, client: Client) -> None:
        """Insert or replace."""
        self._clients[client.client_id] = client


class InMemoryProofChallengeStore:
    """Open challenges and micro-payment tests; closing one makes it unusable (no replay)."""

    def __init__(self) -> None:
        self._challenges: dict[str, WalletChallenge] = {}
        self._tests: dict[str, MicroPaymentTest] = {}

    def put_challenge(self, challenge: WalletChallenge) -> None:
        """Record an issued challenge."""
        self._challenges[challenge.challenge_id] = challenge

    def get_challenge(self, challenge_id: str) -> WalletChallenge | None:
        """An open challenge, or ``None``."""
        return self._challenges.get(challenge_id)

    def put_test(self, test: MicroPaymentTest) -> None:
        """Record an issued micro-payment test."""
        self._tests[test.test_id] = test

    def get_test(self, test_id: str) -> MicroPaymentTest | None:
        """An open test, or ``None``."""
        return self._tests.get(test_id)

    def close(self, proof_id: str) -> None:
        """Forget a challenge or test once it has been used."""
        self._challenges.pop(proof_id, None)
        self._tests.pop(proof_id, None)


class FxRateTable:
    """HKD rates per currency, each a time series; lookups take the latest rate at a time."""

    def __init__(self, rates: Iterable[FxRate] = ()) -> None:
        self._times: dict[str, list[datetime]] = defaultdict(list)
        self._rates: dict[str, list[FxRate]] = defaultdict(list)
        for rate in rates:
            self.add(rate)

    def add(self, rate: FxRate) -> None:
        """Add a published rate (kept sorted by ``as_of``)."""
        code = rate.currency.upper()
        index = bisect.bisect_right(self._times[code], rate.as_of)
        self._times[code].insert(index, rate.as_of)
        self._rates[code].insert(index, rate)

    def knows(self, currency: str) -> bool:
        """True when any rate for ``currency`` was ever added."""
        return bool(self._rates.get(currency.upper()))

    def rate_at(self, currency: str, at: datetime) -> FxRate | None:
        """Latest rate with ``as_of <= at``."""
        code = currency.upper()
        times = self._times.get(code)
        if not times:
            return None
        index = bisect.bisect_right(times, at)
        return self._rates[code][index - 1] if index else None


class InMemoryLinkedTransactionStore:
    """Per-key deques of recent entries; entries older than ``horizon`` are dropped on append."""

    def __init__(self, horizon: timedelta = timedelta(days=31)) -> None:
        self._horizon = horizon
        self._entries: dict[str, deque[LinkedEntry]] = defaultdict(deque)

    def append(self, key: str, entry: LinkedEntry) -> None:
        """Add an entry under ``key`` (entries are expected in time order per key)."""
        bucket = self._entries[key]
        bucket.append(entry)
        cutoff = entry.at - self._horizon
        while bucket and bucket[0].at < cutoff:
            bucket.popleft()

    def since(self, key: str, start: datetime) -> Sequence[LinkedEntry]:
        """Entries under ``key`` at or after ``start``."""
        bucket = self._entries.get(key)
        if not bucket:
            return ()
        return [e for e in bucket if e.at >= start]


class StaticAssetAllowList:
    """A fixed allow-list (feed it from the VATP-admitted token list and licensed issuers)."""

    def __init__(self, listings: Iterable[AssetListing] = ()) -> None:
        self._listings = {item.asset.upper(): item for item in listings}

    def listing(self, asset: str) -> AssetListing | None:
        """Why the asset is allowed, or ``None`` when it is not."""
        return self._listings.get(asset.upper())


class InMemoryAddressRisk:
    """Risk scores keyed by (chain, normalised address); unknown addresses score nothing."""

    def __init__(self, scores: Mapping[tuple[Chain, str], AddressRisk] | None = None) -> None:
        self._scores: dict[tuple[Chain, str], AddressRisk] = dict(scores or {})

    def set(self, chain: Chain, address: str, risk: AddressRisk) -> None:
        """Record a score."""
        self._scores[(chain, address)] = risk

    def risk(self, chain: Chain, address: str) -> AddressRisk | None:
        """The recorded score, or ``None``."""
        return self._scores.get((chain, address))


__all__ = [
    "FixedClock",
    "FxRateTable",
    "InMemoryAddressRisk",
    "InMemoryClientRepository",
    "InMemoryFirmRepository",
    "InMemoryLinkedTransactionStore",
    "InMemoryProofChallengeStore",
    "StaticAssetAllowList",
    "SystemClock",
]
