"""Alembic environment: runs migrations on the URL that ``dualtrack.adapters.db`` passes in."""

from __future__ import annotations

from alembic import context

from dualtrack.adapters.db import create_db_engine
from dualtrack.adapters.tables import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
