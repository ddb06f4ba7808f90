"""`dualtrack fraud` and `dualtrack data` through Typer's runner on a real SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from dualtrack.adapters.fraud_tables import fraud_watchlist_listings
from dualtrack.cli import common
from dualtrack.cli.main import app
from tests.fraud_support import txn

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUALTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DUALTRACK_VAR_DIR", str(tmp_path / "var"))
    common.reset_platform()
    p = common.platform()
    from dualtrack.demo import DEMO_USERS
    from dualtrack.identity.domain import Actor

    boot = Actor.system("tests")
    admin = None
    for username, name, role in DEMO_USERS:
        user = p.identity.create_user(
            admin or boot,
            username=username,
            display_name=name,
            role=role,
            password="password-123456",
        )
        admin = admin or Actor.of(user)
    yield tmp_path
    common.reset_platform()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_train_registers_a_draft_then_score_uses_only_the_deployed_version(
    cli_db: Path,
) -> None:
    from dualtrack.demo import SYSTEMS
    from dualtrack.identity.domain import Actor

    p = common.platform()
    alice = Actor.of(p.identity.get_user("alice"))
    p.registry.register_system(alice, SYSTEMS[0])
    code, out, err = run(
        "fraud", "train", "--customers", "400", "--days", "8", "--max-rounds", "15", "--fraud-scale", "25",
        "--alert-budget", "0.02", "--as", "alice", "--json",
    )  # fmt: skip
    assert code == 0, err
    trained = json.loads(out)
    assert trained["state"] == "draft"
    assert trained["thresholds"]["policy"] == "budget"
    assert "lightgbm_auprc" in trained["metrics"] and "logistic_auprc" in trained["metrics"]
    artifact = cli_db / "var" / "models" / "fraud" / trained["artifact_sha256"] / "model.txt"
    assert artifact.exists()
    version = p.registry.get_version(trained["version_id"])
    assert version.artifact_sha256 == trained["artifact_sha256"]

    transactions = cli_db / "in.csv"
    pl.DataFrame(
        [txn(f"F{i}", offset=i * 30, amount=700_000.0 if i == 3 else 80.0) for i in range(6)]
    ).write_csv(transactions)
    scored = cli_db / "out.parquet"
    # the draft is not deployed: scoring refuses
    code, _, err = run("fraud", "score", str(transactions), "--out", str(scored))
    assert code == 2 and "no deployed model version" in err
    assert not scored.exists()

    victor = Actor.of(p.identity.get_user("victor"))
    carol = Actor.of(p.identity.get_user("carol"))
    p.registry.submit(alice, version.id)
    p.registry.record_validation(victor, version.id, passed=True, summary="cli test")
    p.registry.approve(carol, version.id)
    p.registry.deploy(alice, version.id)
    code, _, err = run("fraud", "score", str(transactions), "--out", str(scored))
    assert code == 0, err
    assert "(LightGBM)" in err
    frame = pl.read_parquet(scored)
    assert frame.height == 6 and set(frame["model_version"]) == {trained["version"]}
    assert frame.filter(pl.col("txn_id") == "F3")["action"].item() == "block"
    assert not (cli_db / "out.parquet.partial").exists()

    code, out, _ = run("fraud", "cases", "--json")
    (case,) = json.loads(out)
    code, out, _ = run("fraud", "case", case["case_id"], "--json")
    assert "F3" in {a["txn_id"] for a in json.loads(out)["alerts"]}
    code, _, err = run("fraud", "confirm", case["case_id"], "--as", "alice")
    assert code == 2 and "may not work fraud cases" in err
    code, _, err = run("fraud", "confirm", case["case_id"], "--as", "ana")
    assert code == 0 and "confirmed_fraud" in err
    labels = cli_db / "labels.csv"
    code, _, _ = run("fraud", "labels", "--out", str(labels))
    assert code == 0
    exported = pl.read_csv(labels)
    assert "F3" in exported["txn_id"].to_list() and exported["is_fraud"].all()
    assert exported.height == case["alerts"]
    entries = [e for e in p.ledger.entries() if e.action == "fraud.decision"]
    assert len(entries) == 6

    # compiled to native code, the same version scores on (unit tests prove equal scores)
    code, out, err = run("fraud", "compile", "--json")
    assert code == 0, err
    compiled = json.loads(out)
    assert compiled["version"] == trained["version"] and compiled["verified_against_lightgbm"]
    assert Path(compiled["library"]).exists()
    from dualtrack.fraud import wiring

    assert wiring.deployed_label(p) == f"{trained['version']} (compiled)"  # the dashboard's
    again = cli_db / "again.csv"
    pl.DataFrame(
        [
            txn(f"G{i}", offset=1_000 + i * 30, amount=700_000.0 if i == 3 else 80.0)
            for i in range(6)
        ]
    ).write_csv(again)
    code, _, err = run("fraud", "score", str(again), "--out", str(cli_db / "again.parquet"))
    assert code == 0 and "(compiled)" in err, err
    rescored = pl.read_parquet(cli_db / "again.parquet")
    assert rescored.height == 6
    assert rescored.filter(pl.col("txn_id") == "G3")["action"].item() == "block"


def test_simulate_and_data_commands(cli_db: Path) -> None:
    out = cli_db / "sim.csv"
    code, _, err = run("fraud", "simulate", "--days", "1", "--customers", "200", "--out", str(out))
    assert code == 0, err
    frame = pl.read_csv(out)
    assert frame.height > 100 and "is_fraud" not in frame.columns
    code, out_text, _ = run("data", "list")
    assert code == 0
    for name in ("ulb-creditcard", "un-sanctions", "minilm"):
        assert name in out_text
    code, _, err = run("data", "fetch", "no-such-dataset")
    assert code == 2 and "unknown dataset" in err


def test_score_refuses_while_a_server_scores_on_the_same_database(cli_db: Path) -> None:
    """The server's feature state would never see a file scored beside it: exit code 2,
    nothing written, and the file scores once the server has stopped."""
    from dualtrack.adapters.fraud_sql import SqlScoringLease

    p = common.platform()
    server = SqlScoringLease(p.engine, ttl_s=15.0, host="api-1", pid=4242)
    server.claim()
    transactions = cli_db / "in.csv"
    pl.DataFrame([txn("G1")]).write_csv(transactions)
    scored = cli_db / "out.csv"
    code, _, err = run("fraud", "score", str(transactions), "--out", str(scored))
    assert code == 2
    assert "another process serves fraud scoring" in err and "api-1" in err
    assert not scored.exists()
    server.release()
    code, _, err = run("fraud", "score", str(transactions), "--out", str(scored))
    assert code == 2 and "no deployed model version" in err  # past the lease this time
    assert server.live_owner() is None, "the CLI released the lease when it finished"


def test_lease_names_the_holder_and_whether_it_is_live(cli_db: Path) -> None:
    from dualtrack.adapters.fraud_sql import SqlScoringLease, SqlStateSnapshots

    code, out, _ = run("fraud", "lease", "--json")
    assert code == 0
    nobody = json.loads(out)
    assert nobody["holder"] is None and nobody["stored_decisions"] == 0
    assert nobody["saved_state"] is None
    code, out, _ = run("fraud", "lease")
    assert code == 0 and "no process holds the fraud scoring lease" in out
    assert "no feature state saved" in out

    p = common.platform()
    now = [1_000_000.0]
    server = SqlScoringLease(p.engine, ttl_s=15.0, host="api-1", pid=4242, clock=lambda: now[0])
    server.claim()  # with a heartbeat far in the past: stored, but not live
    code, out, _ = run("fraud", "lease", "--json")
    holder = json.loads(out)["holder"]
    assert holder["host"] == "api-1" and holder["pid"] == 4242 and holder["live"] is False
    server.release()
    live = SqlScoringLease(p.engine, ttl_s=15.0, host="api-2", pid=77)
    live.claim()
    code, out, _ = run("fraud", "lease")
    assert code == 0 and "live" in out and "api-2" in out and "pid 77" in out
    live.release()
    SqlStateSnapshots(p.engine, host="api-2").put(7, "a" * 64, b"x" * 2_500_000)
    code, out, _ = run("fraud", "lease", "--json")
    saved = json.loads(out)["saved_state"]
    assert (saved["ledger_position"], saved["saved_by"], saved["bytes"]) == (7, "api-2", 2_500_000)
    assert saved["decisions_after"] == 0
    code, out, _ = run("fraud", "lease")
    assert code == 0 and "feature state saved at ledger position 7" in out and "2.5 MB" in out


def test_save_state_brings_the_saved_feature_state_up_to_date(cli_db: Path) -> None:
    """A scheduled ``fraud save-state`` beside the scoring server: it folds what was stored
    after the saved state and saves the result; the next process to score starts there."""
    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings
    from dualtrack.fraud import wiring
    from dualtrack.identity.domain import Actor
    from tests.fraud_support import deploy_tiny

    p = common.platform()
    alice, victor, carol = (Actor.of(p.identity.get_user(u)) for u in ("alice", "victor", "carol"))
    deploy_tiny(p, alice, victor, carol)
    code, out, _ = run("fraud", "save-state")
    assert code == 0 and "nothing to save: no decision is stored" in out
    server = bootstrap(Settings())  # the scoring server: another process
    try:
        others = [
            txn(f"R{i}", customer=f"C00001{i:02d}", payee_id=f"A000099{i:02d}", offset=i)
            for i in range(5)
        ]
        wiring.scoring_service(server).score(
            [txn(f"Q{i}", offset=i * 60) for i in range(5)] + others
        )
        code, out, err = run("fraud", "save-state", "--json")
        assert code == 0, err
        first = json.loads(out)
        assert first["started_from"] is None and first["folded"] == 10 and first["saved_bytes"]
        assert (first["saved_whole"], first["saved_keys"], first["saved_layers"]) == (True, 18, 1)
        code, out, _ = run("fraud", "save-state")
        assert code == 0 and "already holds every stored decision" in out
        wiring.scoring_service(server).score([txn("Q5", offset=400)])
        common.reset_platform()  # a new run of the command: a new process
        code, out, err = run("fraud", "save-state")
        assert code == 0, err
        out = " ".join(out.split())  # as wrapped to the terminal's width
        assert f"started from the state saved at ledger position {first['ledger_position']}" in out
        assert "folded 1 stored decisions" in out
        # one payment changed its customer's, account's and payee's keys: only they are saved
        assert "saved the 3 keys changed since (layer 2)" in out
        code, out, _ = run("fraud", "lease", "--json")
        assert json.loads(out)["saved_state"]["decisions_after"] == 0
        wiring.scoring_ownership(server).close()  # the server crashes: it saves nothing
    finally:
        server.close()
    common.reset_platform()
    after = common.platform()
    decided = wiring.scoring_service(after).score([txn("Q6", offset=420)])
    history = wiring.stored_history(after)
    assert history.restored_at is not None and history.last_take_over == (0, True)
    assert decided[0].features["cust_count_1h"] == 6.0  # Q0-Q5, each once


def test_save_state_every_keeps_saving_until_stopped(cli_db: Path) -> None:
    """``fraud save-state --every`` beside the scoring server: it saves the state it builds,
    one JSON line per save, and stops cleanly on SIGINT (here sent once it has saved)."""
    import os
    import signal
    import threading
    import time

    from dualtrack.bootstrap import bootstrap
    from dualtrack.config import Settings
    from dualtrack.fraud import wiring
    from dualtrack.identity.domain import Actor
    from tests.fraud_support import deploy_tiny

    code, _out, err = run("fraud", "save-state", "--every", "0")
    assert code == 2 and "--every" in err, "at least 1 second"
    handler = signal.getsignal(signal.SIGINT)
    p = common.platform()
    alice, victor, carol = (Actor.of(p.identity.get_user(u)) for u in ("alice", "victor", "carol"))
    deploy_tiny(p, alice, victor, carol)
    server = bootstrap(Settings())  # the scoring server: another process
    try:
        wiring.scoring_service(server).score([txn(f"E{i}", offset=i * 60) for i in range(4)])

        def interrupt_once_saved() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if wiring.snapshots(server).stored.describe() is not None:
                    break
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        sender = threading.Thread(target=interrupt_once_saved)
        sender.start()
        code, out, err = run("fraud", "save-state", "--every", "1", "--json")
        sender.join()
        assert code == 0, err
        lines = [json.loads(line) for line in out.splitlines()]
        assert len(lines) == 1 and lines[0]["saved_whole"] is True
        assert lines[0]["ledger_position"] == wiring.snapshots(server).stored.describe().position  # type: ignore[union-attr]
        assert signal.getsignal(signal.SIGINT) is handler, "the caller's handler is back"
        wiring.scoring_ownership(server).close()
    finally:
        server.close()


def test_watchlist_import_show_and_remove(cli_db: Path) -> None:
    good = cli_db / "scameter.txt"
    good.write_text("# Scameter export\nACC-1\nFPS-91234567\n\nACC-1\n", encoding="utf-8")
    bad = cli_db / "bad.txt"
    bad.write_text("ACC9\nChan Tai\x0bMan\n", encoding="utf-8")

    code, _out, err = run("fraud", "watchlist", "import", str(bad), "--source", "s", "--as", "ana")
    assert code == 2 and "line 2" in err and "Chan" not in err
    code, out, _err = run("fraud", "watchlist", "show", "--as", "audrey", "--json")
    assert code == 0 and json.loads(out)["total"] == 0, "a bad file lists nothing"

    code, out, _err = run(
        "fraud", "watchlist", "import", str(good), "--source", "scameter", "--as", "ana", "--json"
    )
    assert code == 0 and json.loads(out) == {"changed": 2, "unchanged": 0, "revision": 1}
    code, _out, err = run(
        "fraud", "watchlist", "add", "ACC1", "ACC2", "--source", "x", "--as", "ana"
    )
    assert code == 0 and "2 payee(s) listed, 0 unchanged" in err, "ACC1 under a second source"
    code, _out, err = run("fraud", "watchlist", "add", "ACC1", "--source", "x", "--as", "ana")
    assert code == 0 and "0 payee(s) listed, 1 unchanged" in err
    code, out, _err = run("fraud", "watchlist", "show", "--as", "audrey", "--json")
    entries = {e["payee_id"]: e for e in json.loads(out)["entries"]}
    assert set(entries) == {"ACC1", "ACC2", "FPS91234567"}
    assert entries["ACC1"]["source"] == "scameter" and entries["ACC1"]["sources"] == [
        "scameter",
        "x",
    ]
    code, out, _err = run("fraud", "watchlist", "show", "--as", "audrey")
    assert code == 0 and "FPS91234567" in out and "revision 2" in out and "(+x)" in out

    code, _out, err = run("fraud", "watchlist", "remove", "ACC1", "--as", "ana", "--reason", "ok")
    assert code == 2 and "may not" in err
    code, _out, err = run("fraud", "watchlist", "remove", "ACC1", "--as", "carol")
    assert code == 2 and "reason" in err
    code, _out, err = run("fraud", "watchlist", "remove", "ACC1", "--as", "carol", "--reason", "ok")
    assert code == 0 and "1 payee(s) taken off" in err
    code, out, _err = run("fraud", "watchlist", "show", "--removed", "--as", "carol", "--json")
    (entry,) = json.loads(out)["entries"]
    assert entry["payee_id"] == "ACC1" and entry["unlisted_by"] == "carol"
    code, _out, err = run(
        "fraud", "watchlist", "import", str(cli_db / "nope.txt"), "--source", "s", "--as", "ana"
    )
    assert code == 2 and "no such file" in err

    # a daily extract that is the source's whole list
    day2 = cli_db / "scameter-day2.txt"
    day2.write_text("FPS91234567\nACC7\n", encoding="utf-8")
    sync = ("fraud", "watchlist", "import", str(day2), "--source", "scameter", "--sync")
    code, _out, err = run(*sync, "--as", "ana")
    assert code == 2 and "may not" in err
    code, out, _err = run(*sync, "--action", "review", "--as", "carol", "--json")
    assert code == 0
    synced = json.loads(out)
    assert (synced["listed"], synced["unlisted"], synced["unchanged"]) == (1, 0, 1)
    code, out, _err = run("fraud", "watchlist", "sources", "--as", "audrey", "--json")
    by_name = {s["source"]: s for s in json.loads(out)}
    assert by_name["scameter"]["synced_by"] == "carol" and by_name["scameter"]["listed"] == 2
    code, out, _err = run("fraud", "watchlist", "sources", "--as", "audrey")
    assert code == 0 and "scameter" in out


def test_watchlist_review_dates(cli_db: Path) -> None:
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    later = (today + timedelta(days=30)).isoformat()
    add = ("fraud", "watchlist", "add", "OWN-7", "--source", "investigation", "--as", "ana")
    code, _out, err = run(*add, "--review-by", today.isoformat())
    assert code == 2 and "review date must be after today" in err
    code, _out, err = run(*add, "--review-by", "next month")
    assert code == 2 and "YYYY-MM-DD" in err
    lst = cli_db / "own.txt"
    lst.write_text("OWN-8\n", encoding="utf-8")
    code, _out, err = run(
        "fraud", "watchlist", "import", str(lst), "--source", "x", "--sync",
        "--review-by", later, "--as", "carol",
    )  # fmt: skip
    assert code == 2 and "--review-by" in err
    code, _out, _err = run(*add, "--review-by", later)
    assert code == 0
    code, out, _err = run("fraud", "watchlist", "due", "--as", "audrey", "--json")
    assert code == 0 and json.loads(out)["total"] == 0

    with common.platform().engine.begin() as conn:  # a month passes
        conn.execute(update(fraud_watchlist_listings).values(review_by=today.isoformat()))
    code, out, _err = run("fraud", "watchlist", "due", "--as", "audrey")
    assert code == 0 and "OWN7" in out and "(1)" in out
    review = ("fraud", "watchlist", "review", "OWN-7", "--source", "investigation")
    code, _out, err = run(*review, "--as", "carol")
    assert code == 2 and "--next" in err
    code, _out, err = run(*review, "--next", later, "--as", "ana")
    assert code == 2 and "may not" in err
    code, _out, err = run(*review, "--next", later, "--note", "case open", "--as", "carol")
    assert code == 0 and "1 payee(s) kept" in err
    code, out, _err = run("fraud", "watchlist", "due", "--as", "audrey", "--json")
    assert json.loads(out)["total"] == 0
