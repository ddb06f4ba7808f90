"""OTC virtual-asset (VA) dealing compliance.

Hong Kong is moving OTC VA dealing and custody under an SFC licensing regime (FSTB/SFC
consultation conclusions, Dec 2025; a bill is planned for 2026), on top of the AMLO
Schedule 2 duties that already bind SFC-licensed VA service providers. This package turns
those duties into checks a dealing desk runs before money or coins move:

* a **licence register** of dealers and custodians (status, responsible officers'
  fit-and-proper results, capital against the proposed HK$5m + HK$3m / HK$10m minimums,
  registered wallets) that answers "may we deal with / transfer to this firm?";
* **client onboarding**: CDD status, beneficial owners above 25%, and self-custody wallets
  proven by a signed message (Bitcoin signed message, Ethereum EIP-191) or a micro-payment
  test, never by the client's word;
* **transaction controls** declared as data in ``data/controls.yaml`` (CDD thresholds with
  linked transactions, travel rule, registered and proven wallets, asset allow-list,
  wallet screening, structuring, velocity, round-tripping), each hit naming its control ID,
  source and figure; HKD values at the trade-time rate with the rate source kept;
* an **STR draft** for the JFIU and client messages that never tip off;
* **retention**: AMLO 5 years / SFC 7 years, deletable-record decisions and deletion
  evidence.

Entry points: ``VaComplianceService.check_transaction``, ``LicenceRegisterService``,
``ClientOnboardingService``, ``load_control_set``.
"""

from dualtrack.vadealing.controls import ControlSet, RuleSpec, load_control_set
from dualtrack.vadealing.domain import (
    CheckResult,
    Client,
    Firm,
    FxRate,
    RuleHit,
    TravelRuleData,
    TravelRuleParty,
    VaTransaction,
)
from dualtrack.vadealing.reporting import (
    StrCaseFacts,
    build_str_draft,
    client_message,
    render_str_json,
    render_str_text,
)
from dualtrack.vadealing.retention import (
    default_retention_policy,
    deletable_records,
    make_deletion_evidence,
)
from dualtrack.vadealing.service import (
    ClientOnboardingService,
    LicenceRegisterService,
    VaComplianceService,
)

__all__ = [
    "CheckResult",
    "Client",
    "ClientOnboardingService",
    "ControlSet",
    "Firm",
    "FxRate",
    "LicenceRegisterService",
    "RuleHit",
    "RuleSpec",
    "StrCaseFacts",
    "TravelRuleData",
    "TravelRuleParty",
    "VaComplianceService",
    "VaTransaction",
    "build_str_draft",
    "client_message",
    "default_retention_policy",
    "deletable_records",
    "load_control_set",
    "make_deletion_evidence",
    "render_str_json",
    "render_str_text",
]
