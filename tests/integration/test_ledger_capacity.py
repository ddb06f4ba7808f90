"""The ledger keeps going past 2**31 entries (a 32-bit sequence would stop every write)."""

from __future__ import annotations

from sqlalchemy import text

from dualtrack.bootstrap import Platform
from tests.conftest import People
from tests.integration.test_registry_service import attributes

_INT32_MAX = 2**31 - 1


def register(platform: Platform, people: People, name: str) -> None:
    platform.registry.register_system(people.dev, attributes(name))


def test_entries_past_the_32_bit_limit(platform: Platform, people: People) -> None:
    register(platform, people, "before")
    # as if 2**31 - 1 entries came before: appends continue from the head row
    with platform.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_head SET seq = :seq WHERE id = 1"), {"seq": _INT32_MAX})
    register(platform, people, "after")
    newest = platform.ledger.page(limit=1)[0]
    assert newest.seq == _INT32_MAX + 1
    assert newest.subject_type == "ai_system"
    assert platform.ledger.page(before_seq=_INT32_MAX + 1, limit=1)[0].seq < _INT32_MAX
    with platform.engine.connect() as conn:
        head = conn.execute(text("SELECT seq FROM ledger_head WHERE id = 1")).scalar_one()
    assert head == _INT32_MAX + 1
