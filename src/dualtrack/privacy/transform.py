"""Operators that turn findings into safe text: redact, mask, type tag, pseudonym, ciphertext.

* ``redact``: remove the span entirely.
* ``mask``: keep the length, replace characters with ``*`` (keeps the last ``keep`` chars).
* ``replace``: a type tag such as ``<HKID>``.
* ``pseudonymise``: a keyed HMAC-SHA256 token ``HKID_3f9a0c...``; the same value under the
  same key always gives the same token, so joins across tables and runs still work, but the
  token cannot be reversed.
* ``encrypt``: deterministic AES-SIV ciphertext ``enc:HKID:<base64url>``; reversible with the
  key, and only through :meth:`PrivacyService.reidentify`, which checks role and audits.

Values are normalised before pseudonymisation (``A123456(3)`` and ``A1234563`` give one
token; ``+852 9123 4567`` and ``91234567`` too). Keys are never logged or put in messages.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from dualtrack.identifiers.hk import normalise_hkid
from dualtrack.privacy.domain import EntityType, Finding, RedactionMode
from dualtrack.privacy.errors import InvalidToken, MissingKey

MIN_KEY_BYTES = 16
TOKEN_HEX_CHARS = 20
ENCRYPTED_TOKEN_RE = re.compile(r"enc:([A-Z][A-Z0-9_]*):([A-Za-z0-9_-]+)")
_SPACE_RE = re.compile(r"[\s,.\-]+")


def normalise_value(entity_type: str, value: str) -> str:
    """Canonical form used for pseudonyms, so written variants of one value join."""
    if entity_type == EntityType.HKID:
        return normalise_hkid(value)
    if entity_type in (EntityType.HK_PHONE, EntityType.CREDIT_CARD, EntityType.HK_BANK_ACCOUNT):
        digits = re.sub(r"\D", "", value)
        if entity_type == EntityType.HK_PHONE and len(digits) == 11 and digits.startswith("852"):
            digits = digits[3:]
        return digits
    if entity_type in (EntityType.IBAN, EntityType.CN_RESIDENT_ID, EntityType.MACAU_ID):
        return re.sub(r"[\s()（）\-]", "", value).upper()
    if entity_type in (EntityType.EMAIL, EntityType.PERSON):
        return _SPACE_RE.sub(" ", value).strip().casefold()
    return value.strip()


class Pseudonymiser:
    """Keyed, deterministic, one-way tokens: ``<TYPE>_<hex>``.

    ``cache_size`` > 0 keeps that many recent ``(type, value) -> token`` results in memory
    (least recently used first out), for hot paths that see the same identifiers again and
    again, such as a scoring server's customers and payees: a hit costs a dictionary lookup
    instead of an HMAC. The cache holds raw values, so it lives only in the serving process's
    memory and is never written anywhere."""

    def __init__(
        self, key: bytes | None, *, hex_chars: int = TOKEN_HEX_CHARS, cache_size: int = 0
    ) -> None:
        if not key:
            raise MissingKey("a pseudonymisation key is required; plaintext is never emitted")
        if len(key) < MIN_KEY_BYTES:
            raise MissingKey("the pseudonymisation key must be at least 16 bytes")
        self._key = key
        self._hex_chars = hex_chars
        # the keyed state once; each token copies it (skips re-deriving the HMAC pads)
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        if cache_size > 0:
            self.token = functools.lru_cache(maxsize=cache_size)(self._token)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"

    def token(self, entity_type: str, value: str) -> str:
        """The token for ``value`` of ``entity_type`` (stable for a given key)."""
        return self._token(entity_type, value)

    def _token(self, entity_type: str, value: str) -> str:
        canonical = normalise_value(entity_type, value)
        mac = self._keyed.copy()
        mac.update(f"{entity_type}\x1f{canonical}".encode())
        return f"{entity_type}_{mac.hexdigest()[: self._hex_chars]}"


class Encryptor:
    """Deterministic authenticated encryption (AES-SIV); the entity type is bound as AAD."""

    def __init__(self, key: bytes | None) -> None:
        if not key:
            raise MissingKey("an encryption key is required; plaintext is never emitted")
        if len(key) not in (32, 48, 64):
            raise MissingKey("AES-SIV keys are 32, 48 or 64 bytes")
        self._aead = AESSIV(key)

    def __repr__(self) -> str:
        return "Encryptor(key=<hidden>)"

    def encrypt(self, entity_type: str, value: str) -> str:
        """``enc:<TYPE>:<base64url>``; the same input always gives the same token."""
        ciphertext = self._aead.encrypt(value.encode(), [entity_type.encode()])
        encoded = base64.urlsafe_b64encode(ciphertext).rstrip(b"=").decode()
        return f"enc:{entity_type}:{encoded}"

    def decrypt(self, token: str) -> tuple[str, str]:
        """Return ``(entity_type, plaintext)``; :class:`InvalidToken` if it does not verify."""
        match = ENCRYPTED_TOKEN_RE.fullmatch(token.strip())
        if match is None:
            raise InvalidToken("not an encrypted privacy token")
        entity_type, encoded = match.group(1), match.group(2)
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            plaintext = self._aead.decrypt(raw, [entity_type.encode()])
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise InvalidToken("token does not decrypt under the configured key") from exc
        return entity_type, plaintext.decode()


def mask_value(value: str, *, keep: int = 0, char: str = "*") -> str:
    """Replace every non-separator character with ``char`` except the last ``keep``."""
    cut = max(0, len(value) - keep)
    masked = "".join(c if c in " ,-()（）" else char for c in value[:cut])
    return masked + value[cut:]


def apply_findings(
    text: str,
    findings: Sequence[Finding],
    mode: RedactionMode = "replace",
    *,
    pseudonymiser: Pseudonymiser | None = None,
    encryptor: Encryptor | None = None,
    mask_keep: int = 0,
) -> str:
    """Return ``text`` with every finding transformed by ``mode``.

    Findings must not overlap (``PrivacyGuard.detect`` guarantees that).
    """
    if mode == "pseudonymise" and pseudonymiser is None:
        raise MissingKey("pseudonymise mode needs a pseudonymisation key")
    if mode == "encrypt" and encryptor is None:
        raise MissingKey("encrypt mode needs an encryption key")
    pieces: list[str] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: f.start):
        value = text[finding.start : finding.end]
        pieces.append(text[cursor : finding.start])
        pieces.append(
            transform_value(
                value,
                finding.entity_type,
                mode,
                pseudonymiser=pseudonymiser,
                encryptor=encryptor,
                mask_keep=mask_keep,
            )
        )
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def transform_value(
    value: str,
    entity_type: str,
    mode: RedactionMode,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    encryptor: Encryptor | None = None,
    mask_keep: int = 0,
) -> str:
    """Transform one value of a known type."""
    if mode == "redact":
        return ""
    if mode == "mask":
        return mask_value(value, keep=mask_keep)
    if mode == "replace":
        return f"<{entity_type}>"
    if mode == "pseudonymise":
        if pseudonymiser is None:
            raise MissingKey("pseudonymise mode needs a pseudonymisation key")
        return pseudonymiser.token(entity_type, value)
    if mode == "encrypt":
        if encryptor is None:
            raise MissingKey("encrypt mode needs an encryption key")
        return encryptor.encrypt(entity_type, value)
    raise ValueError(f"unknown redaction mode {mode!r}")
