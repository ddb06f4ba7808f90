"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import dualtrack.adapters
from dualtrack.adapters.db import migrate
from dualtrack.adapters.tables import metadata
from dualtrack.bootstrap import Platform
from tests.conftest import People
from tests.integration.test_ledger_capacity import register


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
