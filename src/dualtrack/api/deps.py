"""Request dependencies: the platform and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from dualtrack.bootstrap import Platform
from dualtrack.identity.domain import Actor


async def get_platform(request: Request) -> Platform:
    # async: a plain attribute read, so FastAPI need not hop to a worker thread for it
    platform: Platform = request.app.state.platform
    return platform


def get_actor(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> Actor:
    """Authenticate ``Authorization: Bearer dt_...`` or ``X-API-Key: dt_...``."""
    presented = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if presented is None and auth.lower().startswith("bearer "):
        presented = auth[7:].strip()
    if not presented:
        raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
    actor = platform.identity.actor_for_api_key(presented)
    if actor is None:
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    return actor


PlatformDep = Annotated[Platform, Depends(get_platform)]
ActorDep = Annotated[Actor, Depends(get_actor)]
