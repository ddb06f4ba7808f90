"""Tampering with any ledger row in SQLite or PostgreSQL is detected and named.

The database refuses UPDATE/DELETE on the ledger through a trigger; these tests play an
attacker with DBA rights who drops the trigger first, which is exactly what the hash chain
is for.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from dualtrack.bootstrap import Platform
from dualtrack.cli import common
from dualtrack.cli.main import app
from dualtrack.registry.domain import OpportunityArea, SystemAttributes
from tests.conftest import People


def populate(platform: Platform, people: People, n: int = 6) -> None:
    for i in range(n):
        platform.registry.register_system(
            people.dev,
            SystemAttributes(
                name=f"System {i}",
                purpose="p",
                business_function="b",
                opportunity_area=OpportunityArea.WORKFLOW_AUTOMATION,
                accountable_senior_manager="sam",
                owner="dev",
            ),
        )


def drop_guard(platform: Platform) -> None:
    with platform.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER ledger_append_only ON ledger_entries"))
        else:
            conn.execute(text("DROP TRIGGER ledger_no_update"))
            conn.execute(text("DROP TRIGGER ledger_no_delete"))


def tamper(platform: Platform, sql: str) -> None:
    drop_guard(platform)
    with platform.engine.begin() as conn:
        conn.execute(text(sql))


def verify_cli(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", platform.settings.resolved_database_url)
    common.reset_platform()
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    common.reset_platform()
    return result.exit_code, result.stdout


def test_database_refuses_updates(platform: Platform, people: People) -> None:
    populate(platform, people, 1)
    with pytest.raises(DBAPIError), platform.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 1"))


@pytest.mark.parametrize(
    ("sql", "bad_seq", "word"),
    [
        (
            "UPDATE ledger_entries SET payload = replace(payload, 'System 2', 'System X') WHERE seq = 11",
            11,
            "modified",
        ),
        ("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 4", 4, "modified"),
        ("DELETE FROM ledger_entries WHERE seq = 7", 7, "missing"),
        (
            "DELETE FROM ledger_entries WHERE seq = (SELECT max(seq) FROM ledger_entries)",
            None,
            "missing",
        ),
    ],
)
def test_tampering_is_named(
    platform: Platform,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
    sql: str,
    bad_seq: int | None,
    word: str,
) -> None:
    populate(platform, people)
    total = platform.ledger.verify().entries_checked
    assert verify_cli(platform, monkeypatch)[0] == 0
    tamper(platform, sql)
    code, out = verify_cli(platform, monkeypatch)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["first_bad_seq"] == (bad_seq or total)
    assert word in report["problem"]


def test_reordering_is_named(
    platform: Platform, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(platform, people)
    drop_guard(platform)
    with platform.engine.begin() as conn:
        # Swap the sequence numbers of entries 9 and 11 (via a free number).
        conn.execute(text("UPDATE ledger_entries SET seq = 100000 WHERE seq = 9"))
        conn.execute(text("UPDATE ledger_entries SET seq = 9 WHERE seq = 11"))
        conn.execute(text("UPDATE ledger_entries SET seq = 11 WHERE seq = 100000"))
    code, out = verify_cli(platform, monkeypatch)
    report = json.loads(out)
    assert code == 1 and report["first_bad_seq"] == 9


def test_concurrent_appends_keep_the_chain(platform: Platform, people: People) -> None:
    """Writers in parallel threads still produce one unbroken chain."""
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> None:
        platform.registry.register_system(
            people.dev,
            SystemAttributes(
                name=f"Parallel {i}",
                purpose="p",
                business_function="b",
                opportunity_area=OpportunityArea.WORKFLOW_AUTOMATION,
                accountable_senior_manager="sam",
                owner="dev",
            ),
        )

    before = platform.ledger.verify().entries_checked
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(16)))
    result = platform.ledger.verify()
    assert result.ok and result.entries_checked == before + 16
