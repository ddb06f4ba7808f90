"""Discovery of feature modules by naming convention.

Built-in features register their edges exactly as an extension would: a module named
``dualtrack.api.routes_<x>`` exposing ``router`` (and optionally ``startup(platform)``, run
before the app serves, and ``shutdown(platform)``, run when it stops),
``dualtrack.cli.cmd_<x>`` exposing ``app``
(a Typer app, mounted as ``dualtrack <x>`` unless it sets ``NAME``), ``dualtrack.web.pages_<x>``
exposing ``router`` and ``NAV`` (dashboard menu entries), and ``dualtrack.<x>.wiring`` with
``seed_demo(platform)``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover(package: str, prefix: str) -> list[ModuleType]:
    """Import every module ``package.<prefix>*`` in name order."""
    pkg = importlib.import_module(package)
    names = sorted(
        info.name for info in pkgutil.iter_modules(pkg.__path__) if info.name.startswith(prefix)
    )
    return [importlib.import_module(f"{package}.{name}") for name in names]


def feature_module(feature: str, module: str) -> ModuleType | None:
    """``dualtrack.<feature>.<module>`` if the feature ships it."""
    try:
        return importlib.import_module(f"dualtrack.{feature}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name in {f"dualtrack.{feature}", f"dualtrack.{feature}.{module}"}:
            return None
        raise
