"""The controls file (``data/controls.yaml``) as typed, immutable configuration.

Every transaction rule is declared there with its control ID, source, action and figures;
deployments override figures explicitly (``overrides={"velocity": {"max_count": 20}}``)
rather than editing code. ``ControlSet.fingerprint`` is a hash of the effective
configuration, stored with every check result so a decision can be traced to the exact
figures used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from dualtrack.vadealing.domain import AssetListing, CapitalRequirement, Decision, FirmKind
from dualtrack.vadealing.errors import ControlConfigError

_ACTIONS: frozenset[str] = frozenset({"allow", "hold", "block"})


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One declared rule: what it implements, where that comes from, and its figures."""

    rule_id: str
    control_id: str
    source: str
    action: Decision
    description: str
    figures: Mapping[str, Any]
    enabled: bool = True

    def decimal(self, name: str) -> Decimal:
        """A figure as ``Decimal`` (raises ``ControlConfigError`` when missing or not a number)."""
        raw = self._raw(name)
        try:
            return Decimal(str(raw))
        except InvalidOperation as exc:
            raise ControlConfigError(
                "control figure is not a number", rule_id=self.rule_id, figure=name
            ) from exc

    def integer(self, name: str) -> int:
        """A figure as ``int``."""
        raw = self._raw(name)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ControlConfigError(
                "control figure is not an integer", rule_id=self.rule_id, figure=name
            )
        return raw

    def names(self, name: str) -> tuple[str, ...]:
        """A figure that is a list of field names."""
        raw = self._raw(name)
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ControlConfigError(
                "control figure is not a list of names", rule_id=self.rule_id, figure=name
            )
        return tuple(raw)

    def _raw(self, name: str) -> Any:
        if name not in self.figures:
            raise ControlConfigError("control figure missing", rule_id=self.rule_id, figure=name)
        return self.figures[name]


@dataclass(frozen=True, slots=True)
class ControlSet:
    """All rules plus the non-rule figures (capital, fit-and-proper, ownership, proofs)."""

    version: str
    rules: tuple[RuleSpec, ...]
    capital_requirements: Mapping[FirmKind, CapitalRequirement]
    fit_and_proper_valid_days: int
    beneficial_owner_threshold_pct: Decimal
    challenge_ttl_minutes: int
    micro_payment_ttl_hours: int
    asset_listings: tuple[AssetListing, ...]
    fingerprint: str = field(default="")

    def rule(self, rule_id: str) -> RuleSpec:
        """The spec for ``rule_id`` (``ControlConfigError`` when not declared)."""
        for spec in self.rules:
            if spec.rule_id == rule_id:
                return spec
        raise ControlConfigError("rule not declared", rule_id=rule_id)

    @property
    def enabled_rules(self) -> tuple[RuleSpec, ...]:
        """Rules switched on, in file order."""
        return tuple(spec for spec in self.rules if spec.enabled)


def _default_text() -> str:
    return resources.files("dualtrack.vadealing").joinpath("data/controls.yaml").read_text("utf-8")


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise ControlConfigError("controls file is missing a key", key=key, section=where)
    return mapping[key]


def _parse_rule(raw: Any) -> RuleSpec:
    if not isinstance(raw, dict):
        raise ControlConfigError("rule entry is not a mapping")
    rule_id = str(_require(raw, "rule_id", "rules"))
    action = str(_require(raw, "action", rule_id))
    if action not in _ACTIONS:
        raise ControlConfigError("rule action must be allow, hold or block", rule_id=rule_id)
    figures = raw.get("figures") or {}
    if not isinstance(figures, dict):
        raise ControlConfigError("rule figures must be a mapping", rule_id=rule_id)
    return RuleSpec(
        rule_id=rule_id,
        control_id=str(_require(raw, "control_id", rule_id)),
        source=str(_require(raw, "source", rule_id)),
        action=cast(Decision, action),
        description=str(raw.get("description", "")),
        figures=dict(figures),
        enabled=bool(raw.get("enabled", True)),
    )


def _apply_overrides(
    rules: list[RuleSpec], overrides: Mapping[str, Mapping[str, Any]]
) -> list[RuleSpec]:
    by_id = {spec.rule_id: i for i, spec in enumerate(rules)}
    for rule_id, change in overrides.items():
        if rule_id not in by_id:
            raise ControlConfigError("override names an undeclared rule", rule_id=rule_id)
        spec = rules[by_id[rule_id]]
        figures = dict(spec.figures)
        enabled = spec.enabled
        action: str = spec.action
        for key, value in change.items():
            if key == "enabled":
                enabled = bool(value)
            elif key == "action":
                if value not in _ACTIONS:
                    raise ControlConfigError("override action invalid", rule_id=rule_id)
                action = str(value)
            elif key in figures:
                figures[key] = value
            else:
                raise ControlConfigError(
                    "override names an undeclared figure", rule_id=rule_id, figure=key
                )
        rules[by_id[rule_id]] = RuleSpec(
            rule_id=spec.rule_id,
            control_id=spec.control_id,
            source=spec.source,
            action=cast(Decision, action),
            description=spec.description,
            figures=figures,
            enabled=enabled,
        )
    return rules


def _fingerprint(version: str, rules: list[RuleSpec], extra: Mapping[str, Any]) -> str:
    body = {
        "version": version,
        "rules": [
            [s.rule_id, s.control_id, s.action, s.enabled, sorted(s.figures.items())] for s in rules
        ],
        "extra": extra,
    }
    encoded = json.dumps(body, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


def load_control_set(
    path: Path | None = None,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> ControlSet:
    """Load the controls file (the packaged default when ``path`` is ``None``)."""
    text = path.read_text("utf-8") if path is not None else _default_text()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ControlConfigError("controls file is not valid YAML") from exc
    if not isinstance(doc, dict):
        raise ControlConfigError("controls file must be a mapping")

    raw_rules = _require(doc, "rules", "top")
    if not isinstance(raw_rules, list):
        raise ControlConfigError("rules must be a list")
    rules = [_parse_rule(item) for item in raw_rules]
    ids = [spec.rule_id for spec in rules]
    if len(set(ids)) != len(ids):
        raise ControlConfigError("duplicate rule_id in controls file")
    rules = _apply_overrides(rules, overrides or {})

    capital = _require(doc, "capital_requirements", "top")
    requirements: dict[FirmKind, CapitalRequirement] = {}
    for kind in ("dealer", "custodian"):
        figures = _require(capital, kind, "capital_requirements")
        requirements[kind] = CapitalRequirement(
            kind=kind,
            paid_up_hkd=Decimal(str(_require(figures, "paid_up_hkd", kind))),
            liquid_hkd=Decimal(str(_require(figures, "liquid_hkd", kind))),
            status=str(_require(capital, "status", "capital_requirements")),
            source=str(_require(capital, "source", "capital_requirements")),
        )

    assets = doc.get("assets") or {}
    listings: list[AssetListing] = []
    for item in assets.get("tokens") or []:
        listings.append(
            AssetListing(asset=str(item["asset"]), category="token", basis=str(item["basis"]))
        )
    for item in assets.get("stablecoins") or []:
        listings.append(
            AssetListing(
                asset=str(item["asset"]),
                category="stablecoin",
                basis=str(item["basis"]),
                issuer=item.get("issuer"),
            )
        )

    version = str(_require(doc, "version", "top"))
    fit = _require(doc, "fit_and_proper", "top")
    ownership = _require(doc, "beneficial_ownership", "top")
    proof = _require(doc, "wallet_proof", "top")
    extra = {
        "capital": {k: [str(v.paid_up_hkd), str(v.liquid_hkd)] for k, v in requirements.items()},
        "fit_days": fit.get("valid_days"),
        "bo_pct": str(ownership.get("threshold_pct")),
        "proof": [proof.get("challenge_ttl_minutes"), proof.get("micro_payment_ttl_hours")],
        "assets": sorted(item.asset for item in listings),
    }
    return ControlSet(
        version=version,
        rules=tuple(rules),
        capital_requirements=requirements,
        fit_and_proper_valid_days=int(_require(fit, "valid_days", "fit_and_proper")),
        beneficial_owner_threshold_pct=Decimal(
            str(_require(ownership, "threshold_pct", "beneficial_ownership"))
        ),
        challenge_ttl_minutes=int(_require(proof, "challenge_ttl_minutes", "wallet_proof")),
        micro_payment_ttl_hours=int(_require(proof, "micro_payment_ttl_hours", "wallet_proof")),
        asset_listings=tuple(listings),
        fingerprint=_fingerprint(version, rules, extra),
    )


__all__ = ["ControlSet", "RuleSpec", "load_control_set"]
