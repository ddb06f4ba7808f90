"""The tamper-evident audit ledger.

Every state change, approval and AI decision is appended as an entry whose SHA-256 hash covers
its content and the previous entry's hash. ``dualtrack audit verify`` recomputes the chain and
names the first entry that was modified, deleted or reordered. Appends commit in the same
transaction as the change they describe, so nothing is acknowledged before it is durable.
"""

from dualtrack.ledger.domain import LedgerEntry, VerifyResult, canonical_json, verify_chain
from dualtrack.ledger.ports import AuditSink
from dualtrack.ledger.service import LedgerService

__all__ = [
    "AuditSink",
    "LedgerEntry",
    "LedgerService",
    "VerifyResult",
    "canonical_json",
    "verify_chain",
]
