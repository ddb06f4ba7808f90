"""Errors raised by the monitoring computations.

::

    InvalidInput (dualtrack.errors)
    └── InvalidMonitoringData   missing columns, no rows, a profile that does not fit the data
    ConfigurationError (dualtrack.errors)
    └── InvalidThresholds       a thresholds file is malformed or names an unknown tier
"""

from __future__ import annotations

from dualtrack.errors import ConfigurationError, InvalidInput


class InvalidMonitoringData(InvalidInput):
    """Decision-log or label data that cannot be monitored."""

    code = "monitoring-invalid-data"


class InvalidThresholds(ConfigurationError):
    """Monitoring thresholds that are malformed."""

    code = "monitoring-invalid-thresholds"


__all__ = ["InvalidMonitoringData", "InvalidThresholds"]
