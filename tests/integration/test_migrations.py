"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import dualtrack.adapters
from dualtrack.adapters.db import migrate
from dualtrack.adapters.screening_sql import AmbientUnit
from dualtrack.adapters.tables import metadata
from dualtrack.adapters.vadealing_sql import SqlLinkedTransactionStore
from dualtrack.bootstrap import Platform
from dualtrack.vadealing.domain import LinkedEntry
from tests.conftest import People
from tests.integration.test_ledger_capacity import register
from tests.integration.test_vadealing_sql import set_next_linked_id


def test_migrated_schema_matches_the_declared_tables(platform: Platform) -> None:
    for module in pkgutil.iter_modules(dualtrack.adapters.__path__):
        if module.name.endswith("tables"):
            importlib.import_module(f"dualtrack.adapters.{module.name}")
    assert "fraud_state_snapshots" in metadata.tables
    with platform.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_upgrading_a_database_with_32_bit_ledger_sequences(
    platform: Platform, people: People
) -> None:
    """Migration 0002 on a database created before it: PostgreSQL's 32-bit ledger columns
    become 64-bit, and the chain survives (on SQLite the migration changes nothing)."""
    for i in range(3):
        register(platform, people, f"before upgrade {i}")
    postgres = platform.engine.dialect.name == "postgresql"
    with platform.engine.begin() as conn:  # the schema as it was before migration 0002
        if postgres:
            for table in ("ledger_entries", "ledger_head"):
                conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN seq TYPE integer"))
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = '0002'"))
    assert _seq_types(platform) == ({"integer"} if postgres else {"INTEGER"})

    migrate(platform.settings.resolved_database_url)

    assert _seq_types(platform) == ({"bigint"} if postgres else {"INTEGER"})
    with platform.engine.connect() as conn:
        versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert "0002" in versions
    register(platform, people, "after upgrade")
    result = platform.ledger.verify()
    assert result.ok and result.entries_checked >= 4


def test_upgrading_a_database_with_32_bit_va_linked_keys(platform: Platform) -> None:
    """Migration vadealing_0002 on a database created before it: PostgreSQL's SERIAL key
    (column and sequence) becomes 64-bit and numbering carries on where it was."""
    postgres = platform.engine.dialect.name == "postgresql"
    with platform.engine.begin() as conn:  # the schema as it was before vadealing_0002
        if postgres:
            conn.execute(text("ALTER TABLE va_linked ALTER COLUMN id TYPE integer"))
            conn.execute(text("ALTER SEQUENCE va_linked_id_seq AS integer"))
        conn.execute(
            text("UPDATE alembic_version SET version_num = 'vadealing_0001' "
                 "WHERE version_num = 'vadealing_0002'")
        )  # fmt: skip
    set_next_linked_id(platform, 2**31 - 1)
    _link(platform, "before upgrade")
    if postgres:
        with pytest.raises(DBAPIError):  # the 32-bit sequence is spent
            _link(platform, "refused")

    migrate(platform.settings.resolved_database_url)

    with platform.engine.connect() as conn:
        versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert "vadealing_0002" in versions
        if postgres:
            types = conn.execute(
                text(
                    "SELECT c.data_type, s.data_type FROM information_schema.columns c, "
                    "information_schema.sequences s WHERE c.table_name = 'va_linked' AND "
                    "c.column_name = 'id' AND c.table_schema = current_schema() AND "
                    "s.sequence_name = 'va_linked_id_seq' AND s.sequence_schema = current_schema()"
                )
            ).one()
            assert tuple(types) == ("bigint", "bigint")
    _link(platform, "after upgrade")
    with platform.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM va_linked WHERE key = 'client:C-1' ORDER BY id"))
        assert list(ids.scalars()) == [2**31 - 1, 2**31]


def _link(platform: Platform, tx_id: str) -> None:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    entry = LinkedEntry(tx_id, "C-1", "buy", "BTC", Decimal("1"), None, at, None, "allow")
    SqlLinkedTransactionStore(AmbientUnit(platform.engine)).append("client:C-1", entry)


def _seq_types(platform: Platform) -> set[str]:
    with platform.engine.connect() as conn:
        if platform.engine.dialect.name == "postgresql":
            return set(
                conn.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE column_name = "
                        "'seq' AND table_name IN ('ledger_entries', 'ledger_head') "
                        "AND table_schema = current_schema()"
                    )
                ).scalars()
            )
        return {
            str(row.type)
            for table in ("ledger_entries", "ledger_head")
            for row in conn.execute(text(f"PRAGMA table_info({table})"))
            if row.name == "seq"
        }
