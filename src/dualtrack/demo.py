"""A realistic demo institution: "Harbour Bank", a Hong Kong retail bank with a broker arm.

Seeding goes through the same services as every user, so the demo's history, tiers and ledger
are exactly what the platform would record. It is idempotent: a second run changes nothing.
"""

from __future__ import annotations

import hashlib

from dualtrack.bootstrap import Platform
from dualtrack.identity.domain import Actor, Role
from dualtrack.registry.domain import OpportunityArea, SystemAttributes

DEMO_PASSWORD = "harbour-demo-2026"  # noqa: S105 - documented demo credential, dev only

DEMO_USERS: list[tuple[str, str, Role]] = [
    ("admin", "Platform Admin", Role.ADMIN),
    ("alice", "Alice Lam (model developer)", Role.MODEL_DEVELOPER),
    ("victor", "Victor Ho (model validation)", Role.VALIDATOR),
    ("carol", "Carol Cheung (compliance)", Role.COMPLIANCE_OFFICER),
    ("sam", "Samuel Wong (senior manager)", Role.SENIOR_MANAGER),
    ("audrey", "Audrey Lee (internal audit)", Role.AUDITOR),
    ("ana", "Ana Chan (fraud analyst)", Role.ANALYST),
]


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


SYSTEMS: list[SystemAttributes] = [
    SystemAttributes(
        name="Card and FPS fraud detection",
        purpose="Scores card payments and Faster Payment System transfers in real time; "
        "holds or blocks suspected fraud and scam payments for analyst review.",
        business_function="Retail banking: payments fraud",
        opportunity_area=OpportunityArea.FRAUD_CRIME_DETECTION,
        accountable_senior_manager="sam",
        owner="alice",
        uses_personal_data=True,
        protected_attributes=("sex", "age_band"),
    ),
    SystemAttributes(
        name="Retail credit scorecard",
        purpose="Scores personal-loan and credit-card applications to support credit decisions.",
        business_function="Retail banking: consumer lending",
        opportunity_area=OpportunityArea.RISK_ASSESSMENT,
        accountable_senior_manager="sam",
        owner="alice",
        customer_facing=True,
        uses_personal_data=True,
        protected_attributes=("sex", "age_band", "family_status"),
    ),
    SystemAttributes(
        name="Client research assistant",
        purpose="Answers relationship managers' and clients' questions from house research, "
        "with citations; gives investment research to clients.",
        business_function="Wealth management and brokerage",
        opportunity_area=OpportunityArea.INVESTMENT,
        accountable_senior_manager="sam",
        owner="alice",
        customer_facing=True,
        gives_investment_advice=True,
        generative=True,
        uses_personal_data=True,
    ),
    SystemAttributes(
        name="Internal document summariser",
        purpose="Summarises internal policy documents and meeting notes for staff.",
        business_function="Operations",
        opportunity_area=OpportunityArea.WORKFLOW_AUTOMATION,
        accountable_senior_manager="sam",
        owner="alice",
        generative=True,
        third_party_provider=True,
    ),
    SystemAttributes(
        name="Trade settlement exception router",
        purpose="Routes failed trade settlements to the right operations queue.",
        business_function="Securities operations",
        opportunity_area=OpportunityArea.WORKFLOW_AUTOMATION,
        accountable_senior_manager="sam",
        owner="alice",
    ),
    SystemAttributes(
        name="OTC virtual-asset transaction monitoring",
        purpose="Checks OTC virtual-asset transfers against CDD, travel-rule and wallet controls "
        "and screens counterparties against sanctions lists.",
        business_function="Virtual-asset dealing desk",
        opportunity_area=OpportunityArea.FRAUD_CRIME_DETECTION,
        accountable_senior_manager="sam",
        owner="alice",
        uses_personal_data=True,
    ),
]


def seed(platform: Platform) -> bool:
    """Seed users, systems and versions in several lifecycle states. False if already seeded."""
    identity, registry = platform.identity, platform.registry
    if any(u.username == "alice" for u in identity.list_users()):
        return False
    bootstrap_actor = Actor.system("demo-seed")
    users: dict[str, Actor] = {}
    for username, name, role in DEMO_USERS:
        creator = users.get("admin", bootstrap_actor)
        user = identity.create_user(
            creator, username=username, display_name=name, role=role, password=DEMO_PASSWORD
        )
        users[username] = Actor.of(user)
    alice, victor, carol, sam = users["alice"], users["victor"], users["carol"], users["sam"]

    ids = {}
    for attributes in SYSTEMS:
        ids[attributes.name] = registry.register_system(alice, attributes).id

    def version(system: str, label: str) -> str:
        return registry.register_version(
            alice,
            ids[system],
            version=label,
            artifact_sha256=_h(f"{system}/{label}/artifact"),
            data_fingerprint=_h(f"{system}/{label}/training-data"),
            metrics={"auc": 0.97} if "fraud" in system else {},
        ).id

    # Fraud model: deployed (MEDIUM tier: compliance may approve).
    fraud = version("Card and FPS fraud detection", "2026.10.1")
    registry.submit(alice, fraud)
    registry.record_validation(
        victor, fraud, passed=True, summary="Back-test on Q3 data; AUPRC 0.86."
    )
    registry.approve(carol, fraud, note="Within risk appetite.")
    registry.deploy(alice, fraud)
    # Credit scorecard: validated, waiting for a senior manager (HIGH tier).
    credit = version("Retail credit scorecard", "3.2.0")
    registry.submit(alice, credit)
    registry.record_validation(
        victor, credit, passed=True, summary="Gini 0.61; fairness within thresholds."
    )
    # Research assistant: submitted, waiting for independent validation.
    research = version("Client research assistant", "0.9.0")
    registry.submit(alice, research)
    # Summariser: draft. Router: deployed.
    version("Internal document summariser", "1.0.0-rc1")
    router = version("Trade settlement exception router", "1.4.2")
    registry.submit(alice, router)
    registry.record_validation(carol, router, passed=True, summary="Routing accuracy 99.2%.")
    registry.approve(sam, router)
    registry.deploy(alice, router)
    version("OTC virtual-asset transaction monitoring", "0.3.0")
    seed_features(platform)
    # A re-tier the inventory history will show: the summariser starts using personal data.
    registry.update_system(carol, ids["Internal document summariser"], {"uses_personal_data": True})
    return True


def seed_features(platform: Platform) -> None:
    """Let each installed feature add its demo data (fraud alerts, documents, dealers...)."""
    from dualtrack.bootstrap import FEATURES
    from dualtrack.plugins import feature_module

    for name in FEATURES:
        wiring = feature_module(name, "wiring")
        if wiring is not None and hasattr(wiring, "seed_demo"):
            wiring.seed_demo(platform)
