"""Text utilities: language guess, tokenisation (jieba for Chinese), sentences, chunking."""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_EN_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "can",
        "could",
        "should",
        "about",
        "into",
        "than",
        "then",
        "so",
        "if",
        "not",
        "no",
    ]
)
_ZH_STOP = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "及",
        "與",
        "之",
        "而",
        "或",
        "其",
        "於",
        "為",
        "以",
        "也",
        "有",
        "我",
        "你",
        "他",
        "她",
        "它",
        "們",
        "這",
        "那",
        "個",
        "嗎",
        "呢",
        "吧",
    ]
)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba() -> ModuleType:
    global _jieba_ready  # noqa: PLW0603 - one-time lazy initialisation of a global dictionary
    with warnings.catch_warnings():
        # jieba 0.42 has invalid escape sequences: a SyntaxWarning when compiled afresh,
        # which ``filterwarnings = error`` would turn into an import failure.
        warnings.simplefilter("ignore")
        import jieba

        if not _jieba_ready:
            with _jieba_lock:
                if not _jieba_ready:
                    jieba.setLogLevel(logging.WARNING)
                    jieba.initialize()
                    _jieba_ready = True
    module: ModuleType = jieba
    return module


def _jieba_cut(text: str) -> list[str]:
    return [t for t in _jieba().lcut(text, HMM=False) if t.strip()]


def cjk_ratio(text: str) -> float:
    letters = sum(1 for ch in text if ch.isalnum())
    if not letters:
        return 0.0
    return len(_CJK_CHAR.findall(text)) / letters


def guess_language(text: str) -> str:
    """'zh' when at least a fifth of the letters are CJK ideographs, else 'en'."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def _stem(tok: str) -> str:
    if tok[0].isdigit():
        return tok.replace(",", "")
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
        return tok[:-1]
    return tok


def tokenize(text: str) -> list[str]:
    """Lower-cased English words (light stemming, stop words dropped) and jieba Chinese words."""
    out: list[str] = []
    pos = 0
    lowered = text.lower()
    for m in _CJK_RUN.finditer(lowered):
        out.extend(_en_tokens(lowered[pos : m.start()]))
        out.extend(_zh_tokens(m.group()))
        pos = m.end()
    out.extend(_en_tokens(lowered[pos:]))
    return out


def _zh_tokens(run: str) -> list[str]:
    # jieba's dictionary is mostly Simplified, so Traditional words often come back as
    # single characters; adding bigrams over such runs restores most word matches.
    words = [t for t in _jieba_cut(run) if t not in _ZH_STOP]
    out = list(words)
    singles: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1:
            singles.append(w)
            continue
        out.extend(a + b for a, b in pairwise(singles))
        singles = []
    return out


def _en_tokens(text: str) -> Iterator[str]:
    for m in _WORD.finditer(text):
        tok = m.group()
        if tok not in _EN_STOP and (len(tok) > 1 or tok.isdigit()):
            yield _stem(tok)


_ABBREV = ("e.g.", "i.e.", "etc.", "ltd.", "co.", "inc.", "no.", "mr.", "ms.", "dr.", "vs.")
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[\u4e00-\u9fff])|(?<=[。！？；])")


def split_sentences(text: str) -> list[str]:
    """Split into sentences; English on . ! ? before a capital, Chinese on 。！？；.

    A line break followed by a capital also ends a sentence when the line does not end in
    a comma: PDF text puts headings and table rows on their own lines without full stops.
    """
    pieces: list[str] = []
    for part in _LINE_BREAK.split(text):
        pieces.extend(_split_flat(part))
    return pieces


_LINE_BREAK = re.compile(r"(?<=[^,\s])[ \t]*\n\s*(?=[A-Z\u4e00-\u9fff#])")


def _split_flat(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        candidate = text[start : m.start()].strip()
        if candidate.lower().endswith(_ABBREV):
            continue
        if candidate:
            pieces.append(candidate)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


@dataclass(frozen=True, slots=True)
class Block:
    """A run of text from one page and section of a source document."""

    text: str
    page: int | None
    section: str | None


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    text: str
    page: int | None
    section: str | None


def chunk_blocks(
    blocks: Iterable[Block], *, max_chars: int = 700, overlap_sentences: int = 1
) -> Iterator[ChunkDraft]:
    """Pack whole sentences into chunks of about ``max_chars``, never across a section or page.

    The last ``overlap_sentences`` of a chunk start the next one so that a fact split at
    a boundary is still retrievable in one piece. A single overlong sentence is cut hard.
    """
    for block in blocks:
        sentences: list[str] = []
        for sentence in split_sentences(block.text):
            rest = sentence
            while len(rest) > max_chars:
                sentences.append(rest[:max_chars])
                rest = rest[max_chars:]
            if rest:
                sentences.append(rest)
        current: list[str] = []
        size = 0
        fresh = 0  # sentences in ``current`` not already emitted in the previous chunk
        for s in sentences:
            if current and size + len(s) + 1 > max_chars:
                yield ChunkDraft("\n".join(current), block.page, block.section)
                current = current[-overlap_sentences:] if overlap_sentences else []
                if sum(len(c) + 1 for c in current) + len(s) > max_chars:
                    current = []
                size = sum(len(c) + 1 for c in current)
                fresh = 0
            current.append(s)
            size += len(s) + 1
            fresh += 1
        if current and fresh:
            yield ChunkDraft("\n".join(current), block.page, block.section)


__all__ = [
    "Block",
    "ChunkDraft",
    "chunk_blocks",
    "guess_language",
    "split_sentences",
    "tokenize",
]
