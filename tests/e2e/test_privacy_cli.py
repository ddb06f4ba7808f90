"""``dualtrack pii`` through Typer's runner on a seeded SQLite demo database: the user
journey of the issue (bilingual sample, two CSVs joined by pseudonym, re-identification by
compliance only) and every kind of bad input."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dualtrack.cli import common
from dualtrack.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data/privacy/samples"
SAMPLE_HKIDS = ["K302817(8)", "R561294(1)", "M740165(0)", "S918033(A)", "C264758(1)"]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DUALTRACK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DUALTRACK_PSEUDONYM_KEY", "cli-test-pseudonym-key-0123456789")
    monkeypatch.setenv("DUALTRACK_ENCRYPTION_KEY", base64.b64encode(b"k" * 32).decode())
    monkeypatch.delenv("DUALTRACK_ACTOR", raising=False)
    for name in ("kyc_note_bilingual.txt", "customers_a.csv", "customers_b.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    # Seed the core demo and this feature only, so other features' demo data stay out of it.
    monkeypatch.setattr("dualtrack.bootstrap.FEATURES", ("privacy",))
    common.reset_platform()
    seeded = runner.invoke(app, ["seed-demo"])
    assert seeded.exit_code == 0, repr(seeded.exception)
    yield tmp_path
    common.reset_platform()


def without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALTRACK_PSEUDONYM_KEY")
    monkeypatch.delenv("DUALTRACK_ENCRYPTION_KEY")
    common.reset_platform()


def no_raw_hkids(text: str) -> bool:
    return not any(v in text for h in SAMPLE_HKIDS for v in (h, re.sub(r"[()]", "", h)))


def test_scan_and_redact_the_bilingual_sample(work: Path) -> None:
    sample = work / "kyc_note_bilingual.txt"
    code, out, err = run("pii", "scan", str(sample), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["by_type"]["HKID"] == 4 and report["by_type"]["PERSON"] == 4
    assert no_raw_hkids(out)  # spans, not text
    code, out, err = run("pii", "redact", str(sample), "--as", "ana", "--json")
    assert code == 0, err
    target = Path(json.loads(out)["output"])
    assert target == work / "kyc_note_bilingual.redacted.txt"
    redacted = target.read_text("utf-8")
    assert redacted.count("<HKID>") == 4 and "<PERSON>" in redacted
    assert no_raw_hkids(redacted) and "陳大文" not in redacted and "李美玲" not in redacted
    assert "客戶資料" in redacted and "KYC-2026-00417" in redacted  # the rest is kept
    assert not list(work.glob(".*partial*"))


def test_same_hkid_same_token_across_two_csv_files(work: Path) -> None:
    outs = []
    for name in ("customers_a", "customers_b"):
        code, _, err = run(
            "pii", "redact", str(work / f"{name}.csv"), "--mode", "pseudonymise", "--as", "ana"
        )
        assert code == 0, err
        outs.append(work / f"{name}.pseudonymised.csv")
    a, b = (pl.read_csv(p) for p in outs)
    assert no_raw_hkids(outs[0].read_text() + outs[1].read_text())
    tokens_a = dict(zip(a["customer_id"], a["hkid"], strict=True))
    tokens_b = dict(zip(b["case_id"], b["hkid"], strict=True))
    # K302817(8) is C-1001 and F-9001 (written K3028178 there); C264758(1) is C-1004 and F-9003.
    assert tokens_a["C-1001"] == tokens_b["F-9001"] and tokens_a["C-1004"] == tokens_b["F-9003"]
    assert tokens_a["C-1002"] != tokens_b["F-9002"]
    assert all(t.startswith("HKID_") for t in [*tokens_a.values(), *tokens_b.values()])
    # Phones without a prefix are found through the column header, and join too.
    assert a["phone"][0] == b["contact_phone"][0]
    assert a["district"].to_list()[0] == "Tsim Sha Tsui"  # not personal data: untouched


def test_reidentify_as_compliance_and_refuse_the_analyst(work: Path) -> None:
    sample = work / "kyc_note_bilingual.txt"
    code, _, err = run("pii", "redact", str(sample), "--mode", "encrypt", "--as", "ana")
    assert code == 0, err
    encrypted = (work / "kyc_note_bilingual.encrypted.txt").read_text("utf-8")
    token = re.findall(r"enc:HKID:[A-Za-z0-9_-]+", encrypted)[0]
    code, out, err = run("pii", "reidentify", token, "--reason", "STR 2026-117", "--as", "ana")
    assert code == 2 and "may not re-identify" in err and "K302817" not in out + err
    code, out, err = run("pii", "reidentify", token, "--reason", "STR 2026-117", "--as", "carol")
    assert code == 0, err
    assert out.strip() == "K302817(8)"
    code, ledger, _ = run("audit", "export")
    entries = [json.loads(line) for line in ledger.splitlines()]
    seen = {(e["actor"], e["action"]) for e in entries}
    assert ("ana", "privacy.reidentify_denied") in seen
    assert ("carol", "privacy.reidentified") in seen
    assert ("ana", "privacy.file_redacted") in seen
    assert no_raw_hkids(ledger)


def test_missing_key_exits_2_and_writes_nothing(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_keys(monkeypatch)
    for mode, variable in (
        ("pseudonymise", "DUALTRACK_PSEUDONYM_KEY"),
        ("encrypt", "DUALTRACK_ENCRYPTION_KEY"),
    ):
        for name in ("customers_a.csv", "kyc_note_bilingual.txt"):
            out = work / f"out-{mode}-{name}"
            code, stdout, err = run(
                "pii", "redact", str(work / name), "--mode", mode, "--out", str(out), "--as", "ana"
            )
            assert code == 2 and variable in err.replace("\n", " ")
            assert not out.exists() and no_raw_hkids(stdout + err)
    assert not list(work.glob(".*partial*"))
    monkeypatch.setenv("DUALTRACK_ENCRYPTION_KEY", "not base64!")
    common.reset_platform()
    code, _, err = run("pii", "redact", str(work / "customers_a.csv"), "--mode", "encrypt")
    assert code == 2 and "not valid base64" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"HKID K302817(8) \xff\xfe garbled", "not valid UTF-8"),
        (b"K302817(8)\x00\x01\x02\x03", "binary"),
        ("HKID K302817(8) café".encode("latin-1"), "not valid UTF-8"),  # mixed encodings
        (b"", "empty"),
    ],
)
def test_bad_files_exit_2_without_echo(work: Path, content: bytes, message: str) -> None:
    for suffix in (".txt", ".csv"):
        path = work / f"bad{suffix}"
        path.write_bytes(b"name,hkid\n" + content if suffix == ".csv" and content else content)
        out = work / f"bad.out{suffix}"
        code, stdout, err = run("pii", "redact", str(path), "--out", str(out), "--as", "ana")
        assert code == 2, (suffix, stdout, err)
        assert message in err or (suffix == ".csv" and "could not be read" in err), err
        assert "K302817" not in stdout + err and not out.exists()
    code, stdout, err = run("pii", "scan", str(work / "bad.txt"))
    assert code == 2 and "K302817" not in stdout + err


def test_parquet_jsonl_typed_columns_and_policies(work: Path) -> None:
    frame = pl.DataFrame(
        {"id": [1, 2], "hkid": ["K302817(8)", "N/A"], "mobile": ["91234567", "61234567"]}
    )
    frame.write_parquet(work / "t.parquet")
    code, out, err = run(
        "pii",
        "redact",
        str(work / "t.parquet"),
        "--mode",
        "replace",
        "--columns",
        "hkid:HKID,mobile",
        "--as",
        "ana",
        "--json",
    )
    assert code == 0, err
    result = pl.read_parquet(work / "t.redacted.parquet")
    assert result["hkid"].to_list() == ["<HKID>", "<HKID>"]  # typed: every cell
    assert result["mobile"].to_list() == ["<HK_PHONE>", "<HK_PHONE>"]
    assert result["id"].to_list() == [1, 2]
    code, _, err = run("pii", "redact", str(work / "t.parquet"), "--columns", "nope", "--as", "ana")
    assert code == 2 and "not in table" in err
    lines = work / "r.jsonl"
    lines.write_text('{"note": "HKID K302817(8)"}\n\n{"note": "tel 9123 4567", "n": 3}\n')
    code, _, err = run("pii", "redact", str(lines), "--mode", "mask", "--as", "ana")
    assert code == 0, err
    records = [json.loads(x) for x in (work / "r.redacted.jsonl").read_text().splitlines()]
    assert records == [{"note": "HKID *******(*)"}, {"note": "tel **** ****", "n": 3}]
    lines.write_text('{"note": "ok"}\n{broken K302817(8)\n')
    code, stdout, err = run("pii", "redact", str(lines), "--as", "ana")
    assert code == 2 and "line" in err and "K302817" not in stdout + err
    code, out, _ = run("pii", "policy", "show", "Card and FPS fraud detection", "--json")
    assert json.loads(out)["template"] == "fraud-scoring"
    code, _, err = run(
        "pii",
        "policy",
        "set",
        "Retail credit scorecard",
        "--template",
        "fraud-scoring",
        "--as",
        "ana",
    )
    assert code == 2 and "may not set privacy policies" in err
    code, _, err = run(
        "pii",
        "policy",
        "set",
        "Retail credit scorecard",
        "--template",
        "fraud-scoring",
        "--as",
        "carol",
    )
    assert code == 0, err
