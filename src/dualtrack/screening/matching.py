"""Scoring two prepared names, and an index that finds candidates fast.

Scores are graded in [0, 1] so a capped review queue can be ordered:

* both names have Chinese characters: compare the characters (Traditional and Simplified are
  equal); a different character with the same Cantonese reading counts half;
* both names read as Chinese names (from characters via Jyutping -> HK spelling or Pinyin, or
  as written in Latin letters): surname 30 %, given-name syllables in order 70 %; spelling
  variants are merged by a fuzzy key, a HK spelling and a Pinyin spelling of the same common
  name character count 0.9, anything else at most half its Jaro-Winkler similarity. Swapped
  given-name syllables therefore score low; Western given names only nudge the score;
* otherwise word by word with transliteration-tolerant keys (Mohammed/Muhammad,
  Aleksandr/Alexander), order-free, extra middle names costing little.

:class:`NameIndex` blocks with an inverted index over the keys made in ``names.prepare``
(syllable keys, joined given names, transliteration keys and consonant skeletons, single
characters), weighted by inverse document frequency, and scores only the best candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from rapidfuzz.distance import JaroWinkler

from dualtrack.screening import chinese
from dualtrack.screening.names import PreparedName, Reading, is_particle

CROSS_SCHEME = 0.9
SURNAME_WEIGHT = 0.3
GIVEN_WEIGHT = 0.7
HOMOPHONE = 0.5


@dataclass(frozen=True, slots=True)
class MatchDetail:
    """Score and the evidence behind it, for building a reason."""

    score: float
    method: str  # "characters" | "reading" | "tokens" | "exact"
    query_reading: Reading | None = None
    list_reading: Reading | None = None
    token_pairs: tuple[tuple[str, str, float], ...] = ()


@cache
def _cross_pairs() -> frozenset[tuple[str, str]]:
    pairs = chinese.hk_pinyin_pairs()
    return pairs | frozenset((b, a) for a, b in pairs)


@cache
def _cross_map() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for a, b in _cross_pairs():
        if a != b:
            out.setdefault(a, set()).add(b)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _syllable_sim(a: str, b: str, cross: bool, weight: float = 0.5) -> float:
    """Similarity of two syllable keys.

    In ``cross`` mode one side is taken to be HK-spelled and the other Pinyin: a pair that
    spells one common name character counts 0.9, and identical letters only 0.7 unless they
    are such a pair (明 is "ming" in both). Not in cross mode, identical keys count 1.
    """
    if cross:
        if (a, b) in _cross_pairs():
            return CROSS_SCHEME
        if a == b:
            return 0.7
    elif a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial: "T M Chan"
        return 0.75 if a[0] == b[0] else 0.0
    return weight * JaroWinkler.similarity(a, b)


def _sequence_sim(a: Sequence[str], b: Sequence[str], cross: bool) -> float:
    if len(a) == len(b):
        return sum(_syllable_sim(x, y, cross) for x, y in zip(a, b, strict=True)) / len(a)
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:
        return 0.97  # same letters, different syllable split
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) == 1:
        # One syllable missing: best in-order alignment of the shorter sequence.
        best = 0.0
        for skip in range(len(long_)):
            rest = [*long_[:skip], *long_[skip + 1 :]]
            total = sum(_syllable_sim(x, y, cross) for x, y in zip(short, rest, strict=True))
            best = max(best, total)
        return 0.85 * best / len(long_)
    return 0.5 * JaroWinkler.similarity(joined_a, joined_b)


def _extras_penalty(a: Sequence[str], b: Sequence[str]) -> float:
    if not a and not b:
        return 0.0
    if not a or not b:
        return 0.02
    if any(JaroWinkler.similarity(x, y) >= 0.9 for x in a for y in b):
        return 0.0
    return 0.08


def reading_score(q: Reading, c: Reading) -> float:
    """Similarity of two Chinese-name readings (best of same-scheme and cross-scheme)."""
    both_derived = q.scheme != "latin" and c.scheme != "latin"
    if both_derived and q.scheme != c.scheme:
        return 0.0
    # Cross-scheme credit only when both are as written: a reading derived from characters
    # already exists in both schemes, so 陳大文 must not match "Chen Damin" through 敏.
    modes = (False, True) if q.scheme == c.scheme == "latin" else (False,)
    best = 0.0
    for cross in modes:
        sur = _syllable_sim(q.surname, c.surname, cross, weight=0.3)
        given = _sequence_sim(q.given, c.given, cross)
        best = max(best, SURNAME_WEIGHT * sur + GIVEN_WEIGHT * given)
    return max(0.0, best - _extras_penalty(q.extras, c.extras))


def _char_sim(a: str, b: str, jp_a: str, jp_b: str) -> float:
    if a == b:
        return 1.0
    if jp_a and jp_a == jp_b and jp_a != "?":
        return HOMOPHONE
    return 0.0


def han_score(q: PreparedName, c: PreparedName) -> float:
    """Similarity of two names given in Chinese characters (Simplified-normalised)."""
    nq, nc = len(q.han_surname), len(c.han_surname)
    jq, jc = q.jyutping, c.jyutping
    if q.han_surname == c.han_surname:
        sur = 1.0
    elif nq == nc == 1 and len(jq) > 0 and len(jc) > 0:
        # Same-sounding surname characters (黃/王) are still different families.
        sur = 0.4 * _char_sim(q.han_surname, c.han_surname, jq[0], jc[0])
    else:
        sur = 0.0
    gq, gc = q.han_given, c.han_given
    jgq, jgc = jq[nq:], jc[nc:]
    if len(gq) == len(gc) and gq:
        given = sum(
            _char_sim(gq[i], gc[i], jgq[i] if i < len(jgq) else "", jgc[i] if i < len(jgc) else "")
            for i in range(len(gq))
        ) / len(gq)
    elif gq and gc:
        short, long_ = (gq, gc) if len(gq) < len(gc) else (gc, gq)
        given = 0.8 * sum(1 for ch in short if ch in long_) / len(long_)
    else:
        given = 0.0
    return SURNAME_WEIGHT * sur + GIVEN_WEIGHT * given


def _token_sim(a: str, b: str, va: str, vb: str, ca: str = "", cb: str = "") -> float:
    """Similarity of two transliteration keys ``a``/``b`` with vowel-class keys ``va``/``vb``.

    Steep on purpose: Aleksandr/Aleksei (Jaro-Winkler 0.85) must stay well apart while
    Mohammed/Muhammad (vowel-class keys muhamid/muhamad) stay close.
    """
    if a == b:
        return 1.0
    if va == vb:
        return 0.95
    jw = max(JaroWinkler.similarity(a, b), JaroWinkler.similarity(va, vb))
    if ca == cb and len(ca) >= 3 and jw >= 0.85:
        return 0.93  # same consonants, vowels differ a little: Ahmad/Ahmed, Rahman/Rehman
    return min(1.0, max(0.0, (jw - 0.8) / 0.15)) * 0.92


def token_score(
    q: PreparedName, c: PreparedName
) -> tuple[float, tuple[tuple[str, str, float], ...]]:
    """Order-free word alignment score for non-Chinese names."""
    qa, ca = q.tokens, c.tokens
    if not qa or not ca:
        if q.other_script and set(q.other_script) & set(c.other_script):
            return 1.0, ()
        return 0.0, ()
    wq = [0.3 if is_particle(t) else 1.0 for t in qa]
    wc = [0.3 if is_particle(t) else 1.0 for t in ca]
    sims = []
    for i, a in enumerate(qa):
        for j, b in enumerate(ca):
            s = _token_sim(
                a, b, q.skeletons[i], c.skeletons[j], q.consonant_keys[i], c.consonant_keys[j]
            )
            if s > 0:
                sims.append((s, i, j))
    sims.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    num = 0.0
    pairs: list[tuple[str, str, float]] = []
    for s, i, j in sims:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        num += s * (wq[i] + wc[j])
        pairs.append((qa[i], ca[j], s))
    unmatched_q = sum(w for i, w in enumerate(wq) if i not in used_q)
    unmatched_c = sum(w for j, w in enumerate(wc) if j not in used_c)
    # Unmatched words on the longer side (extra middle names) cost half.
    if len(qa) >= len(ca):
        unmatched_q *= 0.5
    else:
        unmatched_c *= 0.5
    matched_w = sum(wq[i] for i in used_q) + sum(wc[j] for j in used_c)
    denom = matched_w + unmatched_q + unmatched_c
    return (num / denom if denom else 0.0), tuple(pairs)


def compare(q: PreparedName, c: PreparedName) -> MatchDetail:
    """Score how likely ``q`` and ``c`` name the same person or entity."""
    if q.han and c.han:
        return MatchDetail(han_score(q, c), "characters")
    if q.readings and c.readings:
        best = -1.0
        best_pair: tuple[Reading, Reading] | None = None
        for rq in q.readings:
            for rc in c.readings:
                s = reading_score(rq, rc)
                if s > best:
                    best, best_pair = s, (rq, rc)
        if best_pair is not None:
            return MatchDetail(max(best, 0.0), "reading", best_pair[0], best_pair[1])
    score, pairs = token_score(q, c)
    return MatchDetail(score, "tokens", token_pairs=pairs)


def score(q: PreparedName, c: PreparedName) -> float:
    """Just the score of :func:`compare`."""
    return compare(q, c).score


def query_key_groups(q: PreparedName) -> list[frozenset[str]]:
    """Blocking keys of ``q`` grouped by the name part they stand for.

    A group (one Latin word with its spelling, transliteration and consonant keys and its
    other-scheme spellings; one Chinese character with its readings; the joined given
    names) counts once, with the weight of its rarest matching key, so a name part written
    in several schemes does not crowd out candidates that match more parts.
    """
    cross = _cross_map()
    groups: set[frozenset[str]] = set()
    covered: set[str] = set()
    for i, wk in enumerate(q.word_keys):
        g = {"l:" + wk}
        g.update("l:" + alt for alt in cross.get(wk, ()))
        tok = q.tokens[i] if i < len(q.tokens) else ""
        if tok and not is_particle(tok):
            g.add("t:" + tok)
            g.add("v:" + q.skeletons[i])
        ck = q.consonant_keys[i] if i < len(q.consonant_keys) else ""
        if len(ck) >= 3:
            g.add("k:" + ck)
        covered.add(wk)
        groups.add(frozenset(g))
    joined: set[str] = set()
    n_sur = len(q.han_surname)
    han_groups: dict[int, set[str]] = {}
    if q.han:
        han_groups[0] = {"h:" + c for c in q.han[:n_sur]}
        for j, c in enumerate(q.han[n_sur:], start=1):
            han_groups[j] = {"h:" + c}
    for r in q.readings:
        joined.add("j:" + "".join(r.given))
        if r.scheme != "latin":
            han_groups.setdefault(0, set()).add("l:" + r.surname)
            for j, syl in enumerate(r.given, start=1):
                han_groups.setdefault(j, set()).add("l:" + syl)
            continue
        for syl in (r.surname, *r.given):
            if syl not in covered:
                covered.add(syl)
                groups.add(frozenset({"l:" + syl, *("l:" + a for a in cross.get(syl, ()))}))
        options = [(s, *cross.get(s, ())) for s in r.given]
        if len(options) <= 3 and all(len(o) <= 6 for o in options):
            combos: list[str] = [""]
            for opt in options:
                combos = [c + o for c in combos for o in opt][:64]
            joined.update("j:" + c for c in combos)
    groups.update(frozenset(g) for g in han_groups.values())
    if joined:
        groups.add(frozenset(joined))
    for o in q.other_script:
        groups.add(frozenset({"o:" + o}))
    return list(groups)


def expand_query_keys(q: PreparedName) -> set[str]:
    """All blocking keys of ``q`` including other-scheme spellings (union of groups)."""
    out: set[str] = set()
    for g in query_key_groups(q):
        out |= g
    return out


class NameIndex:
    """Inverted index over prepared names with IDF-weighted candidate selection.

    ``owners[i]`` is the caller's id for name ``i`` (an entry index): results are reported
    per owner, best name first.
    """

    def __init__(
        self,
        names: Sequence[PreparedName],
        owners: Sequence[int],
        *,
        candidates: int = 40,
        max_batches: int = 8,
    ) -> None:
        if len(names) != len(owners):
            raise ValueError("names and owners differ in length")
        self.names = list(names)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.candidates = candidates
        self.max_batches = max_batches
        postings: dict[str, list[int]] = {}
        for i, name in enumerate(self.names):
            for key in name.keys:
                postings.setdefault(key, []).append(i)
        n = max(len(self.names), 1)
        self._postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}
        self._idf = {k: float(np.log(1.0 + n / len(v))) for k, v in postings.items()}
        self._common = max(50, n // 5)

    def __len__(self) -> int:
        return len(self.names)

    def candidate_ids(self, q: PreparedName, *, limit: int | None = None) -> np.ndarray:
        """Ids of the names sharing the most (IDF-weighted) keys with ``q``, best first."""
        return self._candidates(q, limit)[0]

    def _candidates(self, q: PreparedName, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
        size = self.candidates if limit is None else limit
        if not self.names:
            return empty
        groups: list[list[str]] = []
        for key_group in query_key_groups(q):
            present = [k for k in key_group if k in self._postings]
            if present:
                groups.append(present)
        if not groups:
            return empty
        rare = [[k for k in g if len(self._postings[k]) <= self._common] for g in groups]
        use = [g for g in rare if g] or groups
        acc = np.zeros(len(self.names), dtype=np.float32)
        for g in use:
            if len(g) == 1:
                acc[self._postings[g[0]]] += self._idf[g[0]]
                continue
            # Within a group, a name earns the weight of its best key, once.
            part = np.zeros(len(self.names), dtype=np.float32)
            for k in g:
                post = self._postings[k]
                part[post] = np.maximum(part[post], self._idf[k])
            acc += part
        touched = np.flatnonzero(acc)
        if len(touched) > size:
            top = np.argpartition(-acc[touched], size - 1)[:size]
            touched = touched[top]
        ordered = touched[np.argsort(-acc[touched], kind="stable")]
        return ordered, acc[ordered]

    def search(
        self, q: PreparedName, *, threshold: float, limit: int
    ) -> list[tuple[int, int, MatchDetail]]:
        """``(owner, name id, detail)`` for owners whose best name scores >= threshold.

        Candidates are scored in batches of ``candidates``, best blocking score first; the
        next batch is scored only while the previous one still produced hits (many listed
        people can share one common name) or still ties with the best blocking score, up to
        ``max_batches``.
        """
        best: dict[int, tuple[int, MatchDetail]] = {}
        ids, weights = self._candidates(q, self.candidates * self.max_batches)
        ordered = ids.tolist()
        top_weight = float(weights[0]) if len(weights) else 0.0
        batch_hits = 0
        for start in range(0, len(ordered), self.candidates):
            if start and not batch_hits and float(weights[start]) < 0.95 * top_weight:
                break
            batch_hits = 0
            for name_id in ordered[start : start + self.candidates]:
                detail = compare(q, self.names[name_id])
                if detail.score < threshold:
                    continue
                batch_hits += 1
                owner = int(self.owners[name_id])
                current = best.get(owner)
                if current is None or detail.score > current[1].score:
                    best[owner] = (name_id, detail)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][1].score)[:limit]
        return [(owner, nid, det) for owner, (nid, det) in ranked]
