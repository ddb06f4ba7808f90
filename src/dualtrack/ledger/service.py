"""Use cases of the audit ledger: verify the chain, export it, page through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TextIO

from dualtrack.ledger.domain import LedgerEntry, VerifyResult, canonical_json, verify_chain

if TYPE_CHECKING:
    from dualtrack.ports import UnitOfWork


class LedgerService:
    def __init__(
        self, uow: Callable[[], UnitOfWork], reader: Callable[[], UnitOfWork] | None = None
    ) -> None:
        # The ledger service only reads; a long verification must not hold a write lock.
        self._uow = reader or uow

    def verify(self) -> VerifyResult:
        """Walk the whole chain in one consistent read."""
        with self._uow() as uow:
            seq, head = uow.audit.head()
            return verify_chain(uow.audit.iter_entries(), head_seq=seq, head_hash=head)

    def export(self, out: TextIO, *, after_seq: int = 0) -> int:
        """Write entries as JSON Lines; returns how many were written."""
        count = 0
        with self._uow() as uow:
            for entry in uow.audit.iter_entries(after_seq):
                out.write(canonical_json(entry.to_json()) + "\n")
                count += 1
        return count

    def page(
        self,
        *,
        before_seq: int | None = None,
        limit: int = 50,
        subject_id: str | None = None,
        subject_type: str | None = None,
    ) -> list[LedgerEntry]:
        with self._uow() as uow:
            return uow.audit.page(
                before_seq=before_seq,
                limit=max(1, min(limit, 500)),
                subject_id=subject_id,
                subject_type=subject_type,
            )

    def entries(self) -> Iterator[LedgerEntry]:
        with self._uow() as uow:
            yield from uow.audit.iter_entries()
