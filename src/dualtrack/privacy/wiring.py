"""Composition of the privacy guard into the platform: keys, ledger, policy storage, demo.

``service(platform)`` returns the platform's :class:`PrivacyGateway` (built once). Keys come
from settings and are checked here, so a missing or malformed key surfaces as a
:class:`MissingKey` naming the ``DUALTRACK_*`` variable at the first use that needs it, while
scanning and type-tag redaction keep working without keys. Nothing is defaulted.
"""

from __future__ import annotations

import base64
import binascii
import logging

from dualtrack.adapters.audit import LedgerAuditSink
from dualtrack.adapters.privacy_sql import SqlPrivacyUnitOfWork
from dualtrack.bootstrap import Platform
from dualtrack.config import Settings
from dualtrack.errors import NotFound
from dualtrack.identity.domain import Actor
from dualtrack.privacy.governance import KeyKind, PrivacyGateway
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.transform import MIN_KEY_BYTES

logger = logging.getLogger(__name__)

PSEUDONYM_VAR = "DUALTRACK_PSEUDONYM_KEY"
ENCRYPTION_VAR = "DUALTRACK_ENCRYPTION_KEY"
AES_SIV_KEY_BYTES = (32, 48, 64)

#: Shipped policy templates attached to the demo institution's AI systems.
DEMO_POLICIES = {
    "Card and FPS fraud detection": "fraud-scoring",
    "Client research assistant": "research-assistant",
}


def pseudonym_key(settings: Settings) -> tuple[bytes | None, str]:
    """The HMAC key, or ``None`` and the message to show when a mode needs it."""
    secret = settings.pseudonym_key
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        return None, (
            f"pseudonymisation needs a key: set {PSEUDONYM_VAR} "
            f"(a secret of at least {MIN_KEY_BYTES} bytes, e.g. `openssl rand -base64 32`)"
        )
    raw = value.encode()
    if len(raw) < MIN_KEY_BYTES:
        return None, f"{PSEUDONYM_VAR} is too short: use at least {MIN_KEY_BYTES} bytes"
    return raw, ""


def encryption_key(settings: Settings) -> tuple[bytes | None, str]:
    """The AES-SIV key (base64 in settings), or ``None`` and the message to show."""
    secret = settings.encryption_key
    value = secret.get_secret_value().strip() if secret is not None else ""
    shape = f"base64 of a {'/'.join(map(str, AES_SIV_KEY_BYTES))}-byte AES-SIV key"
    if not value:
        return None, (
            f"encryption and re-identification need a key: set {ENCRYPTION_VAR} "
            f"({shape}, e.g. `openssl rand -base64 64 | tr -d '\\n'`)"
        )
    try:
        raw = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None, f"{ENCRYPTION_VAR} is not valid base64 (expected {shape})"
    if len(raw) not in AES_SIV_KEY_BYTES:
        return None, f"{ENCRYPTION_VAR} decodes to {len(raw)} bytes (expected {shape})"
    return raw, ""


def _build(platform: Platform) -> PrivacyGateway:
    pkey, phelp = pseudonym_key(platform.settings)
    ekey, ehelp = encryption_key(platform.settings)
    help_: dict[KeyKind, str] = {"pseudonymise": phelp, "encrypt": ehelp}
    if pkey is None or ekey is None:
        logger.info("privacy guard keys: pseudonymise=%s encrypt=%s", bool(pkey), bool(ekey))
    return PrivacyGateway(
        PrivacyGuard("default"),
        uow=lambda: SqlPrivacyUnitOfWork(platform.engine),
        audit=LedgerAuditSink(platform.uow),
        find_system=lambda system: platform.registry.find_system(system).id,
        pseudonym_key=pkey,
        encryption_key=ekey,
        key_help=help_,
    )


def service(platform: Platform) -> PrivacyGateway:
    """The platform's privacy gateway (built once per platform)."""
    return platform.feature("privacy", _build)


def seed_demo(platform: Platform) -> None:
    """Attach the shipped policies to the demo's fraud and research systems (idempotent)."""
    gateway = service(platform)
    seeder = Actor.system("demo-seed")
    for system, template in DEMO_POLICIES.items():
        try:
            current = gateway.policy(system)
        except NotFound:
            continue
        if current.revision == 0:
            gateway.set_policy(seeder, system, template=template)


__all__ = ["LedgerAuditSink", "encryption_key", "pseudonym_key", "seed_demo", "service"]
