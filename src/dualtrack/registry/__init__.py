"""The AI inventory: systems, computed risk tiers and the model-version lifecycle.

Risk tiers, oversight modes and required controls are derived from a system's attributes by
declarative rules (``tiering.yaml``), each citing its regulatory source. Model versions move
through ``draft -> submitted -> validated -> approved -> deployed -> retired`` under
maker-checker rules enforced here, in the service layer, whatever edge calls it.
"""

from dualtrack.registry.domain import (
    AISystem,
    Lifecycle,
    ModelVersion,
    OpportunityArea,
    Oversight,
    SystemAttributes,
    Tier,
    TierAssessment,
)
from dualtrack.registry.service import ApprovalItem, RegistryService
from dualtrack.registry.tiering import RuleSet, default_ruleset

__all__ = [
    "AISystem",
    "ApprovalItem",
    "Lifecycle",
    "ModelVersion",
    "OpportunityArea",
    "Oversight",
    "RegistryService",
    "RuleSet",
    "SystemAttributes",
    "Tier",
    "TierAssessment",
    "default_ruleset",
]
