"""Make ``data/fraud/ulb_sample.csv``: a small stratified sample of the ULB data set.

100 frauds and 4,900 genuine transactions drawn without replacement (numpy seed 42) from
the full file that :func:`dualtrack.fraud.datasets.fetch_ulb` caches, kept in ``Time``
order, values as in the original file. It lets unit tests and demos run without the
150 MB download. The data is ODbL 1.0 (Machine Learning Group, Universite Libre de
Bruxelles, via Kaggle "mlg-ulb/creditcardfraud"); see ``data/fraud/README.md``.

Run from the repository root: ``python data/fraud/make_ulb_sample.py [cache_dir]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

from dualtrack.fraud.datasets import fetch_ulb

FRAUDS = 100
GENUINE = 4_900
SEED = 42


def main() -> None:
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/data")
    raw = pl.read_csv(fetch_ulb(cache), infer_schema_length=0)  # keep original text values
    label = raw["Class"].str.replace_all('"', "").cast(pl.Int8).to_numpy()
    rng = np.random.default_rng(SEED)
    chosen = np.sort(
        np.r_[
            rng.choice(np.flatnonzero(label == 1), FRAUDS, replace=False),
            rng.choice(np.flatnonzero(label == 0), GENUINE, replace=False),
        ]
    )
    out = Path(__file__).with_name("ulb_sample.csv")
    raw[chosen].write_csv(out)
    print(f"wrote {len(chosen)} rows to {out}")


if __name__ == "__main__":
    main()
