"""REST API of sanctions screening: screen names and wallets, clear hits, load list versions,
see list-load alerts. Screening results are for staff only (never shown to the client)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import Strict
from dualtrack.screening.wiring import service

router = APIRouter(prefix="/api/v1", tags=["screening"])

Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ScreenIn(Strict):
    """A party to screen: a name (any script), an optional birth year, or a wallet."""

    client_id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    birth_year: int | None = Field(None, ge=1850, le=2100, strict=True)
    wallet_address: Annotated[str, StringConstraints(max_length=200)] | None = None
    list_ids: list[Id] | None = Field(None, max_length=50)


class ClearIn(Strict):
    """Clear one hit of a stored screening: it stays cleared until the list entry changes."""

    screening_id: Id
    list_id: Id
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


@router.post("/screening/names")
def screen_name(body: ScreenIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Screen a name and/or wallet against every active list version. Hits are ranked by
    score, each with the matched list name and the reason; hits cleared before for this
    client are suppressed (counted in ``suppressed``); the list versions used are recorded.
    A potential match raises an alert in the client's VA case."""
    result = service(platform).screen(
        actor,
        client_id=body.client_id,
        name=body.name,
        birth_year=body.birth_year,
        wallet_address=body.wallet_address,
        list_ids=body.list_ids,
        context="api",
    )
    return result.to_dict()


@router.post("/screening/clearances", status_code=201)
def clear_hit(body: ClearIn, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Record that a hit is not the client (409 if the entry changed since)."""
    return service(platform).clear(
        actor,
        screening_id=body.screening_id,
        list_id=body.list_id,
        entry_id=body.entry_id,
        reason=body.reason,
    )


@router.get("/screening/decisions")
def decisions(
    platform: PlatformDep,
    actor: ActorDep,
    client_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Recent screening decisions, newest first, each with the list versions used."""
    return service(platform).decisions(client_id=client_id, limit=limit)


@router.get("/screening/decisions/{screening_id}")
def decision(screening_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """One stored screening decision."""
    return service(platform).decision(screening_id)


@router.get("/screening/lists")
def lists(platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """The version in service for each list, and every stored version."""
    desk = service(platform)
    return {"active": desk.active(), "versions": desk.versions()}


@router.post("/screening/lists/{list_id}", status_code=201)
async def load_list(
    list_id: str,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    source: Annotated[str, Query(max_length=300)] = "upload",
    format: Literal["ofac-xml", "ofac-csv", "un-xml", "ftm-jsonl", "wallet-csv"] | None = None,
) -> dict[str, Any]:
    """Load a new version of a list from the request body (the official file as is: OFAC
    SDN XML or CSV, UN consolidated XML, OpenSanctions FollowTheMoney JSON lines, or a
    wallet CSV). The format is detected unless given. A file that fails to load leaves the
    previous version in service, raises an alert and answers 422 naming the alert."""
    data = await request.body()
    outcome = await run_in_threadpool(
        service(platform).load_list, actor, data, list_id=list_id, source=source, fmt=format
    )
    return outcome.to_dict()


@router.get("/screening/alerts")
def alerts(
    platform: PlatformDep, actor: ActorDep, include_acknowledged: bool = False
) -> list[dict[str, Any]]:
    """Alerts raised by lists that failed to load, newest first."""
    return service(platform).alerts(include_acknowledged=include_acknowledged)


@router.post("/screening/alerts/{alert_id}/acknowledge", status_code=204)
def acknowledge(alert_id: str, platform: PlatformDep, actor: ActorDep) -> None:
    """Mark a list-load alert as handled."""
    service(platform).acknowledge_alert(actor, alert_id)
