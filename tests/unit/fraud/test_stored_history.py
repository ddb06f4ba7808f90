"""StoredHistory with a fake store and a fake service: following, taking over, starting
afresh."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from dualtrack.adapters.fraud_sql import StoredEvents
from dualtrack.fraud.wiring import StoredHistory, _collector_paused

_OTHER = {"other ledger entry": True}


class FakeStore:
    """The ledger as (position, entry): a decision's state event, None for a decision
    without one, or another kind of entry (an alert, a case)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, dict[str, Any] | None]] = []
        self.reads = 0
        self.fail_after: int | None = None

    def store(self, *events: dict[str, Any] | None) -> None:
        for event in events:
            self.rows.append((len(self.rows) + 1, event))

    def state_events_after(self, position: int, *, limit: int = 5_000) -> StoredEvents:
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            raise RuntimeError("database went away")
        read = [row for row in self.rows if row[0] > position][:limit]
        events = [e for _seq, e in read if e is not None and e is not _OTHER]
        return StoredEvents(read[-1][0] if read else position, len(read), events)


class FakeService:
    """What the history drives: a state that is a list of folded events."""

    def __init__(self) -> None:
        self.state: list[Mapping[str, object]] = []

    def reset_state(self) -> None:
        self.state = []

    def fold_stored(self, events: Iterable[Mapping[str, object]]) -> int:
        before = len(self.state)
        self.state.extend(events)
        return len(self.state) - before


class FakeSnapshots:
    """Saved states as (position, copy of the state); ``load`` restores the last one."""

    def __init__(self) -> None:
        self.saved: list[tuple[int, list[Mapping[str, object]]]] = []
        self.tries = 0
        self.failing = False
        #: set: a save dumps "parts" until it is cancelled (a state too big to wait for)
        self.endless = False
        self.saving = threading.Event()
        self.cancelled_saves = 0

    def save(
        self,
        state: list[Mapping[str, object]],
        position: int,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> int | None:
        self.tries += 1
        if self.failing:
            raise RuntimeError("database went away")
        if self.endless:
            self.saving.set()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # one more part...
                if cancelled is not None and cancelled():
                    self.cancelled_saves += 1
                    return None
                time.sleep(0.005)
            raise AssertionError("never cancelled")
        self.saved.append((position, list(state)))
        return len(state)

    def last_save_text(self) -> str:
        return f"{len(self.saved[-1][1])} events"

    def load(self, state: list[Mapping[str, object]]) -> int | None:
        if not self.saved:
            return None
        position, saved = self.saved[-1]
        state.extend(saved)
        return position


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _history(poll_s: float = 0.0) -> tuple[StoredHistory, FakeStore, FakeService]:
    store, governed = FakeStore(), FakeService()
    history = StoredHistory(governed, store, poll_s=poll_s)  # type: ignore[arg-type]
    return history, store, governed


def _checkpointing(
    checkpoint_s: float, poll_s: float = 0.0
) -> tuple[StoredHistory, FakeStore, FakeService, FakeSnapshots, Clock]:
    store, governed, snapshots, clock = FakeStore(), FakeService(), FakeSnapshots(), Clock()
    history = StoredHistory(
        governed,  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        poll_s=poll_s,
        snapshots=snapshots,  # type: ignore[arg-type]
        checkpoint_s=checkpoint_s,
        clock=clock,
    )
    return history, store, governed, snapshots, clock


def _ids(governed: FakeService) -> list[object]:
    return [event["id"] for event in governed.state]


def test_following_folds_each_stored_decision_once_in_ledger_order() -> None:
    history, store, governed = _history()
    store.store({"id": 1}, None, _OTHER, {"id": 2})
    assert history.catch_up() == 2
    assert history.position == 4, "passed-over entries still move the position"
    assert history.catch_up() == 0
    store.store({"id": 3})
    assert history.catch_up() == 1
    assert _ids(governed) == [1, 2, 3]
    assert history.rebuilds == 1


def test_a_batch_of_other_entries_does_not_end_the_catch_up() -> None:
    history, store, governed = _history()
    store.store(*([_OTHER] * 5), {"id": 1})
    assert history._catch_up(batch=5) == 1
    assert history.position == 6 and _ids(governed) == [1]


def test_catching_up_reads_in_batches_until_nothing_is_left() -> None:
    history, store, governed = _history()
    store.store(*({"id": n} for n in range(12)))
    assert history._catch_up(batch=5) == 12
    assert store.reads == 3  # 5 + 5 + 2: a short batch is the last
    assert _ids(governed) == list(range(12))


def test_taking_over_after_following_folds_only_what_is_new() -> None:
    history, store, governed = _history()
    store.store({"id": 1}, {"id": 2})
    history.catch_up()
    store.store({"id": 3})
    assert history.take_over() == (1, False)
    assert history.last_take_over == (1, False)
    assert _ids(governed) == [1, 2, 3] and history.rebuilds == 1
    # the state now takes live scoring: following folds nothing more, and cannot restart
    governed.state.append({"id": "live"})
    store.store({"id": "live"})
    assert history.catch_up() == 0
    history.follow()
    assert not history.following
    assert _ids(governed) == [1, 2, 3, "live"]


def test_taking_over_again_after_scoring_starts_afresh() -> None:
    """Once this process scored, its own decisions are both in its state and in the store:
    catching up would count them twice, so the next take-over rebuilds."""
    history, store, governed = _history()
    store.store({"id": 1})
    assert history.take_over() == (1, True)
    governed.state.append({"id": 2})  # scored live, and stored
    store.store({"id": 2})
    store.store({"id": 3})  # scored by another process while this one stood aside
    assert history.take_over() == (3, True)
    assert _ids(governed) == [1, 2, 3]
    assert history.rebuilds == 2


def test_a_failed_catch_up_makes_the_next_one_start_afresh() -> None:
    history, store, governed = _history()
    store.store(*({"id": n} for n in range(7)))
    store.fail_after = 1
    with pytest.raises(RuntimeError):
        history._catch_up(batch=5)  # the first batch folded, the second read failed
    assert history.position is None
    store.fail_after = None
    assert history.catch_up() == 7
    assert _ids(governed) == list(range(7)) and history.rebuilds == 2


def test_the_follower_thread_keeps_up_and_stops_when_the_process_takes_over() -> None:
    history, store, governed = _history(poll_s=0.01)
    store.store({"id": 1})
    history.follow()
    assert history.following
    store.store({"id": 2})
    deadline = time.monotonic() + 5
    while history.position != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert history.position == 2
    store.store({"id": 3})
    folded, fresh = history.take_over()
    assert not history.following and not fresh
    assert _ids(governed) == [1, 2, 3] and folded in (0, 1)  # the thread may have got 3


def test_following_is_off_when_the_poll_interval_is_zero() -> None:
    history, _store, _governed = _history(poll_s=0.0)
    history.follow()
    assert not history.following


def test_a_database_hiccup_does_not_stop_following() -> None:
    history, store, governed = _history(poll_s=0.01)
    store.store({"id": 1})
    store.fail_after = 0
    history.follow()
    time.sleep(0.05)
    assert history.following and governed.state == []
    store.fail_after = None
    deadline = time.monotonic() + 5
    while _ids(governed) != [1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _ids(governed) == [1]
    history.stop()
    assert not history.following


def test_after_losing_the_lease_a_server_rebuilds_and_follows_again() -> None:
    history, store, governed = _history(poll_s=0.01)
    store.store({"id": 1})
    history.take_over()
    governed.state.append({"id": 2})  # scored live, and stored
    store.store({"id": 2})
    history.stands_by = True
    history.lost()
    assert history.following
    store.store({"id": 3})  # the new holder's
    deadline = time.monotonic() + 5
    while history.position != 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _ids(governed) == [1, 2, 3] and history.rebuilds == 2
    assert history.take_over() == (0, False)


def test_a_process_that_does_not_stand_by_only_forgets_after_losing_the_lease() -> None:
    history, store, _governed = _history(poll_s=0.01)
    store.store({"id": 1})
    history.take_over()
    history.lost()
    assert not history.following and history.position is None
    assert history.take_over() == (1, True)


def test_a_follower_saves_its_state_when_it_moved_on_and_the_interval_passed() -> None:
    history, store, _governed, snapshots, clock = _checkpointing(checkpoint_s=60)
    assert history.checkpoint() is None, "nothing followed yet"
    store.store({"id": 1}, {"id": 2})
    history.catch_up()
    assert history.checkpoint() == 2, "built from the first decision: saved at once"
    store.store({"id": 3})
    history.catch_up()
    clock.now += 59
    assert history.checkpoint() is None, "not before the interval"
    clock.now += 1
    assert history.checkpoint() == 3
    clock.now += 600
    assert history.checkpoint() is None, "nothing new since"
    assert [(at, [e["id"] for e in state]) for at, state in snapshots.saved] == [
        (2, [1, 2]),
        (3, [1, 2, 3]),
    ]


def test_a_state_loaded_from_a_saved_one_is_not_saved_again_at_once() -> None:
    history, store, governed, snapshots, clock = _checkpointing(checkpoint_s=60)
    store.store({"id": 1}, {"id": 2})
    snapshots.saved.append((2, [{"id": 1}, {"id": 2}]))
    store.store({"id": 3})
    assert history.catch_up() == 1 and history.restored_at == 2
    assert _ids(governed) == [1, 2, 3]
    assert history.checkpoint() is None
    clock.now += 60
    assert history.checkpoint() == 3


def test_nothing_is_saved_once_the_process_scores_or_when_turned_off() -> None:
    history, store, _governed, snapshots, _clock = _checkpointing(checkpoint_s=60)
    store.store({"id": 1})
    history.take_over()
    assert history.checkpoint() is None, "a live state is saved only when scoring stops"
    off, store, _governed, snapshots, _clock = _checkpointing(checkpoint_s=0)
    store.store({"id": 1})
    off.catch_up()
    assert off.checkpoint() is None and snapshots.saved == []


def test_the_follower_thread_saves_what_it_follows() -> None:
    history, store, _governed, snapshots, _clock = _checkpointing(checkpoint_s=60, poll_s=0.01)
    store.store({"id": 1})
    history.follow()
    deadline = time.monotonic() + 5
    while not snapshots.saved and time.monotonic() < deadline:
        time.sleep(0.01)
    history.stop()
    assert snapshots.saved == [(1, [{"id": 1}])]


def test_a_failed_save_is_tried_again_only_after_the_interval() -> None:
    history, store, _governed, snapshots, clock = _checkpointing(checkpoint_s=60)
    store.store({"id": 1})
    history.catch_up()
    snapshots.failing = True
    with pytest.raises(RuntimeError):
        history.checkpoint()
    assert history.checkpoint() is None and snapshots.tries == 1, "no dump every poll"
    snapshots.failing = False
    clock.now += 60
    assert history.checkpoint() == 1 and snapshots.tries == 2


def test_ledger_entries_that_change_no_state_are_not_saved_for() -> None:
    history, store, _governed, snapshots, clock = _checkpointing(checkpoint_s=60)
    store.store(_OTHER, None)  # an alert and a decision without a state event
    history.catch_up()
    assert history.position == 2 and history.checkpoint() is None
    store.store({"id": 1})
    history.catch_up()
    assert history.checkpoint() == 1
    store.store(_OTHER)
    history.catch_up()
    clock.now += 600
    assert history.checkpoint() is None and len(snapshots.saved) == 1
    assert history.checkpoint(now=True) is None, "now= skips the wait, not the check"


def test_the_collector_is_paused_only_while_a_state_is_dumped_or_loaded() -> None:
    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled(), "a collector paused before stays paused"
    finally:
        gc.enable()


def test_taking_over_makes_a_checkpoint_in_progress_give_way() -> None:
    """A standby's checkpoint of a big state takes minutes; a take-over that comes meanwhile
    does not wait for it: the save stops after its current part and the saved state stays
    as it was."""
    history, store, governed, snapshots, _clock = _checkpointing(checkpoint_s=60)
    store.store({"id": 1}, {"id": 2})
    history.catch_up()
    snapshots.endless = True
    checkpointing = threading.Thread(target=history.checkpoint, kwargs={"now": True})
    checkpointing.start()
    assert snapshots.saving.wait(5)
    store.store({"id": 3})
    started = time.monotonic()
    assert history.take_over() == (1, False), "folds only what is new, as without a save"
    checkpointing.join(5)
    assert not checkpointing.is_alive() and time.monotonic() - started < 5
    assert snapshots.cancelled_saves == 1 and snapshots.saved == []
    assert _ids(governed) == [1, 2, 3]
    assert history.checkpoint(now=True) is None, "a live state is not checkpointed"


def test_a_checkpoint_gives_up_when_its_caller_says_so() -> None:
    """``save-state --every`` stopped (SIGTERM) while it saves a big state: the save stops
    after its current part instead of running to the end."""
    history, store, _governed, snapshots, _clock = _checkpointing(checkpoint_s=60)
    store.store({"id": 1})
    history.catch_up()
    snapshots.endless = True
    stop = threading.Event()
    result: list[int | None] = []
    checkpointing = threading.Thread(
        target=lambda: result.append(history.checkpoint(now=True, cancelled=stop.is_set))
    )
    checkpointing.start()
    assert snapshots.saving.wait(5)
    stop.set()
    checkpointing.join(5)
    assert not checkpointing.is_alive() and result == [None]
    assert snapshots.cancelled_saves == 1 and snapshots.saved == []
