"""Bundled plans, malformed plans, the public surface and the dependency direction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dualtrack.monitoring as monitoring
import dualtrack.validation as validation
from dualtrack.validation.errors import InvalidPlan
from dualtrack.validation.plans import parse_plan, plan_for_tier


@pytest.mark.parametrize("tier", ["LOW", "MEDIUM", "HIGH", "high"])
def test_bundled_plans_load(tier: str) -> None:
    plan = plan_for_tier(tier)
    assert plan.tier == tier.upper()
    assert plan.tests
    ids = [t.test_id for t in plan.tests]
    assert len(ids) == len(set(ids))


def test_higher_tiers_are_stricter() -> None:
    low, medium, high = (plan_for_tier(t) for t in ("LOW", "MEDIUM", "HIGH"))
    assert {t.test_id for t in low.tests} <= {t.test_id for t in medium.tests}
    assert {t.test_id for t in medium.tests} <= {t.test_id for t in high.tests}
    auc = {
        p.tier: dict(next(t for t in p.tests if t.test_id == "performance.auc").params)
        for p in (low, high)
    }
    assert auc["LOW"]["min_auc"] < auc["HIGH"]["min_auc"]
    assert high.require_reference and high.require_protected_attributes
    assert any(t.test_id.startswith("fairness.") for t in high.tests)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"tests": [{"id": "performance.nope"}]}, r"performance\.nope"),
        ({"tests": [{"id": "performance.auc", "params": {"max_auc": 1}}]}, "max_auc"),
        ({"tests": [{"id": "performance.auc", "severity": "urgent"}]}, "urgent"),
        ({"tests": []}, "no tests"),
        ({"tests": [{"id": "performance.auc"}], "blocking_severity": "x"}, "blocking_severity"),
    ],
)
def test_malformed_plans(body: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidPlan, match=words):
        parse_plan("LOW", body)
    with pytest.raises(InvalidPlan, match="tier"):
        parse_plan("EXTREME", {"tests": [{"id": "performance.auc"}]})


@pytest.mark.parametrize("package", [validation, monitoring])
def test_all_matches_namespace(package: object) -> None:
    public = {n for n in dir(package) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(package, n)).__name__ == "module"}
    exported = package.__all__  # type: ignore[attr-defined]
    assert set(exported) == public - modules
    assert exported == sorted(exported)


@pytest.mark.parametrize("package", [validation, monitoring])
def test_no_web_or_database_imports(package: object) -> None:
    forbidden = {"fastapi", "sqlalchemy", "typer", "starlette", "httpx"}
    root = Path(package.__file__).parent  # type: ignore[attr-defined]
    # wiring.py / fraud_source.py / demo.py are the composition layer (adapters may use
    # the database there); the library's own modules must stay free of it.
    edges = {"wiring.py", "fraud_source.py", "demo.py"}
    for path in (p for p in root.rglob("*.py") if p.name not in edges):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, path.name
