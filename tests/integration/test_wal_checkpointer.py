"""WalCheckpointer: SQLite checkpoints from a background thread, off the commit path."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from dualtrack.adapters.db import (
    SQLITE_CACHE_KIB,
    WalCheckpointer,
    create_db_engine,
    sqlite_file,
)


def test_checkpoints_run_in_the_background_and_the_automatic_one_is_off(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    checkpointer = WalCheckpointer(engine, interval_s=0.05)
    checkpointer.start()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        for _ in range(20):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 20_000})
        deadline = time.monotonic() + 10
        while checkpointer.pages_copied < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        # nothing else checkpoints here: the automatic checkpoint is off and we ran none
        assert checkpointer.pages_copied >= 20
        raw = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
        try:
            # everything in the log was copied back: a new checkpoint finds nothing left
            busy, pages, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            assert busy == 0 and pages == copied
            assert raw.execute("SELECT count(*) FROM t").fetchone()[0] == 20
        finally:
            raw.close()
    finally:
        checkpointer.stop()
    with engine.connect() as conn:  # the automatic checkpoint is back once it stops
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    engine.dispose()


def test_only_file_backed_sqlite_engines_have_one(tmp_path: Path) -> None:
    memory = create_db_engine("sqlite:///:memory:")
    assert sqlite_file(memory) is None
    with pytest.raises(ValueError):
        WalCheckpointer(memory)
    assert sqlite_file(create_db_engine(f"sqlite:///{tmp_path / 'f.db'}")) == tmp_path / "f.db"


def test_sqlite_connections_get_the_larger_page_cache(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    engine.dispose()
