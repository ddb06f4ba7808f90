"""Domain and service modules import no web framework, ORM, CLI library or HTTP client."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "dualtrack"
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "typer", "httpx", "uvicorn", "jinja2", "alembic"}
MODULES = sorted(p for p in SRC.rglob("*.py") if p.name in {"domain.py", "service.py", "ports.py"})


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_framework_imports(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN, f"{path.name} imports {imported & FORBIDDEN}"


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) >= 6
