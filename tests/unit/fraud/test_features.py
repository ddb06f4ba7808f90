"""Batch and online features agree on the same stream; online state is idempotent."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from dualtrack.fraud.features import (
    DAY,
    FEATURE_NAMES,
    FEATURE_SPECS,
    HOUR,
    STATE_COLUMNS,
    STATE_FORMAT,
    WEEK,
    OnlineFeatureEngine,
    compute_batch,
    dump_states,
    load_states,
    state_event,
    window_events,
)
from dualtrack.fraud.memory import InMemoryFeatureStateStore


def _online(frame: pl.DataFrame) -> np.ndarray:
    engine = OnlineFeatureEngine(InMemoryFeatureStateStore())
    return np.array([engine.features(row) for row in frame.iter_rows(named=True)])


def test_batch_and_online_features_are_identical(stream: pl.DataFrame) -> None:
    part = stream.head(6_000)
    batch = compute_batch(part).to_numpy()
    online = _online(part)
    assert batch.shape == online.shape == (6_000, len(FEATURE_SPECS))
    worst = np.abs(batch - online).max(axis=0)
    mismatched = [n for n, w in zip(FEATURE_NAMES, worst, strict=True) if w > 1e-9]
    assert mismatched == []
    # the windows are not trivially empty: every aggregate is non-zero somewhere
    for j, spec in enumerate(FEATURE_SPECS):
        if spec.kind in ("count", "sum", "distinct"):
            assert batch[:, j].max() > 0, spec.name


@pytest.mark.parametrize("cut", [1, 2_500, 5_999])
def test_state_folded_from_decided_events_continues_exactly(stream: pl.DataFrame, cut: int) -> None:
    """A restarted service folds its stored decisions' events back in; the features of what
    it scores next equal those of a process that never stopped (and so the batch ones)."""
    part = stream.head(6_000)
    rows = list(part.iter_rows(named=True))
    never_stopped = _online(part)
    first = OnlineFeatureEngine(InMemoryFeatureStateStore())
    events = []
    for row in rows[:cut]:
        first.features(row)
        events.append(state_event(row))
    assert set(events[0]) == set(STATE_COLUMNS)
    restarted = OnlineFeatureEngine(InMemoryFeatureStateStore())
    assert restarted.fold_all(events) == cut
    resumed = np.array([restarted.features(row) for row in rows[cut:]])
    np.testing.assert_array_equal(resumed, never_stopped[cut:])
    assert restarted.store.last_ts(str(rows[0]["customer_id"])) is not None


def test_fold_without_history_changes_later_features(stream: pl.DataFrame) -> None:
    """The comparison above is not vacuous: skipping the fold gives different features."""
    rows = list(stream.head(3_000).iter_rows(named=True))
    cold = OnlineFeatureEngine(InMemoryFeatureStateStore())
    warm = OnlineFeatureEngine(InMemoryFeatureStateStore())
    warm.fold_all(state_event(r) for r in rows[:2_000])
    cold_values = np.array([cold.features(r) for r in rows[2_000:]])
    warm_values = np.array([warm.features(r) for r in rows[2_000:]])
    assert not np.array_equal(cold_values, warm_values)


def test_fold_trims_windows_like_a_read() -> None:
    engine = OnlineFeatureEngine(InMemoryFeatureStateStore())
    engine.fold(_txn("a", 0, "c1", "p1", 10.0))
    engine.fold(_txn("b", 2 * DAY, "c1", "p1", 20.0))
    state = engine.store.load("customer:c1")
    assert state is not None
    hour = window_events("customer", state, f"{HOUR}:")
    assert [e[0] for e in hour] == [2 * DAY]  # the first is older than every window
    assert state.count == 2 and state.total_cents == 3_000  # lifetime figures keep both


def test_event_log_keeps_only_what_the_longest_window_can_still_read() -> None:
    """Each key keeps one event log for all its windows; events older than every window
    leave it, so a steady customer's state stays bounded however long the stream runs."""
    engine = OnlineFeatureEngine(InMemoryFeatureStateStore())
    times = [hour * HOUR for hour in range(2_000)]
    for n, ts in enumerate(times):
        engine.fold(_txn(f"t{n}", ts, "c1", f"p{n % 7}", 10.0))
    state = engine.store.load("customer:c1")
    assert state is not None
    week = window_events("customer", state, f"{WEEK}:")
    assert [e[0] for e in week] == [t for t in times if t >= times[-1] - WEEK]
    assert len(state.events) <= 2 * len(week) + 17  # the front is dropped in chunks
    assert state.offset + len(state.events) == len(times)


def _txn(txn_id: str, ts: int, customer: str, payee: str, amount: float, **kw: object) -> dict:
    row: dict[str, object] = {
        "txn_id": txn_id,
        "ts": ts,
        "customer_id": customer,
        "account_id": f"A-{customer}",
        "channel": "fps",
        "payee_id": payee,
        "payee_proxy_type": "phone",
        "mcc": 0,
        "amount": amount,
        "currency": "HKD",
        "device_id": f"D-{customer}",
        "is_overseas": False,
    }
    row.update(kw)
    return row


T0 = 1_767_225_600  # 2026-01-01T00:00:00Z

# hand-computed cases: window edges (inclusive at t - w), ties, fan-in, first-time payee
HAND = [
    _txn("t1", T0, "c1", "p1", 100.0),
    _txn("t2", T0 + HOUR, "c1", "p1", 300.0),  # exactly 1h later: t1 still inside 1h
    _txn("t3", T0 + HOUR + 1, "c1", "p2", 50.0),  # t1 now outside 1h
    _txn("t4", T0 + HOUR + 1, "c2", "p2", 10.0),  # tie with t3, later in stream order
    _txn("t5", T0 + DAY + HOUR + 1, "c3", "p2", 20.0),  # t3, t4 exactly 24h before
    _txn("t6", T0 + DAY + HOUR + 2, "c3", "p2", 20.0),  # t3, t4 left the 24h window
]


@pytest.mark.parametrize(
    ("row", "feature", "expected"),
    [
        (1, "cust_count_1h", 1.0),
        (1, "cust_sum_1h", 100.0),
        (2, "cust_count_1h", 1.0),
        (2, "cust_sum_1h", 300.0),
        (2, "cust_count_24h", 2.0),
        (2, "cust_amount_ratio", 50.0 / 200.0),
        (2, "cust_new_payee", 1.0),
        (1, "cust_new_payee", 0.0),
        (0, "cust_secs_since_last", -1.0),
        (1, "cust_secs_since_last", float(HOUR)),
        (0, "cust_amount_ratio", -1.0),
        (3, "payee_count_1h", 1.0),  # t3 at the same second counts (earlier in stream)
        (3, "payee_fanin_24h", 1.0),
        (4, "payee_fanin_24h", 2.0),  # c1 and c2 at exactly t - 24h
        (4, "payee_sum_24h", 60.0),
        (5, "payee_fanin_24h", 1.0),  # only c3 left
        (5, "payee_count_24h", 1.0),
    ],
)
def test_hand_computed_features(row: int, feature: str, expected: float) -> None:
    frame = pl.DataFrame(HAND)
    column = FEATURE_NAMES.index(feature)
    assert compute_batch(frame).to_numpy()[row, column] == pytest.approx(expected)
    assert _online(frame)[row, column] == pytest.approx(expected)


def test_batch_features_keep_input_row_order() -> None:
    frame = pl.DataFrame(HAND)
    shuffled = frame[[5, 2, 0, 4, 1, 3]]
    expected = compute_batch(frame).to_numpy()[[5, 2, 0, 4, 1, 3]]
    np.testing.assert_array_equal(compute_batch(shuffled).to_numpy(), expected)


def test_rescoring_same_txn_id_does_not_count_twice() -> None:
    store = InMemoryFeatureStateStore()
    engine = OnlineFeatureEngine(store)
    first = engine.features(HAND[0])
    again = engine.features(HAND[0])
    later = engine.features(HAND[1])
    assert first == again
    assert later[FEATURE_NAMES.index("cust_count_1h")] == 1.0
    assert engine.features(HAND[1]) == later


def test_remembered_ids_expire_after_longest_window() -> None:
    store = InMemoryFeatureStateStore(retention_s=DAY)
    store.remember("old", T0, (1.0,))
    store.remember("new", T0 + 2 * DAY, (2.0,))
    assert store.remembered("old") is None
    assert store.remembered("new") == (2.0,)


def test_a_saved_state_restores_to_the_same_state_and_features(stream: pl.DataFrame) -> None:
    """A snapshot of the online state (JSON) restores key for key, and the features that
    follow are those of a process that never stopped."""
    part = stream.head(4_000)
    rows = list(part.iter_rows(named=True))
    never_stopped = _online(part)
    first = InMemoryFeatureStateStore()
    engine = OnlineFeatureEngine(first)
    for row in rows[:3_000]:
        engine.features(row)
    saved = first.dump()
    restored = InMemoryFeatureStateStore()
    restored.restore(saved)
    assert restored._states == first._states and len(restored) > 1_000
    resumed = np.array([OnlineFeatureEngine(restored).features(row) for row in rows[3_000:]])
    np.testing.assert_array_equal(resumed, never_stopped[3_000:])


def test_a_state_saved_in_parts_restores_to_the_same_state(stream: pl.DataFrame) -> None:
    """Parts hold whole keys, close once they reach their item budget, and together
    restore the same state as one dump; a bad part leaves the state as it was."""
    store = InMemoryFeatureStateStore()
    engine = OnlineFeatureEngine(store)
    for row in stream.head(3_000).iter_rows(named=True):
        engine.features(row)
    parts = list(store.dump_parts(part_items=2_000))
    items = sum(
        1 + len(s.events) - s.offset + sum(len(v) for v in s.seen.values())
        for s in store._states.values()
    )
    assert len(parts) >= items // 2_000 >= 2
    assert len(parts) <= items // 2_000 + 1
    seen: list[str] = []
    for part in parts:
        states = load_states(part)
        assert states, "no empty part"
        seen += states
    assert seen == list(store._states), "every key once, in order, never split"
    restored = InMemoryFeatureStateStore()
    restored.restore_parts(parts)
    assert restored._states == store._states
    assert list(store.dump_parts()) == [store.dump()], "a small state is one part"
    assert list(InMemoryFeatureStateStore().dump_parts()) == [dump_states({})]

    bad = [parts[0], parts[1].replace(STATE_FORMAT.encode(), b"dualtrack.fraud.state/0:old")]
    with pytest.raises(ValueError, match="another feature definition"):
        restored.restore_parts(bad)
    assert restored._states == store._states, "left as it was"


def test_a_dump_of_the_changed_keys_on_top_of_the_last_saved_one_gives_the_state(
    stream: pl.DataFrame,
) -> None:
    """The store counts the keys saved since it was marked as saved (or loaded); their dump,
    read after the whole state's, gives the state as it is now, so a save can write only
    them."""
    store = InMemoryFeatureStateStore()
    engine = OnlineFeatureEngine(store)
    rows = list(stream.head(3_000).iter_rows(named=True))
    assert store.changes()[0] is None, "never saved"
    for row in rows[:2_500]:
        engine.features(row)
    store.mark_saved((2_500, "h"))
    whole = list(store.dump_parts(part_items=2_000))
    assert store.changes() == ((2_500, "h"), frozenset())
    engine.fold_all(rows[2_500:2_800])  # folding stored decisions counts too
    for row in rows[2_800:]:
        engine.features(row)
    marked, changed = store.changes()
    touched = {
        f"{entity}:{row[column]}"
        for row in rows[2_500:]
        for entity, column in (("customer", "customer_id"), ("account", "account_id"))
    } | {f"payee:{row['payee_id']}" for row in rows[2_500:]}
    assert marked == (2_500, "h") and changed == touched
    assert len(changed) < len(store) // 2, "a small share of the keys"
    changes = list(store.dump_parts(part_items=50, only=changed))
    assert len(changes) > 1 and sorted(k for p in changes for k in load_states(p)) == sorted(
        changed
    )
    restored = InMemoryFeatureStateStore()
    restored.restore_parts([*whole, *changes])
    assert restored._states == store._states
    assert restored.changes() == (None, frozenset()), "a restored state is marked by its loader"
    restored.restore_parts(whole)
    assert restored._states != store._states, "the changes are needed"
    assert list(store.dump_parts(only=())) == [dump_states({})], "nothing changed: one empty part"


def test_a_state_saved_under_another_feature_definition_is_refused() -> None:
    store = InMemoryFeatureStateStore()
    OnlineFeatureEngine(store).fold(
        {"ts": 1, "amount": 5.0, "customer_id": "c", "account_id": "a", "payee_id": "p"}
        | {"device_id": "d"}
    )
    saved = store.dump().replace(STATE_FORMAT.encode(), b"dualtrack.fraud.state/0:old")
    with pytest.raises(ValueError, match="another feature definition"):
        InMemoryFeatureStateStore().restore(saved)
