"""`dualtrack validate` and `dualtrack monitor` through Typer's runner (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualtrack.cli import common
from dualtrack.cli.main import app
from dualtrack.identity.domain import Actor, Role
from tests.validation_journey import demo_files, fraud_like_system, register

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DUALTRACK_VAR_DIR", str(tmp_path / "var"))
    common.reset_platform()
    yield tmp_path / "var"
    common.reset_platform()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_then_monitor(cli_env: Path) -> None:
    p = common.platform()
    boot = Actor.system("tests")
    users = {}
    for name, role in [
        ("admin", Role.ADMIN),
        ("dev", Role.MODEL_DEVELOPER),
        ("val", Role.VALIDATOR),
        ("carol", Role.COMPLIANCE_OFFICER),
    ]:
        creator = users.get("admin", boot)
        users[name] = Actor.of(
            p.identity.create_user(creator, username=name, display_name=name, role=role)
        )
    files = demo_files(cli_env)
    system_id = fraud_like_system(p, users["dev"])
    version_id = register(p, users["dev"], system_id, files["model"], "1.0")
    args = [
        "validate",
        version_id,
        "--data",
        str(files["valid"]),
        "--reference",
        str(files["train"]),
    ]
    code, _, err = run(*args, "--as", "dev")
    assert code == 2 and "someone other than its developer" in err
    code, out, err = run(*args, "--as", "val", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["passed"] is True
    assert Path(record["report_html"]).is_file() and Path(record["report_pdf"]).is_file()
    code, out, _ = run("validation", "report", record["id"], "--pdf")
    assert code == 0 and out.strip().endswith(".pdf")
    code, out, _ = run("controls", "gaps", system_id, "--json")
    met = {g["control_id"] for g in json.loads(out) if g["status"] == "met"}
    assert {"HKMA-HLP-05", "PCPD-09"} <= met
    assert run("versions", "approve", version_id, "--as", "dev")[0] == 2
    assert run("versions", "approve", version_id, "--as", "carol")[0] == 0
    assert run("versions", "deploy", version_id, "--as", "dev")[0] == 0
    code, out, err = run(
        "monitor",
        "run",
        system_id,
        "--decisions",
        str(files["decisions_shifted"]),
        "--labels",
        str(files["labels"]),
        "--as",
        "val",
        "--json",
    )
    assert code == 0, err
    assert any(a["alert_type"] == "drift.score_psi" for a in json.loads(out)["alerts"])
    # An explicit reference (newer than the validation run's) becomes the profile in use.
    code, out, err = run(
        "monitor", "profile", system_id, "--reference", str(files["valid"]), "--as", "val", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["n_rows"] == 10_000 and json.loads(out)["reference_auc"] is not None
    assert (
        run("monitor", "profile", system_id, "--reference", str(files["valid"]), "--as", "nobody")[
            0
        ]
        == 2
    )
    code, out, _ = run("monitor", "alerts", "--json")
    assert code == 0 and any(a["system_id"] == system_id for a in json.loads(out))
    code, _, err = run(
        "monitor", "run", system_id, "--decisions", "/nonexistent.csv", "--as", "val"
    )
    assert code == 2 and "does not exist" in err
