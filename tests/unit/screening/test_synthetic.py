"""Seeded generators are deterministic and the committed pair set matches the generator."""

from __future__ import annotations

import json
from pathlib import Path

from dualtrack.screening.synthetic import generate_list, generate_pairs

PAIRS = Path(__file__).parents[3] / "data" / "screening" / "name_pairs.jsonl"


def test_generate_list_is_seeded() -> None:
    a = generate_list(50, seed=3)
    assert a == generate_list(50, seed=3)
    assert a != generate_list(50, seed=4)
    assert any(n.script == "han" for e in a for n in e.names)


def test_committed_pairs_are_reproducible_prefix() -> None:
    committed = [json.loads(x) for x in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(committed) >= 2000
    assert {p["label"] for p in committed} == {0, 1}
    assert generate_pairs(60, seed=20261125) == committed[:60]
