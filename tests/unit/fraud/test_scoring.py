"""FraudScorer: decisions, rules, reasons only where needed, validation, idempotency."""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl
import pytest

from dualtrack.fraud.domain import Thresholds
from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.features import TRANSACTION_SCHEMA
from dualtrack.fraud.memory import InMemoryFeatureStateStore
from dualtrack.fraud.model import ModelArtifact
from dualtrack.fraud.service import FraudScorer, RuleSet
from dualtrack.fraud.validation import ROW_PATH_MAX, SMALL_BATCH, ValidationLimits, to_frame

from .conftest import FrozenClock


def _rows(stream: pl.DataFrame, n: int) -> list[dict[str, object]]:
    return stream.select(list(TRANSACTION_SCHEMA)).head(n).to_dicts()


def test_decisions_carry_reasons_exactly_when_needed(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    scorer = FraudScorer(artifact, model_version="fraud-v1", clock=clock)
    decisions = scorer.score_batch(_rows(stream, 3_000))
    actions = {d.action for d in decisions}
    assert actions >= {"allow", "review"}
    for d in decisions:
        assert d.model_version == "fraud-v1"
        assert 0.0 <= d.score <= 1.0
        assert (len(d.reasons) > 0) == (d.action != "allow") or d.action == "allow"
        if d.action == "allow":
            assert d.reasons == ()
        for r in d.reasons:
            assert r.contribution > 0 and r.text
    flagged = [d for d in decisions if d.action != "allow"]
    assert flagged and all(d.reasons for d in flagged)


def test_explain_on_request_and_thresholds_applied(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    strict = replace(artifact, thresholds=Thresholds(review=0.0, block=1.0))
    scorer = FraudScorer(strict, clock=clock)
    decisions = scorer.score_batch(_rows(stream, 50))
    assert all(d.action == "review" for d in decisions)
    lax = FraudScorer(replace(artifact, thresholds=Thresholds(review=1.0, block=1.0)), clock=clock)
    explained = lax.score_batch(_rows(stream, 50), explain=True)
    assert all(d.action == "allow" for d in explained)
    assert sum(1 for d in explained if d.reasons) > 10


@pytest.mark.parametrize(
    ("rules", "change", "hit", "action"),
    [
        (
            RuleSet(watchlist=frozenset({"LISTED"})),
            {"payee_id": "LISTED"},
            "payee_on_watchlist",
            "block",
        ),
        (
            RuleSet(watchlist=frozenset({"LISTED"}), watchlist_action="review"),
            {"payee_id": "LISTED"},
            "payee_on_watchlist",
            "review",
        ),
        (
            RuleSet(watchlist=frozenset({"LISTED"})),
            {"payee_id": "LISTED2"},
            None,
            None,
        ),  # near miss
        (RuleSet(max_amount_hkd=1_000.0), {"amount": 1_000.01}, "amount_over_limit", "block"),
        (RuleSet(max_amount_hkd=1_000.0), {"amount": 1_000.0}, None, None),  # at the cap
    ],
)
def test_rules_combine_with_the_model(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock, rules, change, hit, action
) -> None:
    loose = replace(artifact, thresholds=Thresholds(review=1.0, block=1.0))
    scorer = FraudScorer(loose, rules=rules, clock=clock)
    row = {**_rows(stream, 1)[0], **change}
    decision = scorer.score_one(row)
    if hit is None:
        assert decision.rule_hits == () and decision.action == "allow"
    else:
        assert decision.rule_hits == (hit,)
        assert decision.action == action and decision.model_action == "allow"
        assert decision.reasons  # rule-driven review/block decisions are explained too


def test_daily_cap_uses_the_running_24h_sum(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    loose = replace(artifact, thresholds=Thresholds(review=1.0, block=1.0))
    scorer = FraudScorer(loose, rules=RuleSet(daily_cap_hkd=10_000.0), clock=clock)
    base = _rows(stream, 1)[0]
    first = scorer.score_one({**base, "txn_id": "x1", "amount": 6_000.0})
    second = scorer.score_one({**base, "txn_id": "x2", "amount": 4_000.0, "ts": base["ts"] + 60})
    third = scorer.score_one({**base, "txn_id": "x3", "amount": 0.5, "ts": base["ts"] + 120})
    assert first.rule_hits == second.rule_hits == ()
    assert third.rule_hits == ("daily_cap_exceeded",)


def test_rescoring_is_idempotent(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    store = InMemoryFeatureStateStore()
    scorer = FraudScorer(artifact, state=store, clock=clock)
    rows = _rows(stream, 200)
    first = scorer.score_batch(rows)
    states = len(store)
    again = scorer.score_batch(rows)
    assert [d.score for d in again] == [d.score for d in first]
    assert len(store) == states


def _bad(row: dict[str, object], **change: object) -> dict[str, object]:
    out = {**row, **change}
    return {k: v for k, v in out.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": float("nan")}, "NaN or infinite"),
        ({"amount": math.inf}, "NaN or infinite"),
        ({"amount": -0.01}, "negative"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "hkd"}, "currency"),
        ({"ts": 1_900_000_000}, "future"),
        ({"channel": "cheque"}, "channel"),
        ({"amount": _DROP}, "missing fields"),
        ({"note": "hello"}, "unexpected fields"),
        ({"txn_id": ""}, "empty txn_id"),
        ({"customer_id": ""}, "empty customer_id"),
        ({"account_id": " "}, "empty account_id"),
        ({"payee_id": ""}, "empty payee_id"),
        ({"amount": None}, "amount is missing"),
        ({"amount": "twelve"}, "amount has the wrong type"),
        ({"ts": 1}, "before 2000"),
        ({"is_overseas": 1}, "is_overseas has the wrong type"),
        ({"ts": 1.5e9}, "ts has the wrong type"),
    ],
)
@pytest.mark.parametrize("padding", [0, SMALL_BATCH + 5])
# score_batch takes the row path up to ROW_PATH_MAX rows; frames are checked row-wise up to
# SMALL_BATCH rows and vectorised above: every rule runs through all three
@pytest.mark.parametrize("entry", ["rows", "frame"])
def test_invalid_transactions(
    artifact: ModelArtifact,
    stream: pl.DataFrame,
    clock: FrozenClock,
    change,
    message,
    padding,
    entry,
) -> None:
    scorer = FraudScorer(artifact, clock=clock)
    rows = _rows(stream, padding + 1)
    rows[-1] = _bad(rows[-1], **change)
    with pytest.raises(FraudInputError) as info:
        if entry == "rows":
            scorer.score_batch(rows)
        else:
            scorer.score_columns(to_frame(rows, artifact.feature_set))
    assert message in info.value.message
    if padding and "fields" not in message:
        assert f"rows {padding}:" in info.value.message  # names the bad row only
    assert info.value.code == "fraud-invalid-input"
    assert "problems" in info.value.fields


def test_valid_near_misses_pass(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    scorer = FraudScorer(artifact, clock=clock)
    row = _rows(stream, 1)[0]
    now = int(clock.now().timestamp())
    for change in ({"amount": 0.0}, {"ts": now + 299}):
        assert scorer.score_one({**row, **change, "txn_id": f"ok-{change}"}).score >= 0


def test_batch_level_problems(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    scorer = FraudScorer(artifact, clock=clock, limits=ValidationLimits(max_batch=10))
    rows = _rows(stream, 11)
    with pytest.raises(FraudInputError, match="exceeds the limit"):
        scorer.score_batch(rows)
    dup = [*rows[:3], rows[0]]
    with pytest.raises(FraudInputError, match="duplicate txn_id"):
        scorer.score_batch(dup)
    a, b = rows[0], rows[1]
    back = [{**a, "ts": 1_767_600_000}, {**a, "txn_id": "later", "ts": 1_767_599_000}]
    with pytest.raises(FraudInputError, match="earlier than a previous"):
        scorer.score_batch(back)
    assert b


def test_out_of_order_against_state_but_rescoring_allowed(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    scorer = FraudScorer(artifact, clock=clock)
    row = _rows(stream, 1)[0]
    scorer.score_one(row)
    assert scorer.score_one(row).txn_id == row["txn_id"]  # same ID again: fine
    with pytest.raises(FraudInputError, match="older than scored history"):
        scorer.score_one({**row, "txn_id": "late", "ts": int(row["ts"]) - 1})


def test_invalid_batch_changes_no_state(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    store = InMemoryFeatureStateStore()
    scorer = FraudScorer(artifact, state=store, clock=clock)
    rows = _rows(stream, 5)
    rows[4] = {**rows[4], "amount": -1.0}
    with pytest.raises(FraudInputError):
        scorer.score_batch(rows)
    assert len(store) == 0


def test_row_path_and_frame_path_decide_identically(
    artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    """Small requests skip Polars; the same stream through both paths gives the same
    features, scores, actions, rule hits and reasons."""
    rows = _rows(stream, 1_200)
    watch = frozenset({str(rows[7]["payee_id"]), str(rows[400]["payee_id"])})
    amounts = sorted(float(r["amount"]) for r in rows)  # type: ignore[arg-type]
    cap = amounts[-12]  # the 11 largest payments break the cap
    rules = RuleSet(watchlist=watch, max_amount_hkd=cap, daily_cap_hkd=3 * cap)
    by_rows = FraudScorer(artifact, clock=clock, rules=rules)
    by_frame = FraudScorer(artifact, clock=clock, rules=rules)
    small = [d for i in range(0, len(rows), 40) for d in by_rows.score_batch(rows[i : i + 40])]
    assert len(rows) > ROW_PATH_MAX
    big = by_frame.score_batch(rows)  # one frame, vectorised checks
    assert small == big
    assert {h for d in big for h in d.rule_hits} >= {"payee_on_watchlist", "amount_over_limit"}
    for d in big[:50]:
        assert by_rows.state.remembered(d.txn_id) == by_frame.state.remembered(d.txn_id)
