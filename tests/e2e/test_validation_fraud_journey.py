"""Issue 4's journey on the demo fraud model, at the documented defaults (slow: minutes).

`fraud train` and `validation fraud-data` with their default simulator settings, as
docs/validation.md tells a new user to run them: the run passes on its merits (no
override), the gate refuses the developer and accepts an independent validator, the
version deploys, and the busier shifted traffic raises a drift alert.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualtrack.cli import common
from dualtrack.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DUALTRACK_VAR_DIR", str(tmp_path / "var"))
    common.reset_platform()
    from dualtrack.demo import DEMO_USERS, SYSTEMS
    from dualtrack.identity.domain import Actor

    p = common.platform()
    admin = None
    for username, name, role in DEMO_USERS:
        user = p.identity.create_user(
            admin or Actor.system("tests"),
            username=username,
            display_name=name,
            role=role,
            password="password-123456",
        )
        admin = admin or Actor.of(user)
    p.registry.register_system(Actor.of(p.identity.get_user("alice")), SYSTEMS[0])
    yield tmp_path / "var"
    common.reset_platform()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_demo_fraud_model_passes_validation_and_drift_is_alerted(demo_db: Path) -> None:
    code, out, err = run("fraud", "train", "--as", "alice", "--version", "2026.11.2", "--json")
    assert code == 0, err
    version_id = json.loads(out)["version_id"]
    assert run("versions", "submit", version_id, "--as", "alice")[0] == 0
    data = demo_db / "data" / "fraud"
    assert run("validation", "fraud-data", "--out", str(data))[0] == 0
    args = ["validate", version_id, "--data", str(data / "valid.parquet")]
    args += ["--reference", str(data / "reference.parquet"), "--target", "is_fraud"]
    code, _, err = run(*args, "--as", "alice")
    assert code == 2 and "someone other than its developer" in err
    code, out, err = run(*args, "--as", "victor", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["passed"] is True and record["override_by"] is None, record["summary"]
    results = {r["test_id"]: r for r in record["result"]["results"]}
    leakage = results["data_quality.target_leakage"]
    assert leakage["status"] == "pass"
    assert leakage["metrics"]["max_single_feature_auc"] < 0.9  # well clear, not just under
    for test_id in ("fairness.demographic_parity", "fairness.equalized_odds"):
        assert results[test_id]["status"] == "pass"
        # every protected group had enough cases for every rate to be compared
        assert results[test_id]["metrics"]["n_rates_not_compared"] == 0, results[test_id]
    assert Path(record["report_html"]).is_file() and Path(record["report_pdf"]).is_file()

    assert run("versions", "approve", version_id, "--as", "alice")[0] == 2
    assert run("versions", "approve", version_id, "--as", "carol")[0] == 0
    assert run("versions", "deploy", version_id, "--as", "alice")[0] == 0
    code, _, err = run(
        "fraud", "score", str(data / "shifted-transactions.csv"), "--out", str(data / "s.csv")
    )
    assert code == 0, err
    code, out, err = run("monitor", "run", "Card and FPS fraud detection", "--as", "victor")
    assert code == 0, err
    code, out, _ = run("monitor", "alerts", "--json")
    assert code == 0
    assert "drift.score_psi" in {a["alert_type"] for a in json.loads(out)}, out
