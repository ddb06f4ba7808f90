"""Person-name recognizers for Hong Kong text (the fast, dictionary-and-structure kind).

English/romanised names are found by walking runs of capitalised words and matching a small
grammar over them:

* ``Chan Tai Man``, ``CHAN Tai-man``, ``CHAN, Tai Man`` (surname + romanised given syllables;
  a comma is only accepted after an all-capitals surname, the HKID style);
* ``Peter CHAN Tai-man``, ``Peter Chan`` (Western given name + surname [+ syllables]);
* ``John Smith`` (Western given name + common Western surname);
* ``Ms Wong Siu Ming``, ``Mr Chan``, ``Dr Fernandes`` (a title makes the next word a name;
  the title itself is not part of the span).

Place names that look like names (``Tai Po``, ``Wong Tai Sin``) and candidates followed by
``Road``, ``Estate``, ``Bank``... are skipped. Chinese names need a surname from the table,
one or two common given-name characters and a cue around them (``姓名：``, ``客戶``, ``先生``,
``小姐``...), so bare character runs are never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dualtrack.privacy.domain import EntityType, Finding
from dualtrack.privacy.lexicon import (
    CN_COMPOUND_SURNAMES,
    CN_GIVEN_CHARS,
    CN_NAME_PREFIX_CUES,
    CN_NAME_SUFFIX_CUES,
    CN_SURNAMES,
    GIVEN_SYLLABLES,
    HK_SURNAMES,
    NON_PERSON_FOLLOWERS,
    PLACE_NAMES_LOWER,
    TITLES,
    WESTERN_GIVEN_NAMES,
    WESTERN_SURNAMES,
)
from dualtrack.privacy.recognizers import Document

_CAPWORD = r"[A-Z][A-Za-z]*(?:-[A-Za-z]+)*"
_RUN_RE = re.compile(rf"(?<![A-Za-z]){_CAPWORD}(?:(?:, ?| |\. ){_CAPWORD})*")
_CAPWORD_RE = re.compile(_CAPWORD)
_PERSON_CONTEXT = ("name", "customer", "client", "attn", "dear", "holder", "signed", "contact")
_MAX_PLACE_CAPWORDS = 4


class _Tok:
    __slots__ = ("comma_before", "end", "lower", "parts", "start", "text", "upper")

    def __init__(self, text: str, start: int, comma_before: bool) -> None:
        self.text = text
        self.start = start
        self.end = start + len(text)
        self.lower = text.lower()
        self.parts = self.lower.split("-")
        self.upper = text.isupper() and len(text) > 1
        self.comma_before = comma_before

    @property
    def is_title(self) -> bool:
        return self.lower in TITLES

    @property
    def is_hk_surname(self) -> bool:
        return self.lower in HK_SURNAMES

    @property
    def is_syllables(self) -> bool:
        return all(p in GIVEN_SYLLABLES for p in self.parts)

    @property
    def syllable_count(self) -> int:
        return len(self.parts)

    @property
    def is_western_given(self) -> bool:
        return self.lower in WESTERN_GIVEN_NAMES

    @property
    def is_western_surname(self) -> bool:
        return self.lower in WESTERN_SURNAMES


class EnglishNameRecognizer:
    """Romanised Hong Kong and common Western names (no model, no jieba)."""

    name = "person_en"
    entity_types = frozenset({EntityType.PERSON.value})
    needs = frozenset({"upper"})

    def analyze(self, doc: Document) -> Iterator[Finding]:
        text = doc.text
        for run in _RUN_RE.finditer(text):
            tokens: list[_Tok] = []
            pos = run.start()
            title_before = _title_before(text, run.start())
            for tm in _CAPWORD_RE.finditer(run.group()):
                start = run.start() + tm.start()
                gap = text[pos:start]
                if "." in gap and not tokens[-1].is_title:
                    # A full stop ends the sentence, so it ends any name too.
                    yield from self._parse(doc, tokens, title_before)
                    tokens, title_before = [], False
                tokens.append(_Tok(tm.group(), start, "," in gap))
                pos = start + len(tm.group())
            yield from self._parse(doc, tokens, title_before)

    def _parse(self, doc: Document, toks: list[_Tok], title_before: bool) -> Iterator[Finding]:
        i = 0
        n = len(toks)
        titled = title_before
        while i < n:
            tok = toks[i]
            if tok.is_title:
                titled = True
                i += 1
                continue
            place_len = _place_length(toks, i)
            if place_len:
                i += place_len
                titled = False
                continue
            end, score = self._match_at(toks, i, titled)
            if end > i:
                follower = toks[end].lower if end < n else ""
                if follower not in NON_PERSON_FOLLOWERS:
                    window = doc.lower[max(0, toks[i].start - 30) : toks[i].start]
                    if any(word in window for word in _PERSON_CONTEXT):
                        score = min(1.0, score + 0.1)
                    yield Finding(
                        toks[i].start,
                        toks[end - 1].end,
                        EntityType.PERSON.value,
                        score,
                        self.name,
                    )
                i = end
            else:
                i += 1
            titled = False

    @staticmethod
    def _match_at(toks: list[_Tok], i: int, titled: bool) -> tuple[int, float]:
        """Return (end index, score) of a name starting at token ``i``; end == i if none."""
        n = len(toks)
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < n else None
        # Western given name + HK surname [+ given syllables]: "Peter CHAN Tai-man".
        if tok.is_western_given and nxt is not None and not nxt.comma_before:
            if nxt.is_hk_surname:
                end = _take_syllables(toks, i + 2)
                return end, 0.85
            if nxt.is_western_surname:
                return i + 2, 0.8
        if tok.is_hk_surname:
            comma_ok = tok.upper
            j = i + 1
            if j < n and toks[j].comma_before and not comma_ok:
                return (i + 1, 0.75) if titled else (i, 0.0)
            end = _take_syllables(toks, j)
            syllables = sum(t.syllable_count for t in toks[j:end])
            if syllables >= 2:
                end = _take_trailing_western(toks, end)
                return end, 0.85
            if syllables == 1:
                return end, 0.75 if titled else 0.55
            if titled:
                return i + 1, 0.75
            return i, 0.0
        if titled and not tok.is_western_given and tok.lower not in NON_PERSON_FOLLOWERS:
            # "Dr Fernandes", "Ms Wong": the title vouches for an unknown surname.
            if tok.is_western_surname:
                return i + 1, 0.8
            return i + 1, 0.6
        if titled and tok.is_western_given and nxt is not None and not nxt.comma_before:
            return i + 2, 0.7
        return i, 0.0


def _take_syllables(toks: list[_Tok], j: int) -> int:
    syllables = 0
    n = len(toks)
    while j < n and toks[j].is_syllables and syllables < 3:
        if syllables and toks[j].comma_before:
            break
        if toks[j].comma_before and not toks[j - 1].upper:
            break
        syllables += toks[j].syllable_count
        j += 1
    return j


def _take_trailing_western(toks: list[_Tok], j: int) -> int:
    """Court style ``KUO Chi Yung Peter`` / ``CHAN, Tai Man Peter``."""
    if j < len(toks) and toks[j].is_western_given and not toks[j].comma_before:
        return j + 1
    return j


def _place_length(toks: list[_Tok], i: int) -> int:
    for length in range(min(_MAX_PLACE_CAPWORDS, len(toks) - i), 0, -1):
        if any(t.comma_before for t in toks[i + 1 : i + length]):
            continue
        phrase = " ".join(t.lower for t in toks[i : i + length])
        if phrase in PLACE_NAMES_LOWER:
            return length
    return 0


_TITLE_BEFORE_RE = re.compile(r"(?:^|[^A-Za-z])(?:Mr|Mrs|Ms|Miss|Dr|Madam|Mdm|Prof)\.? ?$")


def _title_before(text: str, start: int) -> bool:
    return _TITLE_BEFORE_RE.search(text[max(0, start - 7) : start]) is not None


def _cn_name_regex() -> tuple[re.Pattern[str], re.Pattern[str]]:
    surname = "(?:" + "|".join(CN_COMPOUND_SURNAMES) + f"|[{CN_SURNAMES}])"
    given = f"[{CN_GIVEN_CHARS}]"
    prefix = "(?:" + "|".join(sorted(CN_NAME_PREFIX_CUES, key=len, reverse=True)) + ")"
    suffix = "(?:" + "|".join(sorted(CN_NAME_SUFFIX_CUES, key=len, reverse=True)) + ")"
    after_cue = re.compile(prefix + r"[：:\s]*(?P<n>" + surname + given + "{1,2})")
    before_cue = re.compile("(?P<n>" + surname + given + "{1,2}|" + surname + ")(?=" + suffix + ")")
    return after_cue, before_cue


class ChineseNameRecognizer:
    """Chinese names (Traditional or Simplified) next to a cue word."""

    name = "person_zh"
    entity_types = frozenset({EntityType.PERSON.value})
    needs = frozenset({"cjk"})

    def __init__(self) -> None:
        self._after_cue, self._before_cue = _cn_name_regex()

    def analyze(self, doc: Document) -> Iterator[Finding]:
        for regex, score in ((self._after_cue, 0.8), (self._before_cue, 0.75)):
            for match in regex.finditer(doc.text):
                start, end = match.span("n")
                yield Finding(start, end, EntityType.PERSON.value, score, self.name)
