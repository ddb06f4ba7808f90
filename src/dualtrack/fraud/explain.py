"""Reason codes: exact TreeSHAP contributions turned into readable sentences.

Exact TreeSHAP (LightGBM ``pred_contrib``) costs roughly 50x a plain prediction, so the
scorer asks for contributions only for the rows that need reasons (review and block
decisions, or rows where the caller asks), in one batched call.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from dualtrack.fraud.domain import ReasonCode
from dualtrack.fraud.features import CHANNELS, FEATURE_SPECS

_TEMPLATES: dict[str, str] = {spec.name: spec.reason for spec in FEATURE_SPECS}
_TEMPLATES |= {
    "Amount": "amount {value:,.2f} is unusual for this card",
    "hour": "unusual time of day ({value:.0f}h)",
}


_NO_HISTORY: dict[str, str] = {
    "cust_amount_ratio": "no spending history for this customer yet",
    "cust_secs_since_last": "no previous transaction on record for this customer",
}


def reason_text(feature: str, value: float) -> str:
    """Readable sentence for a feature that pushed the score up."""
    if value == -1.0 and feature in _NO_HISTORY:
        return _NO_HISTORY[feature]
    if feature == "channel_code":
        channel = CHANNELS[int(value)] if 0 <= value < len(CHANNELS) else "unknown"
        return f"payment channel {channel} is higher risk here"
    template = _TEMPLATES.get(feature)
    if template:
        return template.format(value=value)
    if feature.startswith("V") and feature[1:].isdigit():
        side = "low" if value < 0 else "high"
        return f"anonymised pattern {feature} is unusually {side} ({value:.2f})"
    return f"{feature} = {value:.4g} raised the risk"


def contributions(booster: lgb.Booster, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Exact TreeSHAP contributions (log-odds), one column per feature plus the bias."""
    if len(rows) == 0:
        return np.empty((0, booster.num_feature() + 1))
    threads = 1 if len(rows) < 64 else 0  # 0: LightGBM's default (all cores)
    contrib = booster.predict(rows, pred_contrib=True, num_threads=threads)
    return np.asarray(contrib, dtype=np.float64)


def top_reasons(
    feature_names: Sequence[str],
    rows: npt.NDArray[np.float64],
    contrib: npt.NDArray[np.float64],
    *,
    top_k: int = 3,
) -> list[tuple[ReasonCode, ...]]:
    """The ``top_k`` largest positive contributions of each row as reason codes."""
    result: list[tuple[ReasonCode, ...]] = []
    if len(rows) == 0:
        return result
    feature_contrib = contrib[:, : len(feature_names)]
    order = np.argsort(-feature_contrib, axis=1)[:, :top_k]
    for i in range(len(rows)):
        reasons = []
        for j in order[i]:
            value = float(feature_contrib[i, j])
            if value <= 0.0:
                break
            name = feature_names[j]
            x = float(rows[i, j])
            reasons.append(ReasonCode(name, x, value, reason_text(name, x)))
        result.append(tuple(reasons))
    return result


__all__ = ["contributions", "reason_text", "top_reasons"]
