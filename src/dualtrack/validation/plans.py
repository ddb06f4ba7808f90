"""Validation plans per risk tier, read from ``data/plans.yaml`` shipped in the package."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from dualtrack.validation.base import create_test
from dualtrack.validation.domain import (
    SEVERITIES,
    TIERS,
    PlannedTest,
    ValidationPlan,
)
from dualtrack.validation.errors import InvalidPlan, UnknownValidationTest


def parse_plan(tier: str, data: Mapping[str, Any]) -> ValidationPlan:
    """Build a plan from its YAML mapping, checking ids, parameters and severities."""
    if tier not in TIERS:
        raise InvalidPlan(f"unknown risk tier {tier!r}; expected one of {', '.join(TIERS)}")
    tests = []
    for i, line in enumerate(data.get("tests") or []):
        test_id = str(line.get("id", ""))
        severity = str(line.get("severity", "high"))
        if severity not in SEVERITIES:
            raise InvalidPlan(f"plan {tier} test #{i + 1} has unknown severity {severity!r}")
        params = dict(line.get("params") or {})
        try:
            create_test(test_id, params)  # validates the id and parameter names
        except UnknownValidationTest as exc:
            raise InvalidPlan(f"plan {tier} test #{i + 1}: {exc.message}") from exc
        tests.append(
            PlannedTest(
                test_id=test_id,
                params=params,
                severity=severity,
                controls=tuple(line.get("controls") or ()),
            )
        )
    if not tests:
        raise InvalidPlan(f"plan {tier} lists no tests")
    blocking = str(data.get("blocking_severity", "high"))
    if blocking not in SEVERITIES:
        raise InvalidPlan(f"plan {tier} has unknown blocking_severity {blocking!r}")
    return ValidationPlan(
        plan_id=str(data.get("plan_id", f"validation-{tier.lower()}")),
        tier=tier,
        description=str(data.get("description", "")),
        tests=tuple(tests),
        blocking_severity=blocking,
        require_reference=bool(data.get("require_reference", False)),
        require_protected_attributes=bool(data.get("require_protected_attributes", False)),
    )


@lru_cache(maxsize=1)
def _bundled() -> dict[str, ValidationPlan]:
    text = resources.files("dualtrack.validation").joinpath("data/plans.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    return {tier: parse_plan(tier, body) for tier, body in raw["plans"].items()}


def plan_for_tier(tier: str) -> ValidationPlan:
    """The bundled plan for ``LOW``, ``MEDIUM`` or ``HIGH``."""
    plans = _bundled()
    key = tier.upper()
    if key not in plans:
        raise InvalidPlan(f"no validation plan for risk tier {tier!r}")
    return plans[key]
