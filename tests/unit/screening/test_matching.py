"""Cross-script name matching: table-driven, with near misses."""

from __future__ import annotations

import pytest

from dualtrack.screening import chinese
from dualtrack.screening.errors import NameRejected
from dualtrack.screening.matching import compare, score
from dualtrack.screening.names import prepare
from dualtrack.screening.service import DEFAULT_THRESHOLD

T = DEFAULT_THRESHOLD

SAME_PERSON = [
    ("CHAN, Tai Man", "陳大文"),
    ("CHAN Tai Man", "陈大文"),  # Simplified characters
    ("陳大文", "陈大文"),
    ("Chen Dawen", "陳大文"),  # Pinyin vs characters
    ("Chen Dawen", "CHAN, Tai Man"),  # Pinyin vs HK spelling, no characters on either side
    ("Chan Tai-man", "CHAN, Tai Man"),  # hyphenated given name
    ("CHAN Taiman", "CHAN Tai Man"),  # joined given name
    ("Tai Man Chan", "CHAN, Tai Man"),  # Western order
    ("Peter CHAN Tai-man", "CHAN, Tai Man"),  # Western + Chinese name
    ("CHAN Tai Man, Peter", "陳大文"),  # court style
    ("TSOI Ka Lok", "CHOI Ka Lok"),  # HK spelling variants
    ("YIP Chi Ming", "IP Chi Ming"),
    ("AU YEUNG Chi Keung", "歐陽志強"),  # compound surname
    ("Sheung Kun San-man", "上官珊敏"),
    ("Auyeung Chi-keung", "Au-Yeung Chi Keung"),
    ("WONG Chi Ming", "Huang Zhiming"),
    ("Mohammed Ali Hassan", "Muhammad Ali Hasan"),
    ("Aleksandr Petrov", "Alexander Petrov"),
    ("Александр Петров", "Aleksandr Petrov"),
    ("PETROV, Aleksandr", "Aleksandr Petrov"),
    ("Abdullah Al-Rashid", "Abdallah Alrashid"),
]

DIFFERENT_PERSON = [
    ("CHAN Man Tai", "CHAN Tai Man"),  # swapped given syllables
    ("陳文大", "陳大文"),
    ("CHAN Siu Ming", "CHAN Tai Man"),  # same surname, different given name
    ("WONG Tai Man", "CHAN Tai Man"),  # different surname
    ("TSANG Tai Man", "CHAN Tai Man"),
    ("CHAN Tai Min", "CHAN Tai Man"),  # one letter, different syllable
    ("陳大雯", "陳大文"),  # homophone character, both in characters
    ("黃志明", "王志明"),  # same-sounding surnames, different characters
    ("Chen Damin", "陳大文"),  # the characters say 文 = wen, not min
    ("Aleksei Petrov", "Aleksandr Petrov"),
    ("Mahmoud Hassan", "Mohammed Hassan"),
    ("Ivan Smirnov", "Ivan Petrov"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PERSON)
def test_same_person_scores_above_threshold(a: str, b: str) -> None:
    assert score(prepare(a), prepare(b)) >= T
    assert score(prepare(b), prepare(a)) >= T


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PERSON)
def test_different_person_scores_below_threshold(a: str, b: str) -> None:
    assert score(prepare(a), prepare(b)) < T


def test_scores_are_graded_not_saturated() -> None:
    base = prepare("CHAN, Tai Man")
    exact = score(prepare("CHAN Tai Man"), base)
    western = score(prepare("Peter CHAN Tai-man"), base)
    cross = score(prepare("Chen Dawen"), base)
    assert exact == 1.0
    assert cross < western < exact


@pytest.mark.parametrize(
    ("jyutping", "hk"),
    [
        ("can4", "chan"),
        ("wong4", "wong"),
        ("zoeng1", "cheung"),
        ("jip6", "yip"),
        ("ceoi4", "chui"),
        ("jyun4", "yuen"),
        ("si1", "sze"),
        ("lei5", "lee"),
        ("syun1", "suen"),
        ("gwok3", "kwok"),
        ("daai6", "tai"),
        ("ng4", "ng"),
    ],
)
def test_jyutping_to_hk_spelling(jyutping: str, hk: str) -> None:
    assert chinese.jyutping_to_hk(jyutping) == hk


@pytest.mark.parametrize(
    ("a", "b"),
    [("tsoi", "choi"), ("shum", "sum"), ("poon", "pun"), ("lee", "li"), ("cheong", "cheung")],
)
def test_fuzzy_key_merges_hk_variants(a: str, b: str) -> None:
    assert chinese.fuzzy_key(a) == chinese.fuzzy_key(b)


def test_fuzzy_key_keeps_different_surnames_apart() -> None:
    assert chinese.fuzzy_key("chan") != chinese.fuzzy_key("chen")


def test_traditional_simplified_folding() -> None:
    assert chinese.to_simplified("陳黃張") == "陈黄张"
    assert chinese.to_traditional("陈黄张") == "陳黃張"


def test_reason_mentions_characters_and_jyutping() -> None:
    from dualtrack.screening.explain import explain

    q, c = prepare("CHAN Tai Man"), prepare("陳大文")
    reason = explain(q, c, compare(q, c))
    assert "陳" in reason and "can4" in reason and "大文" in reason


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("CHAN\x00Tai Man", "control"),
        ("CHAN \u202eTai Man", "bidi"),
        ("   ", "empty"),
        ("12345", "no-letters"),
        ("Chаn中Tай", "mixed"),
        ("x" * 400, "length"),
    ],
)
def test_bad_names_are_rejected_with_a_reason(raw: str, problem: str) -> None:
    with pytest.raises(NameRejected) as info:
        prepare(raw)
    assert info.value.fields["problem"] == problem
    assert "CHAN" not in info.value.message


def test_homoglyphs_and_invisible_characters_are_normalised() -> None:
    spoofed = prepare("Chаn Tai\u200b Man")  # Cyrillic a, zero-width space
    assert score(spoofed, prepare("CHAN Tai Man")) == 1.0


def test_index_finds_target_behind_many_similar_names() -> None:
    from dualtrack.screening.matching import NameIndex

    distractors = [
        prepare(f"{s}, Wing Lam") for s in ("CHAN", "KWOK", "WONG", "LEE") for _ in range(30)
    ]
    names = [*distractors, prepare("LAM Wing Wing"), prepare("Mohammed Hassan")]
    index = NameIndex(names, list(range(len(names))), candidates=10)
    found = index.search(prepare("Wing Wing Lam"), threshold=T, limit=5)
    assert [owner for owner, _, _ in found] == [len(distractors)]
    assert index.search(prepare("Muhammad Hasan"), threshold=T, limit=5)[0][0] == len(names) - 1
    assert index.search(prepare("Ivan Petrov"), threshold=T, limit=5) == []


def test_index_returns_every_identical_listed_name() -> None:
    from dualtrack.screening.matching import NameIndex

    names = [prepare("CHAN, Tai Man") for _ in range(100)]
    index = NameIndex(names, list(range(100)), candidates=10, max_batches=20)
    assert len(index.search(prepare("陳大文"), threshold=T, limit=500)) == 100
