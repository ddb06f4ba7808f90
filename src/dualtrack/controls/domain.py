"""Controls, evidence and the gap computation (stdlib + yaml only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dualtrack.errors import ConfigurationError
from dualtrack.registry.domain import FLAGS, SystemAttributes, Tier

EVIDENCE_KINDS = frozenset(
    {
        "document",
        "validation-run",
        "approval-record",
        "configuration",
        "ledger-log",
        "attestation",
        "review-record",
        "monitoring-report",
    }
)
# Evidence the platform itself produces: the gap view can find it without an upload.
PLATFORM_EVIDENCE = frozenset({"validation-run", "approval-record", "ledger-log"})


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    issuer: str
    date: str


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    source: str
    title: str
    requirement: str
    evidence_kind: str
    risk_area: str
    confidence: str
    applies_when: Mapping[str, Any] | None  # None means always

    def applies_to(self, attributes: SystemAttributes, tier: Tier) -> bool:
        if self.applies_when is None:
            return True
        for key, expected in self.applies_when.items():
            if key == "tier_at_least":
                if tier.rank < Tier(expected).rank:
                    return False
            elif key == "opportunity_area":
                allowed = expected if isinstance(expected, list) else [expected]
                if attributes.opportunity_area.value not in allowed:
                    return False
            elif bool(getattr(attributes, key)) != bool(expected):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "requirement": self.requirement,
            "evidence_kind": self.evidence_kind,
            "risk_area": self.risk_area,
            "confidence": self.confidence,
            "applies_when": dict(self.applies_when) if self.applies_when else "always",
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    sources: Mapping[str, Source]
    controls: tuple[Control, ...]

    def get(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)

    def required_for(self, attributes: SystemAttributes, tier: Tier) -> list[Control]:
        return [c for c in self.controls if c.applies_to(attributes, tier)]


_CONDITIONS = frozenset(FLAGS) | {"tier_at_least", "opportunity_area"}


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    try:
        sources = {
            key: Source(key, raw["title"], raw["issuer"], str(raw["date"]))
            for key, raw in data["sources"].items()
        }
        controls = []
        seen: set[str] = set()
        for raw in data["controls"]:
            cid = raw["id"]
            if cid in seen:
                raise ConfigurationError(f"control {cid} is listed twice")
            seen.add(cid)
            if raw["source"] not in sources:
                raise ConfigurationError(f"control {cid} cites unknown source {raw['source']}")
            if raw["evidence_kind"] not in EVIDENCE_KINDS:
                raise ConfigurationError(f"control {cid}: unknown evidence kind")
            when = raw.get("applies_when", "always")
            if when != "always":
                unknown = set(when) - _CONDITIONS
                if unknown:
                    raise ConfigurationError(f"control {cid}: unknown condition {unknown}")
            controls.append(
                Control(
                    id=cid,
                    source=raw["source"],
                    title=raw["title"],
                    requirement=raw["requirement"],
                    evidence_kind=raw["evidence_kind"],
                    risk_area=raw["risk_area"],
                    confidence=str(raw.get("confidence", "U")),
                    applies_when=None if when == "always" else dict(when),
                )
            )
        return Catalogue(str(data["version"]), sources, tuple(controls))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid controls catalogue: {exc}") from exc


@cache
def default_catalogue() -> Catalogue:
    text = resources.files("dualtrack.controls").joinpath("catalogue.yaml").read_text("utf-8")
    return parse_catalogue(yaml.safe_load(text))


class EvidenceKind(StrEnum):
    FILE = "file"
    LINK = "link"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Something attached to show a control is met (or a recorded finding that it is not)."""

    id: str
    system_id: str
    control_id: str
    kind: EvidenceKind
    reference: str
    sha256: str | None
    note: str
    verdict: str  # "met" or "unmet"
    added_by: str
    added_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system_id": self.system_id,
            "control_id": self.control_id,
            "kind": self.kind.value,
            "reference": self.reference,
            "sha256": self.sha256,
            "note": self.note,
            "verdict": self.verdict,
            "added_by": self.added_by,
            "added_at": self.added_at,
        }


class GapStatus(StrEnum):
    MET = "met"
    UNMET = "unmet"
    EVIDENCE_MISSING = "evidence missing"


@dataclass(frozen=True, slots=True)
class ControlGap:
    control: Control
    status: GapStatus
    evidence: tuple[str, ...]
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "control_id": self.control.id,
            "title": self.control.title,
            "source": self.control.source,
            "evidence_kind": self.control.evidence_kind,
            "status": self.status.value,
            "evidence": list(self.evidence),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    """What the platform's own records show for a system (feeds automatic evidence)."""

    latest_validation_id: str | None = None
    latest_validation_passed: bool = False
    # Controls the latest validation run evidences (empty: the run did not say).
    validated_controls: frozenset[str] = frozenset()
    approved_version_ids: tuple[str, ...] = ()
    ledger_entries: int = 0


def compute_gaps(
    controls: Iterable[Control], evidence: Iterable[Evidence], facts: PlatformFacts
) -> list[ControlGap]:
    """Status per control: an explicit ``unmet`` finding wins, then any evidence, then
    platform records of the control's evidence kind; otherwise evidence is missing."""
    by_control: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_control.setdefault(item.control_id, []).append(item)
    gaps = []
    for control in controls:
        attached = by_control.get(control.id, [])
        latest = max(attached, key=lambda e: e.added_at) if attached else None
        ids = tuple(e.id for e in attached)
        if latest is not None and latest.verdict == "unmet":
            gaps.append(ControlGap(control, GapStatus.UNMET, ids, f"finding: {latest.note}"))
            continue
        if latest is not None:
            gaps.append(ControlGap(control, GapStatus.MET, ids, f"{latest.kind.value} attached"))
            continue
        gaps.append(_platform_gap(control, facts))
    return gaps


def _platform_gap(control: Control, facts: PlatformFacts) -> ControlGap:
    kind = control.evidence_kind
    if kind == "validation-run" and facts.latest_validation_id is not None:
        covered = not facts.validated_controls or control.id in facts.validated_controls
        if facts.latest_validation_passed and covered:
            return ControlGap(
                control, GapStatus.MET, (facts.latest_validation_id,), "passing validation run"
            )
        if not facts.latest_validation_passed:
            return ControlGap(
                control,
                GapStatus.UNMET,
                (facts.latest_validation_id,),
                "latest validation run failed",
            )
    if kind == "approval-record" and facts.approved_version_ids:
        return ControlGap(
            control, GapStatus.MET, facts.approved_version_ids[-1:], "maker-checker approval"
        )
    if kind == "ledger-log" and facts.ledger_entries:
        return ControlGap(
            control, GapStatus.MET, (), f"{facts.ledger_entries} hash-chained ledger entries"
        )
    return ControlGap(control, GapStatus.EVIDENCE_MISSING, (), f"needs {kind} evidence")


__all__ = [
    "EVIDENCE_KINDS",
    "PLATFORM_EVIDENCE",
    "Catalogue",
    "Control",
    "ControlGap",
    "Evidence",
    "EvidenceKind",
    "GapStatus",
    "PlatformFacts",
    "compute_gaps",
    "default_catalogue",
    "parse_catalogue",
]
