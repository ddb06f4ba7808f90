"""The public surface matches __all__, and the fraud code imports no web/DB/CLI stack."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import dualtrack.fraud as fraud

PACKAGE = Path(fraud.__file__).parent
FORBIDDEN = {"fastapi", "sqlalchemy", "typer", "starlette", "httpx"}


def test_all_matches_public_names() -> None:
    public = {
        name
        for name, value in vars(fraud).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("dualtrack")
        and not isinstance(value, types.ModuleType)
    }
    assert set(fraud.__all__) == public
    assert fraud.__all__ == sorted(fraud.__all__)


def test_no_forbidden_imports() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [(path.name, n) for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
