"""Production monitoring of scoring models: drift, performance decay and alerts.

A :class:`ReferenceProfile` condenses the reference data of a model version into bin edges
and counts (fine percentile bins per feature and for the score). :func:`run_monitoring`
streams the decision log (score, features, decision, time, and labels where they have
arrived) chunk by chunk and returns a :class:`MonitoringReport`: PSI and KS drift per
feature and for the score over the period, and per time window the decision rate, score
PSI, bad rate, AUC and Brier score. Per-tier thresholds (data in the package) turn breaches
into :class:`MonitoringAlert` records that the caller stores and writes to the ledger
(SFC-08, HKMA-HLP-09, PCPD-11; HKMA-BDAI-02 for decision-rate shifts).

State is histograms, not rows, so memory does not grow with the log's length.
"""

from dualtrack.monitoring.domain import (
    DriftMetric,
    MonitoringAlert,
    MonitoringReport,
    MonitoringThresholds,
    WindowPerformance,
)
from dualtrack.monitoring.profile import ReferenceProfile
from dualtrack.monitoring.service import (
    attach_labels,
    iter_parquet_chunks,
    profile_model,
    run_monitoring,
    thresholds_for_tier,
)

__all__ = [
    "DriftMetric",
    "MonitoringAlert",
    "MonitoringReport",
    "MonitoringThresholds",
    "ReferenceProfile",
    "WindowPerformance",
    "attach_labels",
    "iter_parquet_chunks",
    "profile_model",
    "run_monitoring",
    "thresholds_for_tier",
]
