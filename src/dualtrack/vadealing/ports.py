"""Ports (``typing.Protocol``) the VA-dealing services depend on.

Adapters for a database, an FX feed, a chain-analytics provider or a partitioned stream
store implement these; ``dualtrack.vadealing.memory`` has in-memory versions for tests and
single-process use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

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


class Clock(Protocol):
    """Source of the current UTC time."""

    def now(self) -> datetime: ...


class FirmRepository(Protocol):
    """The licence register's storage."""

    def get(self, firm_id: str) -> Firm | None: ...

    def save(self, firm: Firm) -> None: ...

    def list(self) -> Iterable[Firm]: ...


class ClientRepository(Protocol):
    """Client onboarding state."""

    def get(self, client_id: str) -> Client | None: ...

    def save(self, client: Client) -> None: ...


class ProofChallengeStore(Protocol):
    """Open wallet-ownership challenges and micro-payment tests."""

    def put_challenge(self, challenge: WalletChallenge) -> None: ...

    def get_challenge(self, challenge_id: str) -> WalletChallenge | None: ...

    def put_test(self, test: MicroPaymentTest) -> None: ...

    def get_test(self, test_id: str) -> MicroPaymentTest | None: ...

    def close(self, proof_id: str) -> None: ...


class FxRateProvider(Protocol):
    """HKD rates by currency or asset code."""

    def knows(self, currency: str) -> bool:
        """True when the provider has any rate history for ``currency``."""
        ...

    def rate_at(self, currency: str, at: datetime) -> FxRate | None:
        """The latest rate published at or before ``at`` (``None`` when there is none)."""
        ...


class LinkedTransactionStore(Protocol):
    """Recent checked transactions, partitioned by key (``client:<id>``, ``wallet:<...>``).

    Every read and write names one key, so an implementation can shard by key.
    """

    def append(self, key: str, entry: LinkedEntry) -> None: ...

    def since(self, key: str, start: datetime) -> Sequence[LinkedEntry]:
        """Entries under ``key`` with ``at >= start``, oldest first."""
        ...


class AssetAllowList(Protocol):
    """Assets the firm may deal in (VA-OTC24-02)."""

    def listing(self, asset: str) -> AssetListing | None: ...


class AddressRiskProvider(Protocol):
    """Blockchain-analytics screening of wallet addresses (VA-AML-10)."""

    def risk(self, chain: Chain, address: str) -> AddressRisk | None: ...


__all__ = [
    "AddressRiskProvider",
    "AssetAllowList",
    "ClientRepository",
    "Clock",
    "FirmRepository",
    "FxRateProvider",
    "LinkedTransactionStore",
    "ProofChallengeStore",
]
