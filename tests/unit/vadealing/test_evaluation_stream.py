"""The committed labelled stream: every rule fires exactly where labelled, nothing else."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from dualtrack.vadealing.errors import WalletProofFailed
from dualtrack.vadealing.evaluation import (
    LabelledTx,
    build_world,
    load_stream,
    load_world,
    run_stream,
    tx_from_json,
    tx_to_json,
)
from dualtrack.vadealing.rules import BUILTIN_RULES

DATA = Path(__file__).parents[3] / "data" / "vadealing"


@pytest.fixture(scope="module")
def world_spec() -> dict[str, Any]:
    return load_world(DATA / "world.json")


@pytest.fixture(scope="module")
def stream() -> list[LabelledTx]:
    return load_stream(DATA / "stream.jsonl")


def test_every_rule_is_exercised(stream: list[LabelledTx]) -> None:
    labelled = set().union(*(r.expected_rules for r in stream))
    assert labelled == set(BUILTIN_RULES)
    decisions = {r.expected_decision for r in stream}
    assert decisions == {"allow", "hold", "block"}


def test_stream_matches_labels(world_spec: dict[str, Any], stream: list[LabelledTx]) -> None:
    report = run_stream(build_world(world_spec), stream)
    assert report.records == len(stream) > 500
    assert report.mismatches == []
    for rule in BUILTIN_RULES:
        assert report.true_positive[rule] == report.expected[rule] >= 3, rule
        assert report.fired[rule] == report.expected[rule], rule


def test_disabling_a_rule_is_detected(world_spec: dict[str, Any], stream: list[LabelledTx]) -> None:
    report = run_stream(
        build_world(world_spec, overrides={"structuring": {"enabled": False}}), stream
    )
    assert {m.scenario for m in report.mismatches} == {"structuring"}
    assert len(report.mismatches) == report.expected["structuring"]


def test_world_proofs_are_verified_on_load(world_spec: dict[str, Any]) -> None:
    spec = copy.deepcopy(world_spec)
    for client in spec["clients"]:
        for wallet in client["wallets"]:
            proof = wallet.get("proof")
            if proof and proof["method"] == "signed_message" and wallet["chain"] == "ethereum":
                sig = proof["signature"]
                proof["signature"] = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
                with pytest.raises(WalletProofFailed):
                    build_world(spec)
                return
    pytest.fail("no signed Ethereum wallet in the world")


def test_json_round_trip(stream: list[LabelledTx]) -> None:
    for record in stream[:50]:
        assert tx_from_json(tx_to_json(record.tx)) == record.tx


def test_generator_reproduces_committed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("gen_va", DATA / "generate_stream.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gen_va", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path)], writer=lambda _: None)
    for name in ("world.json", "stream.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
