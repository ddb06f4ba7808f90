"""The CLI through Typer's runner on a real SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualtrack.cli import common
from dualtrack.cli.main import app

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DUALTRACK_VAR_DIR", str(tmp_path / "var"))
    common.reset_platform()
    yield tmp_path
    common.reset_platform()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_seeded_demo_reads_as_json(cli_db: Path) -> None:
    code, _, err = run("seed-demo")
    assert code == 0 and "alice" in err
    code, out, _ = run("systems", "list", "--json")
    systems = json.loads(out)
    tiers = {s["name"]: s["tier"] for s in systems}
    assert tiers["Client research assistant"] == "HIGH"
    assert tiers["Trade settlement exception router"] == "LOW"
    assert tiers["Card and FPS fraud detection"] == "MEDIUM"
    code, out, _ = run("controls", "gaps", "Client research assistant", "--json")
    gaps = json.loads(out)
    assert {g["status"] for g in gaps} <= {"met", "unmet", "evidence missing"}
    assert any(g["control_id"] == "SFC-17" for g in gaps)
    code, out, _ = run("audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = run("approvals", "--as", "sam", "--json")
    queue = json.loads(out)
    assert any(i["may_approve"] for i in queue)
    code, out, _ = run("fraud", "watchlist", "show", "--as", "ana", "--json")
    listed = json.loads(out)
    assert listed["total"] > 0 and listed["entries"][0]["source"] == "demo-simulator"
    code, _, _ = run("seed-demo")
    assert code == 0  # idempotent
    code, out, _ = run("fraud", "watchlist", "show", "--as", "ana", "--json")
    assert json.loads(out)["revision"] == listed["revision"], "the demo list is not listed twice"


def test_maker_checker_from_the_cli(cli_db: Path, tmp_path: Path) -> None:
    run("seed-demo")
    artifact = tmp_path / "model.txt"
    artifact.write_text("tree 1")
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    code, out, err = run(
        "versions",
        "register",
        "Retail credit scorecard",
        "--version",
        "3.3.0",
        "--artifact",
        str(artifact),
        "--data",
        str(data),
        "--as",
        "alice",
        "--json",
    )
    assert code == 0, err
    vid = json.loads(out)["id"]
    assert run("versions", "submit", vid, "--as", "alice")[0] == 0
    code, _, err = run("versions", "verdict", vid, "--pass", "--summary", "mine", "--as", "alice")
    assert code == 2 and "other than its developer" in err
    assert run("versions", "verdict", vid, "--pass", "--summary", "ok", "--as", "victor")[0] == 0
    code, _, err = run("versions", "approve", vid, "--as", "carol")
    assert code == 2 and "senior_manager" in err
    code, out, _ = run("versions", "approve", vid, "--as", "sam", "--json")
    assert code == 0 and json.loads(out)["state"] == "approved"


def test_bad_input_exits_2(cli_db: Path, tmp_path: Path) -> None:
    run("seed-demo")
    code, _, err = run("systems", "show", "No such system")
    assert code == 2 and "no such AI system" in err
    code, _, err = run("approvals")
    assert code == 2 and "--as" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nopportunity_area: astrology\n")
    code, _, err = run("systems", "register", str(bad), "--as", "alice")
    assert code == 2 and "cannot read" in err
    code, _, err = run("systems", "list", "--as-of", "last tuesday")
    assert code == 2
    code, _, err = run(
        "controls", "attach", "Retail credit scorecard", "PDPO-DPP4", "--as", "carol"
    )
    assert code == 2


def test_register_and_retier_with_history(cli_db: Path, tmp_path: Path) -> None:
    run("seed-demo")
    spec = tmp_path / "sys.yaml"
    spec.write_text(
        "name: Complaint triage\npurpose: Routes complaints\nbusiness_function: Service\n"
        "opportunity_area: customer_service\naccountable_senior_manager: sam\nowner: alice\n"
    )
    code, out, _ = run("systems", "register", str(spec), "--as", "alice", "--json")
    assert code == 0 and json.loads(out)["tier"] == "LOW"
    code, out, _ = run(
        "systems",
        "update",
        "Complaint triage",
        "--set",
        "generative=true",
        "--set",
        "customer_facing=true",
        "--as",
        "carol",
        "--json",
    )
    assert json.loads(out)["tier"] == "HIGH"
    code, out, _ = run("systems", "history", "Complaint triage", "--json")
    assert "re-tiered LOW -> HIGH" in json.loads(out)[-1]["change"]
    evidence = tmp_path / "dpia.pdf"
    evidence.write_bytes(b"%PDF-1.7 assessment")
    code, out, _ = run(
        "controls",
        "attach",
        "Complaint triage",
        "HKMA-GENAI-04",
        "--file",
        str(evidence),
        "--as",
        "carol",
        "--json",
    )
    assert code == 0 and json.loads(out)["sha256"]
    code, out, _ = run("controls", "gaps", "Complaint triage", "--json")
    assert {g["control_id"]: g["status"] for g in json.loads(out)}["HKMA-GENAI-04"] == "met"
