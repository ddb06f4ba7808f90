from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from dualtrack.research.bm25 import BM25Index
from dualtrack.research.domain import Chunk
from dualtrack.research.index import HybridIndex
from dualtrack.research.text import Block, chunk_blocks, guess_language, split_sentences, tokenize


@pytest.mark.parametrize(
    ("text", "must_have", "must_not_have"),
    [
        ("Harbour Lantern's Revenue ROSE", {"harbour", "lantern", "revenue", "rose"}, {"s", "the"}),
        ("HK$4,812 million in 2023", {"4812", "2023", "million"}, {"4", "812"}),
        ("Fees and charges", {"fee", "charge"}, {"and"}),
        ("青衣物流集團的營業額", {"營業", "業額"}, {"的"}),
        ("山頂子午銀行 green loans", {"銀行", "green", "loan"}, set()),
    ],
)
def test_tokenize(text: str, must_have: set[str], must_not_have: set[str]) -> None:
    toks = set(tokenize(text))
    assert must_have <= toks
    assert not (must_not_have & toks)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Revenue rose 9.4% to HK$4.8 bn. Profit fell.",
            ["Revenue rose 9.4% to HK$4.8 bn.", "Profit fell."],
        ),
        ("Lam & Ho Co. Ltd. audits it. Next.", ["Lam & Ho Co. Ltd. audits it.", "Next."]),
        ("營業額上升。董事會建議派息！", ["營業額上升。", "董事會建議派息！"]),
        (
            "Financial highlights\nOperating income rose.",
            ["Financial highlights", "Operating income rose."],
        ),
        ("a wrapped line\ncontinues here.", ["a wrapped line continues here."]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_language_guess() -> None:
    assert guess_language("青衣物流集團的營業額為港幣18.6億元") == "zh"
    assert guess_language("Revenue was HK$4,812 million (青衣)") == "en"


def test_chunks_respect_size_overlap_and_provenance() -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    drafts = list(chunk_blocks([Block(text, 7, "Results")], max_chars=200, overlap_sentences=1))
    assert len(drafts) > 5
    assert all(len(d.text) <= 200 for d in drafts)
    assert all(d.page == 7 and d.section == "Results" for d in drafts)
    for prev, nxt in pairwise(drafts):
        assert prev.text.splitlines()[-1] == nxt.text.splitlines()[0]  # one-sentence overlap
    joined = " ".join(d.text.replace("\n", " ") for d in drafts)
    assert all(f"number {i} " in joined for i in range(40))


def test_overlong_sentence_is_cut_not_lost() -> None:
    drafts = list(chunk_blocks([Block("x" * 1000, None, None)], max_chars=300))
    assert sum(len(d.text) for d in drafts) == 1000


def _bm25_reference(
    docs: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75
) -> list[float]:
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    out = []
    for d in docs:
        s = 0.0
        for q in set(query):
            df = sum(q in x for x in docs)
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(q)
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        out.append(s)
    return out


def test_bm25_matches_textbook_formula() -> None:
    docs = [
        ["revenue", "rose", "revenue", "ferry"],
        ["profit", "fell"],
        ["ferry", "passenger", "ferry", "ferry", "traffic"],
        ["dividend"],
    ]
    idx = BM25Index().fit(docs)
    for query in (["ferry"], ["revenue", "ferry"], ["unknown"], ["dividend", "profit"]):
        np.testing.assert_allclose(idx.scores(query), _bm25_reference(docs, query), rtol=1e-5)


def _chunk(cid: str, text: str, flagged: bool = False) -> Chunk:
    return Chunk(cid, cid.split("#", maxsplit=1)[0], 0, text, "s.md", flagged=flagged)


def test_hybrid_rrf_combines_lexical_and_dense_and_removes_documents() -> None:
    chunks = [
        _chunk("a#0", "ferry revenue rose strongly"),
        _chunk("b#0", "dividend policy of the board"),
        _chunk("c#0", "unrelated words entirely"),
    ]
    vecs = np.eye(3, 4, dtype=np.float32)
    idx = HybridIndex(dim=4)
    idx.add(chunks, vecs)
    # Lexical match on a#0, dense match on c#0: both appear, a#0 (matched twice) first.
    q = np.array([1, 0, 1, 0], dtype=np.float32) / np.sqrt(2)
    hits = idx.search("ferry revenue", q, k=3)
    assert [h.chunk.chunk_id for h in hits][:2] == ["a#0", "c#0"]
    assert hits[0].bm25_rank == 1 and hits[0].dense_rank == 1
    idx.remove_document("a")
    assert "a#0" not in [h.chunk.chunk_id for h in idx.search("ferry revenue", q, k=3)]


def test_flagged_chunks_can_be_excluded() -> None:
    idx = HybridIndex(dim=2)
    idx.add(
        [_chunk("a#0", "ferry"), _chunk("b#0", "ferry ferry", flagged=True)],
        np.eye(2, dtype=np.float32),
    )
    both = idx.search("ferry", None, exclude_flagged=False)
    assert [h.chunk.chunk_id for h in both] == ["b#0", "a#0"]
    assert [h.chunk.chunk_id for h in idx.search("ferry", None)] == ["a#0"]
