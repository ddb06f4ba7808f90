"""Value objects of the privacy guard: entity types, findings and per-system policies.

Standard library only. A :class:`Finding` never carries the matched text, so findings can be
logged, serialised and written to the ledger; callers slice the original text when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class EntityType(StrEnum):
    """Kinds of personal data the guard recognises (stable strings, used in tokens)."""

    ADDRESS = "ADDRESS"
    CN_RESIDENT_ID = "CN_RESIDENT_ID"
    CREDIT_CARD = "CREDIT_CARD"
    CRYPTO_WALLET = "CRYPTO_WALLET"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    EMAIL = "EMAIL"
    FPS_ID = "FPS_ID"
    HKID = "HKID"
    HK_BANK_ACCOUNT = "HK_BANK_ACCOUNT"
    HK_BR_NUMBER = "HK_BR_NUMBER"
    HK_PASSPORT = "HK_PASSPORT"
    HK_PHONE = "HK_PHONE"
    HOME_RETURN_PERMIT = "HOME_RETURN_PERMIT"
    IBAN = "IBAN"
    IP_ADDRESS = "IP_ADDRESS"
    MACAU_ID = "MACAU_ID"
    PERSON = "PERSON"


#: Types whose value is a government or financial identifier with a fixed format.
IDENTIFIER_TYPES: frozenset[str] = frozenset(
    {
        EntityType.CN_RESIDENT_ID,
        EntityType.CREDIT_CARD,
        EntityType.CRYPTO_WALLET,
        EntityType.FPS_ID,
        EntityType.HKID,
        EntityType.HK_BANK_ACCOUNT,
        EntityType.HK_BR_NUMBER,
        EntityType.HK_PASSPORT,
        EntityType.HK_PHONE,
        EntityType.HOME_RETURN_PERMIT,
        EntityType.IBAN,
        EntityType.MACAU_ID,
    }
)

RedactionMode = Literal["redact", "mask", "replace", "pseudonymise", "encrypt"]
FieldAction = Literal["allow", "scan", "pseudonymise", "encrypt", "redact", "drop"]
EntityAction = Literal["allow", "pseudonymise", "encrypt", "replace", "mask", "redact"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: character span ``[start, end)`` of the scanned text."""

    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str

    def shifted(self, offset: int) -> Finding:
        """The same finding with both ends moved by ``offset`` characters."""
        return Finding(
            self.start + offset, self.end + offset, self.entity_type, self.score, self.recognizer
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (no personal data)."""
        return {
            "start": self.start,
            "end": self.end,
            "entity_type": self.entity_type,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
        }


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What a policy does with one field of a record (dotted path, ``*`` matches any key)."""

    path: str
    action: FieldAction
    entity_type: str = "FIELD"


_FIELD_ACTIONS = frozenset({"allow", "scan", "pseudonymise", "encrypt", "redact", "drop"})
_ENTITY_ACTIONS = frozenset({"allow", "pseudonymise", "encrypt", "replace", "mask", "redact"})


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """Which data of a record may reach one AI system's model, and in what form.

    Listed fields get their action. Unlisted string fields get ``default_field_action``
    (``"scan"`` by default: detect entities and apply ``entity_actions``); unlisted
    non-string leaves are kept when the default is ``"scan"`` or ``"allow"``.
    """

    system_id: str
    fields: tuple[FieldRule, ...] = ()
    default_field_action: FieldAction = "scan"
    entity_actions: Mapping[str, EntityAction] = field(default_factory=dict)
    default_entity_action: EntityAction = "replace"
    description: str = ""

    def __post_init__(self) -> None:
        if not self.system_id:
            raise ValueError("policy needs a system_id")
        actions = [r.action for r in self.fields] + [self.default_field_action]
        if any(a not in _FIELD_ACTIONS for a in actions):
            raise ValueError("unknown field action in policy")
        entity_actions = [*self.entity_actions.values(), self.default_entity_action]
        if any(a not in _ENTITY_ACTIONS for a in entity_actions):
            raise ValueError("unknown entity action in policy")

    def entity_action(self, entity_type: str) -> EntityAction:
        """The action for one entity type found in a scanned field."""
        return self.entity_actions.get(entity_type, self.default_entity_action)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrivacyPolicy:
        """Build a policy from plain data (as loaded from YAML or JSON)."""
        rules = tuple(
            FieldRule(
                path=str(item["path"]),
                action=item["action"],
                entity_type=str(item.get("entity_type", "FIELD")),
            )
            for item in data.get("fields", ())
        )
        return cls(
            system_id=str(data["system_id"]),
            fields=rules,
            default_field_action=data.get("default_field_action", "scan"),
            entity_actions=dict(data.get("entity_actions", {})),
            default_entity_action=data.get("default_entity_action", "replace"),
            description=str(data.get("description", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, the inverse of :meth:`from_dict`."""
        return {
            "system_id": self.system_id,
            "description": self.description,
            "fields": [
                {"path": r.path, "action": r.action, "entity_type": r.entity_type}
                for r in self.fields
            ],
            "default_field_action": self.default_field_action,
            "entity_actions": dict(self.entity_actions),
            "default_entity_action": self.default_entity_action,
        }
