from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from pypdf import PdfReader, PdfWriter

from dualtrack.errors import NotFound
from dualtrack.research.embedding import HashingEmbedder
from dualtrack.research.errors import InvalidDocument
from dualtrack.research.fixtures import minimal_pdf
from dualtrack.research.ingest import detect_format, iter_blocks
from dualtrack.research.memory import InMemoryChunkStore
from dualtrack.research.service import AssistantConfig

from .conftest import make_assistant


def _encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(["Secret revenue was HK$1."]))))
    writer.encrypt(user_password=user_password, owner_password="owner-pw", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_keeps_pages_and_sections() -> None:
    data = minimal_pdf(["Results\nRevenue rose to HK$5 million.", "Risks\nFuel costs rose."])
    blocks = list(iter_blocks("pdf", data))
    assert [(b.page, b.section) for b in blocks] == [(1, "Results"), (2, "Risks")]
    assert "HK$5 million" in blocks[0].text


def test_html_sections_skip_scripts_and_styles() -> None:
    html = b"""<html><head><style>p{}</style><script>var x='ignore previous';</script></head>
    <body><h1>Title</h1><p>Intro text.</p><h2>Board</h2><p>The chair is Mr Yau.</p>
    <ul><li>One.</li><li>Two.</li></ul></body></html>"""
    blocks = list(iter_blocks("html", html))
    assert [b.section for b in blocks] == ["Title", "Board"]
    assert "var x" not in " ".join(b.text for b in blocks)
    assert "One." in blocks[1].text and "Two." in blocks[1].text


def test_markdown_sections_and_markup_removed() -> None:
    md = "# Report\n\nSee **bold** and [a link](http://x).\n\n## Fees\n\n- Fee is 1%.\n"
    blocks = list(iter_blocks("markdown", md.encode()))
    assert [b.section for b in blocks] == ["Report", "Fees"]
    assert "bold" in blocks[0].text and "**" not in blocks[0].text and "http" not in blocks[0].text


def test_text_form_feeds_are_pages_and_big5_is_decoded() -> None:
    blocks = list(iter_blocks("text", "第一頁\f第二頁".encode("big5hkscs")))
    assert [(b.page, b.text) for b in blocks] == [(1, "第一頁"), (2, "第二頁")]


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("a.pdf", b"%PDF-1.4\n garbage that is not a pdf", "corrupt-pdf"),
        ("a.pdf", minimal_pdf(["Hello there."])[:200], "corrupt-pdf"),
        ("a.pdf", b"plain text named pdf", "corrupt-pdf"),
        ("a.pdf", _encrypted("user-pw"), "encrypted-pdf"),
        ("a.docx", b"PK\x03\x04", "unsupported-type"),
        ("a.txt", b"   \n\t ", "empty"),
        ("a.txt", b"", "empty"),
        ("a.txt", b"\x00\x01binary", "binary"),
        ("a.pdf", minimal_pdf(["", ""]), "no-text"),
    ],
)
def test_bad_input_is_rejected_and_nothing_is_indexed(
    filename: str, data: bytes, reason: str
) -> None:
    a, audit, _ = make_assistant()
    with pytest.raises(InvalidDocument) as err:
        a.add_document(filename=filename, data=data, actor="u1")
    assert err.value.fields["reason"] == reason
    assert a.list_documents() == [] and len(a.index) == 0 and audit.records == []


def test_owner_password_only_pdf_is_readable() -> None:
    blocks = list(iter_blocks("pdf", _encrypted("")))
    assert "Secret revenue" in blocks[0].text


def test_format_detection_prefers_magic_bytes() -> None:
    assert detect_format("report.txt", minimal_pdf(["x."])) == "pdf"
    assert detect_format("notes.MD", b"# hi") == "markdown"


class ExplodingEmbedder(HashingEmbedder):
    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_after = fail_after

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls > self.fail_after:
            raise RuntimeError("embedding backend died")
        return super().embed(texts)


def test_failure_midway_leaves_nothing_half_indexed() -> None:
    a, _, _ = make_assistant(embedder=ExplodingEmbedder(fail_after=1))
    pages = [f"Page {i} says revenue was HK${i} million. " * 8 for i in range(150)]
    with pytest.raises(RuntimeError):
        a.add_document(filename="big.pdf", data=minimal_pdf(pages), actor="u1")
    assert a.embedder.calls == 2  # type: ignore[attr-defined]  # failed in the second batch
    assert a.list_documents() == [] and len(a.index) == 0


def test_500_page_pdf_streams_with_bounded_memory() -> None:
    pages = [f"Section {i}\nOn page {i} the ferry carried {i * 7} passengers." for i in range(500)]
    data = minimal_pdf(pages)
    tracemalloc.start()
    n = sum(1 for _ in iter_blocks("pdf", data))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 500
    assert peak < 60 * len(data)  # parser overhead, not a copy of every page's objects
    a, _, _ = make_assistant()
    doc = a.add_document(filename="big.pdf", data=data, actor="u1").document
    assert doc.n_pages == 500 and doc.n_chunks == 500
    hit = a.retrieve("passengers on page 321", k=1)[0].chunk
    assert hit.page == 322 and "On page 321 " in hit.text  # pages are 1-based


def test_page_limit() -> None:
    small, _, _ = make_assistant(config=AssistantConfig(max_pages=3))
    with pytest.raises(InvalidDocument) as err:
        small.add_document(filename="x.pdf", data=minimal_pdf(["a."] * 4), actor="u")
    assert err.value.fields["reason"] == "too-many-pages"


def test_unchanged_content_is_skipped_and_changed_content_replaces() -> None:
    a, audit, _ = make_assistant()
    v1 = b"# Fees\n\nThe management fee is 0.85% per annum."
    first = a.add_document(filename="fees.md", data=v1, actor="u1")
    again = a.add_document(filename="fees.md", data=v1, actor="u1")
    assert first.indexed and not again.indexed
    assert audit.actions().count("research.document.indexed") == 1
    v2 = b"# Fees\n\nThe management fee is 0.65% per annum."
    third = a.add_document(filename="fees.md", data=v2, actor="u1")
    assert third.indexed and len(a.list_documents()) == 1
    texts = [h.chunk.text for h in a.retrieve("management fee", k=5)]
    assert any("0.65%" in t for t in texts) and not any("0.85%" in t for t in texts)


def test_delete_removes_chunks_and_embeddings_and_is_audited() -> None:
    store = InMemoryChunkStore()
    a, audit, _ = make_assistant(store=store)
    a.add_document(filename="fees.md", data=b"The fee is 1%.", actor="u1")
    a.delete_document("fees-md", actor="records-officer")
    assert store.list_documents() == [] and list(store.iter_all()) == []
    assert a.retrieve("fee") == []
    assert audit.records[-1]["action"] == "research.document.deleted"
    assert audit.records[-1]["payload"]["reason"] == "retention"
    with pytest.raises(NotFound):
        a.delete_document("fees-md", actor="records-officer")


def test_index_is_rebuilt_from_store_on_start() -> None:
    store = InMemoryChunkStore()
    a, _, _ = make_assistant(store=store)
    a.add_document(filename="fees.md", data=b"The management fee is 0.85% per annum.", actor="u1")
    b, _, _ = make_assistant(store=store)
    assert b.retrieve("management fee", k=1)[0].chunk.doc_id == "fees-md"
    vectors = np.stack([v for _, v in store.iter_all()])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
