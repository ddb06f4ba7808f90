"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and demo users.

PostgreSQL tests use the server named by ``DUALTRACK_TEST_PG_URL`` with a throw-away schema
per test. When ``DUALTRACK_REQUIRE_PG=1`` (``make test`` and CI set it) an unreachable server
is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.identity.domain import Actor, Role

PG_URL = os.environ.get("DUALTRACK_TEST_PG_URL")
REQUIRE_PG = os.environ.get("DUALTRACK_REQUIRE_PG") == "1"


def _pg_schema_url(schema: str) -> str:
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dualtrack.db'}"
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("DUALTRACK_TEST_PG_URL is not set but PostgreSQL tests are required")
        pytest.skip("set DUALTRACK_TEST_PG_URL to run PostgreSQL tests")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {type(exc).__name__}")
        pytest.skip("PostgreSQL unreachable")
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, var_dir=tmp_path / "var", cookie_secure=False)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = bootstrap(settings, run_migrations=True)
    yield p
    p.close()


@dataclass
class People:
    admin: Actor
    dev: Actor
    dev2: Actor
    validator: Actor
    compliance: Actor
    manager: Actor
    auditor: Actor
    analyst: Actor


@pytest.fixture
def people(platform: Platform) -> People:
    return make_people(platform)


def make_people(platform: Platform) -> People:
    """One user per role (the usernames the tests' API keys are issued to)."""
    boot = Actor.system("tests")
    admin = Actor.of(
        platform.identity.create_user(
            boot,
            username="admin",
            display_name="Admin",
            role=Role.ADMIN,
            password="admin-password-1",
        )
    )

    def make(name: str, role: Role) -> Actor:
        return Actor.of(
            platform.identity.create_user(
                admin, username=name, display_name=name.title(), role=role
            )
        )

    return People(
        admin=admin,
        dev=make("dev", Role.MODEL_DEVELOPER),
        dev2=make("dev2", Role.MODEL_DEVELOPER),
        validator=make("val", Role.VALIDATOR),
        compliance=make("carol", Role.COMPLIANCE_OFFICER),
        manager=make("sam", Role.SENIOR_MANAGER),
        auditor=make("audrey", Role.AUDITOR),
        analyst=make("ana", Role.ANALYST),
    )
