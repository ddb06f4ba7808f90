"""Fraud detection API: governed scoring, the alert/case queue, analyst verdicts, labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.fraud_schemas import ScoreResponse, Transaction
from dualtrack.api.schemas import Flag, Strict
from dualtrack.bootstrap import Platform
from dualtrack.fraud import wiring
from dualtrack.fraud.domain import CaseStatus
from dualtrack.fraud.governed import ScoringOwnedElsewhere
from dualtrack.fraud.watchlist import WatchlistEdit
from dualtrack.identity.domain import Actor

router = APIRouter(prefix="/api/v1", tags=["fraud"])


def startup(platform: Platform) -> None:
    """Run by the app's lifespan before it serves: take the database's fraud scoring lease,
    which folds the stored decisions back into the online feature state (a restart
    continues the velocity history instead of starting from nothing, and the first request
    does not pay for it). While another live process holds the lease the app still starts
    as a standby: scoring answers 503 and tries again on each request, and the decisions
    the holder stores are folded into this process's state as they come
    (``DUALTRACK_FRAUD_FOLLOW_S``), so taking over later folds only what is new."""
    wiring.serve_scoring(platform)


class ScoringRoleMetrics(Collector):
    """``/metrics`` gauges of this process's part in fraud scoring, read at each scrape:
    whether it holds the scoring lease, whether it stands by following the holder, how
    many stored decisions it has yet to fold, and how far the saved feature state trails."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def collect(self) -> Iterator[Metric]:
        role = wiring.scoring_role(self._platform)
        yield GaugeMetricFamily(
            "dualtrack_fraud_scoring",
            "1 while this process holds the fraud scoring lease (it serves fraud scoring)",
            value=1.0 if role["role"] == "scoring" else 0.0,
        )
        yield GaugeMetricFamily(
            "dualtrack_fraud_following",
            "1 while this process stands by and folds the scoring process's stored decisions",
            value=1.0 if role.get("following") else 0.0,
        )
        if "decisions_behind" in role:
            yield GaugeMetricFamily(
                "dualtrack_fraud_decisions_behind",
                "Stored fraud decisions this standby has yet to fold into its feature state",
                value=float(role["decisions_behind"]),
            )
        lag = wiring.saved_state_lag(self._platform)
        if lag is not None:
            yield GaugeMetricFamily(
                "dualtrack_fraud_saved_state_age_seconds",
                "Age of the fraud feature state saved in the database (the next scoring "
                "process starts from it)",
                value=lag["age_s"],
            )
            yield GaugeMetricFamily(
                "dualtrack_fraud_saved_state_ledger_entries_after",
                "Ledger entries written after the saved fraud feature state (what the next "
                "scoring process reads on from it)",
                value=lag["ledger_entries_after"],
            )
            yield GaugeMetricFamily(
                "dualtrack_fraud_saved_state_layers",
                "Layers of the saved fraud feature state: 1 for a whole state, plus one per "
                "later save of only the keys changed (a load reads them all)",
                value=lag["layers"],
            )


def collectors(platform: Platform) -> list[Collector]:
    """Added to the app's ``/metrics``."""
    return [ScoringRoleMetrics(platform)]


def shutdown(platform: Platform) -> None:
    """Run by the app's lifespan when the server stops (requests have finished): save the
    feature state for the next scoring process to start from, and give the scoring lease
    back, so a replacement can score at once instead of waiting for the lease to expire."""
    wiring.stop_scoring(platform)


class ScoreRequest(Strict):
    """One or more transactions (``hk_payments_v1`` fields: txn_id, ts, customer_id,
    account_id, channel, payee_id, payee_proxy_type, mcc, amount, currency, device_id,
    is_overseas). ``explain`` asks for reason codes on every decision, not only on review
    and block decisions."""

    transactions: list[dict[str, Any]] = Field(
        min_length=1, json_schema_extra={"items": Transaction.model_json_schema()}
    )
    explain: Flag = False
    features: Flag = Field(False, description="Also return the feature values used.")


class Verdict(Strict):
    note: str = Field("", max_length=2000)


def presented_key(request: Request) -> str:
    """The API key of a request (same headers as ``dualtrack.api.deps.get_actor``)."""
    presented = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if presented is None and auth.lower().startswith("bearer "):
        presented = auth[7:].strip()
    if not presented:
        raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
    return presented


def scoring_actor(platform: Platform, presented: str) -> Actor:
    """Authenticate like ``get_actor`` (same key checks), reading the key on the fraud read
    engine so scoring never waits for the writer's lock; a key that verified is trusted for
    a second before it is read again (``wiring.scoring_keys``)."""
    actor = wiring.scoring_keys(platform).actor_for_api_key(presented)
    if actor is None:
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    return actor


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


@router.post(
    "/fraud/score",
    responses={
        200: {"model": ScoreResponse, "description": "Every decision, stored and ledgered."},
        409: {"description": "A txn_id already decided arrived with different content."},
        413: {"description": "More transactions than a batch may hold."},
        422: {"description": "Invalid transactions: `problems` lists every one."},
        503: {"description": "No deployed model version, or another process scores."},
    },
)
async def score(body: ScoreRequest, request: Request, platform: PlatformDep) -> Response:
    """Score transactions with the deployed, approved model version of "Card and FPS fraud
    detection". Each transaction first passes through the fraud system's privacy policy:
    identifiers become keyed pseudonyms, fields the policy drops (`hkid`, `name`, `phone`,
    `card_number`, `memo`) never reach the model or the store, and a field that neither the
    model nor the policy names is refused. Each decision (score, allow/review/block, rule
    hits, reason codes for review and block, model version) is stored and written to the
    audit ledger before the response is sent; review and block decisions raise alerts in the
    customer's case. A repeated ``txn_id`` returns the stored decision (``replayed: true``)
    and is not counted again in velocity features; the same ID with different content is a
    409. A batch is accepted or refused as a whole: bad rows give a 422 problem listing every
    problem; batches over the limit give 413; no deployed (or an unverifiable) model version,
    or a privacy policy that keeps a needed field from the model, gives 503. An API key that
    verified is trusted on this route for up to a second before it is checked again, so a
    revocation reaches scoring within that second. One process per database serves
    scoring (the online feature state lives in it): another process's scoring route
    answers 503 while this one's lease is live."""
    presented = presented_key(request)

    def decide() -> bytes:
        # one worker-thread hop per request: authentication, scoring and the durable write
        scoring_actor(platform, presented)
        governed = wiring.scoring_service(platform)
        if len(body.transactions) > governed.limits.max_batch:
            raise HTTPException(
                413, f"a batch holds at most {governed.limits.max_batch} transactions"
            )
        decisions = governed.score(body.transactions, explain=body.explain)
        return orjson.dumps({"decisions": [d.to_json(features=body.features) for d in decisions]})

    content = await run_in_threadpool(decide)
    return Response(content, media_type="application/json")


class ScoringRole(Strict):
    role: str = Field(description='"scoring": this process serves fraud scoring.')


@router.get(
    "/fraud/scoring",
    response_model=ScoringRole,
    responses={503: {"description": "Another process serves fraud scoring (a standby)."}},
)
def scoring_role(platform: PlatformDep) -> ScoringRole:
    """Whether this process serves fraud scoring on its database: the readiness check for a
    load balancer that sends ``POST /fraud/score`` to the one process that may score (no
    authentication; it names no host or process). A process that does not hold the scoring
    lease tries to take it first, so when the holder stops or stays silent for
    ``DUALTRACK_FRAUD_LEASE_TTL_S``, the first standby checked takes over (folding the
    decisions stored since it last followed them) and answers 200 from then on. A standby
    answers 503 with code ``fraud-scoring-owned-elsewhere``, ``role: "standby"``,
    ``following`` (whether it folds the holder's stored decisions as they come) and, when
    it follows, ``decisions_behind``: stored decisions it has not folded yet."""
    try:
        wiring.scoring_service(platform)
    except ScoringOwnedElsewhere:
        raise ScoringOwnedElsewhere(
            "another process serves fraud scoring on this database; this one stands by",
            **wiring.scoring_role(platform),
        ) from None
    return ScoringRole(role="scoring")


@router.get("/fraud/cases")
def list_cases(
    platform: PlatformDep,
    actor: ActorDep,
    status: Annotated[CaseStatus | None, Query(description="Default: unresolved cases.")] = None,
) -> list[dict[str, Any]]:
    """The alert queue: cases (one per customer pseudonym) with alert counts, newest first."""
    return [wiring.summary_json(s) for s in wiring.cases(platform).queue(status=status)]


@router.get("/fraud/cases/{case_id}")
def get_case(case_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """A case: its alerts with reasons and the features used, the customer's recent
    decisions and the case's history from the ledger."""
    return wiring.view_json(wiring.cases(platform).view(case_id))


@router.post("/fraud/cases/{case_id}/start-review")
def start_review(case_id: str, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """An analyst (or compliance officer) picks the case up; ledgered."""
    wiring.cases(platform).start_review(actor, case_id)
    return wiring.view_json(wiring.cases(platform).view(case_id))


@router.post("/fraud/cases/{case_id}/confirm")
def confirm(
    case_id: str, platform: PlatformDep, actor: ActorDep, body: Verdict | None = None
) -> dict[str, Any]:
    """Resolve the case as fraud: every alert in it is labelled fraud; ledgered."""
    note = body.note if body else ""
    wiring.cases(platform).confirm_fraud(actor, case_id, note)
    return wiring.view_json(wiring.cases(platform).view(case_id))


@router.post("/fraud/cases/{case_id}/false-positive")
def false_positive(
    case_id: str, platform: PlatformDep, actor: ActorDep, body: Verdict | None = None
) -> dict[str, Any]:
    """Resolve the case as a false alarm: every alert in it is labelled genuine; ledgered."""
    note = body.note if body else ""
    wiring.cases(platform).mark_false_positive(actor, case_id, note)
    return wiring.view_json(wiring.cases(platform).view(case_id))


class CustomerResponseBody(Strict):
    """What the customer did after the payment was held and they were warned."""

    response: Literal["proceeded", "cancelled"] = Field(
        description="proceeded: the customer confirmed the payment after the warning; "
        "cancelled: they stopped it."
    )
    channel: str = Field(
        min_length=1,
        max_length=32,
        description='Where the warning was shown, e.g. "mobile_app", "internet_banking", "branch".',
    )


class StoredCustomerResponse(Strict):
    txn_id: str
    response: str
    channel: str
    recorded_by: str
    recorded_at: str


@router.post(
    "/fraud/decisions/{txn_id}/customer-response",
    status_code=201,
    response_model=StoredCustomerResponse,
    responses={200: {"model": StoredCustomerResponse, "description": "Already stored."}},
)
def customer_response(
    txn_id: str, body: CustomerResponseBody, platform: PlatformDep, actor: ActorDep
) -> Response:
    """Record what the customer did after a decision held their payment for review (the
    warning of the HKMA's Suspicious Account Alert): once per decision, ledgered, shown in
    the case view. 201 when stored, 200 when the same answer was already stored; 404 for
    an unknown transaction, 409 for a decision that was not a review or an answer that
    differs from the stored one."""
    stored, created = wiring.cases(platform).record_customer_response(
        actor, txn_id, body.response, body.channel
    )
    return _json(stored.to_dict(), status=201 if created else 200)


@router.get("/fraud/labels")
def labels(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Analyst labels from resolved cases, for retraining and monitoring."""
    return [wiring.label_json(label) for label in wiring.cases(platform).labels()]


# ------------------------------------------------------------------ payee watch list

#: payee IDs per request (an import of a whole list goes through the CLI or in pages)
MAX_WATCHLIST_CHANGE = 10_000
#: payee IDs in one sync (a source's whole list; the body size limit applies first)
MAX_WATCHLIST_SYNC = 1_000_000


class WatchlistListing(Strict):
    """Payees to put on the high-risk payee watch list under one source (payments to them
    are held for review or blocked, as `action` says)."""

    payee_ids: list[str] = Field(
        min_length=1,
        max_length=MAX_WATCHLIST_CHANGE,
        description="Payee account numbers or FPS proxy IDs, exactly as transactions carry "
        "them in `payee_id` (at most 128 characters, no control characters).",
    )
    source: str = Field(
        min_length=1,
        max_length=64,
        description='Where the listing comes from, e.g. "scameter" or "investigation".',
    )
    reason: str = Field("", max_length=500, description="Why (kept in the list, not the ledger).")
    action: Literal["review", "block"] = Field(
        "block",
        description='What scoring does with a payment to these payees: "review" holds it and '
        "warns the customer (as the HKMA's Suspicious Account Alert does for payees the "
        'Police\'s Scameter marks "High Risk"); "block" refuses it. A source listing a '
        "payee it lists already can make its action stricter, never milder. A payee listed "
        "by several sources has the strictest of their actions.",
    )
    review_by: date | None = Field(
        None,
        description="Optional: the date (Hong Kong) by which someone must review these "
        "listings; after today and within three years. Listings past it are listed by "
        "`GET /api/v1/fraud/watchlist/due` and stay in force until reviewed or taken off.",
    )


class WatchlistSyncRequest(Strict):
    """A source's whole published list (a Scameter extract): that source's listings of
    payees missing from it are dropped, and a payee no other source lists comes off the
    watch list (compliance officer or admin)."""

    source: str = Field(min_length=1, max_length=64)
    payee_ids: list[str] = Field(min_length=1, max_length=MAX_WATCHLIST_SYNC)
    action: Literal["review", "block"] = "review"
    reason: str = Field("", max_length=500)


class WatchlistSyncResult(Strict):
    source: str
    listed: int = Field(description="This source's listings added (or made stricter).")
    unlisted: int = Field(
        description="This source's listings dropped: payees not in the new list."
    )
    still_listed: int = Field(
        description="Of the dropped, payees another source still lists: they stay on the "
        "watch list, with the strictest remaining action."
    )
    unchanged: int
    held_off: int = Field(
        description="Payees in the list that a person took off the watch list: a sync does "
        "not list them again (listing one by hand does)."
    )
    revision: int
    synced_at: str


class WatchlistReview(Strict):
    """Keep a source's listings after a review, to be reviewed again by ``next_review``
    (compliance officer or admin)."""

    payee_ids: list[str] = Field(min_length=1, max_length=MAX_WATCHLIST_CHANGE)
    source: str = Field(min_length=1, max_length=64, description="The source whose listings.")
    next_review: date = Field(description="After today and within three years.")
    note: str = Field("", max_length=500, description="Why they stay (kept with the listing).")


class WatchlistRemoval(Strict):
    """Payees to take off the watch list (compliance officer or admin)."""

    payee_ids: list[str] = Field(min_length=1, max_length=MAX_WATCHLIST_CHANGE)
    reason: str = Field(min_length=1, max_length=500, description="Why; required.")


class WatchlistEditResult(Strict):
    changed: int = Field(
        description="Listings added or made stricter under the request's source (payees "
        "taken off, for a removal)."
    )
    unchanged: int = Field(description="Payees already in the requested state.")
    revision: int = Field(description="The list's revision after the request.")


def _edit_json(edit: WatchlistEdit) -> dict[str, Any]:
    return dict(edit.to_dict())


@router.get("/fraud/watchlist")
def get_watchlist(
    platform: PlatformDep,
    actor: ActorDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    listed: Annotated[
        bool, Query(description="false: the payees taken off the list, with who and why.")
    ] = True,
) -> dict[str, Any]:
    """The high-risk payee watch list, most recent change first: entries, their total and
    the list's revision. Analysts, compliance officers, admins, auditors and senior
    managers may read it."""
    page = wiring.watchlist(platform).page(actor, offset=offset, limit=limit, listed=listed)
    return page.to_dict()


@router.post("/fraud/watchlist", response_model=WatchlistEditResult)
def list_payees(body: WatchlistListing, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Put payees on the watch list (analyst, compliance officer or admin); one ledger entry
    names them by their keyed pseudonyms. Every scoring process applies the listing's
    action to payments to them within about a second, without a restart. Each source's
    listing is kept: a payee the Scameter feed lists and an investigation lists too stays
    listed until both drop it, with the stricter action."""
    edit = wiring.watchlist(platform).list_payees(
        actor,
        body.payee_ids,
        source=body.source,
        reason=body.reason,
        action=body.action,
        review_by=body.review_by.isoformat() if body.review_by else None,
    )
    return _edit_json(edit)


@router.get("/fraud/watchlist/due")
def watchlist_due(
    platform: PlatformDep,
    actor: ActorDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Listings whose review date is today (Hong Kong) or earlier, earliest first: each
    with its payee, source, action, reason, who listed it and who last reviewed it. They
    stay in force until a compliance officer keeps them (`POST .../watchlist/review`) or
    takes the payee off."""
    return wiring.watchlist(platform).due(actor, offset=offset, limit=limit).to_dict()


@router.post("/fraud/watchlist/review", response_model=WatchlistEditResult)
def review_listings(
    body: WatchlistReview, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Keep a source's listings of these payees after a review, with the next review date
    (compliance officer or admin); ledgered as `fraud.watchlist_reviewed`. What scoring
    does does not change. `changed`: listings kept; `unchanged`: payees the source does
    not list."""
    edit = wiring.watchlist(platform).review(
        actor,
        body.payee_ids,
        source=body.source,
        next_review=body.next_review.isoformat(),
        note=body.note,
    )
    return _edit_json(edit)


@router.post("/fraud/watchlist/sync", response_model=WatchlistSyncResult)
def sync_source(
    body: WatchlistSyncRequest, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Sync a source that publishes its whole list (compliance officer or admin): its new
    payees are listed, its listings of payees missing from this list are dropped (a payee
    that another source lists stays listed), and the refresh is recorded; other sources'
    listings are left alone. One transaction; each part ledgered."""
    synced = wiring.watchlist(platform).sync_source(
        actor, body.payee_ids, source=body.source, reason=body.reason, action=body.action
    )
    return synced.to_dict()


@router.get("/fraud/watchlist/sources")
def watchlist_sources(platform: PlatformDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Each source of listings: payees it lists now (a payee two sources list counts for
    both), its latest listing, and when, by whom and at which revision it was last
    synced."""
    return [s.to_dict() for s in wiring.watchlist(platform).sources(actor)]


@router.post("/fraud/watchlist/remove", response_model=WatchlistEditResult)
def unlist_payees(body: WatchlistRemoval, platform: PlatformDep, actor: ActorDep) -> dict[str, Any]:
    """Take payees off the watch list, every source's listing of them (compliance officer
    or admin, with a reason); a later sync of a feed does not list them again. Payee IDs
    travel in the body, never in the URL, so they stay out of access logs."""
    edit = wiring.watchlist(platform).unlist_payees(actor, body.payee_ids, reason=body.reason)
    return _edit_json(edit)
