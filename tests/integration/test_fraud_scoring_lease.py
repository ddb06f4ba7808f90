"""The fraud scoring lease on SQLite and PostgreSQL: one live scoring process per database."""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import shutil
import threading
import time
import zlib
from typing import Any

import numpy as np
import orjson
import polars as pl
import pytest
from sqlalchemy import delete, select, update

from dualtrack.adapters.fraud_sql import SqlScoringLease, SqlStateSnapshots
from dualtrack.adapters.fraud_tables import (
    fraud_decisions,
    fraud_scoring_owner,
    fraud_state_snapshot_parts,
    fraud_state_snapshots,
)
from dualtrack.bootstrap import Platform, bootstrap
from dualtrack.config import Settings
from dualtrack.errors import InvalidInput
from dualtrack.fraud import wiring
from dualtrack.fraud.features import FEATURE_NAMES, OnlineFeatureEngine, compute_batch
from dualtrack.fraud.governed import ScoringOwnedElsewhere
from dualtrack.fraud.memory import InMemoryFeatureStateStore
from dualtrack.fraud.simulator import HKPaymentsSimulator
from tests.conftest import People
from tests.fraud_support import TINY, deploy_tiny, txn


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _lease(platform: Platform, clock: Clock, pid: int) -> SqlScoringLease:
    return SqlScoringLease(platform.engine, ttl_s=15.0, clock=clock, host="node-a", pid=pid)


def _deployed_stream(
    platform: Platform, people: People
) -> tuple[list[dict[str, Any]], np.ndarray[Any, Any]]:
    """Deploy the tiny model; 900 simulated payments and their batch features."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    sim = HKPaymentsSimulator(TINY)
    stream = pl.concat([sim.day(d) for d in range(3)]).drop("is_fraud", "typology").head(900)
    return stream.to_dicts(), compute_batch(stream).to_numpy()


def _assert_batch_features(decided: list[Any], expected: np.ndarray[Any, Any]) -> None:
    """The decisions' features equal the batch features of the whole stream, to the bit."""
    got = np.array([[d.features[name] for name in FEATURE_NAMES] for d in decided])
    np.testing.assert_array_equal(got, expected)


def test_one_live_holder_at_a_time(platform: Platform) -> None:
    clock = Clock()
    first, second = _lease(platform, clock, 101), _lease(platform, clock, 202)
    first.claim()
    first.claim()  # claiming what one holds renews it
    with pytest.raises(ScoringOwnedElsewhere) as refused:
        second.claim()
    assert "host node-a, pid 101" in refused.value.message
    owner = second.live_owner()
    assert owner is not None and owner.holder == first.holder
    # renewed within the TTL: still refused after more than one TTL from the first claim
    for _ in range(3):
        clock.now += 10
        assert first.beat()
    with pytest.raises(ScoringOwnedElsewhere):
        second.claim()
    # released: the next claimer takes it at once
    first.release()
    assert second.live_owner() is None
    second.claim()
    assert not first.beat(), "a released holder cannot renew"


def test_a_silent_holder_is_replaced_after_the_ttl_and_learns_it(platform: Platform) -> None:
    clock = Clock()
    crashed, standby = _lease(platform, clock, 101), _lease(platform, clock, 202)
    crashed.claim()
    clock.now += 15.0
    with pytest.raises(ScoringOwnedElsewhere):
        standby.claim()  # exactly the TTL: still live
    clock.now += 0.5
    standby.claim()
    assert crashed.live_owner() is not None
    assert not crashed.beat(), "the replaced holder finds out on its next renewal"
    crashed.release()  # releasing what it no longer holds leaves the new holder alone
    owner = standby.live_owner()
    assert owner is not None and owner.holder == standby.holder


def test_concurrent_claims_have_one_winner(platform: Platform) -> None:
    leases = [SqlScoringLease(platform.engine, ttl_s=15.0, pid=n) for n in range(6)]
    won: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(len(leases))

    def claim(n: int) -> None:
        barrier.wait()
        try:
            leases[n].claim()
            won.append(n)
        except ScoringOwnedElsewhere:
            refused.append(n)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(leases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == len(leases) - 1
    owner = leases[0].current()
    assert owner is not None and owner.holder == leases[won[0]].holder


def test_a_process_that_takes_scoring_back_rebuilds_what_it_missed(
    platform: Platform, people: People, settings: Settings
) -> None:
    """A gives the lease up, B scores, A takes it back: A's velocity features include B's
    decisions (its state is rebuilt from the database). B's platform releases the lease
    when it closes, so A need not wait for the TTL."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.scoring_service(platform).score([txn("K1", offset=1_000)])
    wiring.scoring_ownership(platform).close()  # A gives scoring up
    other = bootstrap(settings)
    try:
        b_decided = wiring.scoring_service(other).score([txn("K2", offset=1_100)])
        assert b_decided[0].features["cust_count_1h"] == 1.0  # B folded A's K1 at start
        with pytest.raises(ScoringOwnedElsewhere):
            wiring.scoring_service(platform)  # A is refused while B holds the lease
    finally:
        other.close()
    assert wiring.scoring_ownership(other).held is False
    a_again = wiring.scoring_service(platform).score([txn("K3", offset=1_200)])
    assert wiring.scoring_ownership(platform).claims == 2
    assert wiring.stored_history(platform).last_take_over == (2, True), "A scored: afresh"
    # K1 (A's own) and K2 (B's): without the rebuild A would count only K1
    assert a_again[0].features["cust_count_1h"] == 2.0
    assert a_again[0].features["cust_secs_since_last"] == 100.0


def test_a_standby_whose_service_was_built_early_catches_up_when_it_takes_over(
    platform: Platform, people: People, settings: Settings
) -> None:
    """A dashboard page in a standby process builds the scoring service (which folds
    nothing yet); the owner scores more; when the standby takes the lease, its state is
    built from the database, so it counts all of the owner's decisions."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    standby = bootstrap(settings)
    try:
        wiring.scoring_service(platform).score([txn("M1", offset=1_000)])
        assert wiring.deployed_label(standby) == "test-1"  # builds the standby's service
        state = wiring.service(standby).state
        assert isinstance(state, InMemoryFeatureStateStore)
        assert len(state) == 0, "a read-only use does not fold the history"
        wiring.scoring_service(platform).score([txn("M2", offset=1_100)])
        wiring.scoring_ownership(platform).close()
        taken = wiring.scoring_service(standby).score([txn("M3", offset=1_200)])
        assert wiring.scoring_ownership(standby).claims == 1
        assert taken[0].features["cust_count_1h"] == 2.0  # M1 and M2
    finally:
        standby.close()


def test_a_following_standby_takes_over_with_the_state_of_the_whole_stream(
    platform: Platform, people: People, settings: Settings
) -> None:
    """A standby follows the holder's stored decisions while the holder keeps scoring
    (concurrently); when the holder stops, the standby folds only the decisions it had not
    seen yet, and the rest of the stream gets the batch features of the whole stream."""
    rows, expected = _deployed_stream(platform, people)
    holder = wiring.scoring_service(platform)
    holder.score(rows[:200])
    standby = bootstrap(settings)
    try:
        history = wiring.stored_history(standby)
        assert history.catch_up() == 200
        scored = threading.Event()

        def score_on() -> None:
            for start in range(200, 700, 50):
                holder.score(rows[start : start + 50])
            scored.set()

        scorer = threading.Thread(target=score_on)
        scorer.start()
        followed = 0
        while not scored.is_set():
            followed += history.catch_up()
        scorer.join()
        followed += history.catch_up()
        assert followed == 500, "each stored decision is folded once"
        holder.score(rows[700:800])  # after the standby's last look
        wiring.scoring_ownership(platform).close()
        taken = wiring.scoring_service(standby)
        assert history.last_take_over == (100, False)
        assert history.rebuilds == 1
        decided = taken.score(rows[800:])
    finally:
        standby.close()
    _assert_batch_features(decided, expected[800:])


def test_following_skips_decisions_without_a_state_event(
    platform: Platform, people: People, settings: Settings
) -> None:
    """Decisions stored with no state event (library use without a privacy policy, or from
    before migration fraud_0002) move the position and fold nothing."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.scoring_service(platform).score([txn("N1", offset=1_000), txn("N2", offset=1_010)])
    with platform.uow() as uow:
        uow.connection.execute(
            update(fraud_decisions)
            .where(fraud_decisions.c.txn_id == "N1")
            .values(state_event=None, event_ts=None)
        )
        uow.commit()
    standby = bootstrap(settings)
    try:
        history = wiring.stored_history(standby)
        assert history.catch_up() == 1
        at = history.position
        assert at is not None
        assert history.store.decisions_after(at) == 0
        wiring.scoring_service(platform).score([txn("N3", offset=1_020)])
        assert history.store.decisions_after(at) == 1
        assert history.store.decisions_after(0) == 3
        assert history.catch_up() == 1
        assert history.position is not None and history.position > at
    finally:
        standby.close()


def test_a_server_that_loses_the_lease_stands_by_and_counts_nothing_twice(
    platform: Platform, people: People, settings: Settings
) -> None:
    """A server stalls past the TTL and another process takes the lease: the first server
    finds out at its next renewal, rebuilds its state in the background and follows the
    new holder. When it takes the lease back, its own earlier decision is counted once."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    quick = settings.model_copy(update={"fraud_lease_ttl_s": 0.3, "fraud_follow_s": 0.05})
    first = bootstrap(quick)
    try:
        wiring.serve_scoring(first)
        wiring.scoring_service(first).score([txn("X1", offset=1_000)])
        history = wiring.stored_history(first)
        assert not history.following and history.rebuilds == 1
        # another process takes over (as if the first had stalled for longer than the TTL)
        with platform.uow() as uow:
            uow.connection.execute(
                update(fraud_scoring_owner).values(
                    holder="someone-else", heartbeat_at=time.time() + 3_600
                )
            )
            uow.commit()
        deadline = time.monotonic() + 10
        while wiring.scoring_ownership(first).held and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not wiring.scoring_ownership(first).held
        while not history.following and time.monotonic() < deadline:
            time.sleep(0.02)
        assert history.following, "the server stands by"
        with platform.uow() as uow:  # the other holder goes away, a third one scores
            uow.connection.execute(fraud_scoring_owner.delete())
            uow.commit()
        wiring.scoring_service(platform).score([txn("X2", offset=1_100)])
        wiring.scoring_ownership(platform).close()
        while history.position is None and time.monotonic() < deadline:
            time.sleep(0.02)
        taken = wiring.scoring_service(first).score([txn("X3", offset=1_200)])
        assert history.rebuilds == 2, "rebuilt once after the loss, not at the take-over"
        assert history.last_take_over is not None and history.last_take_over[1] is False
        # X1 (its own, scored before the loss) and X2: each counted once
        assert taken[0].features["cust_count_1h"] == 2.0
    finally:
        first.close()


def _another_machine(settings: Settings, name: str) -> Settings:
    """The same database, seen from a machine with a var directory of its own (holding
    the deployed model's artifact, as deployment ships it, and nothing else)."""
    var_dir = settings.var_dir.parent / name
    shutil.copytree(settings.var_dir / "models", var_dir / "models")
    return settings.model_copy(update={"var_dir": var_dir})


def _scoring_and_saving(
    platform: Platform, people: People, *, part_items: int | None = None
) -> tuple[list[dict[str, Any]], Any, InMemoryFeatureStateStore, wiring.StateSnapshots]:
    """The tiny model deployed; its 900 payments, the scoring service, its feature state and
    the platform's saved states (in parts of ``part_items``, when given)."""
    rows, _expected = _deployed_stream(platform, people)
    scoring = wiring.scoring_service(platform)  # first: taking the lease may renew the state
    state = wiring.service(platform).state
    assert isinstance(state, InMemoryFeatureStateStore)
    snapshots = wiring.snapshots(platform)
    if part_items is not None:
        snapshots.part_items = part_items
    return rows, scoring, state, snapshots


def _crash_then_score_elsewhere(
    platform: Platform,
    settings: Settings,
    rows: list[dict[str, Any]],
    expected: np.ndarray[Any, Any],
    start: int,
) -> tuple[int | None, tuple[int, bool] | None]:
    """The holder crashes (it is replaced and saves nothing); a process on a third machine
    takes over and scores ``rows[start:]``, which must get the batch features. Returns
    where its state came from: (saved state's ledger position, its take-over)."""
    with platform.uow() as uow:
        uow.connection.execute(update(fraud_scoring_owner).values(holder="gone", heartbeat_at=0))
        uow.commit()
    third = bootstrap(_another_machine(settings, "machine-c"))
    try:
        decided = wiring.scoring_service(third).score(rows[start:])
        history = wiring.stored_history(third)
        taken = (history.restored_at, history.last_take_over)
    finally:
        third.close()
    _assert_batch_features(decided, expected[start:])
    return taken


def test_a_later_saved_state_is_never_replaced_by_an_earlier_one(platform: Platform) -> None:
    saved = SqlStateSnapshots(platform.engine, host="node-a")
    assert saved.describe() is None and saved.get() is None
    assert saved.put(10, "a" * 64, b"ten")
    assert not saved.put(5, "b" * 64, b"five"), "an older state does not replace it"
    assert not saved.put(10, "c" * 64, b"ten again")
    assert saved.put(12, "d" * 64, b"twelve")
    got = saved.get()
    assert got is not None
    assert (got.position, got.ledger_hash, got.body, got.size) == (12, "d" * 64, b"twelve", 6)
    assert got.saved_by == "node-a"
    assert saved.describe() == got._replace(body=None)
    saved.clear()
    assert saved.get() is None


def test_a_saved_state_is_stored_in_parts_and_used_only_whole(
    platform: Platform, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    """The state goes in parts (no one value grows with the whole state: PostgreSQL's
    field limit is 1 GB); it loads only if every part listed in its signed header is there
    unchanged, and it is replaced or deleted with all of its parts."""
    rows, _expected = _deployed_stream(platform, people)
    wiring.scoring_service(platform).score(rows[:400])
    state = wiring.service(platform).state
    assert isinstance(state, InMemoryFeatureStateStore)
    snapshots = wiring.snapshots(platform)
    snapshots.part_items = 100
    with platform.uow() as uow:
        head, head_hash = uow.audit.head()
    size = snapshots.save(state, head)
    saved = snapshots.stored.get()
    assert size is not None and saved is not None and saved.size == size
    assert len(saved.parts) >= 3 * 400 // 100, "customer, account and payee events"
    assert size == len(saved.body or b"") + sum(len(p) for p in saved.parts)

    def loads() -> bool:
        fresh = InMemoryFeatureStateStore()
        fresh.save("customer:sentinel", next(iter(state._states.values())))
        position = snapshots.load(fresh)
        if position is None:
            assert list(fresh._states) == ["customer:sentinel"], "left alone"
            return False
        assert position == head and fresh._states == state._states
        return True

    assert loads()
    parts = fraud_state_snapshot_parts
    with platform.engine.begin() as conn:  # one part changed
        conn.execute(
            update(parts).where(parts.c.part == 1).values(body=saved.parts[2])
        )  # fmt: skip
    assert not loads()
    with platform.engine.begin() as conn:  # one part missing
        conn.execute(update(parts).where(parts.c.part == 1).values(body=saved.parts[1]))
    assert loads()
    with platform.engine.begin() as conn:
        conn.execute(delete(parts).where(parts.c.part == len(saved.parts) - 1))
    assert not loads()

    # one saved before parts existed (a signed, compressed body) is refused, and says why
    old_body = zlib.compress(
        orjson.dumps({"position": head + 1, "ledger_hash": head_hash}) + b"\n" + state.dump(), 1
    )
    old = hmac.new(snapshots._key, old_body, hashlib.sha256).digest() + old_body
    snapshots.stored.clear()
    assert snapshots.stored.put(head, head_hash, old)
    with caplog.at_level(logging.WARNING, logger="dualtrack.fraud.wiring"):
        assert not loads()
    assert "saved before migration fraud_0005" in caplog.text

    # a state with fewer parts replaces every part of the old one, in one transaction
    snapshots.part_items = 10**9
    assert snapshots.save(state, head + 1, head_hash)
    with platform.engine.connect() as conn:
        assert conn.execute(select(parts.c.part, parts.c.position)).all() == [(0, head + 1)]
    snapshots.stored.discard(head + 1, head_hash)
    with platform.engine.connect() as conn:
        assert conn.execute(select(parts.c.part)).all() == []
        assert conn.execute(select(fraud_state_snapshots.c.name)).all() == []


def test_a_save_writes_only_the_keys_changed_since_the_saved_state_it_builds_on(
    platform: Platform, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    """After a whole save, a save writes only the keys changed since, as a layer on top;
    loading reads every layer and gives the state as it is. A save writes the whole state
    again when the saved state is not the one this state was marked as, at the layer limit,
    or when the changed keys pass their share; a part of any layer changed or missing
    makes the saved state unusable."""
    rows, scoring, state, snapshots = _scoring_and_saving(platform, people, part_items=200)
    parts = fraud_state_snapshot_parts

    def head() -> tuple[int, str]:
        with platform.uow() as uow:
            return uow.audit.head()

    def stored_parts() -> list[tuple[int, int]]:
        with platform.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(select(parts.c.part, parts.c.position).order_by(parts.c.part))
            ]  # type: ignore[misc]

    def loads() -> int | None:
        fresh = InMemoryFeatureStateStore()
        position = snapshots.load(fresh)
        if position is not None:
            assert fresh._states == state._states
            marked, changed = fresh.changes()
            assert marked is not None and marked[0] == position and not changed  # type: ignore[index]
        return position

    scoring.score(rows[:600])
    first, _hash = head()
    whole = snapshots.save(state, first)
    assert whole and snapshots.last_save == {"whole": True, "keys": len(state), "layers": 1}
    whole_parts = len(stored_parts())
    scoring.score(rows[600:620])
    second, second_hash = head()
    _marked, changed = state.changes()
    assert 0 < len(changed) <= 60
    size = snapshots.save(state, second)
    assert size is not None and size < whole / 4, "only the changed keys are written"
    assert snapshots.last_save == {"whole": False, "keys": len(changed), "layers": 2}
    assert state.changes() == ((second, second_hash), frozenset())
    assert stored_parts()[:whole_parts] == [(n, first) for n in range(whole_parts)]
    layer = stored_parts()[whole_parts:]
    assert layer == [(n, second) for n in range(whole_parts, whole_parts + len(layer))] != []
    saved = snapshots.stored.describe()
    assert saved is not None and (saved.position, saved.layers) == (second, 2)
    assert loads() == second
    scoring.score(rows[620:640])
    third, _hash = head()
    assert snapshots.save(state, third) and snapshots.last_save["layers"] == 3  # type: ignore[index]
    assert loads() == third

    # a part of a layer changed, or missing: the saved state is not used
    last_part = len(stored_parts()) - 1
    with platform.engine.begin() as conn:
        body = conn.execute(select(parts.c.body).where(parts.c.part == last_part)).scalar_one()
        conn.execute(update(parts).where(parts.c.part == last_part).values(body=body + b"x"))
    with caplog.at_level(logging.WARNING, logger="dualtrack.fraud.wiring"):
        assert loads() is None
    assert "its parts do not match its header" in caplog.text
    with platform.engine.begin() as conn:
        conn.execute(delete(parts).where(parts.c.part == last_part))
    assert loads() is None

    # no layer goes on a saved state other than the one this state was marked as (here the
    # saved one was damaged; in service, another process saved a state since): whole again
    state.mark_saved((third - 1, "0" * 64))
    scoring.score(rows[640:650])
    fourth, _hash = head()
    assert snapshots.save(state, fourth) and snapshots.last_save["whole"]  # type: ignore[index]
    assert {position for _part, position in stored_parts()} == {fourth}
    assert loads() == fourth
    # a layer goes on only while the saved state has fewer than max_layers layers
    snapshots.max_layers = 2
    scoring.score(rows[650:655])
    assert snapshots.save(state, head()[0]) and not snapshots.last_save["whole"]  # type: ignore[index]
    scoring.score(rows[655:660])
    assert snapshots.save(state, head()[0]) and snapshots.last_save["whole"]  # type: ignore[index]
    # and while the keys changed stay within their share of the whole state's keys
    snapshots.max_layers, snapshots.changed_share = 32, 0.01
    scoring.score(rows[660:700])
    assert len(state.changes()[1]) > 0.01 * len(state)
    assert snapshots.save(state, head()[0]) and snapshots.last_save["whole"]  # type: ignore[index]
    assert loads() == head()[0]
    # and its layers' bytes within that share of the whole state's bytes
    snapshots.changed_share = 0.5
    scoring.score(rows[700:702])
    assert snapshots.save(state, head()[0]) and not snapshots.last_save["whole"]  # type: ignore[index]
    saved_head = snapshots.stored.head()
    assert saved_head is not None and saved_head.body is not None
    whole_layer, changed_layer = orjson.loads(saved_head.body[32:])["layers"]
    share = changed_layer["bytes"] / whole_layer["bytes"]
    snapshots.changed_share = share
    scoring.score(rows[702:703])
    assert len(state.changes()[1]) <= share * whole_layer["keys"], "not the keys' share"
    assert snapshots.save(state, head()[0]) and snapshots.last_save["whole"]  # type: ignore[index]
    assert loads() == head()[0]
    snapshots.changed_share = 0.5

    # a layer is stored only on the saved state it was made for, never on a newer one
    position, ledger_hash = head()
    assert not snapshots.stored.put(position + 1, ledger_hash, b"h", [b"p"], parent=(1, "a" * 64))
    assert not snapshots.stored.put(
        position, ledger_hash, b"h", [b"p"], parent=(position, ledger_hash)
    )
    assert loads() == position, "nothing written"

    # a state saved in parts before layers existed (its header lists its parts) still loads
    dumped = [zlib.compress(part, 1) for part in state.dump_parts(200)]
    header = orjson.dumps(
        {
            "position": position,
            "ledger_hash": ledger_hash,
            "parts": [hashlib.sha256(part).hexdigest() for part in dumped],
        }
    )
    signed = hmac.new(snapshots._key, header, hashlib.sha256).digest() + header
    snapshots.stored.clear()
    assert snapshots.stored.put(position, ledger_hash, signed, dumped)
    assert loads() == position
    # and the next save writes the whole state (such a header has no key counts to go by)
    assert snapshots.load(state) == position
    scoring.score(rows[705:710])
    assert snapshots.save(state, head()[0]) and snapshots.last_save["whole"]  # type: ignore[index]
    assert loads() == head()[0]


def test_a_layer_for_a_saved_state_replaced_meanwhile_is_written_whole(
    platform: Platform, people: People
) -> None:
    """Between reading the saved state and writing a layer on it, another process saved a
    newer state: the layer is refused in the write transaction, and the state is saved
    whole instead."""
    rows, scoring, state, snapshots = _scoring_and_saving(platform, people)

    def head() -> int:
        with platform.uow() as uow:
            return uow.audit.head()[0]

    scoring.score(rows[:300])
    assert snapshots.save(state, head())
    read_before = snapshots.stored.head()
    scoring.score(rows[300:310])
    other = InMemoryFeatureStateStore()  # another process's state, saved meanwhile
    assert snapshots.save(other, head()) and state.changes()[1] != frozenset()
    scoring.score(rows[310:320])
    snapshots.stored.head = lambda: read_before  # type: ignore[method-assign]
    assert snapshots.save(state, head())
    assert snapshots.last_save == {"whole": True, "keys": len(state), "layers": 1}
    del snapshots.stored.head
    fresh = InMemoryFeatureStateStore()
    assert snapshots.load(fresh) == head() and fresh._states == state._states


def test_a_long_running_save_state_saves_the_whole_state_once_then_only_changes(
    platform: Platform, people: People, settings: Settings
) -> None:
    """``save-state --every`` on another machine beside the scoring process: it builds the
    state (no saved one yet) and saves it whole at once, then follows the holder and saves
    only the keys changed; after the holder crashes, a third machine starts from its last
    save and gets the batch features."""
    rows, expected = _deployed_stream(platform, people)
    holder = wiring.scoring_service(platform)
    holder.score(rows[:300])
    keeper = bootstrap(
        _another_machine(settings, "machine-b").model_copy(update={"fraud_follow_s": 0.02})
    )
    saves: list[dict[str, Any]] = []
    stop = threading.Event()
    done: list[int] = []
    thread = threading.Thread(
        target=lambda: done.append(wiring.keep_state_saved(keeper, 0.05, stop, saves.append))
    )

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(saves) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(saves) >= count, saves

    try:
        with pytest.raises(InvalidInput):
            wiring.keep_state_saved(keeper, 0, stop)
        thread.start()
        wait_for(1)
        assert saves[0]["saved_whole"] and saves[0]["saved_layers"] == 1
        holder.score(rows[300:330])
        wait_for(2)
        with platform.uow() as uow:
            head, _hash = uow.audit.head()
        while saves[-1]["ledger_position"] != head:  # a save may have caught half of them
            wait_for(len(saves) + 1)
        assert not saves[-1]["saved_whole"] and saves[-1]["saved_layers"] >= 2
        assert 0 < saves[-1]["saved_keys"] <= 90, "the keys of 30 payments"
    finally:
        stop.set()
        thread.join(timeout=30)
        keeper.close()
    assert done == [len(saves)], "it stops when asked and says how many saves it made"
    taken = _crash_then_score_elsewhere(platform, settings, rows, expected, 330)
    assert taken == (head, (0, True))


def test_a_saved_state_is_read_from_one_snapshot_while_another_is_saved(
    platform: Platform, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that commits after the loader read the header and before it read the parts
    (here: a whole save, which deletes every old part) does not make the state being read
    look damaged: header and parts come from one snapshot of the database."""
    rows, scoring, state, snapshots = _scoring_and_saving(platform, people, part_items=200)
    scoring.score(rows[:300])
    with platform.uow() as uow:
        first, _hash = uow.audit.head()
    assert snapshots.save(state, first)
    expected_states = copy.deepcopy(state._states)
    scoring.score(rows[300:320])
    with platform.uow() as uow:
        second, _hash = uow.audit.head()
    stored = snapshots.stored
    read_header = stored._read
    saved_meanwhile: list[int | None] = []

    def header_then_a_save(conn: Any, *, with_body: bool) -> Any:
        header = read_header(conn, with_body=with_body)
        if with_body and not saved_meanwhile:  # another process saves the whole state now
            saved_meanwhile.append(snapshots.save(state, second, whole=True))
        return header

    monkeypatch.setattr(stored, "_read", header_then_a_save)
    fresh = InMemoryFeatureStateStore()
    assert snapshots.load(fresh) == first, "the state as it was when the read began"
    assert saved_meanwhile[0] and fresh._states == expected_states
    monkeypatch.undo()
    again = InMemoryFeatureStateStore()
    assert snapshots.load(again) == second and again._states == state._states


def test_a_save_that_is_told_to_stop_writes_nothing(platform: Platform, people: People) -> None:
    """A take-over tells a standby's checkpoint to stop (``cancelled``): it stops after the
    part it is dumping, writes nothing, and the saved state stays as it was."""
    rows, scoring, state, snapshots = _scoring_and_saving(platform, people, part_items=100)
    scoring.score(rows[:200])
    with platform.uow() as uow:
        first, _hash = uow.audit.head()
    assert snapshots.save(state, first)
    before = snapshots.stored.get()
    scoring.score(rows[200:400])
    with platform.uow() as uow:
        second, _hash = uow.audit.head()
    asked: list[bool] = []

    def after_two_parts() -> bool:
        asked.append(True)
        return len(asked) > 2

    _marked, changed = state.changes()
    assert snapshots.save(state, second, whole=True, cancelled=after_two_parts) is None
    assert len(asked) == 3, "asked after each part, stopped at the third"
    assert snapshots.stored.get() == before, "nothing written"
    assert state.changes() == (_marked, changed), "a save that wrote nothing keeps the changes"

    # a key changed while a layer is saved is counted for the next save, not lost
    late = {**rows[400], "customer_id": "C-LATE", "account_id": "A-LATE", "payee_id": "P-LATE"}

    def a_payment_folds_meanwhile() -> bool:
        if not asked[3:]:
            OnlineFeatureEngine(state).fold(late)
        asked.append(True)
        return False

    snapshots.changed_share = 1.0  # a layer (a whole dump cannot run beside a fold)
    assert snapshots.save(state, second, cancelled=a_payment_folds_meanwhile)
    assert snapshots.last_save is not None and not snapshots.last_save["whole"]
    assert state.changes()[1] == {"customer:C-LATE", "account:A-LATE", "payee:P-LATE"}


def test_a_process_starts_from_the_state_its_predecessor_saved(
    platform: Platform, people: People, settings: Settings
) -> None:
    """The scoring process saves its state in the database when it stops; the next one,
    on another machine, loads it, folds only what was stored after it, and the rest of the
    stream gets the batch features. A tampered saved state, or one of another ledger, is
    ignored (the state is built from every stored decision instead), with the same
    features."""
    rows, expected = _deployed_stream(platform, people)
    wiring.scoring_service(platform).score(rows[:500])
    wiring.stop_scoring(platform)  # saves the state, gives the lease back
    with platform.uow() as uow:
        head, _hash = uow.audit.head()
    saved = wiring.snapshots(platform).stored.describe()
    assert saved is not None and saved.position == head
    assert wiring.lease_status(platform)["saved_state"]["decisions_after"] == 0
    other = bootstrap(_another_machine(settings, "machine-b"))
    try:
        middle = wiring.scoring_service(other).score(rows[500:600])  # restored, then scores
        history = wiring.stored_history(other)
        assert history.restored_at == head and history.last_take_over == (0, True)
        _assert_batch_features(middle, expected[500:600])
        wiring.stop_scoring(other)
    finally:
        other.close()
    # a tampered saved state is not used
    with platform.uow() as uow:
        body = uow.connection.execute(select(fraud_state_snapshots.c.body)).scalar_one()
        flipped = bytes(body[:-1]) + bytes([body[-1] ^ 0xFF])
        uow.connection.execute(update(fraud_state_snapshots).values(body=flipped))
        uow.commit()
    tampered = bootstrap(_another_machine(settings, "machine-c"))
    try:
        wiring.scoring_service(tampered).score(rows[600:700])
        history = wiring.stored_history(tampered)
        assert history.restored_at is None and history.last_take_over == (600, True)
        saved = wiring.snapshots(tampered).stored.describe()
        assert saved is not None, "left in place for a later save to replace"
        state = wiring.service(tampered).state
        # one saved against a ledger hash this database does not have (here, as if this
        # database were restored from a backup: ahead of its ledger) is not used either,
        # and deleted, since no save would replace it before the ledger passed it
        wiring.snapshots(tampered).stored.clear()
        with platform.uow() as uow:
            position, _hash = uow.audit.head()
        assert wiring.snapshots(tampered).save(state, position + 1_000, "0" * 64)
        wiring.scoring_ownership(tampered).close()
    finally:
        tampered.close()
    last = bootstrap(settings)
    try:
        decided = wiring.scoring_service(last).score(rows[700:])
        history = wiring.stored_history(last)
        assert history.restored_at is None and history.last_take_over == (700, True)
        assert wiring.snapshots(last).stored.describe() is None, "of another ledger: deleted"
    finally:
        last.close()
    _assert_batch_features(decided, expected[700:])


def test_a_standby_saves_the_state_it_follows_so_a_crash_costs_little(
    platform: Platform, people: People, settings: Settings
) -> None:
    """The holder never stops cleanly (it crashes, so it saves nothing); a standby saved
    the state it followed; the process that takes over on a third machine starts from
    that and folds only what was stored after it, with the batch features."""
    rows, expected = _deployed_stream(platform, people)
    holder = wiring.scoring_service(platform)
    holder.score(rows[:300])
    standby = bootstrap(
        _another_machine(settings, "machine-b").model_copy(update={"fraud_checkpoint_s": 3600.0})
    )
    try:
        history = wiring.stored_history(standby)
        assert history.catch_up() == 300
        assert history.checkpoint(), "a state built from the first decision is saved at once"
        saved = wiring.snapshots(standby).stored.describe()
        assert saved is not None and saved.position == history.position
        holder.score(rows[300:600])
        assert history.catch_up() == 300
        assert history.checkpoint() is None, "not again before DUALTRACK_FRAUD_CHECKPOINT_S"
        history.checkpoint_s = 1e-9
        # as many decisions again change most keys: allowed to go in a layer, which the
        # third machine below then loads
        wiring.snapshots(standby).changed_share = 1.0
        assert history.checkpoint()
        last = wiring.snapshots(standby).last_save
        assert last is not None and not last["whole"] and last["layers"] == 2, "changed keys"
        at = history.position
        assert history.checkpoint() is None, "nothing new: nothing saved"
    finally:
        standby.close()
    saved = wiring.snapshots(platform).stored.describe()
    assert saved is not None and saved.position == at
    holder.score(rows[600:700])
    taken = _crash_then_score_elsewhere(platform, settings, rows, expected, 700)
    assert taken == (at, (100, True))


def test_a_stopping_holder_gives_the_lease_back_before_it_saves(
    platform: Platform, people: People, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole save of a bank's state takes minutes, so a stopping holder gives the lease
    back first: while it saves, a standby takes over and scores. The save is of the ledger
    position read while the lease was still the holder's, and the standby's decisions come
    after it, so a process starting from the saved state folds exactly those."""
    rows, expected = _deployed_stream(platform, people)
    wiring.scoring_service(platform).score(rows[:300])
    with platform.uow() as uow:
        head, _hash = uow.audit.head()
    standby = bootstrap(_another_machine(settings, "machine-b"))
    snapshots = wiring.snapshots(platform)
    save = snapshots.save
    scored_meanwhile: list[Any] = []

    def a_standby_scores_meanwhile(state: object, position: int, ledger_hash: str) -> Any:
        scored_meanwhile.extend(wiring.scoring_service(standby).score(rows[300:350]))
        return save(state, position, ledger_hash)

    monkeypatch.setattr(snapshots, "save", a_standby_scores_meanwhile)
    try:
        wiring.stop_scoring(platform)
        assert len(scored_meanwhile) == 50, "the lease was free while the state was saved"
        saved = snapshots.stored.describe()
        assert saved is not None and saved.position == head
        wiring.scoring_ownership(standby).close()  # the standby crashes: it saves nothing
    finally:
        standby.close()
    _assert_batch_features(scored_meanwhile, expected[300:350])
    third = bootstrap(_another_machine(settings, "machine-c"))
    try:
        decided = wiring.scoring_service(third).score(rows[350:])
        history = wiring.stored_history(third)
        assert history.restored_at == head and history.last_take_over == (50, True)
    finally:
        third.close()
    _assert_batch_features(decided, expected[350:])


def test_a_process_whose_lease_was_taken_saves_no_snapshot(
    platform: Platform, people: People
) -> None:
    """If another process took the lease before this one noticed, its state may lack that
    process's decisions: stopping saves nothing."""
    deploy_tiny(platform, people.dev, people.validator, people.compliance)
    wiring.scoring_service(platform).score([txn("Z1", offset=1_000)])
    with platform.uow() as uow:
        uow.connection.execute(update(fraud_scoring_owner).values(holder="someone-else"))
        uow.commit()
    assert wiring.scoring_ownership(platform).held, "not noticed yet"
    wiring.stop_scoring(platform)
    assert wiring.snapshots(platform).stored.describe() is None
