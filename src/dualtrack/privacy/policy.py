"""Applying a :class:`PrivacyPolicy` to a (nested) JSON-like record.

Field paths are dotted (``customer.hkid``); ``*`` matches any single key and list items are
addressed by the path of the list itself (``transactions.memo`` applies to every item's
``memo``). The first matching rule wins; unlisted leaves get the policy's default action.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have, strict=True))


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


__all__ = ["apply_policy", "default_policies", "load_policies"]
