"""A research interaction's rows and its ledger entries commit together or not at all.

Each test makes the ledger append of one action fail (after the interaction has written its
rows, or after an earlier entry of the same interaction) and checks, on SQLite and
PostgreSQL, that neither the rows nor any entry of that interaction remain, and that the
gateway works normally afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from dualtrack.adapters.research_sql import (
    ResearchTransactions,
    SqlHumanQueue,
    SqlReviewRepository,
)
from dualtrack.adapters.sql import SqlLedgerRepository
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.demo import SYSTEMS
from dualtrack.errors import Conflict
from dualtrack.research.domain import HumanRequest
from dualtrack.research.wiring import SYSTEM_NAME, ResearchGateway
from dualtrack.research.wiring import service as research_service
from tests.conftest import People

DOC = (
    b"# Kowloon Tidewater research note\n\n"
    b"Kowloon Tidewater shares carry a buy rating with a target price of HK$21.50. "
    b"The terminal handled 4.2 million containers in 2023."
)
INVESTMENT_QUESTION = "Should I buy Kowloon Tidewater shares?"
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class LedgerFailure(RuntimeError):
    pass


class FailingLedger:
    """Makes appending entries with the given actions raise, until ``heal()``."""

    def __init__(self) -> None:
        self.actions: set[str] = set()

    def fail(self, action: str) -> None:
        self.actions.add(action)

    def heal(self) -> None:
        self.actions.clear()


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> FailingLedger:
    failing = FailingLedger()
    original = SqlLedgerRepository.record_many

    def record_many(
        self: SqlLedgerRepository, items: list[tuple[str, str, str, str, Mapping[str, Any]]]
    ) -> list[Any]:
        if any(item[1] in failing.actions for item in items):
            raise LedgerFailure("ledger append failed")
        return original(self, items)

    monkeypatch.setattr(SqlLedgerRepository, "record_many", record_many)
    return failing


@pytest.fixture
def gateway(platform: Platform, people: People) -> ResearchGateway:
    attributes = next(s for s in SYSTEMS if s.name == SYSTEM_NAME)
    platform.registry.register_system(people.dev, attributes)
    return research_service(platform)


def _actions(platform: Platform) -> list[str]:
    return [e.action for e in platform.ledger.entries() if e.action.startswith("research.")]


def test_held_answer_and_its_ledger_entry_are_one_transaction(
    platform: Platform, people: People, gateway: ResearchGateway, ledger: FailingLedger
) -> None:
    gateway.add_document(people.dev, filename="tidewater.md", data=DOC)
    ledger.fail("research.ask")
    with pytest.raises(LedgerFailure):
        gateway.ask(people.analyst, INVESTMENT_QUESTION)
    # The review row was written before the ledger append failed; it went with it.
    assert gateway.reviews.list(status=None) == []
    assert _actions(platform) == ["research.document.indexed"]

    ledger.heal()
    reply = gateway.ask(people.analyst, INVESTMENT_QUESTION)
    assert reply.status == "pending_review" and reply.review_id is not None
    assert [r.review_id for r in gateway.reviews.list(status=None)] == [reply.review_id]
    assert _actions(platform) == ["research.document.indexed", "research.ask"]
    assert platform.ledger.verify().ok


def test_review_decision_rolls_back_with_its_ledger_entry(
    platform: Platform, people: People, gateway: ResearchGateway, ledger: FailingLedger
) -> None:
    gateway.add_document(people.dev, filename="tidewater.md", data=DOC)
    review_id = gateway.ask(people.analyst, INVESTMENT_QUESTION).review_id
    assert review_id is not None
    ledger.fail("research.review.approved")
    with pytest.raises(LedgerFailure):
        gateway.decide(people.compliance, review_id, decision="approve")
    assert gateway.reviews.get(review_id).status == "pending"  # type: ignore[union-attr]
    assert "research.review.approved" not in _actions(platform)


def test_opt_out_row_needs_its_ledger_entry(
    platform: Platform, people: People, gateway: ResearchGateway, ledger: FailingLedger
) -> None:
    ledger.fail("research.opt_out.set")
    with pytest.raises(LedgerFailure):
        gateway.set_opt_out(people.compliance, "C-2001")
    assert not gateway.assistant.opt_outs.is_opted_out("C-2001")
    assert _actions(platform) == []


def test_failed_document_ledger_entry_leaves_no_document_and_no_stale_index(
    platform: Platform, people: People, gateway: ResearchGateway, ledger: FailingLedger
) -> None:
    version = gateway.store.version()
    ledger.fail("research.document.indexed")
    with pytest.raises(LedgerFailure):
        gateway.add_document(people.dev, filename="tidewater.md", data=DOC)
    assert gateway.list_documents() == [] and gateway.store.count_chunks() == 0
    assert gateway.store.version() == version and _actions(platform) == []
    ledger.heal()
    # Another process adds a document: the index version moves to the very number the
    # rolled-back add had reached here, so only the gateway's own reset forces a rebuild.
    other_platform = bootstrap(platform.settings)
    try:
        ResearchGateway(other_platform).add_document(
            people.dev,
            filename="ferry.md",
            data=b"# Ferries\n\nThe Star Ferry fleet has nine vessels.",
        )
    finally:
        other_platform.close()
    assert gateway.store.version() == version + 1
    # The passage reached the in-memory index before the rollback; it must not be found.
    reply = gateway.ask(people.analyst, "How many containers did the terminal handle in 2023?")
    assert reply.status == "refused"
    assert not [c for c in reply.retrieved_chunk_ids if c.startswith("tidewater")]
    reply = gateway.ask(people.analyst, "How many vessels does the Star Ferry fleet have?")
    assert reply.status == "answered" and "nine vessels" in (
        reply.answer.text if reply.answer else ""
    )


def test_entry_written_first_goes_when_the_rows_fail(
    platform: Platform, people: People, gateway: ResearchGateway
) -> None:
    # Registering a dataset ledgers it, then stores it; a clash at the store must take
    # the entry back too.
    csv = b"company,revenue_hkd_m\nHarbour Lantern,4812\n"
    gateway.register_dataset(people.dev, "hk_results", filename="r.csv", content=csv)
    assert _actions(platform) == ["research.dataset.registered"]
    with pytest.raises(Conflict):
        gateway.register_dataset(people.dev, "hk_results", filename="r.csv", content=csv)
    assert _actions(platform) == ["research.dataset.registered"]
    assert [d.dataset.name for d in gateway.list_datasets()] == ["hk_results"]


def test_reads_inside_an_interaction_do_not_wait_for_its_own_write_lock(
    platform: Platform,
) -> None:
    # On SQLite a read that took the write lock (BEGIN IMMEDIATE) would wait for the
    # interaction holding it, until the 30 s busy timeout, and then fail.
    tx = ResearchTransactions(platform.engine, platform.uow)
    queue, reviews = SqlHumanQueue(tx), SqlReviewRepository(tx)
    request = HumanRequest("h1", "i1", None, "a question", "client_requested_human", AT)
    started = time.monotonic()
    with tx.interaction():
        queue.add(request)
        assert reviews.list(status=None) == []
        assert queue.list_requests() == []  # reads see committed rows only
    assert queue.list_requests() == [request]
    assert time.monotonic() - started < 10


def test_redaction_after_the_first_write_needs_no_other_transaction(
    platform: Platform, people: People, gateway: ResearchGateway
) -> None:
    gateway.add_document(people.dev, filename="tidewater.md", data=DOC)
    review_id = gateway.ask(people.analyst, INVESTMENT_QUESTION).review_id
    assert review_id is not None
    # As when the reviewer acts minutes later: the 30 s policy cache has expired. The
    # decision redacts its text after updating the review, inside the interaction.
    gateway._policy_cache = None
    started = time.monotonic()
    view = gateway.decide(people.compliance, review_id, decision="approve")
    assert view.item.status == "approved" and time.monotonic() - started < 10
    assert _actions(platform)[-1] == "research.review.approved"
