from dualtrack.controls.domain import default_catalogue
from dualtrack.registry.domain import OpportunityArea, SystemAttributes, Tier


def attrs(**flags: bool) -> SystemAttributes:
    return SystemAttributes(
        name="x",
        purpose="x",
        business_function="x",
        opportunity_area=OpportunityArea.WORKFLOW_AUTOMATION,
        accountable_senior_manager="sam",
        owner="alice",
        **flags,
    )


def test_catalogue_covers_each_regulator() -> None:
    cat = default_catalogue()
    prefixes = {c.id.split("-")[0] for c in cat.controls}
    assert {"FSTB", "SFC", "HKMA", "PCPD", "PDPO"} <= prefixes
    assert all(c.source in cat.sources for c in cat.controls)
    assert len({c.id for c in cat.controls}) == len(cat.controls)


def test_generative_investment_systems_need_the_sfc_high_risk_controls() -> None:
    cat = default_catalogue()
    plain = {c.id for c in cat.required_for(attrs(), Tier.LOW)}
    advice = {
        c.id
        for c in cat.required_for(
            attrs(generative=True, gives_investment_advice=True, customer_facing=True), Tier.HIGH
        )
    }
    assert "SFC-17" in advice and "SFC-17" not in plain
    assert plain < advice


def test_personal_data_brings_pdpo_controls() -> None:
    cat = default_catalogue()
    ids = {c.id for c in cat.required_for(attrs(uses_personal_data=True), Tier.MEDIUM)}
    assert {"PDPO-DPP1", "PDPO-DPP3", "PDPO-DPP4"} <= ids
