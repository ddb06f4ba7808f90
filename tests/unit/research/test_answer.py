from __future__ import annotations

import pytest

from dualtrack.research.answer import check_groundedness, compose_extractive
from dualtrack.research.domain import AnswerSentence

PASSAGES = [
    (
        1,
        "Revenue for 2023 rose 9.4% to HK$4,812 million. The ferry division carried 41.2 million passengers.",
    ),
    (2, "The chief executive officer is Ms Vivian Cheung. The auditor is Lam & Ho."),
]


def _idf(term: str) -> float:
    return 1.0


def test_extractive_picks_the_covering_sentence_and_cites_it() -> None:
    out = compose_extractive("How many passengers did the ferry division carry?", PASSAGES, _idf)
    assert out[0] == AnswerSentence("The ferry division carried 41.2 million passengers.", (1,))


def test_extractive_refuses_weak_matches() -> None:
    assert compose_extractive("Who won the marathon in 2022?", PASSAGES, _idf) == []


def test_context_terms_count_partially() -> None:
    q = "What was Harbour Lantern revenue?"
    assert compose_extractive(q, PASSAGES[:1], _idf) == []  # company name absent
    got = compose_extractive(q, PASSAGES[:1], _idf, contexts=["harbour lantern annual report"])
    assert got and "HK$4,812 million" in got[0].text


@pytest.mark.parametrize(
    ("sentence", "citations", "supported", "reason_start"),
    [
        ("Revenue rose 9.4% to HK$4,812 million.", (1,), True, None),
        ("Revenue rose 9.4% to HK$4,812 million.", (1, 2), True, None),
        ("Revenue rose 12.5% to HK$4,812 million.", (1,), False, "number not in sources: 12.5"),
        ("Revenue rose to HK$5,812 million.", (1,), False, "number not in sources"),
        ("The chief executive officer is Ms Vivian Chan.", (2,), False, "name not in sources"),
        ("The chief executive officer is Ms Vivian Cheung.", (1,), False, "name not in sources"),
        ("Revenue rose 9.4% to HK$4,812 million.", (), False, "no valid citation"),
        ("Revenue rose 9.4% to HK$4,812 million.", (7,), False, "no valid citation"),
        ("Profits collapsed amid a regulatory scandal overseas.", (1,), False, "low overlap"),
    ],
)
def test_groundedness(
    sentence: str, citations: tuple[int, ...], supported: bool, reason_start: str | None
) -> None:
    kept, dropped = check_groundedness([AnswerSentence(sentence, citations)], dict(PASSAGES))
    if supported:
        assert kept and not dropped
    else:
        assert dropped and not kept
        assert dropped[0].supported is False
        assert dropped[0].reason is not None and dropped[0].reason.startswith(reason_start or "")
