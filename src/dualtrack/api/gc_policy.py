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
"""

from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)


class FreezePolicy:
    """A daemon thread applying the policy above until :meth:`stop`."""

    def __init__(self, *, freeze_s: float, full_s: float) -> None:
        if freeze_s <= 0 or full_s <= 0:
            raise ValueError("freeze_s and full_s must be positive")
        self.freeze_s = freeze_s
        self.full_s = full_s
        self.freezes = 0
        self.full_collections = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._full()
        self._thread = threading.Thread(target=self._run, name="gc-freeze", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
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

    def _run(self) -> None:
        last_full = time.monotonic()
        while not self._stop.wait(self.freeze_s):
            if time.monotonic() - last_full >= self.full_s:
                self._full()
                last_full = time.monotonic()
            else:
                self.tick()


__all__ = ["FreezePolicy"]
