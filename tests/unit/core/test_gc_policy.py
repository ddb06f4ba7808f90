"""The serving process's garbage-collection policy (dualtrack.api.gc_policy)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from dualtrack.api.gc_policy import FreezePolicy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


@pytest.fixture
def policy() -> Iterator[FreezePolicy]:
    made = FreezePolicy(freeze_s=3600, full_s=3600)  # the test drives it by hand
    made.start()
    yield made
    made.stop()


def test_start_freezes_the_heap_and_stop_releases_it(policy: FreezePolicy) -> None:
    assert gc.get_freeze_count() > 1000
    assert policy.full_collections == 1
    policy.stop()
    assert gc.get_freeze_count() == 0


def test_tick_reclaims_young_cycles_and_freezes_survivors(policy: FreezePolicy) -> None:
    before = gc.get_freeze_count()
    kept = [Node() for _ in range(100)]
    garbage, ref = cycle()
    del garbage
    assert ref() is not None  # a cycle: reference counting alone cannot free it
    policy.tick()
    assert ref() is None  # the young collection reclaimed it
    assert gc.get_freeze_count() >= before + len(kept)


def test_full_collection_reclaims_cycles_frozen_while_alive(policy: FreezePolicy) -> None:
    held, ref = cycle()
    policy.tick()  # frozen while still referenced
    del held
    policy.tick()
    assert ref() is not None  # frozen garbage: the young collections never see it
    policy._full()
    assert ref() is None
    assert policy.full_collections == 2


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        FreezePolicy(freeze_s=0, full_s=10)


def test_automatic_full_collections_are_off_while_it_runs() -> None:
    before = gc.get_threshold()
    made = FreezePolicy(freeze_s=3600, full_s=3600)
    made.start()
    try:
        young, middle, old = gc.get_threshold()
        assert (young, middle) == before[:2]  # the young generations keep their thresholds
        assert old > 1_000_000  # the collector never starts a full pass by itself
    finally:
        made.stop()
    assert gc.get_threshold() == before
