"""Use cases for users and API keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dualtrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualtrack.identity.domain import Actor, Role, User

if TYPE_CHECKING:
    from dualtrack.ports import UnitOfWork

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,62}$")
_hasher = PasswordHasher()
# Verifying against a fixed hash when the user does not exist keeps the response time the same,
# so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
KEY_PREFIX = "dt"


def _key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class IdentityService:
    def __init__(
        self, uow: Callable[[], UnitOfWork], reader: Callable[[], UnitOfWork] | None = None
    ) -> None:
        self._uow = uow
        # Authentication runs on every request: it reads without taking a write lock.
        self._read = reader or uow

    def create_user(
        self,
        actor: Actor,
        *,
        username: str,
        display_name: str,
        role: Role,
        password: str | None = None,
    ) -> User:
        """Admins create users (``Actor.system`` bootstraps the first admin)."""
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("only an admin can create users", role=actor.role.value)
        if not _USERNAME.match(username):
            raise InvalidInput(
                "username must be 2-63 characters: lower-case letters, digits, '.', '_', '-'"
            )
        if password is not None and len(password) < 10:
            raise InvalidInput("password must be at least 10 characters")
        user = User(id=str(uuid.uuid4()), username=username, display_name=display_name, role=role)
        with self._uow() as uow:
            if uow.users.get_by_username(username) is not None:
                raise Conflict("a user with that username exists", username=username)
            uow.users.add(user, _hasher.hash(password) if password else None)
            uow.audit.record(
                actor=actor.username,
                action="user.created",
                subject_type="user",
                subject_id=user.id,
                payload={"username": username, "role": role.value},
            )
            uow.commit()
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        with self._read() as uow:
            found = uow.users.get_by_username(username)
            stored = uow.users.password_hash(found.id) if found else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if found is None or stored is None or not found.active:
            return None
        return found

    def issue_api_key(self, actor: Actor, *, username: str, label: str) -> str:
        """Return a new key ``dt_<id>_<secret>`` for ``username``; only its digest is stored."""
        if actor.role is not Role.ADMIN and actor.username != username:
            raise PermissionDenied("only admins can issue keys for other users")
        with self._uow() as uow:
            user = uow.users.get_by_username(username)
            if user is None:
                raise NotFound("no such user", username=username)
            key_id = secrets.token_hex(6)
            secret = secrets.token_urlsafe(32)
            uow.users.add_api_key(key_id, user.id, user.role, _key_digest(secret), label)
            uow.audit.record(
                actor=actor.username,
                action="api_key.issued",
                subject_type="user",
                subject_id=user.id,
                payload={"key_id": key_id, "label": label},
            )
            uow.commit()
        return f"{KEY_PREFIX}_{key_id}_{secret}"

    def actor_for_api_key(self, presented: str) -> Actor | None:
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        _, key_id, secret = parts
        with self._read() as uow:
            found = uow.users.get_api_key(key_id)
            if found is None:
                return None
            user_id, role, digest, revoked = found
            user = uow.users.get(user_id)
        if revoked or user is None or not user.active:
            return None
        if not hmac.compare_digest(digest, _key_digest(secret)):
            return None
        return Actor(user.id, user.username, role)

    def change_role(self, actor: Actor, *, username: str, role: Role, reason: str) -> User:
        """Admins move a user to another role (ledgered). Past maker-checker facts stay: a
        developer promoted to senior manager still cannot approve versions they built."""
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("only an admin can change roles", role=actor.role.value)
        if not reason.strip():
            raise InvalidInput("a reason is required")
        with self._uow() as uow:
            user = uow.users.get_by_username(username)
            if user is None:
                raise NotFound("no such user", username=username)
            uow.users.set_role(user.id, role)
            uow.audit.record(
                actor=actor.username,
                action="user.role_changed",
                subject_type="user",
                subject_id=user.id,
                payload={"from": user.role.value, "to": role.value, "reason": reason},
            )
            uow.commit()
        return replace(user, role=role)

    def get_user(self, username: str) -> User:
        with self._uow() as uow:
            user = uow.users.get_by_username(username)
        if user is None:
            raise NotFound("no such user", username=username)
        return user

    def list_users(self) -> list[User]:
        with self._uow() as uow:
            return uow.users.list()


class KeyAuthenticator(Protocol):
    def actor_for_api_key(self, presented: str) -> Actor | None: ...


class RememberedApiKeys:
    """API-key authentication for hot paths: a key that verified is trusted again for
    ``ttl_s`` seconds without reading the store.

    Only successful checks are remembered (keyed by the key's SHA-256, never the key
    itself), so a new key works at once and a wrong one is looked up every time. The price
    is that revoking a key, deactivating its user or changing the user's role takes up to
    ``ttl_s`` to reach this path, the same window as a model deployment (re-read at most once
    a second). At most ``max_keys`` keys are remembered; past that the memory starts afresh."""

    def __init__(
        self,
        identity: KeyAuthenticator,
        *,
        ttl_s: float = 1.0,
        max_keys: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._identity = identity
        self._ttl = ttl_s
        self._max = max_keys
        self._clock = clock
        self._known: dict[bytes, tuple[Actor, float]] = {}

    def actor_for_api_key(self, presented: str) -> Actor | None:
        digest = hashlib.sha256(presented.encode()).digest()
        now = self._clock()
        known = self._known.get(digest)
        if known is not None and known[1] > now:
            return known[0]
        actor = self._identity.actor_for_api_key(presented)
        if actor is None:
            self._known.pop(digest, None)
            return None
        if len(self._known) >= self._max:
            self._known = {}
        self._known[digest] = (actor, now + self._ttl)
        return actor
