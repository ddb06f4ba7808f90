"""``__all__`` matches the public namespace, and domain/service stay free of edge libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import dualtrack.vadealing as package

PACKAGE_DIR = Path(package.__file__).parent
FORBIDDEN = {"fastapi", "sqlalchemy", "typer", "starlette", "httpx"}


def test_all_matches_public_names() -> None:
    public = {
        name
        for name in vars(package)
        if not name.startswith("_")
        and name not in {"annotations"}
        and not isinstance(getattr(package, name), type(package))
    }
    assert set(package.__all__) == public
    assert package.__all__ == sorted(package.__all__)


def test_no_edge_framework_imports() -> None:
    for path in PACKAGE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, (path.name, name)
