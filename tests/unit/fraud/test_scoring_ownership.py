"""ScoringOwnership with a fake lease: claims, preparation of the state, renewal, release."""

from __future__ import annotations

import threading
import time

import pytest

from dualtrack.fraud.governed import ScoringOwnedElsewhere
from dualtrack.fraud.wiring import ScoringOwnership


class FakeLease:
    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self.owner: str | None = None
        self.beats = 0
        self.released = 0
        self.ours = True

    def claim(self) -> None:
        if self.owner not in (None, "us"):
            raise ScoringOwnedElsewhere("another process serves fraud scoring")
        self.owner = "us"

    def beat(self) -> bool:
        self.beats += 1
        return self.ours

    def release(self) -> None:
        self.released += 1
        if self.owner == "us":
            self.owner = None


def test_a_request_arriving_during_preparation_waits_for_it() -> None:
    lease = FakeLease()
    started, finished = threading.Event(), threading.Event()
    order: list[str] = []

    def prepare() -> None:
        started.set()
        time.sleep(0.2)
        order.append("prepared")
        finished.set()

    ownership = ScoringOwnership(lease, prepare)  # type: ignore[arg-type]
    first = threading.Thread(target=ownership.ensure)
    first.start()
    started.wait(5)
    ownership.ensure()  # a second request: returns only once the state is ready
    order.append("second request scored")
    first.join()
    assert order == ["prepared", "second request scored"]
    assert ownership.held and ownership.claims == 1
    ownership.close()
    assert lease.owner is None and not ownership.held


def test_a_failed_preparation_gives_the_lease_back_and_the_next_request_retries() -> None:
    lease = FakeLease()
    calls: list[int] = []

    def prepare() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database unavailable")

    ownership = ScoringOwnership(lease, prepare)  # type: ignore[arg-type]
    with pytest.raises(OSError):
        ownership.ensure()
    assert lease.owner is None and not ownership.held and ownership.claims == 0
    ownership.ensure()
    assert ownership.held and ownership.claims == 1
    ownership.close()


def test_refused_while_another_holds_it_and_losing_it_stops_scoring() -> None:
    lease = FakeLease(ttl_s=0.03)  # renewed every 10 ms
    lease.owner = "them"
    lost: list[bool] = []
    ownership = ScoringOwnership(
        lease,  # type: ignore[arg-type]
        lambda: None,
        on_lost=lambda: lost.append(not ownership.held),
    )
    with pytest.raises(ScoringOwnedElsewhere):
        ownership.ensure()
    lease.owner = None
    ownership.ensure()
    deadline = time.monotonic() + 5
    while lease.beats < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lease.beats >= 2 and ownership.held  # renewed in the background
    lease.ours, lease.owner = False, "them"  # another process took it over
    while not lost and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not ownership.held and lost == [True], "on_lost ran once"
    with pytest.raises(ScoringOwnedElsewhere):
        ownership.ensure()
    lease.ours, lease.owner = True, None
    ownership.ensure()  # taken back later: prepared again
    assert ownership.claims == 2
    ownership.close()
