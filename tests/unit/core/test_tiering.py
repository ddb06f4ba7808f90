"""Tiers follow the rules for every flag combination and opportunity area.

The oracle below restates the rules independently of the YAML, so a changed rule file or a
broken evaluator makes this fail.
"""

import itertools

import pytest

from dualtrack.registry.domain import FLAGS, OpportunityArea, Oversight, SystemAttributes, Tier
from dualtrack.registry.tiering import default_ruleset, parse_ruleset


def oracle(flags: dict[str, bool], area: OpportunityArea) -> tuple[Tier, Oversight]:
    high = (
        flags["gives_investment_advice"]
        or (flags["generative"] and flags["customer_facing"])
        or (
            flags["customer_facing"]
            and flags["uses_personal_data"]
            and area in (OpportunityArea.RISK_ASSESSMENT, OpportunityArea.INVESTMENT)
        )
    )
    medium = (
        flags["generative"]
        or flags["uses_personal_data"]
        or flags["customer_facing"]
        or flags["third_party_provider"]
        or area is OpportunityArea.FRAUD_CRIME_DETECTION
    )
    if high:
        return Tier.HIGH, Oversight.HUMAN_IN_THE_LOOP
    if medium:
        return Tier.MEDIUM, Oversight.HUMAN_IN_COMMAND
    return Tier.LOW, Oversight.HUMAN_OUT_OF_THE_LOOP


CASES = [
    (dict(zip(FLAGS, combo, strict=True)), area)
    for combo in itertools.product([False, True], repeat=len(FLAGS))
    for area in OpportunityArea
]


@pytest.mark.parametrize(("flags", "area"), CASES)
def test_tier_matches_rules(flags: dict[str, bool], area: OpportunityArea) -> None:
    attrs = SystemAttributes(
        name="x",
        purpose="x",
        business_function="x",
        opportunity_area=area,
        accountable_senior_manager="sam",
        owner="alice",
        **flags,
    )
    assessment = default_ruleset().assess(attrs)
    assert (assessment.tier, assessment.oversight) == oracle(flags, area)
    assert assessment.reasons, "every assessment explains itself"


def test_investment_advice_cites_the_sfc() -> None:
    attrs = SystemAttributes(
        name="x",
        purpose="x",
        business_function="x",
        opportunity_area=OpportunityArea.RESEARCH_DATA_ANALYSIS,
        accountable_senior_manager="sam",
        owner="alice",
        gives_investment_advice=True,
    )
    assessment = default_ruleset().assess(attrs)
    assert "TIER-SFC-INVESTMENT-CONTENT" in assessment.rule_ids
    rule = next(r for r in default_ruleset().rules if r.id == "TIER-SFC-INVESTMENT-CONTENT")
    assert rule.source == "S-SFC-AI" and "SFC-15" in rule.cites


def test_every_rule_cites_a_catalogue_source() -> None:
    from dualtrack.controls.domain import default_catalogue

    sources = default_catalogue().sources
    for rule in default_ruleset().rules:
        assert rule.source in sources, rule.id
        for cited in rule.cites:
            assert default_catalogue().get(cited) is not None, (rule.id, cited)


def test_unknown_condition_is_refused() -> None:
    from dualtrack.errors import ConfigurationError

    bad = {
        "version": "x",
        "default": {"tier": "LOW", "oversight": "human-out-of-the-loop", "reason": "r"},
        "oversight_by_tier": {"LOW": "human-out-of-the-loop"},
        "approvers": {"LOW": ["admin"]},
        "rules": [
            {"id": "R", "when": {"colour": "red"}, "tier": "HIGH", "source": "s", "reason": "r"}
        ],
    }
    with pytest.raises(ConfigurationError, match="unknown condition"):
        parse_ruleset(bad)
