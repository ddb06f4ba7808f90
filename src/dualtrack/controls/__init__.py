"""The controls catalogue and per-system control gaps.

Controls are the regulators' expectations (FSTB, SFC, HKMA, PCPD, PDPO) restated in our own
words as data (``catalogue.yaml``), each with its source and the kind of evidence that shows it
is met. Which controls a system must meet follows from its attributes and computed tier; the gap
view says, per required control, whether it is met, unmet or still missing evidence.
"""

from dualtrack.controls.domain import (
    Catalogue,
    Control,
    ControlGap,
    Evidence,
    GapStatus,
    default_catalogue,
)

__all__ = ["Catalogue", "Control", "ControlGap", "Evidence", "GapStatus", "default_catalogue"]
