"""Fakes for the research assistant tests (no network, no model download on the fast path)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dualtrack.research.embedding import HashingEmbedder
from dualtrack.research.memory import InMemoryChunkStore
from dualtrack.research.service import AssistantConfig, ResearchAssistant

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "data" / "research" / "corpus"

_PII = [
    re.compile(r"\b[A-Z]{1,2}\d{6}\s?[(（]?[0-9A][)）]?"),  # HKID
    re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b"),  # e-mail
    re.compile(r"(?<!\d)(?:\+852\s?)?[5-9]\d{3}\s?\d{4}(?!\d)"),  # HK mobile
    re.compile(r"\bChan Tai Man\b|陳大文"),  # the one name our tests use
]


class FakeRedactor:
    """Stands in for dualtrack.privacy: replaces the test identifiers with a tag."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def redact(self, text: str) -> str:
        self.calls.append(text)
        for rx in _PII:
            text = rx.sub("[REDACTED]", text)
        return text


class CollectingAuditSink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self.records.append(
            {
                "actor": actor,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "payload": dict(payload),
            }
        )

    def actions(self) -> list[str]:
        return [r["action"] for r in self.records]


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def make_assistant(**kwargs: Any) -> tuple[ResearchAssistant, CollectingAuditSink, FakeRedactor]:
    audit = CollectingAuditSink()
    redactor = FakeRedactor()
    config = kwargs.pop("config", AssistantConfig(risk_tier="high"))
    assistant = ResearchAssistant(
        store=kwargs.pop("store", InMemoryChunkStore()),
        embedder=kwargs.pop("embedder", HashingEmbedder()),
        redactor=redactor,
        audit=audit,
        config=config,
        clock=FixedClock(),
        **kwargs,
    )
    return assistant, audit, redactor


def load_test_corpus(assistant: ResearchAssistant) -> None:
    for path in sorted(CORPUS.iterdir()):
        assistant.add_document(filename=path.name, data=path.read_bytes(), actor="loader")


@pytest.fixture
def assistant() -> tuple[ResearchAssistant, CollectingAuditSink, FakeRedactor]:
    return make_assistant()


@pytest.fixture(scope="module")
def corpus_assistant() -> tuple[ResearchAssistant, CollectingAuditSink, FakeRedactor]:
    a, audit, red = make_assistant()
    load_test_corpus(a)
    return a, audit, red
