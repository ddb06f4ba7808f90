"""Seeded decision logs for the monitoring tests."""

from __future__ import annotations

import numpy as np
import polars as pl

FEATURES = ("a", "b", "c")
DAY = 86_400


def decision_log(
    n: int,
    *,
    seed: int,
    shift: float = 0.0,
    start_day: int = 0,
    days: int = 3,
    labelled: float = 1.0,
) -> pl.DataFrame:
    """Rows with three numeric features, a score, a label (null when not yet known), a time."""
    rng = np.random.default_rng(seed)
    a = rng.normal(shift, 1.0, n)
    b = rng.normal(0.0, 1.0, n)
    c = rng.exponential(1.0, n)
    score = 1.0 / (1.0 + np.exp(-(-1.5 + a + 0.5 * b)))
    label = (rng.random(n) < score).astype(np.float64)
    label[rng.random(n) >= labelled] = np.nan
    seconds = (start_day * DAY + rng.integers(0, days * DAY, n)).astype("datetime64[s]")
    return pl.DataFrame(
        {
            "decision_id": np.arange(n) + seed * 10_000_000,
            "a": a,
            "b": b,
            "c": c,
            "score": score,
            "label": label,
            "decided_at": seconds.astype("datetime64[ms]"),
        }
    ).with_columns(pl.col("label").fill_nan(None))


def chunks(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    return [frame.slice(i, size) for i in range(0, frame.height, size)]
