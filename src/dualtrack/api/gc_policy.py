"""Garbage collection in a serving process: keep full collections off the request path.

CPython's cyclic collector runs a full (generation 2) pass whenever the objects promoted
since the last one exceed a quarter of those that survived it. A scoring server holds a large,
long-lived heap (the online feature state: a few objects per customer, account and payee),
so each full pass walks all of it while holding the GIL: measured at 0.4-0.6 s with 430k
objects on the 2-core development machine, several times a minute under load. Every request
in flight waits for it.

:class:`FreezePolicy` is the standard remedy for long-lived heaps (``gc.freeze``, added
to CPython for pre-fork servers): every ``freeze_s`` seconds it runs a young-generation
collection (cheap; reclaims new cyclic garbage) and then freezes what survived, so later
collections never walk it again. Objects freed by reference counting, which is nearly all of
them (feature-state events leave when their window evicts them), are freed as usual while
frozen. What freezing can hold back is cyclic garbage that had already reached the old
generation; a full collection over everything every ``full_s`` seconds reclaims it, at the
cost of one pause of the old length that often.

Freezing alone is not enough: between two ticks the collector still starts full passes of
its own over whatever was promoted since the last freeze (20-230 ms each, several a minute at
2,000 decisions/s, measured on 2026-12-03). While the policy runs, the collector's own full
passes are therefore switched off (generation 2's threshold is set out of reach; the young
generations keep their thresholds), and the policy's tick, which is the only thing that
promotes objects out of the young generations for good, comes often (every second by
default), so nothing stays unfrozen for long. :meth:`stop` restores the thresholds.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from dualtrack.background import BackgroundLoop

log = logging.getLogger(__name__)


#: generation 2's threshold while the policy runs: the collector never reaches it by itself
_NO_AUTOMATIC_FULL = 2**31 - 1


class FreezePolicy:
    """A daemon thread applying the policy above until :meth:`stop`."""

    def __init__(self, *, freeze_s: float, full_s: float) -> None:
        if freeze_s <= 0 or full_s <= 0:
            raise ValueError("freeze_s and full_s must be positive")
        self.freeze_s = freeze_s
        self.full_s = full_s
        self.freezes = 0
        self.full_collections = 0
        self._loop = BackgroundLoop("gc-freeze", self._run)
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._loop.running:
            return
        young, middle, _old = self._thresholds = gc.get_threshold()
        gc.set_threshold(young, middle, _NO_AUTOMATIC_FULL)
        self._full()
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.unfreeze()

    def tick(self) -> None:
        """One young collection, then freeze the survivors."""
        gc.collect(1)
        gc.freeze()
        self.freezes += 1

    def _full(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.full_collections += 1
        log.debug("full collection in %.1f ms", (time.perf_counter() - started) * 1e3)

    def _run(self, stop: threading.Event) -> None:
        last_full = time.monotonic()
        while not stop.wait(self.freeze_s):
            if time.monotonic() - last_full >= self.full_s:
                self._full()
                last_full = time.monotonic()
            else:
                self.tick()


__all__ = ["FreezePolicy"]
