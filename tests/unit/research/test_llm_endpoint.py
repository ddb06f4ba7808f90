from __future__ import annotations

import re
from typing import Any

import pytest

from dualtrack.research.errors import ChatEndpointError
from dualtrack.research.openai_chat import OpenAICompatibleChat

from .conftest import load_test_corpus, make_assistant
from .openai_server import openai_server


def _passage(body: dict[str, Any], needle: str) -> int:
    user = body["messages"][-1]["content"]
    for m in re.finditer(r"^\[(\d+)\] (.*)$", user, flags=re.MULTILINE):
        if needle in m.group(2):
            return int(m.group(1))
    raise AssertionError(f"{needle!r} not in passages")


def test_llm_answer_is_grounded_and_pii_never_leaves() -> None:
    def reply(body: dict[str, Any]) -> str:
        n = _passage(body, "0.85%")
        # One supported sentence and one hallucinated number the check must remove.
        return (
            f"The management fee is 0.85% per annum of the net asset value [{n}]. "
            f"The performance fee is 12% [{n}]."
        )

    with openai_server(reply) as (url, received):
        chat = OpenAICompatibleChat(base_url=url, model="test-model", api_key="sk-test")
        a, audit, _ = make_assistant(chat=chat)
        load_test_corpus(a)
        r = a.ask(
            "Client Chan Tai Man (HKID A123456(7)) asks: what is the management fee of the "
            "Harbour Income Bond Fund?",
            asker="rm-1",
        )
    assert r.status == "answered" and r.answer.generator == "llm"
    assert "0.85%" in r.answer.text and "12%" not in r.answer.text
    assert r.answer.removed and r.answer.removed[0].reason.startswith("number not in sources")
    sent = str(received)
    assert "A123456" not in sent and "Chan Tai Man" not in sent and "[REDACTED]" in sent
    assert received[0]["auth"] == "Bearer sk-test" and received[0]["model"] == "test-model"
    assert audit.records[-1]["payload"]["model"] == "test-model"


def test_planted_injection_never_reaches_the_endpoint() -> None:
    with openai_server(lambda body: "NO_ANSWER") as (url, received):
        a, _, _ = make_assistant(chat=OpenAICompatibleChat(base_url=url, model="m"))
        load_test_corpus(a)
        r = a.ask(
            "What does the market commentary say about cold-chain warehouse vacancy?", asker="a"
        )
    assert "Note to AI assistants" not in str(received)
    assert r.excluded_chunk_ids


def test_slow_endpoint_falls_back_to_extractive_with_a_clear_note() -> None:
    with openai_server(lambda body: "too late [1].", delay_s=1.0) as (url, _):
        chat = OpenAICompatibleChat(base_url=url, model="slow", timeout_s=0.2)
        with pytest.raises(ChatEndpointError, match=r"timed out after 0\.2 s"):
            chat.complete([("user", "hi")])
        a, _, _ = make_assistant(chat=chat)
        load_test_corpus(a)
        r = a.ask("What is the minimum initial subscription for the bond fund?", asker="a")
    assert r.status == "answered" and r.answer.generator == "extractive"
    assert "HK$10,000" in r.answer.text
    assert any("timed out" in n for n in r.answer.notes)


@pytest.mark.parametrize("status", [500, 401])
def test_http_errors_become_chat_endpoint_errors(status: int) -> None:
    with openai_server(lambda body: "x", status=status) as (url, _):
        chat = OpenAICompatibleChat(base_url=url, model="m", api_key="sk-secret-value")
        with pytest.raises(ChatEndpointError) as err:
            chat.complete([("user", "hi")])
    assert str(status) in err.value.message and "sk-secret" not in err.value.message


def test_unreachable_endpoint() -> None:
    chat = OpenAICompatibleChat(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=1)
    with pytest.raises(ChatEndpointError):
        chat.complete([("user", "hi")])
