"""Shared CLI plumbing: platform construction, the acting user, output and errors."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.errors import InvalidInput, NotFound, PlatformError
from dualtrack.identity.domain import Actor

console = Console()
err = Console(stderr=True)

_platform: Platform | None = None


class ErrorHandlingGroup(TyperGroup):
    """Turn domain errors into a one-line message on stderr and exit code 2."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PlatformError as exc:
            err.print(f"[red]error:[/red] {exc.message}", highlight=False)
            raise typer.Exit(2) from None
        except ValueError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None


def platform() -> Platform:
    global _platform  # noqa: PLW0603 - one platform per CLI process
    if _platform is None:
        _platform = bootstrap(Settings(), run_migrations=True)
    return _platform


def reset_platform() -> None:
    """Forget the cached platform (tests switch databases between invocations)."""
    global _platform  # noqa: PLW0603
    if _platform is not None:
        _platform.close()
    _platform = None


def acting_user(username: str | None) -> Actor:
    name = username or os.environ.get("DUALTRACK_ACTOR")
    if not name:
        raise InvalidInput("say who is acting: --as USERNAME or DUALTRACK_ACTOR")
    try:
        return Actor.of(platform().identity.get_user(name))
    except NotFound:
        raise InvalidInput(f"no user named {name!r}") from None


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def status(message: str) -> Iterator[None]:
    with err.status(message):
        yield


AS_OPTION = typer.Option(None, "--as", help="Username to act as (or DUALTRACK_ACTOR).")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")
