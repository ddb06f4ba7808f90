"""dualtrack: governed AI for Hong Kong financial institutions.

Track 1 (innovation) applications such as fraud scoring, the research assistant and
virtual-asset dealing controls run on the Track 2 (governance) core: an AI inventory with
computed risk tiers, maker-checker approvals, a privacy guard and a hash-chained audit ledger.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
