"""The platform's engines keep statement parameters out of error messages, on both
databases: a failed write must not carry a record's values into a log."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from dualtrack.adapters.fraud_sql import read_engine
from dualtrack.adapters.fraud_tables import fraud_scoring_owner
from dualtrack.bootstrap import Platform

SECRET = "HKID-A1234563-Chan-Tai-Man"


@pytest.mark.parametrize("which", ["platform", "reader"])
def test_a_failed_statement_does_not_show_its_parameters(platform: Platform, which: str) -> None:
    engine = platform.engine if which == "platform" else read_engine(platform.engine)
    row = {
        "name": "fraud.score",
        "holder": SECRET,
        "host": SECRET,
        "pid": 1,
        "started_at": "2026-12-03T00:00:00",
        "heartbeat_at": 0.0,
    }
    with platform.engine.begin() as conn:
        conn.execute(insert(fraud_scoring_owner).values(**row))
    # a duplicate key (on SQLite the reader refuses any write): either way it fails
    with pytest.raises(DBAPIError) as failed, engine.begin() as conn:
        conn.execute(insert(fraud_scoring_owner).values(**row))
    assert SECRET not in str(failed.value)
    assert "parameters hidden" in str(failed.value)
    if engine is not platform.engine:
        engine.dispose()
