"""Built-in validation tests, one module per category; importing registers them."""

from dualtrack.validation.checks import (
    data_quality,
    explainability,
    fairness,
    overfitting,
    performance,
    robustness,
    stability,
)

__all__ = [
    "data_quality",
    "explainability",
    "fairness",
    "overfitting",
    "performance",
    "robustness",
    "stability",
]
