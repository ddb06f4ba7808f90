"""The validation-test interface and the registry of tests by stable string id.

A test follows scikit-learn's conventions: ``__init__`` only stores keyword parameters
(with defaults), :meth:`ValidationTest.get_params` returns them, and the work happens in
:meth:`ValidationTest.run`, which returns an immutable :class:`ValidationTestResult`.

Tests register under an id such as ``"performance.auc"`` with :func:`register`; plans, the
ledger and reports refer to that id, never to the Python import path, so modules can move
without breaking stored runs. Built-in tests register through the same decorator an
extension would use.
"""

from __future__ import annotations

import inspect
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from dualtrack.validation.context import ValidationContext
from dualtrack.validation.domain import Category, Severity, Status, ValidationTestResult
from dualtrack.validation.errors import UnknownValidationTest

PRE_DEPLOYMENT = ("SFC-07", "HKMA-HLP-05", "PCPD-09")


class Outcome:
    """What a test's ``_evaluate`` returns: status, message, metrics and details."""

    __slots__ = ("details", "message", "metrics", "status")

    def __init__(
        self,
        status: Status,
        message: str,
        metrics: Mapping[str, Any],
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.status: Status = status
        self.message = message
        self.metrics = metrics
        self.details = details or {}


class ValidationTest(ABC):
    """Base class of every validation test.

    Subclasses set ``test_id``, ``category``, ``controls`` and ``summary``, declare their
    parameters as keyword-only ``__init__`` arguments stored unchanged on ``self``, and
    implement :meth:`_evaluate`.
    """

    test_id: ClassVar[str]
    category: ClassVar[Category]
    controls: ClassVar[tuple[str, ...]] = PRE_DEPLOYMENT
    summary: ClassVar[str] = ""
    needs_reference: ClassVar[bool] = False

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Names of the keyword parameters ``__init__`` accepts."""
        sig = inspect.signature(cls.__init__)
        return tuple(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )

    def get_params(self) -> dict[str, Any]:
        """The parameters this instance was built with."""
        return {name: getattr(self, name) for name in self.param_names()}

    def run(
        self,
        ctx: ValidationContext,
        *,
        severity: Severity = "high",
        extra_controls: tuple[str, ...] = (),
    ) -> ValidationTestResult:
        """Run the test on ``ctx``; never mutates the context's data."""
        started = time.perf_counter()
        controls = tuple(dict.fromkeys((*self.controls, *extra_controls)))
        if self.needs_reference and ctx.reference is None:
            outcome = Outcome("skipped", "skipped: no reference data was supplied", {})
        else:
            outcome = self._evaluate(ctx)
        return ValidationTestResult(
            test_id=self.test_id,
            category=self.category,
            status=outcome.status,
            severity=severity,
            message=outcome.message,
            metrics=outcome.metrics,
            details=outcome.details,
            config=self.get_params(),
            controls=controls,
            data_fingerprint=ctx.current.fingerprint.sha256,
            duration_s=time.perf_counter() - started,
        )

    @abstractmethod
    def _evaluate(self, ctx: ValidationContext) -> Outcome:
        """Compute metrics and decide pass / fail."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


_REGISTRY: dict[str, type[ValidationTest]] = {}

T = TypeVar("T", bound=type[ValidationTest])


def register(cls: T) -> T:
    """Class decorator: register a test under its ``test_id`` (ids must be unique)."""
    test_id = cls.test_id
    existing = _REGISTRY.get(test_id)
    if existing is not None and existing is not cls:
        raise ValueError(f"validation test id {test_id!r} is already registered")
    _REGISTRY[test_id] = cls
    return cls


def registered_tests() -> dict[str, type[ValidationTest]]:
    """A copy of the registry: test id to class, sorted by id."""
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def create_test(test_id: str, params: Mapping[str, Any] | None = None) -> ValidationTest:
    """Instantiate the test registered under ``test_id`` with ``params``."""
    _load_builtins()
    cls = _REGISTRY.get(test_id)
    if cls is None:
        raise UnknownValidationTest(f"no validation test is registered as {test_id!r}")
    params = dict(params or {})
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        raise UnknownValidationTest(
            f"validation test {test_id!r} has no parameter(s) {', '.join(unknown)}"
        )
    factory: Callable[..., ValidationTest] = cls
    return factory(**params)


def _load_builtins() -> None:
    # Imported for their @register side effect; late to avoid an import cycle.
    from dualtrack.validation import checks  # noqa: F401
