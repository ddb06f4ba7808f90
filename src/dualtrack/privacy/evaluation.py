"""Span-level scoring of detectors against the labelled corpus.

A predicted span counts as a true positive when it overlaps a not-yet-matched gold span of
the same type (one-to-one, greedy in text order); everything else is a false positive, and
unmatched gold spans are false negatives. Predictions that overlap a labelled near miss are
also counted per near-miss kind, so the report shows which decoys fooled a detector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class TypeScore:
    """Counts and rates for one entity type."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_corpus(
    docs: Sequence[Mapping[str, Any]],
    predictions: Sequence[Iterable[Span]],
    *,
    types: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Per-type scores plus near-miss false positives for ``predictions`` (one per doc).

    ``types`` restricts scoring to those entity types (gold spans of other types are ignored,
    as are predictions of other types), which is how a detector is scored only on what it
    claims to support.
    """
    wanted = set(types) if types is not None else None
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    near_hits: Counter[str] = Counter()
    for doc, preds in zip(docs, predictions, strict=True):
        gold = [
            (g["start"], g["end"], g["type"])
            for g in doc["entities"]
            if wanted is None or g["type"] in wanted
        ]
        matched = [False] * len(gold)
        for start, end, etype in sorted(preds):
            if wanted is not None and etype not in wanted:
                continue
            hit = next(
                (
                    i
                    for i, g in enumerate(gold)
                    if not matched[i] and g[2] == etype and _overlaps((start, end), g[:2])
                ),
                None,
            )
            if hit is None:
                fp[etype] += 1
                for near in doc.get("near_misses", ()):
                    if _overlaps((start, end), (near["start"], near["end"])):
                        near_hits[near["kind"]] += 1
            else:
                matched[hit] = True
                tp[etype] += 1
        for i, g in enumerate(gold):
            if not matched[i]:
                fn[g[2]] += 1
    all_types = sorted(set(tp) | set(fp) | set(fn))
    per_type = {t: TypeScore(tp[t], fp[t], fn[t]) for t in all_types}
    total = TypeScore(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    near_total: Counter[str] = Counter(
        n["kind"] for doc in docs for n in doc.get("near_misses", ())
    )
    return {
        "per_type": {t: s.to_dict() for t, s in per_type.items()},
        "micro": total.to_dict(),
        "near_miss_false_positives": {
            kind: {"flagged": near_hits[kind], "total": near_total[kind]}
            for kind in sorted(near_total)
        },
    }
