"""Compute a system's risk tier and oversight mode from its attributes, by declarative rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dualtrack.errors import ConfigurationError
from dualtrack.registry.domain import (
    FLAGS,
    Oversight,
    SystemAttributes,
    Tier,
    TierAssessment,
)

_CONDITION_KEYS = frozenset(FLAGS) | {"opportunity_area"}


@dataclass(frozen=True, slots=True)
class TieringRule:
    id: str
    when: Mapping[str, Any]
    tier: Tier
    oversight: Oversight | None
    source: str
    cites: tuple[str, ...]
    reason: str

    def matches(self, attributes: SystemAttributes) -> bool:
        for key, expected in self.when.items():
            actual = (
                attributes.opportunity_area.value
                if key == "opportunity_area"
                else getattr(attributes, key)
            )
            if isinstance(expected, list):
                if actual not in expected:
                    return False
            elif actual != expected:
                return False
        return True


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    default_tier: Tier
    default_oversight: Oversight
    default_reason: str
    oversight_by_tier: Mapping[Tier, Oversight]
    approvers: Mapping[Tier, tuple[str, ...]]
    rules: tuple[TieringRule, ...]

    def assess(self, attributes: SystemAttributes) -> TierAssessment:
        matched = [rule for rule in self.rules if rule.matches(attributes)]
        if not matched:
            return TierAssessment(
                self.default_tier,
                self.default_oversight,
                (),
                (self.default_reason,),
                self.version,
            )
        tier = max((rule.tier for rule in matched), key=lambda t: t.rank)
        oversight = self.oversight_by_tier[tier]
        for rule in matched:
            if rule.oversight is not None and rule.oversight.rank > oversight.rank:
                oversight = rule.oversight
        return TierAssessment(
            tier,
            oversight,
            tuple(rule.id for rule in matched),
            tuple(rule.reason for rule in matched),
            self.version,
        )

    def approver_roles(self, tier: Tier) -> tuple[str, ...]:
        return self.approvers[tier]


def parse_ruleset(data: Mapping[str, Any]) -> RuleSet:
    """Validate and build a rule set from its YAML form; errors name the bad rule."""
    try:
        rules = []
        for raw in data["rules"]:
            unknown = set(raw["when"]) - _CONDITION_KEYS
            if unknown:
                raise ConfigurationError(f"tiering rule {raw['id']}: unknown condition {unknown}")
            rules.append(
                TieringRule(
                    id=raw["id"],
                    when=dict(raw["when"]),
                    tier=Tier(raw["tier"]),
                    oversight=Oversight(raw["oversight"]) if raw.get("oversight") else None,
                    source=raw["source"],
                    cites=tuple(raw.get("cites", ())),
                    reason=raw["reason"],
                )
            )
        default = data["default"]
        return RuleSet(
            version=str(data["version"]),
            default_tier=Tier(default["tier"]),
            default_oversight=Oversight(default["oversight"]),
            default_reason=default["reason"],
            oversight_by_tier={Tier(k): Oversight(v) for k, v in data["oversight_by_tier"].items()},
            approvers={Tier(k): tuple(v) for k, v in data["approvers"].items()},
            rules=tuple(rules),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"invalid tiering rules: {exc}") from exc


@cache
def default_ruleset() -> RuleSet:
    text = resources.files("dualtrack.registry").joinpath("tiering.yaml").read_text("utf-8")
    return parse_ruleset(yaml.safe_load(text))


__all__ = ["RuleSet", "TieringRule", "default_ruleset", "parse_ruleset"]
