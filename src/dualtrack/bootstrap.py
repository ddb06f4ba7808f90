"""Composition root: build the platform's services from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from dualtrack.adapters.db import create_db_engine, migrate
from dualtrack.adapters.sql import Clock, SqlUnitOfWork, utc_now
from dualtrack.config import Settings
from dualtrack.controls.service import ControlsService
from dualtrack.identity.service import IdentityService
from dualtrack.ledger.service import LedgerService
from dualtrack.registry.service import RegistryService


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    identity: IdentityService
    registry: RegistryService
    controls: ControlsService
    ledger: LedgerService

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: Settings, *, run_migrations: bool = False, clock: Clock = utc_now
) -> Platform:
    url = settings.resolved_database_url
    if run_migrations:
        migrate(url)
    engine = create_db_engine(url)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, clock)

    return Platform(
        settings=settings,
        engine=engine,
        identity=IdentityService(uow),
        registry=RegistryService(uow),
        controls=ControlsService(uow),
        ledger=LedgerService(uow),
    )
