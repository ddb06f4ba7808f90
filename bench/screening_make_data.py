"""Regenerate the committed screening evaluation pairs (seeded, deterministic).

Usage: python bench/screening_make_data.py [--out data/screening/name_pairs.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dualtrack.screening.synthetic import generate_pairs

SEED = 20261125
N_PAIRS = 2400


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="data/screening/name_pairs.jsonl")
    args = parser.parse_args()
    pairs = generate_pairs(N_PAIRS, seed=SEED)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    positives = sum(1 for p in pairs if p["label"] == 1)
    print(json.dumps({"pairs": len(pairs), "positives": positives, "seed": SEED, "out": str(path)}))


if __name__ == "__main__":
    main()
