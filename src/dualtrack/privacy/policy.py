"""Applying a :class:`PrivacyPolicy` to a (nested) JSON-like record.

Field paths are dotted (``customer.hkid``); ``*`` matches any single key, a segment may be a
shell-style pattern (``V*`` matches ``V1`` ... ``V28``), and list items are
addressed by the path of the list itself (``transactions.memo`` applies to every item's
``memo``). The first matching rule wins; unlisted leaves get the policy's default action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from dualtrack.privacy.domain import FieldAction, PrivacyPolicy
from dualtrack.privacy.errors import MissingKey
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.transform import Encryptor, Pseudonymiser, transform_value

_DROP = object()


def load_policies(source: str | Path | Mapping[str, Any]) -> dict[str, PrivacyPolicy]:
    """Policies keyed by system ID from a YAML file/string or an already-parsed mapping.

    The document is ``{"policies": [{system_id: ..., fields: [...], ...}, ...]}``.
    """
    if isinstance(source, Mapping):
        data: Any = source
    elif isinstance(source, Path) or (
        isinstance(source, str) and source.endswith((".yaml", ".yml"))
    ):
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    else:
        data = yaml.safe_load(source)
    policies = [PrivacyPolicy.from_dict(item) for item in data.get("policies", [])]
    return {p.system_id: p for p in policies}


def default_policies() -> dict[str, PrivacyPolicy]:
    """The policies shipped for the built-in AI systems (fraud scoring, research assistant)."""
    return load_policies(Path(__file__).with_name("data") / "policies.yaml")


def _path_matches(pattern: str, path: str) -> bool:
    want, have = pattern.split("."), path.split(".")
    return len(want) == len(have) and all(
        w in ("*", h) or fnmatchcase(h, w) for w, h in zip(want, have, strict=True)
    )


def _rule_for(policy: PrivacyPolicy, path: str) -> tuple[FieldAction, str] | None:
    for rule in policy.fields:
        if _path_matches(rule.path, path):
            return rule.action, rule.entity_type
    return None


def apply_policy(
    record: Mapping[str, Any],
    policy: PrivacyPolicy,
    *,
    guard: PrivacyGuard,
    pseudonymiser: Pseudonymiser | None = None,
    encryptor: Encryptor | None = None,
) -> dict[str, Any]:
    """A new record holding only what ``policy`` lets reach the system's model."""
    result = _apply(record, "", policy, guard, pseudonymiser, encryptor)
    return result if isinstance(result, dict) else {}


def _apply(
    value: Any,
    path: str,
    policy: PrivacyPolicy,
    guard: PrivacyGuard,
    pseudonymiser: Pseudonymiser | None,
    encryptor: Encryptor | None,
) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = _apply(
                item, f"{path}.{key}" if path else str(key), policy, guard, pseudonymiser, encryptor
            )
            if child is not _DROP:
                out[key] = child
        return out
    if isinstance(value, list):
        items = [_apply(v, path, policy, guard, pseudonymiser, encryptor) for v in value]
        return [v for v in items if v is not _DROP]
    rule = _rule_for(policy, path)
    action, entity_type = rule if rule is not None else (policy.default_field_action, "FIELD")
    if action == "drop":
        return _DROP
    if action == "allow" or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if action == "scan":
        if not isinstance(value, str):
            return value
        return _scan(text, policy, guard, pseudonymiser, encryptor)
    if action == "redact":
        return f"<{entity_type}>"
    if action == "pseudonymise":
        if pseudonymiser is None:
            raise MissingKey("policy needs a pseudonymisation key", system_id=policy.system_id)
        return pseudonymiser.token(entity_type, text)
    if encryptor is None:
        raise MissingKey("policy needs an encryption key", system_id=policy.system_id)
    return encryptor.encrypt(entity_type, text)


def _scan(
    text: str,
    policy: PrivacyPolicy,
    guard: PrivacyGuard,
    pseudonymiser: Pseudonymiser | None,
    encryptor: Encryptor | None,
) -> str:
    findings = guard.detect(text)
    pieces: list[str] = []
    cursor = 0
    for finding in findings:
        action = policy.entity_action(finding.entity_type)
        if action == "allow":
            continue
        pieces.append(text[cursor : finding.start])
        value = text[finding.start : finding.end]
        if action == "pseudonymise" and pseudonymiser is None:
            raise MissingKey("policy needs a pseudonymisation key", system_id=policy.system_id)
        if action == "encrypt" and encryptor is None:
            raise MissingKey("policy needs an encryption key", system_id=policy.system_id)
        pieces.append(
            transform_value(
                value,
                finding.entity_type,
                action,
                pseudonymiser=pseudonymiser,
                encryptor=encryptor,
            )
        )
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


class RecordPolicy:
    """A policy prepared for a stream of flat records with the same keys (scoring traffic).

    Calling it on a record gives exactly what :func:`apply_policy` gives; each key's rule is
    looked up once, not for every record. Nested values (mappings, lists) take
    :func:`apply_policy`'s general path.
    """

    def __init__(
        self,
        policy: PrivacyPolicy,
        *,
        guard: PrivacyGuard,
        pseudonymiser: Pseudonymiser | None = None,
        encryptor: Encryptor | None = None,
    ) -> None:
        self.policy = policy
        self._guard = guard
        self._pseudonymiser = pseudonymiser
        self._encryptor = encryptor
        self._rules: dict[str, tuple[FieldAction, str]] = {}

    def action(self, key: str) -> tuple[FieldAction, str]:
        """The field action and entity type for a top-level key."""
        rule = self._rules.get(key)
        if rule is None:
            found = _rule_for(self.policy, key)
            rule = found if found is not None else (self.policy.default_field_action, "FIELD")
            self._rules[key] = rule
        return rule

    def value(self, key: str, value: Any) -> Any:
        """What reaches the model for one top-level field (:data:`DROPPED` if nothing)."""
        if isinstance(value, Mapping | list):
            return _apply(
                value,
                key,
                self.policy,
                self._guard,
                self._pseudonymiser,
                self._encryptor,
            )
        action, entity_type = self.action(key)
        if action == "drop":
            return DROPPED
        if action == "allow" or value is None:
            return value
        if action == "pseudonymise" and self._pseudonymiser is not None:
            return self._pseudonymiser.token(
                entity_type, value if isinstance(value, str) else str(value)
            )
        return _apply(value, key, self.policy, self._guard, self._pseudonymiser, self._encryptor)

    def __call__(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        rules = self._rules
        pseudonymiser = self._pseudonymiser
        for key, item in record.items():
            rule = rules.get(key) or self.action(str(key))
            action = rule[0]
            # exact scalar types first: an isinstance check against the Mapping ABC costs
            # more than the rest of the loop, and scoring traffic is all scalars
            kind = type(item)
            if kind in _SCALARS or not isinstance(item, Mapping | list):
                if action == "drop":
                    continue
                if action == "allow":
                    out[key] = item
                    continue
                if action == "pseudonymise" and kind is str and pseudonymiser:
                    out[key] = pseudonymiser.token(rule[1], item)
                    continue
            kept = self.value(str(key), item)
            if kept is not DROPPED:
                out[key] = kept
        return out

    def listed(self, key: str) -> bool:
        """Whether a rule names this top-level key (otherwise the default applies)."""
        return _rule_for(self.policy, key) is not None

    def dropped(self, keys: Iterable[str]) -> list[str]:
        """Which of ``keys`` this policy keeps from the model."""
        return [k for k in keys if self.action(k)[0] == "drop"]


#: Returned by :meth:`RecordPolicy.value` for a field the policy drops.
DROPPED: Any = _DROP

__all__ = ["DROPPED", "RecordPolicy", "apply_policy", "default_policies", "load_policies"]
