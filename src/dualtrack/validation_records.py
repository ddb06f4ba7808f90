"""The stored record of a validation of a model version (what the approval gate reads).

The validation library (``dualtrack.validation``) produces detailed results; the core keeps this
summary, linked to the exact artifact and data fingerprint that were validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ValidationRecord:
    id: str
    version_id: str
    system_id: str
    performed_by: str
    passed: bool
    summary: str
    artifact_sha256: str
    data_fingerprint: str
    created_at: str
    controls: tuple[str, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)
    override_by: str | None = None
    override_reason: str | None = None

    @property
    def effective_pass(self) -> bool:
        """Passed, or a failed run overridden by a senior manager with a written reason."""
        return self.passed or (self.override_by is not None and bool(self.override_reason))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version_id": self.version_id,
            "system_id": self.system_id,
            "performed_by": self.performed_by,
            "passed": self.passed,
            "summary": self.summary,
            "artifact_sha256": self.artifact_sha256,
            "data_fingerprint": self.data_fingerprint,
            "created_at": self.created_at,
            "controls": list(self.controls),
            "override_by": self.override_by,
            "override_reason": self.override_reason,
            "effective_pass": self.effective_pass,
        }
