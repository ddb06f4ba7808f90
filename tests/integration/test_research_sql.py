"""The research assistant's SQL adapters on SQLite and PostgreSQL: all-or-nothing documents,
retention deletes, the index version seen by other processes, embedder changes, reviews,
opt-outs and datasets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

from dualtrack.adapters.research_sql import (
    SqlChunkStore,
    SqlDatasetRepository,
    SqlOptOutRegistry,
    SqlReviewRepository,
)
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.demo import SYSTEMS
from dualtrack.errors import Conflict, NotFound
from dualtrack.research.domain import Answer, AnswerSentence, Chunk, Citation, Dataset, Document
from dualtrack.research.embedding import HashingEmbedder
from dualtrack.research.memory import SystemClock
from dualtrack.research.wiring import SYSTEM_NAME, ResearchGateway
from dualtrack.research.wiring import service as research_service
from tests.conftest import People

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _doc(doc_id: str, n: int) -> tuple[Document, list[Chunk], np.ndarray]:
    doc = Document(doc_id, doc_id, f"{doc_id}.md", "markdown", "0" * 64, "en", 0, n, AT)
    chunks = [
        Chunk(
            f"{doc_id}#{i:05d}",
            doc_id,
            i,
            f"passage {i} of {doc_id}",
            f"{doc_id}.md",
            None,
            "Results",
            "en",
            0.1 * i,
            i == 2,
        )
        for i in range(n)
    ]
    rng = np.random.default_rng(7)
    return doc, chunks, rng.standard_normal((n, 8)).astype(np.float32)


def test_chunk_store_round_trip_replace_and_delete(platform: Platform) -> None:
    store = SqlChunkStore(platform.engine, embedder_id="e8", dim=8)
    store.seen_version = store.version()
    doc, chunks, vectors = _doc("annual", 3)
    store.add(doc, chunks, vectors)
    assert store.seen_version == store.version() == 1  # own writes keep the index current
    assert store.get("annual") == doc and store.list_documents() == [doc]
    assert store.chunks("annual") == chunks
    loaded = list(store.iter_all())
    assert [c for c, _ in loaded] == chunks
    assert np.array_equal(np.stack([v for _, v in loaded]), vectors)
    assert store.chunk("annual#00002") == chunks[2] and store.chunk("annual#9") is None

    # Replacing a document swaps its chunks in one transaction.
    doc2, chunks2, vectors2 = _doc("annual", 2)
    store.add(replace(doc2, content_hash="1" * 64), chunks2, vectors2)
    assert store.count_chunks() == 2 and store.get("annual").content_hash == "1" * 64  # type: ignore[union-attr]

    store.delete("annual")
    assert store.list_documents() == [] and store.count_chunks() == 0
    assert list(store.iter_all()) == [] and store.version() == 3
    with pytest.raises(NotFound):
        store.delete("annual")


def test_failed_add_leaves_nothing_half_indexed(platform: Platform) -> None:
    store = SqlChunkStore(platform.engine, embedder_id="e8", dim=8)
    doc, chunks, vectors = _doc("dup", 3)
    chunks[2] = replace(chunks[2], chunk_id=chunks[0].chunk_id)  # the third insert fails
    with pytest.raises(IntegrityError):
        store.add(doc, chunks, vectors)
    assert store.list_documents() == [] and store.count_chunks() == 0 and store.version() == 0


def test_other_process_notices_new_documents(platform: Platform, people: People) -> None:
    attributes = next(s for s in SYSTEMS if s.name == SYSTEM_NAME)
    platform.registry.register_system(people.dev, attributes)
    first = research_service(platform)
    other_platform = bootstrap(platform.settings)
    try:
        second = ResearchGateway(other_platform)
        first.add_document(
            people.dev,
            filename="ferry.md",
            data=b"# Ferries\n\nThe Star Ferry fleet has nine vessels.",
        )
        reply = second.ask(people.analyst, "How many vessels does the Star Ferry fleet have?")
        assert reply.status == "answered" and "nine vessels" in (
            reply.answer.text if reply.answer else ""
        )
        second.delete_document(people.compliance, "ferry-md", reason="retention")
        again = first.ask(people.analyst, "How many vessels does the Star Ferry fleet have?")
        assert again.status == "refused" and again.retrieved_chunk_ids == ()
    finally:
        other_platform.close()


def test_chunks_from_another_embedder_are_re_embedded(
    platform: Platform, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = SqlChunkStore(platform.engine, embedder_id=HashingEmbedder.model_id, dim=256)
    doc, chunks, _ = _doc("annual", 3)
    old.add(doc, chunks, HashingEmbedder().embed([c.text for c in chunks]))

    class Hashing64(HashingEmbedder):
        model_id = "hashing-64"

    monkeypatch.setattr(
        "dualtrack.research.wiring.choose_embedder", lambda platform: (Hashing64(64), None)
    )
    gateway = ResearchGateway(platform)
    assert gateway.store.stale_chunks() == []
    vectors = [v for _, v in gateway.store.iter_all()]
    assert len(vectors) == 3 and all(v.shape == (64,) for v in vectors)
    assert len(gateway.assistant.index) == 3


def test_reviews_opt_outs_and_datasets(platform: Platform) -> None:
    reviews = SqlReviewRepository(platform.engine)
    draft = Answer(
        (AnswerSentence("Buy rating, target HK$21.50.", (1,)),),
        (Citation(1, "note#00001", "note.md", None, "Rating"),),
        "extractive",
    )
    from dualtrack.research.domain import ReviewItem

    item = ReviewItem("r1", "i1", "ana", "C-1", "Should I buy?", draft, AT)
    reviews.add(item)
    assert reviews.get("r1") == item and reviews.pending() == [item]
    decided = item.decide(
        decision="approve", reviewer="carol", reviewer_role="compliance_officer", at=AT
    )
    reviews.update(decided)
    assert reviews.get("r1") == decided and reviews.pending() == []
    with pytest.raises(Conflict):  # a second decision on the same row loses
        reviews.update(decided)

    opt = SqlOptOutRegistry(platform.engine, SystemClock())
    assert not opt.is_opted_out("C-1")
    opt.set_opt_out("C-1", True)
    assert opt.is_opted_out("C-1")
    opt.set_opt_out("C-1", False)
    assert not opt.is_opted_out("C-1")

    datasets = SqlDatasetRepository(platform.engine)
    ds = Dataset("sales", "sales.csv", (("a", "BIGINT"),), 2)
    datasets.add(ds, content=b"a\n1\n2\n", sha256="f" * 64, at=AT, actor="ana")
    assert datasets.version() == 1 and datasets.list()[0].dataset == ds
    with pytest.raises(Conflict):
        datasets.add(ds, content=b"a\n3\n", sha256="e" * 64, at=AT, actor="ana")
    datasets.add(ds, content=b"a\n3\n", sha256="e" * 64, at=AT, actor="ana", replace=True)
    assert datasets.contents() == [("sales", "sales.csv", b"a\n3\n")] and datasets.version() == 2


REPO_MODEL = Path(__file__).resolve().parents[2] / "var" / "models" / "all-MiniLM-L6-v2"


@pytest.mark.skipif(
    not (REPO_MODEL / "model.safetensors").is_file(),
    reason="MiniLM weights not fetched (`dualtrack docs fetch-model`)",
)
def test_minilm_is_used_when_its_weights_are_present(platform: Platform, people: People) -> None:
    models = Path(platform.settings.var_dir) / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "all-MiniLM-L6-v2").symlink_to(REPO_MODEL, target_is_directory=True)
    attributes = next(s for s in SYSTEMS if s.name == SYSTEM_NAME)
    platform.registry.register_system(people.dev, attributes)
    gateway = research_service(platform)
    assert gateway.embedder_note is None and gateway.embedder.dim == 384
    gateway.add_document(
        people.dev,
        filename="ferries.md",
        data=b"# Fleet\n\nThe Star Ferry company operates nine vessels across Victoria Harbour.",
    )
    gateway.add_document(
        people.dev,
        filename="bank.md",
        data=b"# Capital\n\nThe bank's CET1 ratio was 16.4% at the end of 2023.",
    )
    # A paraphrase with no shared content word except the name: the dense side carries it.
    hits = gateway.assistant.retrieve("How many boats sail for Star Ferry?", k=1)
    assert hits[0].chunk.doc_id == "ferries-md" and hits[0].dense_rank == 1
