"""Engine creation and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings dualtrack relies on.

    SQLite: WAL journal, ``synchronous=FULL`` (a commit is on disk before it is acknowledged),
    foreign keys on, and every transaction opened with ``BEGIN IMMEDIATE`` so concurrent writers
    queue on the lock instead of failing when a reader upgrades to a writer.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Read-only units of work (authentication, ledger verification) take no write
            # lock, so in WAL mode they never queue behind a writer.
            readonly = conn.get_execution_options().get("dualtrack_readonly", False)
            conn.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Bring the schema at ``url`` up to ``revision`` (default: every branch head).

    The core schema is revision ``0001``; each feature adds its tables on its own branch
    (``down_revision = "0001"``, ``branch_labels = ("<feature>",)``), so features can evolve
    their schemas independently."""
    command.upgrade(alembic_config(url), revision)
