"""Composition root: build the platform's services from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine

from dualtrack.adapters.db import create_db_engine, migrate
from dualtrack.adapters.sql import Clock, SqlUnitOfWork, utc_now
from dualtrack.config import Settings
from dualtrack.controls.service import ControlsService
from dualtrack.identity.service import IdentityService
from dualtrack.ledger.service import LedgerService
from dualtrack.registry.service import RegistryService

T = TypeVar("T")

# Features that plug into the platform, in demo-seeding order. Each may provide
# ``dualtrack.<name>.wiring`` with ``seed_demo(platform)``; edges are discovered separately
# (``dualtrack.api.routes_*``, ``dualtrack.cli.cmd_*``, ``dualtrack.web.pages_*``).
FEATURES = ("fraud", "validation", "monitoring", "privacy", "research", "screening", "vadealing")


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    identity: IdentityService
    registry: RegistryService
    controls: ControlsService
    ledger: LedgerService
    _features: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def feature(self, name: str, factory: Callable[[Platform], T]) -> T:
        """The feature service ``name``, built once per platform by ``factory``.

        Track 1 features (fraud, privacy, research, ...) wire themselves in their
        ``wiring.py`` through this, so the core does not import them."""
        if name not in self._features:
            self._features[name] = factory(self)
        value: T = self._features[name]
        return value

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()
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

    def reader() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, clock, readonly=True)

    return Platform(
        settings=settings,
        engine=engine,
        identity=IdentityService(uow, reader),
        registry=RegistryService(uow),
        controls=ControlsService(uow),
        ledger=LedgerService(uow, reader),
    )
