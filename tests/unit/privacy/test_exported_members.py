"""``__all__`` must match the public namespace (httpx-style drift check)."""

from __future__ import annotations

import dualtrack.identifiers as identifiers
import dualtrack.privacy as privacy


def test_privacy_all_matches_namespace() -> None:
    public = {n for n in dir(privacy) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(privacy, n)).__name__ == "module"}
    assert set(privacy.__all__) == public - modules


def test_identifiers_all_exist() -> None:
    for name in identifiers.__all__:
        assert callable(getattr(identifiers, name))


def test_domain_and_service_do_not_import_web_layers() -> None:
    import ast
    from pathlib import Path

    forbidden = {"fastapi", "sqlalchemy", "typer", "starlette", "httpx"}
    for path in Path(privacy.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & forbidden, path.name
