"""The OpenAPI document says what the API does: problem documents for errors, and the
fraud scoring transaction and decision shapes (checked against real requests and
responses)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from dualtrack.api.fraud_schemas import FIELD_DOCS, ScoreResponse, Transaction
from dualtrack.bootstrap import Platform
from dualtrack.fraud.features import TRANSACTION_SCHEMA
from tests.conftest import People
from tests.e2e.conftest import Keys
from tests.e2e.test_fraud_api import BAD
from tests.fraud_support import deploy_tiny, txn

pytestmark = pytest.mark.anyio

_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/api/")
        for method, op in item.items()
        if method in _METHODS
    ]


async def test_every_operation_documents_problem_documents(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    operations = _operations(spec)
    assert len(operations) > 80
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, method, op in operations:
        responses = op["responses"]
        for status in ("4XX", "5XX"):
            assert responses[status]["content"] == {
                "application/problem+json": {"schema": problem}
            }, (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (path, status)
    # FastAPI's own 422 body, which this API never sends, is gone from the document
    assert "HTTPValidationError" not in str(spec)
    assert set(spec["components"]["schemas"]["Problem"]["required"]) >= {"type", "code"}


async def test_a_real_validation_error_matches_the_documented_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    r = await client.get(f"/api/v1/ledger?before_seq={2**63}", headers=keys.auditor)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(body)
    assert body["errors"][0]["loc"] == ["query", "before_seq"]


def test_the_documented_transaction_names_exactly_the_scored_fields() -> None:
    assert set(FIELD_DOCS) == set(TRANSACTION_SCHEMA)
    schema = Transaction.model_json_schema()
    assert schema["required"] == list(TRANSACTION_SCHEMA)
    assert schema["properties"]["channel"]["enum"] == ["card_pos", "card_cnp", "fps"]


def test_rows_the_checks_refuse_one_by_one_break_the_documented_schema() -> None:
    # batch-level problems (duplicates, order, emptiness) are not a single row's shape
    batch_level = {"duplicate IDs", "out of order in batch", "empty batch"}
    # the privacy policy may name more fields, so the document allows extra ones
    policy_dependent = {"extra field"}
    # how far ahead is "the future" depends on the server's clock, not on the shape
    clock_dependent = {"future timestamp"}
    checked = 0
    for case, rows in BAD:
        if case in batch_level | policy_dependent | clock_dependent:
            continue
        with pytest.raises(ValidationError):
            Transaction.model_validate(rows[0])
        checked += 1
    assert checked >= 8
    Transaction.model_validate(txn("OK"))


async def test_real_decisions_match_the_documented_response(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, people: People
) -> None:
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    rows = [
        txn("D1", offset=0),
        txn("D2", offset=60, amount=600_000.0),  # blocked by the hard limit, with reasons
        txn("D3", customer="C0000002", offset=90, channel="card_cnp", mcc=5411),
    ]
    for row in rows:
        Transaction.model_validate(row)
    for extra in ({}, {"explain": True, "features": True}):
        r = await client.post(
            "/api/v1/fraud/score", json={"transactions": rows, **extra}, headers=keys.dev
        )
        assert r.status_code == 200, r.text
        decided = ScoreResponse.model_validate(r.json())
        assert [d.txn_id for d in decided.decisions] == ["D1", "D2", "D3"]
        assert decided.decisions[1].action == "block" and decided.decisions[1].reasons
        assert bool(decided.decisions[0].features) == bool(extra)
    spec = (await client.get("/api/openapi.json")).json()
    documented = spec["paths"]["/api/v1/fraud/score"]["post"]["responses"]["200"]
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScoreResponse"
    }
    items = spec["components"]["schemas"]["ScoreRequest"]["properties"]["transactions"]["items"]
    assert items["required"] == list(TRANSACTION_SCHEMA)


async def test_the_ledger_export_documents_its_media_type(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    documented = spec["paths"]["/api/v1/ledger/export"]["get"]["responses"]["200"]["content"]
    r = await client.get("/api/v1/ledger/export", headers=keys.auditor)
    assert r.status_code == 200
    assert list(documented) == [r.headers["content-type"].split(";")[0]]


async def test_405_names_every_method_of_the_path(client: httpx.AsyncClient, keys: Keys) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    r = await client.request("OPTIONS", "/api/v1/systems", headers=keys.dev)
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    documented = {m.upper() for m in spec["paths"]["/api/v1/systems"]}
    assert allowed == documented == {"GET", "POST"}
