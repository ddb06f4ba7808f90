"""A platform for the generated-input tests: a user per role, the demo's AI systems,
sanctions lists and VA dealers, and a deployed fraud model (no model training)."""

from __future__ import annotations

import base64
from pathlib import Path

from pydantic import SecretStr

from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.demo import SYSTEMS
from dualtrack.screening import wiring as screening_wiring
from dualtrack.vadealing import wiring as va_wiring
from tests.conftest import People, make_people
from tests.fraud_support import deploy_tiny


def governed_platform(base: Path) -> tuple[Platform, People]:
    platform = bootstrap(
        Settings(
            database_url=f"sqlite:///{base / 'dualtrack.db'}",
            var_dir=base / "var",
            cookie_secure=False,
            pseudonym_key=SecretStr("fuzz-pseudonym-key-0123456789"),
            encryption_key=SecretStr(base64.b64encode(bytes(range(64))).decode()),
        ),
        run_migrations=True,
    )
    people = make_people(platform)
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    registered = {system.attributes.name for system in platform.registry.list_systems()}
    for attributes in SYSTEMS:  # the demo's inventory, so every application finds its system
        if attributes.name not in registered:
            platform.registry.register_system(people.dev, attributes)
    screening_wiring.seed_demo(platform)  # sanctions lists
    va_wiring.seed_demo(platform)  # dealers, clients, FX rates
    return platform, people
