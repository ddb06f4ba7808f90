"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import dualtrack.adapters
from dualtrack.adapters.tables import metadata
from dualtrack.bootstrap import Platform


def test_migrated_schema_matches_the_declared_tables(platform: Platform) -> None:
    for module in pkgutil.iter_modules(dualtrack.adapters.__path__):
        if module.name.endswith("tables"):
            importlib.import_module(f"dualtrack.adapters.{module.name}")
    assert "fraud_state_snapshots" in metadata.tables
    with platform.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
