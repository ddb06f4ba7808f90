"""`dualtrack va` through Typer's runner: the issue 7 journey a new user follows after
`make demo` (demo dealers and clients, two held transfers, screening CHAN Tai Man, clearing)."""

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
    return result.exit_code, result.stdout, " ".join(result.stderr.split())  # unwrap Rich


def test_va_journey_from_the_cli(cli_db: Path) -> None:
    code, _, err = run("seed-demo")
    assert code == 0, err
    code, out, _ = run("va", "licences", "--json")
    firms = {f["firm_id"]: f for f in json.loads(out)}
    assert firms["harbour-otc"]["own_firm"] and firms["tsuen-otc"]["status"] == "suspended"
    assert not firms["sai-kung-digital"]["capital_assessment"]["meets"]
    code, out, _ = run("va", "counterparty", "tsuen-otc", "--purpose", "transfer")
    assert code == 0 and "no" in out and "suspended" in out
    code, out, _ = run("va", "clients", "--json")
    assert {c["client_id"] for c in json.loads(out)} >= {"C-1001", "C-1002", "C-1005"}

    code, out, err = run("va", "check", "--sample", "cdd-8000", "--as", "ana")
    assert code == 0, err
    assert "HOLD" in out and "cdd_occasional_va_transfer" in out and "HKMA indicative" in out
    code, out, _ = run("va", "check", "--sample", "travel-rule-missing", "--as", "ana")
    assert "HOLD" in out and "travel_rule_outgoing" in out and "beneficiary.account" in out
    code, out, _ = run(
        "va", "check", "--sample", "travel-rule-missing", "--audience", "client", "--as", "ana"
    )
    assert code == 0 and "being processed" in out
    assert "travel" not in out.lower() and "rule" not in out.lower()

    code, out, err = run("va", "screen", "CHAN Tai Man", "--client-id", "C-3001", "--as", "carol")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.strip().startswith(("1.", "2."))]
    assert "HKD-0001" in lines[0] and "陳大文" in lines[0]
    code, out, _ = run(
        "va", "screen", "CHAN Tai Man", "--client-id", "C-3001", "--as", "carol", "--json"
    )
    result = json.loads(out)
    assert result["hits"][0]["entry_id"] == "HKD-0001" and "Jyutping" in result["hits"][0]["reason"]
    code, out, err = run(
        "va",
        "clear",
        result["screening_id"],
        "HKD-0001",
        "--list-id",
        "hk-demo-watchlist",
        "--reason",
        "different person: date of birth and HKID checked",
        "--as",
        "carol",
    )
    assert code == 0, err
    code, out, _ = run(
        "va", "screen", "CHAN Tai Man", "--client-id", "C-3001", "--as", "carol", "--json"
    )
    again = json.loads(out)
    assert "HKD-0001" not in [h["entry_id"] for h in again["hits"]] and again["suppressed"] == 1

    bad = cli_db / "broken.xml"
    bad.write_text("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>", encoding="utf-8")
    code, _, err = run("va", "load-list", str(bad), "--list-id", "un-sc", "--as", "carol")
    assert code == 2 and "previous version" in err
    code, out, _ = run("va", "list-alerts", "--json")
    assert json.loads(out)[0]["list_id"] == "un-sc"
    code, out, _ = run("va", "lists", "--json")
    assert json.loads(out)["active"]["un-sc"].startswith("un-sc@")
    unknown = cli_db / "list.txt"
    unknown.write_text("just some text\n", encoding="utf-8")
    code, _, err = run("va", "load-list", str(unknown), "--list-id", "other", "--as", "carol")
    assert code == 2 and "unknown list format" in err

    # fetch-un-list uses the cached XML when present (no network in tests) and loads it.
    from dualtrack.screening.fetch import UN_FILENAME

    cache = cli_db / "var" / "data" / "screening"
    cache.mkdir(parents=True, exist_ok=True)
    excerpt = Path(__file__).resolve().parents[2] / "data/screening/un_consolidated_excerpt.xml"
    (cache / UN_FILENAME).write_bytes(excerpt.read_bytes() + b"\n")  # a new version
    code, out, err = run("va", "fetch-un-list", "--load", "--as", "carol")
    assert code == 0, err
    assert "un-sc@" in out and "(44 entries)" in out

    code, out, _ = run("va", "cases", "--json")
    cases = json.loads(out)
    assert {"C-1002", "C-1001", "C-3001"} <= {c["client_id"] for c in cases}
    code, out, _ = run("va", "retention", "--dry-run", "--as", "carol", "--json")
    report = json.loads(out)
    assert [r["record_id"] for r in report["records"] if r["deletable"]]
    young = next(r["record_id"] for r in report["records"] if not r["deletable"])
    code, _, err = run("va", "retention", "--apply", "--record", young, "--as", "carol")
    assert code == 2 and "retention" in err
    code, out, _ = run("va", "retention", "--apply", "--as", "carol")
    assert code == 0 and "deleted 1 record" in out
    code, out, _ = run("va", "retention", "--apply", "--as", "ana")
    assert code == 2
    code, out, _ = run("audit", "verify", "--json")
    assert json.loads(out)["ok"] is True
