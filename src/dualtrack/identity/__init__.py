"""People, roles and credentials.

Every action in dualtrack is taken by an :class:`Actor`: a user acting in one role. Roles drive
separation of duties (a model's developer cannot validate or approve it; HIGH-tier approvals need
a senior manager). Passwords are hashed with argon2; API keys are random 256-bit secrets of which
only a SHA-256 digest is stored.
"""

from dualtrack.identity.domain import Actor, Role, User
from dualtrack.identity.service import IdentityService

__all__ = ["Actor", "IdentityService", "Role", "User"]
