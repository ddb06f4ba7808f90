"""Privacy guard: find, transform and govern Hong Kong personal data before it reaches a model.

Detection (``PrivacyGuard``) runs recognizers registered in a ``RecognizerRegistry``: HKID,
HK passport, Mainland resident ID, Home Return Permit, Macao ID, HK phone, BR number, bank
account, FPS ID, payment card, IBAN, email, IP address, date of birth, crypto wallet, person
names (English, romanised Cantonese, Chinese) and HK addresses. Built-ins register through
the same ``register`` call as extensions. Findings carry spans and scores, never the text.

Transformation (``Pseudonymiser``, ``Encryptor``, ``apply_findings``) redacts, masks, tags,
pseudonymises (keyed HMAC, join-stable) or encrypts (deterministic AES-SIV, reversible only
through ``PrivacyService.reidentify`` for authorised roles, with an audit record).

Governance (``PrivacyPolicy``, ``apply_policy``) states per AI system which fields and entity
types may reach its model. ``PrivacyService`` bundles the use cases for the API, CLI,
dashboard and the AI systems, including chunked processing of large text files and tables.
"""

from dualtrack.privacy.domain import EntityType, FieldRule, Finding, PrivacyPolicy
from dualtrack.privacy.errors import (
    InvalidToken,
    MissingKey,
    ProfileUnavailable,
    ReidentificationNotAllowed,
    UndecodableInput,
)
from dualtrack.privacy.guard import PrivacyGuard, default_registry
from dualtrack.privacy.policy import apply_policy, default_policies, load_policies
from dualtrack.privacy.recognizers import Pattern, PatternRecognizer, RecognizerRegistry
from dualtrack.privacy.service import PrivacyService, TableReport
from dualtrack.privacy.transform import Encryptor, Pseudonymiser, apply_findings

__all__ = [
    "Encryptor",
    "EntityType",
    "FieldRule",
    "Finding",
    "InvalidToken",
    "MissingKey",
    "Pattern",
    "PatternRecognizer",
    "PrivacyGuard",
    "PrivacyPolicy",
    "PrivacyService",
    "ProfileUnavailable",
    "Pseudonymiser",
    "RecognizerRegistry",
    "ReidentificationNotAllowed",
    "TableReport",
    "UndecodableInput",
    "apply_findings",
    "apply_policy",
    "default_policies",
    "default_registry",
    "load_policies",
]
