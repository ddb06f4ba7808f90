"""The research assistant through the ASGI app, on SQLite and PostgreSQL: cited answers, the
planted injection excluded, investment answers held until a compliance officer releases them
with the disclosure, opt-out to a human, bad input, read-only SQL, an OpenAI-compatible
endpoint on 127.0.0.1 (with the timeout fallback), and a ledger without raw personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from dualtrack.bootstrap import Platform
from dualtrack.config import Settings
from dualtrack.demo import SYSTEMS
from dualtrack.research.fixtures import minimal_pdf
from dualtrack.research.openai_chat import OpenAICompatibleChat
from dualtrack.research.wiring import DEMO_DATASET, SYSTEM_NAME, service
from tests.conftest import People
from tests.e2e.conftest import Keys
from tests.unit.research.openai_server import openai_server

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "research" / "corpus"
PKEY = "test-pseudonym-key-0123456789abcdef"
INVEST_Q = "Should I buy Kowloon Tidewater shares?"
REVENUE_Q = "What was Harbour Lantern's revenue in 2023?"
VACANCY_Q = "What does the market commentary say about cold-chain warehouse vacancy?"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url, var_dir=tmp_path / "var", cookie_secure=False, pseudonym_key=PKEY
    )


@pytest.fixture
def assistant_system(platform: Platform, people: People) -> str:
    attributes = next(s for s in SYSTEMS if s.name == SYSTEM_NAME)
    return platform.registry.register_system(people.dev, attributes).id


@pytest.fixture
def no_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("URL", "MODEL", "KEY", "TIMEOUT_S"):
        monkeypatch.delenv(f"DUALTRACK_LLM_{var}", raising=False)
    yield


async def _load_corpus(client: httpx.AsyncClient, keys: Keys) -> None:
    for path in sorted(CORPUS.iterdir()):
        r = await client.post(
            "/api/v1/assistant/documents",
            headers=keys.dev,
            files={"file": (path.name, path.read_bytes())},
        )
        assert r.status_code == 201, r.text


def _ledger(platform: Platform, action: str) -> list[dict[str, Any]]:
    return [
        {"actor": e.actor, "subject_id": e.subject_id, "payload": e.payload}
        for e in platform.ledger.page(before_seq=None, limit=500)
        if e.action == action
    ]


async def test_cited_answer_injection_and_review_journey(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, assistant_system: str, no_llm: None
) -> None:
    await _load_corpus(client, keys)
    docs = (await client.get("/api/v1/assistant/documents", headers=keys.auditor)).json()
    by_id = {d["doc_id"]: d for d in docs["documents"]}
    assert len(by_id) == 10 and "hashing embedder fallback" in docs["note"]
    assert by_id["gba-market-commentary-html"]["flagged_chunk_ids"]  # the planted note
    assert not any(d["flagged_chunk_ids"] for k, d in by_id.items() if not k.startswith("gba"))

    # 1. A cited answer; the citation opens the source passage.
    r = await client.post("/api/v1/assistant/ask", headers=keys.dev, json={"question": REVENUE_Q})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "answered"
    assert "HK$4,812 million" in body["answer"] and body["disclosure"]["en"].startswith("This")
    cited = body["citations"][0]
    assert cited["source"] == "harbour-lantern-2023-annual-report.md"
    passage = await client.get(
        f"/api/v1/assistant/chunks/{quote(cited['chunk_id'], safe='')}", headers=keys.dev
    )
    assert passage.status_code == 200 and "HK$4,812 million" in passage.json()["text"]

    # 2. The planted injection is retrieved but excluded, and reported.
    r = await client.post("/api/v1/assistant/ask", headers=keys.dev, json={"question": VACANCY_Q})
    body = r.json()
    planted = by_id["gba-market-commentary-html"]["flagged_chunk_ids"][0]
    assert body["status"] == "answered" and "3.9%" in body["answer"]
    assert planted in body["excluded_chunk_ids"]
    assert "ignore all previous" not in body["answer"].lower()
    assert planted not in [c["chunk_id"] for c in body["citations"]]

    # 3. Investment content waits for review; the asker sees no draft.
    r = await client.post("/api/v1/assistant/ask", headers=keys.dev, json={"question": INVEST_Q})
    body = r.json()
    assert body["status"] == "pending_review" and body["answer"] is None
    assert body["disclosure"] is None and body["sentences"] == []
    review_id = body["review_id"]
    mine = (await client.get(f"/api/v1/assistant/reviews/{review_id}", headers=keys.dev)).json()
    assert mine["status"] == "pending" and "draft" not in mine and "released" not in mine
    queue = (await client.get("/api/v1/assistant/reviews", headers=keys.compliance)).json()
    assert [q["review_id"] for q in queue] == [review_id] and queue[0]["draft"]
    assert (await client.get("/api/v1/assistant/reviews", headers=keys.dev)).status_code == 403

    # Only a compliance officer may release; a senior manager or developer may not.
    for who in (keys.dev2, keys.manager):
        r = await client.post(
            f"/api/v1/assistant/reviews/{review_id}", headers=who, json={"decision": "approve"}
        )
        assert r.status_code == 403, r.text
    r = await client.post(
        f"/api/v1/assistant/reviews/{review_id}",
        headers=keys.compliance,
        json={"decision": "approve", "note": "checked against the research note"},
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    released = (await client.get(f"/api/v1/assistant/reviews/{review_id}", headers=keys.dev)).json()
    assert "HK$21.50" in released["released"]["text"]
    assert "generated by an AI system" in released["released"]["rendered"]
    assert released["released"]["disclosure"]["zh"].startswith("本回覆")
    again = await client.post(
        f"/api/v1/assistant/reviews/{review_id}",
        headers=keys.compliance,
        json={"decision": "reject"},
    )
    assert again.status_code == 409

    # The ledger has each interaction with chunk IDs, verdicts and the reviewer's action.
    asks = _ledger(platform, "research.ask")
    assert len(asks) == 3 and all(a["payload"]["system_id"] == assistant_system for a in asks)
    vacancy = next(a for a in asks if a["payload"]["question"] == VACANCY_Q)
    assert planted in vacancy["payload"]["excluded_chunk_ids"]
    assert vacancy["payload"]["verdicts"] and vacancy["payload"]["retrieved_chunk_ids"]
    approved = _ledger(platform, "research.review.approved")
    assert approved[0]["actor"] == "carol" and approved[0]["payload"]["review_id"] == review_id


async def test_asker_cannot_release_own_answer_and_opt_out_routes_to_human(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, assistant_system: str, no_llm: None
) -> None:
    await _load_corpus(client, keys)
    r = await client.post(
        "/api/v1/assistant/ask", headers=keys.compliance, json={"question": INVEST_Q}
    )
    review_id = r.json()["review_id"]
    own = await client.post(
        f"/api/v1/assistant/reviews/{review_id}",
        headers=keys.compliance,
        json={"decision": "approve"},
    )
    assert own.status_code == 403 and own.json()["code"] == "self-approval-forbidden"

    r = await client.post(
        "/api/v1/assistant/opt-out", headers=keys.compliance, json={"client_id": "C-7731"}
    )
    assert r.status_code == 200
    r = await client.post(
        "/api/v1/assistant/ask",
        headers=keys.dev,
        json={
            "question": "My name is Chan Tai Man, phone 9123 4567. " + REVENUE_Q,
            "client_id": "C-7731",
        },
    )
    body = r.json()
    assert body["status"] == "routed_to_human" and body["answer"] is None
    routed = _ledger(platform, "research.ask")[0]
    assert routed["payload"]["reason"] == "client_opted_out"
    dump = json.dumps([e.payload for e in platform.ledger.page(before_seq=None, limit=500)])
    dump += json.dumps([e.subject_id for e in platform.ledger.page(before_seq=None, limit=500)])
    assert "C-7731" not in dump and "Chan Tai Man" not in dump and "9123 4567" not in dump
    assert routed["payload"]["client_id"].startswith("CUSTOMER_ID_")


async def test_bad_input_leaves_nothing_half_indexed(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, assistant_system: str, no_llm: None
) -> None:
    gateway = service(platform)
    good = minimal_pdf(["Harbour Lantern ferries carried 41.2 million passengers."])
    bad_files = {
        "corrupt.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage",
        "broken.pdf": good[: len(good) // 2],
        "empty.txt": b"",
        "blank.md": b"   \n\n",
        "binary.txt": b"\x00\x01\x02 not text",
    }
    before = gateway.store.version()
    for name, data in bad_files.items():
        r = await client.post(
            "/api/v1/assistant/documents", headers=keys.dev, files={"file": (name, data)}
        )
        assert r.status_code == 422, (name, r.text)
        assert r.json()["code"] == "research-invalid-document"
    assert gateway.store.list_documents() == [] and gateway.store.count_chunks() == 0
    assert gateway.store.version() == before

    big = b"x" * (platform.settings.max_body_bytes + 10)
    r = await client.post(
        "/api/v1/assistant/documents", headers=keys.dev, files={"file": ("big.txt", big)}
    )
    assert r.status_code == 413

    r = await client.post(
        "/api/v1/assistant/ask", headers=keys.dev, json={"question": "why? " * 20_000}
    )
    assert r.status_code == 422
    r = await client.post("/api/v1/assistant/ask", headers=keys.dev, json={"question": "  "})
    assert r.status_code == 422
    r = await client.get("/api/v1/assistant/chunks/nope%2300001", headers=keys.dev)
    assert r.status_code == 404
    r = await client.delete(
        "/api/v1/assistant/documents/nope", headers=keys.compliance, params={"reason": "retention"}
    )
    assert r.status_code == 404

    # A good document, then retention: chunks and embeddings go in one transaction.
    r = await client.post(
        "/api/v1/assistant/documents", headers=keys.dev, files={"file": ("ferry.pdf", good)}
    )
    assert r.status_code == 201 and r.json()["document"]["pages"] == 1
    assert gateway.store.count_chunks() == 1
    r = await client.delete(
        "/api/v1/assistant/documents/ferry-pdf", headers=keys.dev, params={"reason": "retention"}
    )
    assert r.status_code == 403  # developers may add, not delete
    r = await client.delete(
        "/api/v1/assistant/documents/ferry-pdf",
        headers=keys.compliance,
        params={"reason": "retention"},
    )
    assert r.status_code == 200 and gateway.store.count_chunks() == 0

    # A 500-page PDF (about 200 KB, under the API's body limit): pages are kept for citations.
    pages = [
        f"Unit {i}\nUnit {i} of the group reported revenue of HK${i * 3} million in 2023."
        for i in range(1, 501)
    ]
    r = await client.post(
        "/api/v1/assistant/documents",
        headers=keys.dev,
        files={"file": ("long-report.pdf", minimal_pdf(pages))},
    )
    assert r.status_code == 201 and r.json()["document"]["pages"] == 500
    r = await client.post(
        "/api/v1/assistant/ask",
        headers=keys.dev,
        json={"question": "What revenue did unit 250 of the group report?"},
    )
    body = r.json()
    assert body["status"] == "answered" and "HK$750 million" in body["answer"]
    assert body["citations"][0]["page"] == 250


async def test_read_only_sql_refuses_writes_and_other_tables(
    client: httpx.AsyncClient, keys: Keys, platform: Platform, people: People, no_llm: None
) -> None:
    service(platform).register_dataset(
        people.dev, "hk_results", filename=DEMO_DATASET.name, content=DEMO_DATASET.read_bytes()
    )
    ok = await client.post(
        "/api/v1/assistant/sql",
        headers=keys.auditor,
        json={"sql": "SELECT company, revenue_hkd_m FROM hk_results ORDER BY 2 DESC"},
    )
    body = ok.json()
    assert ok.status_code == 200 and body["rows"][0] == ["Peak Meridian Bank", 14260]
    assert body["chart"] == {"kind": "bar", "x": "company", "y": "revenue_hkd_m"}
    for sql in (
        "DELETE FROM hk_results",
        "INSERT INTO hk_results VALUES ('x', 'y', 1, 1, 1, 1)",
        "SELECT * FROM hk_results; DROP TABLE hk_results",
        "SELECT * FROM users",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "COPY hk_results TO '/tmp/x.csv'",
        "SELECT getenv('HOME')",
    ):
        r = await client.post("/api/v1/assistant/sql", headers=keys.dev, json={"sql": sql})
        assert r.status_code == 422, sql
        assert r.json()["code"] == "research-unsafe-query"
    r = await client.post(
        "/api/v1/assistant/sql", headers=keys.dev, json={"question": "Revenue by sector?"}
    )
    assert r.status_code == 503 and "DUALTRACK_LLM_URL" in r.json()["detail"]
    listed = (await client.get("/api/v1/assistant/datasets", headers=keys.dev)).json()
    assert listed[0]["name"] == "hk_results" and listed[0]["rows"] == 4


def _cite(body: dict[str, Any], needle: str) -> int:
    user = body["messages"][-1]["content"]
    for block in re.split(r"\n\n(?=\[\d+\] )", user):
        m = re.search(r"(?:^|\n)\[(\d+)\] ", block)
        if m and needle in block:
            return int(m.group(1))
    raise AssertionError(f"{needle!r} not among the passages sent")


async def test_openai_compatible_endpoint_on_localhost_and_timeout_fallback(
    client: httpx.AsyncClient,
    keys: Keys,
    platform: Platform,
    assistant_system: str,
    monkeypatch: pytest.MonkeyPatch,
    people: People,
) -> None:
    def reply(body: dict[str, Any]) -> str:
        if "SELECT" in body["messages"][0]["content"]:
            return "```sql\nSELECT sector, SUM(revenue_hkd_m) AS revenue FROM hk_results GROUP BY 1\n```"
        n = _cite(body, "HK$4,812 million")
        return f"Revenue rose 9.4% to HK$4,812 million in 2023 [{n}]. It also rose 40% [{n}]."

    with openai_server(reply) as (url, received):
        monkeypatch.setenv("DUALTRACK_LLM_URL", url)
        monkeypatch.setenv("DUALTRACK_LLM_MODEL", "house-llm")
        monkeypatch.setenv("DUALTRACK_LLM_KEY", "sk-local-test")
        await _load_corpus(client, keys)
        r = await client.post(
            "/api/v1/assistant/ask",
            headers=keys.dev,
            json={"question": "Chan Tai Man (phone 9123 4567) asks: " + REVENUE_Q},
        )
        body = r.json()
        assert body["status"] == "answered" and body["generator"] == "llm"
        assert "HK$4,812 million" in body["answer"] and "40%" not in body["answer"]
        sent = json.dumps(received)
        assert "Chan Tai Man" not in sent and "9123 4567" not in sent and "<HK_PHONE>" in sent
        assert received[0]["auth"] == "Bearer sk-local-test"
        # Questions about data become checked SQL.
        service(platform).register_dataset(
            people.dev, "hk_results", filename=DEMO_DATASET.name, content=DEMO_DATASET.read_bytes()
        )
        r = await client.post(
            "/api/v1/assistant/sql", headers=keys.dev, json={"question": "Revenue by sector?"}
        )
        assert r.status_code == 200 and r.json()["generated_by"] == "llm"
    system = platform.registry.get_system(assistant_system)
    assert system.attributes.third_party_provider is True
    provider = _ledger(platform, "research.llm_provider.configured")
    assert provider[0]["payload"]["model"] == "house-llm"
    assert "sk-local-test" not in json.dumps(provider)

    # A slow endpoint: the timeout gives a clear note and the extractive answer.
    gateway = service(platform)
    with openai_server(lambda body: "too late", delay_s=2.0) as (slow_url, _):
        gateway.assistant.chat = OpenAICompatibleChat(
            base_url=slow_url, model="house-llm", timeout_s=0.3
        )
        r = await client.post(
            "/api/v1/assistant/ask", headers=keys.dev, json={"question": REVENUE_Q}
        )
    body = r.json()
    assert body["status"] == "answered" and body["generator"] == "extractive"
    assert any("timed out" in n for n in body["notes"]) and "HK$4,812" in body["answer"]

    # An unreachable endpoint (nothing listens on the port): the same fallback.
    with openai_server(lambda body: "unused") as (gone_url, _):
        pass  # the server is shut down: its port now refuses connections
    gateway.assistant.chat = OpenAICompatibleChat(base_url=gone_url, model="house-llm")
    r = await client.post("/api/v1/assistant/ask", headers=keys.dev, json={"question": REVENUE_Q})
    body = r.json()
    assert body["generator"] == "extractive" and any("unreachable" in n for n in body["notes"])
