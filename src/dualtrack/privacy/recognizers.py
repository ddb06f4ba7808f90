"""Recognizer framework: declarative pattern recognizers and the registry that holds them.

A :class:`PatternRecognizer` reads like presidio's ``CreditCardRecognizer``: regular
expressions with a base score, context words that raise the score when they appear near the
match, negative context words that lower it, and a small ``validate`` function (check digit,
date, bank code...) that can confirm (``True``), reject (``False``) or stay neutral (``None``).

Anything with a ``name``, ``entity_types``, ``needs`` and ``analyze(doc)`` is a recognizer
(:class:`Recognizer` protocol), so procedural recognizers (names, addresses, spaCy) plug into
the same :class:`RecognizerRegistry`. Built-ins are registered through
:meth:`RecognizerRegistry.register` exactly like extensions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dualtrack.privacy.domain import Finding

Need = Literal["digit", "cjk", "at", "upper", "colon"]

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_DIGIT_RE = re.compile(r"\d")
_UPPER_RE = re.compile(r"[A-Z]")


class Document:
    """Text plus cheap per-document facts shared by all recognizers (computed lazily once)."""

    __slots__ = ("_lower", "flags", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        flags: set[str] = set()
        if _DIGIT_RE.search(text):
            flags.add("digit")
        if "@" in text:
            flags.add("at")
        if ":" in text:
            flags.add("colon")
        if _UPPER_RE.search(text):
            flags.add("upper")
        if not text.isascii() and _CJK_RE.search(text):
            flags.add("cjk")
        self.flags = frozenset(flags)

    @property
    def lower(self) -> str:
        """Lower-cased text (same length as ``text`` for the scripts we handle)."""
        if self._lower is None:
            lowered = self.text.lower()
            # Lower-casing can change length for a few code points; fall back to casefold-free.
            self._lower = lowered if len(lowered) == len(self.text) else self.text
        return self._lower

    def window(self, start: int, end: int, before: int, after: int) -> str:
        """Lower-cased context around ``[start, end)``."""
        lower = self.lower
        return lower[max(0, start - before) : start] + " " + lower[end : end + after]


class Recognizer(Protocol):
    """What the engine needs from any recognizer."""

    @property
    def name(self) -> str: ...

    @property
    def entity_types(self) -> frozenset[str]: ...

    @property
    def needs(self) -> frozenset[str]: ...

    def analyze(self, doc: Document) -> Iterable[Finding]: ...


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regular expression with the score a bare match earns; ``group`` is the span."""

    name: str
    regex: str
    score: float
    group: int | str = 0
    flags: int = 0


Validator = Callable[[str], bool | None]


@dataclass(frozen=True)
class PatternRecognizer:
    """Regex patterns + context words + optional validation, for one entity type."""

    name: str
    entity_type: str
    patterns: tuple[Pattern, ...]
    context: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()
    validate: Validator | None = None
    needs: frozenset[str] = frozenset()
    context_boost: float = 0.35
    negative_penalty: float = 0.5
    validated_score: float = 0.95
    context_before: int = 40
    context_after: int = 12
    negative_before: int = 16
    negative_suffix: tuple[str, ...] = ()
    negative_after: int = 4
    isolate_context: bool = False
    _compiled: tuple[tuple[Pattern, re.Pattern[str]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = tuple((p, re.compile(p.regex, p.flags)) for p in self.patterns)
        object.__setattr__(self, "_compiled", compiled)

    @property
    def entity_types(self) -> frozenset[str]:
        return frozenset({self.entity_type})

    def analyze(self, doc: Document) -> Iterator[Finding]:
        text = doc.text
        for pattern, regex in self._compiled:
            for match in regex.finditer(text):
                start, end = match.span(pattern.group)
                if start < 0:
                    continue
                score = pattern.score
                if self.validate is not None:
                    verdict = self.validate(text[start:end])
                    if verdict is False:
                        continue
                    if verdict is True:
                        score = max(score, self.validated_score)
                if self.context and self._has_context(doc, start, end):
                    score = min(1.0, score + self.context_boost)
                if self.negative_context or self.negative_suffix:
                    # Negative words count only when close: "HK$ 12345678", "Ref 8812 3456".
                    lower = doc.lower
                    before = lower[max(0, start - self.negative_before) : start]
                    after = lower[end : end + self.negative_after]
                    if any(w in before for w in self.negative_context) or any(
                        w in after for w in self.negative_suffix
                    ):
                        score -= self.negative_penalty
                yield Finding(start, end, self.entity_type, score, self.name)

    def _has_context(self, doc: Document, start: int, end: int) -> bool:
        lower = doc.lower
        before = lower[max(0, start - self.context_before) : start]
        if self.isolate_context:
            # "BR No. 12345678 order 87654321": the label belongs to the first number only.
            cut = 0
            for number in _NUMBER_RE.finditer(before):
                cut = number.end()
            before = before[cut:]
        after = lower[end : end + self.context_after]
        return any(word in before or word in after for word in self.context)


_NUMBER_RE = re.compile(r"\d[\d -]{3,}\d")


class RecognizerRegistry:
    """Ordered set of recognizers keyed by their stable ``name``."""

    def __init__(self) -> None:
        self._recognizers: dict[str, Recognizer] = {}

    def register(self, recognizer: Recognizer, *, replace: bool = False) -> None:
        """Add ``recognizer``; a second one with the same name needs ``replace=True``."""
        if recognizer.name in self._recognizers and not replace:
            raise ValueError(f"recognizer {recognizer.name!r} is already registered")
        self._recognizers[recognizer.name] = recognizer

    def unregister(self, name: str) -> None:
        """Remove the recognizer called ``name`` (no error if absent)."""
        self._recognizers.pop(name, None)

    def get(self, name: str) -> Recognizer:
        """The recognizer called ``name``; ``KeyError`` if absent."""
        return self._recognizers[name]

    def __iter__(self) -> Iterator[Recognizer]:
        return iter(list(self._recognizers.values()))

    def __len__(self) -> int:
        return len(self._recognizers)

    def __contains__(self, name: object) -> bool:
        return name in self._recognizers

    @property
    def entity_types(self) -> frozenset[str]:
        """Every entity type some registered recognizer can produce."""
        types: set[str] = set()
        for recognizer in self._recognizers.values():
            types |= recognizer.entity_types
        return frozenset(types)

    def copy(self) -> RecognizerRegistry:
        """A shallow copy that can be extended without touching this registry."""
        clone = RecognizerRegistry()
        clone._recognizers = dict(self._recognizers)
        return clone
