"""Fraud scoring and cases through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import func, select

from dualtrack.adapters.fraud_sql import SqlScoringLease, decisions_by_id
from dualtrack.adapters.tables import ledger_entries
from dualtrack.api.app import create_app
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.fraud import wiring
from dualtrack.fraud.validation import ValidationLimits
from tests.conftest import People
from tests.e2e.conftest import Keys
from tests.fraud_support import deploy_tiny, fraud_system_id, txn

pytestmark = pytest.mark.anyio

BLOCK = 600_000.0  # over the per-transaction limit: the hard rule blocks, whatever the model


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def deployed(platform: Platform, people: People) -> str:
    return deploy_tiny(platform, people.dev, people.validator, people.compliance).id


@pytest.fixture
def analyst(platform: Platform, people: People) -> dict[str, str]:
    key = platform.identity.issue_api_key(people.admin, username="ana", label="test")
    return {"Authorization": f"Bearer {key}"}


async def _score(
    client: httpx.AsyncClient, keys: Keys, rows: list[dict[str, object]], **kw: object
) -> httpx.Response:
    return await client.post(
        "/api/v1/fraud/score", json={"transactions": rows, **kw}, headers=keys.dev
    )


async def test_refuses_without_a_deployed_version(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, people: People
) -> None:
    fraud_system_id(platform, people.dev)
    r = await _score(client, keys, [txn("T1")])
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "fraud-no-deployed-model"
    assert "no deployed model version" in r.json()["detail"]


async def test_refuses_an_artifact_whose_hash_differs(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, people: People
) -> None:
    from dataclasses import replace

    from dualtrack.fraud.domain import Thresholds
    from dualtrack.fraud.governed import artifact_directory

    model = deploy_tiny(platform, people.dev, people.validator, people.compliance)
    directory = artifact_directory(model, wiring.models_dir(platform))
    original = wiring.service(platform).current().artifact
    swapped = replace(original, thresholds=Thresholds(review=0.99, block=1.0))
    swapped.save(directory)  # internally consistent, but not what was approved
    wiring.service(platform)._loaded = None  # as after a restart
    r = await _score(client, keys, [txn("T1")])
    assert r.status_code == 503
    assert r.json()["code"] == "fraud-model-artifact"
    with platform.uow() as uow:
        assert all(e.action != "fraud.decision" for e in uow.audit.iter_entries())


async def test_decisions_are_idempotent_ledgered_and_alerted(
    client: httpx.AsyncClient,
    keys: Keys,
    platform: Platform,
    deployed: str,
    analyst: dict[str, str],
) -> None:
    rows = [
        txn("T1", customer="C0000001", offset=0),
        txn("T2", customer="C0000001", offset=60, amount=BLOCK),
        txn("T3", customer="C0000002", offset=90, amount=BLOCK),
        txn("T4", customer="C0000001", offset=120, amount=BLOCK),
    ]
    r = await _score(client, keys, rows)
    assert r.status_code == 200, r.text
    decisions = r.json()["decisions"]
    assert [d["txn_id"] for d in decisions] == ["T1", "T2", "T3", "T4"]
    assert [d["action"] for d in decisions][1:] == ["block"] * 3
    for d in decisions[1:]:
        assert "amount_over_limit" in d["rule_hits"]
        assert d["reasons"], "block decisions carry reason codes"
        assert d["model_version"] == "test-1" and d["version_id"] == deployed
        assert d["customer_ref"].startswith("CUSTOMER_ID_")
        assert "C000000" not in d["customer_ref"]

    # the privacy policy reaches the model first: feature state is keyed by the same
    # pseudonym the decisions carry, never by the raw customer ID
    state = wiring.service(platform).state
    key = "customer:" + decisions[0]["customer_ref"]
    assert state.load("customer:C0000001") is None

    # idempotent: the same IDs return the same decisions and do not move velocity state
    before = state.load(key)
    assert before is not None
    count_before = before.count
    again = await _score(client, keys, rows[:2])
    assert again.status_code == 200
    for old, new in zip(decisions[:2], again.json()["decisions"], strict=True):
        assert new["replayed"] is True
        assert {k: new[k] for k in ("score", "action", "rule_hits", "decided_at")} == {
            k: old[k] for k in ("score", "action", "rule_hits", "decided_at")
        }
    after = state.load(key)
    assert after is not None and after.count == count_before
    # the same ID with different content is refused
    reused = await _score(client, keys, [txn("T1", amount=999.0)])
    assert reused.status_code == 409 and reused.json()["code"] == "fraud-txn-id-reused"

    # every decision is in the ledger exactly once, with pseudonyms only; the chain verifies
    entries = [e for e in platform.ledger.entries() if e.action == "fraud.decision"]
    assert sorted(e.subject_id for e in entries) == ["T1", "T2", "T3", "T4"]
    assert all("C0000001" not in e.payload_json for e in entries)
    assert platform.ledger.verify().ok

    # alerts grouped into one case per customer
    cases = (await client.get("/api/v1/fraud/cases", headers=keys.auditor)).json()
    assert sorted(c["alerts"] for c in cases) == [1, 2]
    two = next(c for c in cases if c["alerts"] == 2)
    assert two["customer_ref"] == decisions[1]["customer_ref"]
    view = (await client.get(f"/api/v1/fraud/cases/{two['case_id']}", headers=keys.auditor)).json()
    assert {a["txn_id"] for a in view["alerts"]} == {"T2", "T4"}
    assert view["alerts"][0]["reasons"][0]["text"]
    assert "amount" in view["alerts"][0]["features"]

    # analysts work cases; developers may not
    denied = await client.post(f"/api/v1/fraud/cases/{two['case_id']}/confirm", headers=keys.dev)
    assert denied.status_code == 403
    ok = await client.post(
        f"/api/v1/fraud/cases/{two['case_id']}/confirm",
        json={"note": "customer confirmed the transfers were not theirs"},
        headers=analyst,
    )
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed_fraud"
    assert [h["action"] for h in ok.json()["history"]][-1] == "fraud.case_confirmed_fraud"
    one = next(c for c in cases if c["alerts"] == 1)
    fp = await client.post(
        f"/api/v1/fraud/cases/{one['case_id']}/false-positive", headers=keys.compliance
    )
    assert fp.status_code == 200 and fp.json()["status"] == "false_positive"
    again_fp = await client.post(f"/api/v1/fraud/cases/{one['case_id']}/confirm", headers=analyst)
    assert again_fp.status_code == 409
    labels = (await client.get("/api/v1/fraud/labels", headers=keys.auditor)).json()
    assert {(lab["txn_id"], lab["is_fraud"]) for lab in labels} == {
        ("T2", True),
        ("T4", True),
        ("T3", False),
    }
    missing = await client.get("/api/v1/fraud/cases/case-nope", headers=keys.auditor)
    assert missing.status_code == 404


BAD = [
    ("missing field", [{k: v for k, v in txn("B1").items() if k != "amount"}]),
    ("extra field", [txn("B1", note="hello")]),
    ("negative amount", [txn("B1", amount=-5.0)]),
    ("unknown currency", [txn("B1", currency="XYZ")]),
    ("future timestamp", [txn("B1", offset=10 * 365 * 86_400)]),
    ("ancient timestamp", [txn("B1", ts=100)]),
    ("unknown channel", [txn("B1", channel="cash")]),
    ("wrong type", [txn("B1", amount="lots")]),
    ("duplicate IDs", [txn("B1"), txn("B1", offset=5)]),
    ("out of order in batch", [txn("B1", offset=100), txn("B2", offset=0)]),
    ("empty txn_id", [txn("")]),
    ("blank customer_id", [txn("B1", customer_id=" ")]),  # its pseudonym would not be blank
    ("empty payee_id", [txn("B1", payee_id="")]),
    # a privacy policy would turn these into text pseudonyms: checked before it runs
    ("boolean device_id", [txn("B1", device_id=False)]),
    ("numeric customer_id", [txn("B1", customer_id=12345)]),
    ("long txn_id", [txn("X" * 65)]),
    ("not an object", ["T1"]),
    ("empty batch", []),
]


async def test_bad_input_is_a_4xx_problem_and_scores_nothing(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, deployed: str
) -> None:
    ok = txn("OK1", customer="C0000009", offset=0)
    for case, rows in BAD:
        body = {"transactions": [ok, *rows]} if rows else {"transactions": []}
        r = await client.post("/api/v1/fraud/score", json=body, headers=keys.dev)
        assert r.status_code == 422, (case, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), case
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps({"transactions": [ok, txn("N1", amount=1.5)]}).replace("1.5", literal)
        r = await client.post(
            "/api/v1/fraud/score",
            content=raw,
            headers={**keys.dev, "content-type": "application/json"},
        )
        assert r.status_code == 422, (literal, r.text)
        assert "NaN or infinite" in r.text
    for flag in (1, "yes"):  # explain/features are true or false, not a truthy guess
        body = {"transactions": [ok], "explain": flag}
        r = await client.post("/api/v1/fraud/score", json=body, headers=keys.dev)
        assert r.status_code == 422 and "explain" in r.json()["detail"], (flag, r.text)
    # a batch is refused as a whole: the valid row was neither stored nor counted
    assert wiring.service(platform).state.load("customer:C0000009") is None
    with platform.uow() as uow:
        assert all(e.action != "fraud.decision" for e in uow.audit.iter_entries())
    assert (
        await client.post("/api/v1/fraud/score", json={"transactions": [ok]}, headers=keys.dev)
    ).status_code == 200


async def test_history_and_batch_limits(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, deployed: str, people: People
) -> None:
    first = await _score(client, keys, [txn("H1", offset=1_000)])
    assert first.status_code == 200
    older = await _score(client, keys, [txn("H2", offset=10)])
    assert older.status_code == 422 and "older than scored history" in older.text
    wiring.service(platform).limits = ValidationLimits(max_batch=2)
    big = await _score(client, keys, [txn(f"L{i}", offset=2_000 + i) for i in range(3)])
    assert big.status_code == 413
    extra = await client.post(
        "/api/v1/fraud/score", json={"transactions": [txn("E1")], "mode": "x"}, headers=keys.dev
    )
    assert extra.status_code == 422
    # retiring the deployed version stops serving at once
    platform.registry.retire(people.compliance, deployed, reason="test retirement")
    wiring.service(platform).expire()
    gone = await _score(client, keys, [txn("R1", offset=3_000)])
    assert gone.status_code == 503 and gone.json()["code"] == "fraud-no-deployed-model"


@asynccontextmanager
async def serving(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """A server process of ``platform``: its app, with the app's lifespan (start-up and
    shutdown hooks) around the client."""
    app = create_app(platform=platform)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        yield client


@asynccontextmanager
async def another_server(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second server process over the same database, with its own platform."""
    other = bootstrap(settings)
    try:
        async with serving(other) as client:
            yield client
    finally:
        other.close()


async def test_a_restarted_server_keeps_the_scored_history(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, deployed: str, settings: Settings
) -> None:
    """A new server process over the same database starts (its lifespan rebuilds the feature
    state from stored decisions): the customer's history is still there, so an older
    timestamp is still refused and velocity counts continue."""
    first = await _score(client, keys, [txn("S1", offset=1_000), txn("S2", offset=1_060)])
    assert first.status_code == 200
    wiring.scoring_ownership(platform).close()  # the first process stops
    async with another_server(settings) as fresh:
        older = await _score(fresh, keys, [txn("S3", offset=10)])
        assert older.status_code == 422 and "older than scored history" in older.text
        later = await _score(fresh, keys, [txn("S4", offset=1_200)], features=True)
        assert later.status_code == 200, later.text
        features = later.json()["decisions"][0]["features"]
        assert features["cust_count_1h"] == 2.0
        assert features["cust_secs_since_last"] == 140.0


async def test_a_server_on_another_machine_starts_from_the_state_the_last_one_saved(
    keys: Keys, platform: Platform, deployed: str, settings: Settings
) -> None:
    """A server scores and shuts down (its shutdown hook saves the feature state in the
    database); a server on another machine (its own var directory, holding only the model
    artifact) starts from that saved state, folds nothing more, and counts on."""
    async with another_server(settings) as first:
        scored = await _score(first, keys, [txn("W1", offset=1_000), txn("W2", offset=1_060)])
        assert scored.status_code == 200, scored.text
    var_dir = settings.var_dir.parent / "machine-b"
    shutil.copytree(settings.var_dir / "models", var_dir / "models")
    elsewhere = bootstrap(settings.model_copy(update={"var_dir": var_dir}))
    try:
        async with serving(elsewhere) as fresh:
            history = wiring.stored_history(elsewhere)
            assert history.restored_at is not None and history.last_take_over == (0, True)
            metrics = (await fresh.get("/metrics")).text
            assert "dualtrack_fraud_saved_state_ledger_entries_after 0.0" in metrics
            assert "dualtrack_fraud_saved_state_age_seconds" in metrics
            assert "dualtrack_fraud_saved_state_layers 1.0" in metrics
            later = await _score(fresh, keys, [txn("W3", offset=1_200)], features=True)
            assert later.status_code == 200, later.text
            metrics = (await fresh.get("/metrics")).text
            assert "dualtrack_fraud_saved_state_ledger_entries_after 1.0" in metrics
            features = later.json()["decisions"][0]["features"]
            assert features["cust_count_1h"] == 2.0
            assert features["cust_secs_since_last"] == 140.0
    finally:
        elsewhere.close()


async def test_a_second_live_server_refuses_to_score_until_the_first_stops(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, deployed: str, settings: Settings
) -> None:
    """Two processes scoring one database would each see only their own traffic in the
    velocity features; the second answers 503 (and stores nothing) while the first holds
    the lease, and takes over once the first stops."""
    first = await _score(client, keys, [txn("L1", offset=1_000)])
    assert first.status_code == 200
    async with another_server(settings) as other:
        refused = await _score(other, keys, [txn("L2", offset=1_100)])
        assert refused.status_code == 503
        problem = refused.json()
        assert problem["code"] == "fraud-scoring-owned-elsewhere"
        assert "another process serves fraud scoring" in problem["detail"]
        assert problem["detail"].count("pid") == 1
        with platform.uow() as uow:
            assert "L2" not in decisions_by_id(uow.connection, ["L2"])
        # the first keeps serving
        again = await _score(client, keys, [txn("L3", offset=1_200)])
        assert again.status_code == 200
        wiring.scoring_ownership(platform).close()  # the first process stops
        taken = await _score(other, keys, [txn("L2", offset=1_300)], features=True)
        assert taken.status_code == 200, taken.text
        # it folded the first process's decisions before scoring
        assert taken.json()["decisions"][0]["features"]["cust_count_1h"] == 2.0
        stopped = await _score(client, keys, [txn("L4", offset=1_400)])
        assert stopped.status_code == 503
    assert SqlScoringLease(platform.engine, ttl_s=15.0).live_owner() is None


async def test_a_standby_server_follows_the_holder_and_takes_over_without_a_rebuild(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, deployed: str, settings: Settings
) -> None:
    """A server started while another holds the lease stands by: it folds the holder's
    stored decisions as they come, so taking over folds only the last few."""
    first = await _score(client, keys, [txn("W1", offset=1_000)])
    assert first.status_code == 200
    standby = bootstrap(settings.model_copy(update={"fraud_follow_s": 0.05}))
    try:
        async with serving(standby) as other:
            history = wiring.stored_history(standby)
            assert history.following
            again = await _score(client, keys, [txn("W2", offset=1_100)])
            assert again.status_code == 200
            with platform.uow() as uow:
                head = uow.connection.execute(
                    select(func.max(ledger_entries.c.seq)).where(
                        ledger_entries.c.action == "fraud.decision"
                    )
                ).scalar()
            deadline = time.monotonic() + 10
            while (history.position or 0) < head and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert history.position == head, "the standby read up to the last decision"
            # the readiness check a load balancer uses (no credentials)
            holding = await client.get("/api/v1/fraud/scoring")
            assert holding.status_code == 200 and holding.json() == {"role": "scoring"}
            standing = await other.get("/api/v1/fraud/scoring")
            assert standing.status_code == 503
            problem = standing.json()
            assert problem["code"] == "fraud-scoring-owned-elsewhere"
            assert problem["role"] == "standby" and problem["following"] is True
            assert problem["decisions_behind"] == 0
            assert wiring.scoring_role(platform) == {"role": "scoring"}
            held_metrics = (await client.get("/metrics")).text
            assert "dualtrack_fraud_scoring 1.0" in held_metrics
            assert "dualtrack_fraud_following 0.0" in held_metrics
            standby_metrics = (await other.get("/metrics")).text
            assert "dualtrack_fraud_scoring 0.0" in standby_metrics
            assert "dualtrack_fraud_following 1.0" in standby_metrics
            assert "dualtrack_fraud_decisions_behind 0.0" in standby_metrics
            assert "pid" not in problem["detail"], "an unauthenticated check names no process"
            assert wiring.scoring_ownership(standby).claims == 0
            wiring.scoring_ownership(platform).close()  # the first server stops
            # the standby's next readiness check takes the lease over
            ready = await other.get("/api/v1/fraud/scoring")
            assert ready.status_code == 200 and ready.json() == {"role": "scoring"}
            assert history.last_take_over == (0, False), "nothing new to fold, no rebuild"
            taken = await _score(other, keys, [txn("W3", offset=1_200)], features=True)
            assert taken.status_code == 200, taken.text
            assert taken.json()["decisions"][0]["features"]["cust_count_1h"] == 2.0
            assert not history.following
    finally:
        standby.close()


async def test_a_stopping_server_gives_the_scoring_lease_back(
    platform: Platform, deployed: str, settings: Settings
) -> None:
    """The app's start-up takes the lease and its shutdown gives it back, so a replacement
    need not wait for the TTL (checked before the platform itself is closed: a served app
    does not close its platform)."""
    server = bootstrap(settings)
    try:
        app = create_app(platform=server)
        async with app.router.lifespan_context(app):
            owner = SqlScoringLease(platform.engine, ttl_s=15.0).live_owner()
            assert owner is not None
            assert owner.holder == wiring.scoring_ownership(server).lease.holder
        assert SqlScoringLease(platform.engine, ttl_s=15.0).live_owner() is None
    finally:
        server.close()


async def test_the_privacy_policy_decides_what_reaches_the_model(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, people: People, deployed: str
) -> None:
    """Issue 5, point 3: scoring goes through the fraud system's privacy policy."""
    from dualtrack.privacy import wiring as privacy_wiring

    # fields the policy names are dropped before anything else (never stored or ledgered);
    # a field it does not name is still refused, so a typo cannot vanish
    personal = txn("P1", hkid="K302817(8)", name="CHAN Tai Man", memo="call 9123 4567")
    r = await _score(client, keys, [personal], features=True)
    assert r.status_code == 200, r.text
    typo = await _score(client, keys, [txn("P2", offset=5, amuont=1.0)])
    assert typo.status_code == 422 and "unexpected fields ['amuont']" in typo.json()["detail"]
    with platform.uow() as uow:
        payloads = " ".join(e.payload_json for e in uow.audit.iter_entries())
    stored = wiring.service(platform).store.get_many(["P1"])["P1"]
    for raw in ("K302817", "CHAN Tai Man", "9123 4567", "C0000001", "A00000991", "D0000001"):
        assert raw not in payloads and raw not in json.dumps(stored.to_json(features=True))
    # identifiers reach the model (and its feature state) only as keyed pseudonyms
    state = wiring.service(platform).state
    assert state.load("payee:A00000991") is None
    token = wiring.fraud_pseudonymiser(platform).token("PAYEE_ID", "A00000991")
    assert state.load(f"payee:{token}") is not None

    # a stored policy that keeps a model input from the model stops scoring with a 503
    compliance = people.compliance
    base = privacy_wiring.service(platform).templates["fraud-scoring"].to_dict()
    crippled = {
        **base,
        "fields": [f for f in base["fields"] if f["path"] != "device_id"]
        + [{"path": "device_id", "action": "drop"}],
    }
    privacy_wiring.service(platform).set_policy(
        compliance, wiring.FRAUD_SYSTEM_NAME, policy=crippled
    )
    wiring.service(platform).expire()
    r = await _score(client, keys, [txn("P3", offset=10)])
    assert r.status_code == 503 and r.json()["code"] == "fraud-policy-blocks-model"
    assert "device_id" in r.text
    again = await _score(client, keys, [txn("P3", offset=10)])  # no earlier policy serves
    assert again.status_code == 503
    # ...until compliance puts a workable policy back
    privacy_wiring.service(platform).set_policy(
        compliance, wiring.FRAUD_SYSTEM_NAME, template="fraud-scoring"
    )
    wiring.service(platform).expire()
    assert (await _score(client, keys, [txn("P3", offset=10)])).status_code == 200
