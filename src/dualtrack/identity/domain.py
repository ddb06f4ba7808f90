"""Users, roles and the acting identity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user does in the institution; each user holds exactly one role."""

    MODEL_DEVELOPER = "model_developer"
    VALIDATOR = "validator"
    COMPLIANCE_OFFICER = "compliance_officer"
    SENIOR_MANAGER = "senior_manager"
    AUDITOR = "auditor"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    role: Role
    active: bool = True


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as which role. System processes use ``Actor.system(name)``."""

    user_id: str
    username: str
    role: Role

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(f"system:{name}", f"system:{name}", Role.ADMIN)
